"""Every view in marimo, in headless Chromium against real marimo servers (`marimo run` and `marimo edit`).

marimo renders each anywidget inside a shadow root, which a stylesheet in the document's head does
not reach. For each view (TokenHeatmapView, AttentionView, LogitLensView, DLAView, AttributionView,
PatchingView, CircuitView, AnnotatorView) these tests check that it is styled there (computed styles
that only our stylesheets give, its sheets inside its shadow root, text readable on the page's
background) and that it works both ways: a click or a typed value in the view reaches Python
through `mo.ui.anywidget(view)` and re-runs a cell that prints `widget.value[...]`, and where the
view asks its live session (a head's pattern, a patched run, a new attribution target, a circuit
node's detail) the answer comes back and is drawn.

One app, two servers for the module (started together): `marimo run` in marimo's light theme and
`marimo edit` in its dark theme (set, with running the notebook on open, in the app directory's
pyproject.toml), one page each.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, REPO, _free_port, stop_server

pytest.importorskip("marimo")

MODES = ("run", "edit")

APP = '''
import marimo

app = marimo.App(width="full")


@app.cell
def _():
    import json

    import marimo as mo
    import numpy as np
    import torch

    import interplay

    torch.set_num_threads(1)
    model = interplay.load()
    prompt = "When Mary and John went to the store, John gave a drink to"
    corrupted = "When Mary and John went to the store, Mary gave a drink to"

    def show(name, value):
        return mo.plain_text(name + " -> " + json.dumps(value, sort_keys=True))
    return corrupted, interplay, mo, model, np, prompt, show


@app.cell
def _(interplay, mo, np):
    heat = mo.ui.anywidget(interplay.TokenHeatmapView.from_arrays(
        ["When", " Mary", " and", " John", " <img src=x onerror=alert(1)>"],
        np.array([[0.5, -1.0, 0.25, 2.0, -2.0], [1, 2, 3, 4, 5]], dtype=np.float32),
        labels=["signed", "rising"], title="marimo heatmap"))
    heat
    return (heat,)


@app.cell
def _(heat, show):
    show("heat", heat.value["selected"])
    return


@app.cell
def _(interplay, mo, model, prompt):
    attn = mo.ui.anywidget(interplay.attention(model, prompt).show())
    attn
    return (attn,)


@app.cell
def _(attn, show):
    show("attn", attn.value["selected"])
    return


@app.cell
def _(interplay, mo, model, prompt):
    lens = mo.ui.anywidget(interplay.logit_lens(model, prompt).show())
    lens
    return (lens,)


@app.cell
def _(lens, show):
    show("lens", {"target": lens.value["target"], "has_probs": lens.widget.target_probs is not None})
    return


@app.cell
def _(interplay, mo, model, prompt):
    dla = mo.ui.anywidget(
        interplay.direct_logit_attribution(model, prompt, target=" Mary", baseline=" John").show(attention=False))
    dla
    return (dla,)


@app.cell
def _(dla, show):
    show("dla", dla.value["selected"])
    return


@app.cell
def _(interplay, mo, model, prompt):
    attr = mo.ui.anywidget(interplay.attribute(model, prompt, target=" Mary", method="saliency", progress=False).show())
    attr
    return (attr,)


@app.cell
def _(attr, show):
    show("attr", attr.value["selected"])
    return


@app.cell
def _(corrupted, interplay, mo, model, prompt):
    patch = mo.ui.anywidget(interplay.patch(model, prompt, corrupted, metric=interplay.logit_diff(" Mary", " John"),
                                            component="z", progress=False).show())
    patch
    return (patch,)


@app.cell
def _(patch, show):
    show("patch", patch.value["selected"])
    return


@app.cell
def _(interplay, mo, model):
    circ = mo.ui.anywidget(interplay.circuit(model, interplay.tasks.ioi(n=8, seed=0), method="eap",
                                             progress=False).show(k=30))
    circ
    return (circ,)


@app.cell
def _(circ, show):
    show("circ", circ.value["selected"])
    return


@app.cell
def _(interplay, mo):
    ann = mo.ui.anywidget(interplay.AnnotatorView.from_texts(
        ["When Mary and John went to the store"], labels=["name", "verb"], title="marimo annotator"))
    ann
    return (ann,)


@app.cell
def _(ann, show):
    show("ann", [[r["start"], r["end"], r["label"], r["tokens"]] for r in ann.value["annotations"]])
    return


@app.cell
def _(interplay, mo, model, prompt):
    sae = interplay.demo_dictionary("resid_post.2")
    feat = mo.ui.anywidget(interplay.top_activations(model, (sae, list(range(8))), interplay.tasks.ioi(n=40, seed=0),
                                                     progress=False).show())
    pfv = mo.ui.anywidget(interplay.PromptFeaturesView(interplay.features(model, prompt, sae).data))
    mo.vstack([feat, pfv])
    return feat, pfv


@app.cell
def _(feat, show):
    show("feat", feat.value["feature"])
    return


@app.cell
def _(pfv, show):
    show("pfv", pfv.value["selected"])
    return


if __name__ == "__main__":
    app.run()
'''

# Per view: its root selector, then (selector inside the root, CSS property, value only our sheets give).
VIEWS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "heat": (".interplay-token-heatmap", [
        (".interplay-legend", "display", "flex"), (".interplay-button", "border-top-left-radius", "3px"),
        (".interplay-button", "cursor", "pointer"), (".interplay-tooltip", "position", "absolute")]),
    "attn": (".interplay-attention", [
        (".interplay-controls", "display", "flex"), (".interplay-attention-main", "display", "flex")]),
    "lens": (".interplay-logit-lens", [
        (".interplay-lens-controls", "display", "flex"), (".interplay-legend", "display", "flex")]),
    "dla": (".interplay-dla", [(".interplay-dla-header", "display", "flex"), (".interplay-legend", "display", "flex")]),
    "attr": (".interplay-attribution", [(".interplay-attr-tokens", "display", "flex")]),
    "patch": (".interplay-patching", [
        (".interplay-patching-controls", "display", "flex"), (".interplay-legend", "display", "flex")]),
    "circ": (".interplay-circuit", [(".interplay-circuit-bar", "display", "flex"), (".interplay-circuit-main", "display", "flex")]),
    "ann": (".interplay-annotator", [(".interplay-ann-tokens", "display", "flex"), (".interplay-ann-bar", "display", "flex")]),
    "feat": (".interplay-feature", [(".interplay-feature-cards", "display", "flex"),
                                    (".interplay-feature-header", "display", "flex")]),
    "pfv": (".interplay-prompt-features", [(".interplay-pf-body", "display", "flex")]),
}

# In the page: the view root's style scope, its sheets, and the contrast of its text on what is behind it.
STYLE_PROBE = """(root) => {
    const scope = root.getRootNode();
    const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const parse = (c) => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = 'rgba(0, 0, 0, 0)'; ctx.fillStyle = c;
                           ctx.fillRect(0, 0, 1, 1); const d = ctx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255]; };
    const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                                 return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
    let el = root, bg = null;
    while (el) {
        const c = parse(getComputedStyle(el).backgroundColor);
        if (c[3] > 0.5) { bg = c; break; }
        el = el.parentElement || (el.getRootNode() && el.getRootNode().host) || null;
    }
    bg = bg || [255, 255, 255];
    const fg = parse(getComputedStyle(root).color);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    return {
        inShadow: scope instanceof ShadowRoot,
        host: scope.host ? scope.host.tagName.toLowerCase() : null,
        sheets: [...scope.querySelectorAll('style')].map((s) => s.id).filter(Boolean),
        rootClass: root.classList.contains('interplay-root'),
        position: getComputedStyle(root).position,
        contrast: (hi + 0.05) / (lo + 0.05),
        fgLum: lum(fg), bgLum: lum(bg),
    };
}"""

CANVAS_COLOURS = """(c) => { if (!c.width || !c.height) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const s = new Set();
    for (let i = 0; i < d.length; i += 16) { if (d[i + 3] > 0) s.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]); }
    return s.size; }"""


@contextlib.contextmanager
def running_marimo(mode: str, app: Path, base: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``marimo run|edit app.py`` on a free port, its state under ``base``; yields the URL; stopped on exit."""
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "MPLCONFIGDIR"):
        (base / var.lower()).mkdir(parents=True, exist_ok=True)
        env[var] = str(base / var.lower())
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_VERBOSITY"] = "error"
    env["MARIMO_SKIP_UPDATE_CHECK"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    port = _free_port()
    extra = ["--no-token"] if mode == "edit" else []
    log = open(base / f"marimo-{mode}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "marimo", "-y", mode, str(app), "--headless", "--port", str(port), "--host", "127.0.0.1",
         "--no-sandbox", *extra],
        cwd=app.parent, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        stop_server(proc, log)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"marimo did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def marimo_pages(chromium: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One page per mode, every view rendered: ``marimo run`` (light theme) and ``marimo edit`` (dark)."""
    base = tmp_path_factory.mktemp("marimo")
    apps = {}
    for mode in MODES:
        (base / mode).mkdir()
        apps[mode] = base / mode / "app.py"
        apps[mode].write_text(APP)
    # marimo edit does not run a notebook on open unless told to (auto_instantiate)
    (base / "edit" / "pyproject.toml").write_text(
        '[tool.marimo.display]\ntheme = "dark"\n\n[tool.marimo.runtime]\nauto_instantiate = true\n')
    with contextlib.ExitStack() as stack:
        servers = {mode: stack.enter_context(running_marimo(mode, apps[mode], base / mode)) for mode in MODES}
        pages: dict[str, Any] = {}
        for mode in MODES:
            url, proc = servers[mode]
            _wait_ready(url, proc, base / mode / f"marimo-{mode}.log")
            context = stack.enter_context(contextlib.closing(chromium.new_context(viewport={"width": 1400, "height": 1000})))
            page = context.new_page()
            page.errors = []  # type: ignore[attr-defined]
            page.dialogs = []  # type: ignore[attr-defined]
            page.on("pageerror", lambda e, pg=page: pg.errors.append(str(e)))
            page.on("dialog", lambda d, pg=page: (pg.dialogs.append(d.message), d.dismiss()))
            page.goto(url)
            pages[mode] = page
        for mode, page in pages.items():
            for name, (root, _) in VIEWS.items():
                page.locator(root).first.wait_for(timeout=90_000)
                _output(page, name)  # its dependent cell has run once
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"marimo_{mode}_page.png"), full_page=True)
        yield pages


def _output(page: Any, name: str, expected: Any = ..., timeout: float = 30) -> Any:
    """The value the cell ``show(name, ...)`` printed (JSON), once it equals ``expected`` if given."""
    loc = page.get_by_text(re.compile(rf"^{re.escape(name)} -> ")).first
    deadline = time.time() + timeout
    seen = None
    while time.time() < deadline:
        with contextlib.suppress(Exception):
            text = loc.text_content(timeout=1000) or ""
            seen = json.loads(text.split(" -> ", 1)[1])
            if expected is ... or seen == expected:
                return seen
        time.sleep(0.1)
    raise AssertionError(f"the cell printing {name} shows {seen!r}, expected {expected!r}: the value did not reach Python")


def _root(page: Any, name: str) -> Any:
    return page.locator(VIEWS[name][0]).first


def _click_at(locator: Any, fx: float, fy: float) -> None:
    """Click at a fraction of the element's box (Playwright scrolls it into view and checks nothing covers it)."""
    box = locator.bounding_box()
    assert box is not None
    locator.click(position={"x": box["width"] * fx, "y": box["height"] * fy})


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two computed ``rgb(r, g, b)`` colours."""
    def lum(c: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"\d+", c)[:3])
        f = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in (r, g, b)]
        return 0.2126 * f[0] + 0.7152 * f[1] + 0.0722 * f[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _colours(locator: Any) -> int:
    return int(locator.evaluate(CANVAS_COLOURS))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(VIEWS))
def test_view_is_styled_inside_its_shadow_root(marimo_pages: dict[str, Any], mode: str, name: str) -> None:
    page = marimo_pages[mode]
    selector, checks = VIEWS[name]
    root = _root(page, name)
    probe = root.evaluate(STYLE_PROBE)
    assert probe["inShadow"] and probe["host"] == "marimo-anywidget", probe
    assert "interplay-style" in probe["sheets"], probe
    assert probe["rootClass"] and probe["position"] == "relative", probe
    # readable: the text colour follows marimo's theme (light text in dark mode, dark in light mode)
    assert probe["contrast"] >= 4.5, probe
    assert (probe["bgLum"] < 0.2) == (mode == "edit"), f"marimo {mode} is not in the expected theme: {probe}"
    for sel, prop, value in checks:
        got = root.locator(sel).first.evaluate(f"(e) => getComputedStyle(e).getPropertyValue({prop!r})")
        assert got == value, f"{selector} {sel} {prop} is {got!r}, not {value!r}: the view is unstyled"
    assert page.errors == []  # type: ignore[attr-defined]


def _shot(page: Any, name: str, mode: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(2, 2)
    _root(page, name).screenshot(path=str(ARTIFACTS / f"marimo_{mode}_{name}.png"))


@pytest.mark.parametrize("mode", MODES)
def test_heatmap_click_reaches_python(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    canvas = _root(page, "heat").locator("canvas.interplay-heatmap-canvas")
    assert _colours(canvas) >= 5, "the heatmap canvas is blank"
    assert _output(page, "heat") is None
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    # hover cells along the second row until the tooltip names position 3, then click there
    tip = _root(page, "heat").locator(".interplay-tooltip")
    for i in range(60):
        x, y = box["x"] + 2 + i * box["width"] / 60, box["y"] + box["height"] * 0.75
        page.mouse.move(x, y)
        if tip.is_visible() and "pos 3" in (tip.text_content() or ""):
            break
    else:
        raise AssertionError("no tooltip named position 3")
    assert "rising" in (tip.text_content() or "")
    page.mouse.click(x, y)
    assert _output(page, "heat", {"pos": 3, "row": 1}) == {"pos": 3, "row": 1}
    assert page.locator("img[src='x']").count() == 0 and page.dialogs == []  # type: ignore[attr-defined]
    _shot(page, "heat", mode)


@pytest.mark.parametrize("mode", MODES)
def test_attention_head_click_reaches_python_and_its_pattern_comes_back(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    root = _root(page, "attn")
    grid = root.locator("canvas.interplay-attention-grid")
    assert _colours(grid) >= 4, "the head grid is blank"
    _click_at(grid, 2.5 / 4, 1.5 / 4)  # the demo model: 4 layers x 4 heads; layer 1, head 2
    assert _output(page, "attn", {"head": 2, "layer": 1})
    pattern = root.locator("canvas.interplay-pattern-canvas")
    pattern.wait_for(timeout=30_000)
    deadline = time.time() + 30
    while _colours(pattern) < 3 and time.time() < deadline:
        time.sleep(0.2)
    assert _colours(pattern) >= 3, "the selected head's pattern (asked of Python) is blank"
    _shot(page, "attn", mode)


@pytest.mark.parametrize("mode", MODES)
def test_logit_lens_typed_target_reaches_python_and_probabilities_come_back(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    root = _root(page, "lens")
    assert _colours(root.locator("canvas.interplay-lens-canvas")) >= 4
    box = root.locator("input.interplay-lens-target")
    box.fill(" Mary")
    box.press("Enter")
    assert _output(page, "lens", {"has_probs": True, "target": " Mary"})
    # the answer is drawn: the view colours by the target's probability, and the legend says of which token
    caption = root.locator(".interplay-legend-caption").first
    deadline = time.time() + 15
    while not (caption.text_content() or "").startswith("target probability of") and time.time() < deadline:
        time.sleep(0.1)
    assert (caption.text_content() or "").startswith("target probability of"), caption.text_content()
    assert "Mary" in (caption.text_content() or "")
    _shot(page, "lens", mode)


@pytest.mark.parametrize("mode", MODES)
def test_dla_head_click_reaches_python(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    canvas = _root(page, "dla").locator("canvas.interplay-dla-canvas")
    assert _colours(canvas) >= 3
    _click_at(canvas, 3.5 / 4, 0.5 / 4)
    assert _output(page, "dla", {"head": 3, "layer": 0})
    _shot(page, "dla", mode)


@pytest.mark.parametrize("mode", MODES)
def test_attribution_token_click_reaches_python_and_new_scores_come_back(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    tokens = _root(page, "attr").locator(".interplay-attr-token")
    colours = lambda: tokens.evaluate_all("els => els.map(e => e.style.backgroundColor)")  # noqa: E731
    before = colours()
    # the prompt's tokens coloured by their attribution to the explained ' Mary', which ends the row uncoloured
    assert len(before) > 10 and all(before[:-1]) and before[-1] == "", before
    tokens.nth(5).click()
    assert _output(page, "attr", 5) == 5
    deadline = time.time() + 30
    while time.time() < deadline and not (all(colours()[:5]) and not any(colours()[5:])):
        time.sleep(0.2)
    after = colours()
    assert all(after[:5]) and not any(after[5:]), f"Python's attribution of token 5 did not arrive: {after}"
    _shot(page, "attr", mode)


@pytest.mark.parametrize("mode", MODES)
def test_patching_cell_click_reaches_python_and_top_k_come_back(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    root = _root(page, "patch")
    canvas = root.locator("canvas.interplay-patching-canvas")
    assert _colours(canvas) >= 3
    _click_at(canvas, 2.5 / 4, 1.5 / 4)
    assert _output(page, "patch", {"col": 2, "row": 1})
    root.locator(".interplay-topk").nth(2).wait_for(timeout=30_000)
    assert root.locator(".interplay-topk").count() == 3
    assert "L1 H2" in (root.locator(".interplay-patching-cell").first.text_content() or "")
    border = root.locator(".interplay-topk").first.evaluate("e => getComputedStyle(e).borderTopStyle")
    assert border == "solid", "the top-k lists are unstyled"
    _shot(page, "patch", mode)


@pytest.mark.parametrize("mode", MODES)
def test_circuit_node_click_reaches_python_and_its_detail_comes_back(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    root = _root(page, "circ")
    assert root.locator("g.interplay-circuit-node").count() == 1 + 4 * 5 + 1
    root.locator("g.interplay-circuit-node[data-name='L0.H0']").click()
    assert _output(page, "circ", {"node": "L0.H0"})
    pattern = root.locator("canvas.interplay-circuit-pattern")
    pattern.wait_for(timeout=30_000)
    assert _colours(pattern) >= 3, "the head's pattern (asked of Python) is blank"
    assert "L0.H0" in (root.locator(".interplay-circuit-detail-title").text_content() or "")
    # node labels stay readable on their (light) node fill in marimo's light and dark themes alike
    pairs = root.locator("g.interplay-circuit-node.interplay-circuit-active").evaluate_all(
        "els => els.map(g => [getComputedStyle(g.children[1]).fill, getComputedStyle(g.children[2]).fill])")
    assert pairs and all(_contrast(fill, text) >= 4.5 for fill, text in pairs), pairs
    _shot(page, "circ", mode)


@pytest.mark.parametrize("mode", MODES)
def test_annotator_label_reaches_python(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    root = _root(page, "ann")
    assert root.locator(".interplay-ann-token").count() == 8
    assert _output(page, "ann") == []
    root.locator(".interplay-ann-token[data-pos='1']").click()
    root.locator(".interplay-ann-label[data-label='name']").click()
    assert _output(page, "ann", [[1, 2, "name", [" Mary"]]])
    underline = root.locator(".interplay-ann-token[data-pos='1'] .interplay-ann-underline")
    underline.first.wait_for(timeout=10_000)
    _shot(page, "ann", mode)
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
def test_feature_view_arrow_key_reaches_python(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    root = _root(page, "feat")
    root.locator(".interplay-feature-card[data-primary]").first.wait_for(timeout=30_000)
    assert _output(page, "feat") == 0
    root.focus()
    root.press("ArrowRight")
    assert _output(page, "feat", 1)
    root.locator('.interplay-feature-card[data-feature="1"]').first.wait_for(timeout=15_000)
    _shot(page, "feat", mode)
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
def test_prompt_features_latent_click_reaches_python(marimo_pages: dict[str, Any], mode: str) -> None:
    page = marimo_pages[mode]
    root = _root(page, "pfv")
    assert _output(page, "pfv") is None
    root.locator(".interplay-pf-token[data-pos='3']").click()
    latent = root.locator("button.interplay-pf-latent").first
    latent.wait_for(timeout=10_000)
    index = int(latent.get_attribute("data-latent") or -1)
    latent.click()
    assert _output(page, "pfv", {"latent": index, "pos": 3})
    _shot(page, "pfv", mode)
    assert page.errors == []  # type: ignore[attr-defined]
