"""The theme's fallbacks in real Chromium: a view's colours and fonts come from the host's CSS variables.

No notebook server here: a bare page defines the variables a host sets (JupyterLab's `--jp-*`, VS Code's
`--vscode-*` with its `vscode-dark` body class, Colab's `--colab-*`, or none with a light or dark
`color-scheme` as in marimo), imports the built TokenHeatmapView bundle from a Blob URL and renders it
with a small in-page model. This simulates those hosts' variables; it is not a run inside VS Code or
Colab (see /work/notes/frontends.md for what was verified where).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, REPO

BUNDLE = REPO / "src" / "interplay" / "static" / "token_heatmap.js"

# host name -> (CSS on :root/body, expected root colour, expected button border colour, a font name expected)
HOSTS: dict[str, tuple[str, str, str | None, str | None]] = {
    "jupyterlab": (":root { --jp-ui-font-color1: rgb(10, 20, 30); --jp-border-color2: rgb(1, 2, 3);"
                   " --jp-ui-font-family: JupyterFont, sans-serif; --vscode-editor-foreground: rgb(200, 0, 0); }",
                   "rgb(10, 20, 30)", "rgb(1, 2, 3)", "JupyterFont"),
    "vscode-dark": ("body.vscode-dark { color-scheme: dark; background: rgb(30, 30, 30);"
                    " --vscode-editor-foreground: rgb(212, 212, 212); --vscode-panel-border: rgb(80, 80, 80);"
                    " --vscode-font-family: VSCodeFont, sans-serif; --colab-primary-text-color: rgb(0, 200, 0); }",
                    "rgb(212, 212, 212)", "rgb(80, 80, 80)", "VSCodeFont"),
    "colab-dark": (":root { color-scheme: dark; --colab-primary-text-color: rgb(227, 227, 227);"
                   " --colab-border-color: rgb(90, 90, 90); }", "rgb(227, 227, 227)", "rgb(90, 90, 90)", None),
    "plain-light": (":root { color-scheme: light; }", "rgb(0, 0, 0)", None, None),
    "plain-dark": (":root { color-scheme: dark; background: rgb(24, 28, 26); }", "rgb(255, 255, 255)", None, None),
}

RENDER = """async ([src, shadow]) => {
    const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const mod = await import(url);
    const state = { tokens: ['a', ' b', ' c'], row_labels: ['r'], title: 'hosts', value_label: 'v', selected: null,
      scale: { kind: 'diverging', cmap: 'rdbu', center: 0 },
      values: { dtype: 'float32', shape: [1, 3], dims: ['row', 'pos'], vmin: -1, vmax: 1, encoding: 'raw',
                data: new DataView(new Float32Array([-1, 0, 1]).buffer) } };
    const model = { get: (k) => state[k], set: (k, v) => { state[k] = v; }, on() {}, off() {}, save_changes() {}, send() {} };
    const host = document.createElement('div');
    document.body.append(host);
    const el = document.createElement('div');
    if (shadow) host.attachShadow({ mode: 'open' }).append(el); else host.append(el);
    mod.default.render({ model, el });
    const root = el.querySelector('.interplay-root');
    const button = el.querySelector('.interplay-button');
    const scope = root.getRootNode();
    return { color: getComputedStyle(root).color, font: getComputedStyle(root).fontFamily,
             border: getComputedStyle(button).borderTopColor, legend: getComputedStyle(el.querySelector('.interplay-legend')).display,
             sheetInScope: !!scope.querySelector('style#interplay-style'),
             sheetInHead: !!document.head.querySelector('style#interplay-style') };
}"""


@pytest.fixture(scope="module")
def bare_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 800, "height": 300})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("shadow", [False, True], ids=["document", "shadow-root"])
@pytest.mark.parametrize("host", list(HOSTS))
def test_view_takes_the_hosts_colours_and_fonts(bare_page: Any, host: str, shadow: bool) -> None:
    css, colour, border, font = HOSTS[host]
    page = bare_page
    body_class = "vscode-dark" if host.startswith("vscode") else ""
    page.set_content(f"<!doctype html><html><head><style>{css}</style></head><body class='{body_class}'></body></html>")
    got = page.evaluate(RENDER, [BUNDLE.read_text(), shadow])
    assert got["legend"] == "flex", got  # styled at all
    assert got["sheetInScope"] and got["sheetInHead"] == (not shadow), got
    assert got["color"] == colour, got
    if border is not None:
        assert got["border"] == border, got
    if font is not None:
        assert font in got["font"], got
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"theme_host_{host}_{'shadow' if shadow else 'document'}.png"))
