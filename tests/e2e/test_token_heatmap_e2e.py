"""TokenHeatmapView in real JupyterLab: render, hover, click -> Python, Python -> view, token safety, scale."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import (
    ARTIFACTS,
    REPO,
    Lab,
    canvas_colours,
    copy_notebook,
    error_outputs,
    execute,
    open_and_run,
    wait_for_file,
    write_notebook,
)

XSS = "<img src=x onerror=alert(1)>"
CANVAS = ".interplay-token-heatmap canvas.interplay-heatmap-canvas"


def _sweep(page: Any, selector: str, y_frac: float = 0.5, step: int = 6) -> list[tuple[float, float, str]]:
    """Move the pointer across the canvas; (x, y, tooltip text) wherever a tooltip shows."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, "the heatmap canvas is not on the page"
    seen = []
    y = box["y"] + box["height"] * y_frac
    x = box["x"] + 2
    while x < box["x"] + box["width"] - 1:
        page.mouse.move(x, y)
        tip = page.locator(".interplay-tooltip").first
        if tip.is_visible():
            seen.append((x, y, tip.text_content() or ""))
        x += step
    return seen


def test_heatmap_renders_hovers_clicks_and_updates(page: Any, lab: Lab) -> None:
    sel_file = lab.root / "selected.json"
    sel_file.unlink(missing_ok=True)
    name = write_notebook(lab, "heatmap.ipynb", [
        "import json, pathlib, numpy as np, interplay\n"
        f"tokens = ['When', ' Mary', ' and', '\\n', {XSS!r}, ' John', '\\t', ' gave']\n"
        "values = np.array([[0.5, -1.0, 0.25, 0.0, 2.0, -0.5, 1.0, -2.0],"
        " [1, 2, 3, 4, 5, 6, 7, float('nan')]], dtype=np.float32)\n"
        "w = interplay.TokenHeatmapView.from_arrays(tokens, values, labels=['signed', 'rising'], title='e2e heatmap')\n"
        "w.observe(lambda ch: pathlib.Path('selected.json').write_text(json.dumps(ch['new'])), names='selected')\n"
        "w",
    ])
    open_and_run(page, lab, name)
    page.wait_for_selector(CANVAS, timeout=30_000)
    assert not error_outputs(page)
    page.wait_for_timeout(300)
    assert canvas_colours(page, CANVAS) >= 8, "the heatmap canvas is blank"
    assert page.locator(".interplay-token-heatmap .interplay-legend").count() == 1
    # the XSS token shows literally in the tooltip, and nothing ran or was parsed as HTML
    seen = _sweep(page, CANVAS, y_frac=0.75)
    tips = [t for _, _, t in seen]
    assert any(XSS in t for t in tips), tips[:10]
    assert any("pos 4" in t for t in tips)
    assert any("↵" in t for t in tips), "the newline token is not shown visibly"
    assert page.locator("img[src='x']").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".interplay-token-heatmap").first.screenshot(path=str(ARTIFACTS / "token_heatmap.png"))
    # click a cell: the selection reaches Python, matching what the tooltip said
    x, y, tip = next(p for p in seen if "pos 6" in p[2])
    page.mouse.click(x, y)
    selected = json.loads(wait_for_file(sel_file))
    assert selected == {"row": 1, "pos": 6}
    assert "rising" in tip
    # keyboard: focus, Home, Right, Enter selects position 1
    sel_file.unlink()
    page.locator(".interplay-token-heatmap").first.focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert json.loads(wait_for_file(sel_file))["pos"] == 1
    # Python updates the values: the view redraws
    before = page.evaluate(f"() => document.querySelector('{CANVAS}').toDataURL()")
    execute(page, "w.values = -values[::-1].copy()")
    page.wait_for_function(f"(b) => document.querySelector('{CANVAS}').toDataURL() !== b", arg=before, timeout=10_000)
    assert page.errors == []  # type: ignore[attr-defined]


def test_large_heatmap_stays_light(page: Any, lab: Lab) -> None:
    """4,096 tokens x 48 rows: no DOM element per cell, and hover is fast."""
    name = write_notebook(lab, "large.ipynb", [
        "import numpy as np, interplay\n"
        "rng = np.random.default_rng(0)\n"
        "tokens = [f' tok{i}' for i in range(4096)]\n"
        "big = interplay.TokenHeatmapView.from_arrays(tokens, rng.normal(size=(48, 4096)).astype(np.float32),"
        " labels=[f'L{i}' for i in range(48)])\n"
        "big",
    ])
    t0 = time.time()
    open_and_run(page, lab, name)
    page.wait_for_selector(CANVAS, timeout=30_000)
    page.wait_for_function(f"() => {{ const c = document.querySelector('{CANVAS}'); return c && c.width > 0; }}")
    render_s = time.time() - t0
    n_elements = page.evaluate("() => document.querySelector('.interplay-token-heatmap').querySelectorAll('*').length")
    assert n_elements < 400, f"{n_elements} DOM elements for 4,096 x 48 cells"
    assert canvas_colours(page, CANVAS) >= 20
    box = page.locator(CANVAS).first.bounding_box()
    hover_ms = page.evaluate(
        """async ([sel, x0, y0, w]) => {
            const c = document.querySelector(sel); const times = [];
            for (let i = 0; i < 40; i++) {
                const t = performance.now();
                c.dispatchEvent(new PointerEvent('pointermove', {clientX: x0 + (i * 37) % w, clientY: y0, bubbles: true}));
                c.dispatchEvent(new MouseEvent('mousemove', {clientX: x0 + (i * 37) % w, clientY: y0, bubbles: true}));
                await new Promise(r => requestAnimationFrame(r));
                times.push(performance.now() - t);
            }
            times.sort((a, b) => a - b); return times[Math.floor(times.length / 2)];
        }""",
        [CANVAS, box["x"] + 5, box["y"] + box["height"] / 2, box["width"] - 10],
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".interplay-token-heatmap").first.screenshot(path=str(ARTIFACTS / "token_heatmap_4096x48.png"))
    (ARTIFACTS / "token_heatmap_4096x48.json").write_text(json.dumps(
        {"open_run_render_s": round(render_s, 2), "dom_elements": n_elements, "median_hover_frame_ms": hover_ms}))
    assert page.errors == []  # type: ignore[attr-defined]


def test_quickstart_notebook_runs_in_lab(page: Any, lab: Lab) -> None:
    name = copy_notebook(lab, REPO / "example_notebooks" / "01_quickstart.ipynb")
    open_and_run(page, lab, name, timeout=240)
    assert not error_outputs(page), error_outputs(page)
    page.wait_for_selector(CANVAS, timeout=30_000)
    assert canvas_colours(page, CANVAS) >= 8
    page.screenshot(path=str(Path(ARTIFACTS) / "quickstart.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]
