"""A notebook saved with JupyterLab's default settings (no widget state) shows its views after the
kernel is gone: reopened in JupyterLab, as `jupyter nbconvert --to html` output opened from file://
with the network blocked, and in that output with JavaScript off (pictures of the views). While the
kernel runs, only the live view shows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ARTIFACTS, Lab, open_and_run, write_notebook

CELLS = [
    "import numpy as np, interplay\n"
    "vals = np.sin(np.arange(2 * 30).reshape(2, 30) / 4).astype(np.float32)\n"
    "interplay.TokenHeatmapView.from_arrays([f'tok{i}' for i in range(30)], vals, title='saved heat')",
    "rng = np.random.default_rng(0)\n"
    "p = rng.random((2, 2, 20, 20)).astype(np.float32) * np.tril(np.ones((20, 20), np.float32))\n"
    "interplay.AttentionView.from_arrays([f'w{i}' for i in range(20)], p / p.sum(-1, keepdims=True), "
    "selected={'layer': 0, 'head': 1})",
]
VISIBLE = "els => els.filter(e => e.offsetParent !== null).length"


def _frame_drawn(frame: Any, root: str, canvas: str) -> int:
    frame.wait_for_selector("#interplay-root[data-rendered='true']", timeout=30_000)
    frame.wait_for_function(f"() => {{ const c = document.querySelector('{root} {canvas}'); return c && c.width > 0; }}",
                            timeout=15_000)
    return int(frame.evaluate(
        f"""() => {{ const c = document.querySelector('{root} {canvas}');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const s = new Set();
            for (let i = 0; i < d.length; i += 16) if (d[i + 3] > 0) s.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
            return s.size; }}"""))


def _png_colours(path: Path) -> int:
    """Distinct colours (quantised to 16 levels) in a screenshot."""
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(path).convert("RGB")) // 16
    return len(np.unique(img.reshape(-1, 3), axis=0))


def _saved_views(page: Any) -> list[Any]:
    """The frames of the saved views shown on the page, in order."""
    frames = []
    for el in page.locator("[data-interplay-fallback] iframe").element_handles():
        frame = el.content_frame()
        assert frame is not None
        frames.append(frame)
    return frames


def _default_widget_settings(lab: Lab) -> None:
    """JupyterLab's default: widget state is not saved (another test of the session may turn it on)."""
    settings = lab.root.parent / "settings" / "@jupyter-widgets" / "jupyterlab-manager"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": False}))


def test_saved_notebook_shows_its_views_without_the_kernel(page: Any, lab: Lab, chromium: Any) -> None:
    _default_widget_settings(lab)
    name = write_notebook(lab, "saved_views.ipynb", CELLS)
    open_and_run(page, lab, name)
    page.wait_for_selector(".interplay-attention canvas.interplay-attention-grid", timeout=30_000)
    # live: the views show, their saved views are in the notebook but hidden
    assert page.locator("[data-interplay-fallback]").count() == 2
    assert page.eval_on_selector_all("[data-interplay-fallback]", VISIBLE) == 0
    assert page.eval_on_selector_all(".interplay-token-heatmap, .interplay-attention", VISIBLE) == 2

    # each live view sends a picture of itself; it lands in its saved view's output, hidden here
    page.wait_for_function("() => document.querySelectorAll('img[data-interplay-picture]').length === 2",
                           timeout=30_000)
    assert page.eval_on_selector_all("img[data-interplay-picture]", VISIBLE) == 0
    path = lab.root / name
    for _ in range(50):
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        page.wait_for_timeout(300)
        saved = json.loads(path.read_text())
        outputs = [json.dumps(c.get("outputs", [])) for c in saved["cells"]]
        if sum("interplay-fallback" in o and "data-interplay-picture" in o for o in outputs) == 2:
            break
    else:
        raise AssertionError("the notebook was not saved with its views' saved views and pictures")
    assert "widgets" not in saved["metadata"] or not saved["metadata"]["widgets"]  # default settings: no state
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")

    # reopened after the kernel is gone: the saved views, and no "Error displaying widget"
    page.goto(f"{lab.url}/lab/tree/{name}?reset")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(f"() => document.querySelectorAll('[data-interplay-fallback] iframe').length === 2 && "
                           f"({VISIBLE})([...document.querySelectorAll('[data-interplay-fallback]')]) === 2",
                           timeout=30_000)
    frames = _saved_views(page)
    assert _frame_drawn(frames[0], ".interplay-token-heatmap", "canvas.interplay-heatmap-canvas") >= 2
    assert _frame_drawn(frames[1], ".interplay-attention", "canvas.interplay-attention-grid") >= 2
    # the selected head's pattern was embedded, so it draws in the saved view too
    assert _frame_drawn(frames[1], ".interplay-attention", "canvas.interplay-pattern-canvas") >= 2
    shown_errors = page.eval_on_selector_all(
        ".jp-OutputArea-output", "els => els.filter(e => e.offsetParent !== null && "
        "!e.querySelector('[data-interplay-fallback]') && "
        "(e.textContent || '').includes('Error displaying widget')).length")
    assert shown_errors == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "saved_notebook_reopened.png"), full_page=True)

    # nbconvert --to html: opened from file:// with every network request refused
    out = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
                         capture_output=True, text=True, env=lab.env, check=False)
    assert out.returncode == 0, out.stderr
    converted = path.with_suffix(".html")
    context = chromium.new_context(viewport={"width": 1300, "height": 1000})
    try:
        static = context.new_page()
        refused: list[str] = []
        static.route("**/*", lambda r: r.continue_() if re.match(r"^(file|blob|data|about):", r.request.url)
                     else (refused.append(r.request.url), r.abort()))
        static.goto(converted.as_uri())
        static.wait_for_function(f"() => ({VISIBLE})([...document.querySelectorAll('[data-interplay-fallback]')]) "
                                 "=== 2", timeout=30_000)
        frames = _saved_views(static)
        assert _frame_drawn(frames[0], ".interplay-token-heatmap", "canvas.interplay-heatmap-canvas") >= 2
        assert _frame_drawn(frames[1], ".interplay-attention", "canvas.interplay-attention-grid") >= 2
        assert not any("interplay" in u for u in refused)  # what nbconvert's page may load is its own
        static.screenshot(path=str(ARTIFACTS / "saved_notebook_nbconvert.png"), full_page=True)
        assert static.eval_on_selector_all("img[data-interplay-picture]", VISIBLE) == 0  # scripts run here
    finally:
        context.close()
    # a renderer that runs no JavaScript: the pictures, drawn as the live views were
    context = chromium.new_context(viewport={"width": 1300, "height": 1000}, java_script_enabled=False)
    try:
        nojs = context.new_page()
        nojs.route("**/*", lambda r: r.continue_() if re.match(r"^(file|data|about):", r.request.url) else r.abort())
        nojs.goto(converted.as_uri())
        pictures = nojs.locator("img[data-interplay-picture]")
        assert pictures.count() == 2
        assert nojs.eval_on_selector_all("img[data-interplay-picture]", VISIBLE) == 2
        assert nojs.eval_on_selector_all("[data-interplay-fallback]", VISIBLE) == 0
        for i, shot in enumerate(("saved_notebook_nojs_heat.png", "saved_notebook_nojs_attention.png")):
            assert pictures.nth(i).evaluate("img => img.complete && img.naturalWidth") > 200
            pictures.nth(i).screenshot(path=str(ARTIFACTS / shot))
            assert _png_colours(ARTIFACTS / shot) >= 20, shot  # the heatmap's and the patterns' colours
        nojs.screenshot(path=str(ARTIFACTS / "saved_notebook_nojs.png"), full_page=True)
    finally:
        context.close()
    Path(converted).unlink(missing_ok=True)
