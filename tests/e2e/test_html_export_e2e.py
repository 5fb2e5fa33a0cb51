"""Exported HTML files (view.to_html / interplay.save_html) opened from file:// in headless Chromium:
every view draws with no network request of any kind, what runs in the browser keeps working
(hover, zoom, sort, the circuit's slider, head switching among the embedded heads), what needs the
model says so; and an
exported view looks like the live one in JupyterLab (same size, same colours)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, Lab, open_and_run, write_notebook
from tests.e2e.test_saved_results_e2e import ROOTS, _colours
from tests.results.builders import BUILDERS
from tests.widgets.test_html_export import causal_patterns

LOCAL = re.compile(r"^(file|blob|data):")


def open_file(browser: Any, path: Path, width: int = 1300) -> tuple[Any, Any, list[str]]:
    """Open ``path`` from file:// and wait until every view is drawn; the requests it made are returned."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_selector("#interplay-root[data-rendered='true']", timeout=30_000)
    return context, page, requests


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Every kind of result, computed on the demo model here (live: the views have their sources),
    exported into one file."""
    import interplay

    model = interplay.load()
    kinds = sorted(set(BUILDERS) - {"SteeringResult", "FeatureSteeringResult"})  # plain HTML: it outlives the kernel
    views = [BUILDERS[k](model).show() for k in kinds]
    path = tmp_path_factory.mktemp("export") / "every_view.html"
    interplay.save_html(views, path, title="every view")
    return path, kinds


def test_every_view_opens_from_file_with_no_network(chromium: Any, exported: tuple[Path, list[str]]) -> None:
    path, kinds = exported
    context, page, requests = open_file(chromium, path)
    try:
        assert [u for u in requests if not LOCAL.match(u)] == []
        assert page.locator("section.interplay-export-view").count() == len(kinds) + 1  # DLA: its view and its attention
        seen: dict[str, int] = {}
        ARTIFACTS.mkdir(exist_ok=True)
        for kind in kinds:
            root, canvas = ROOTS[kind]
            nth = seen[root] = seen.get(root, -1) + 1
            assert page.locator(root).count() > nth, kind
            if canvas is not None:
                page.wait_for_function(f"() => {{ const c = document.querySelectorAll('{root} {canvas}')[{nth}]; "
                                       "return c && c.width > 0; }", timeout=15_000)
                assert _colours(page, f"{root} {canvas}", nth) >= 2, f"{kind}: the file drew nothing"
            page.locator(root).nth(nth).screenshot(path=str(ARTIFACTS / f"export_{kind}.png"))
        shown = page.eval_on_selector_all(".interplay-error", "els => els.filter(e => e.offsetParent !== null && "
                                          "(e.textContent || '').trim()).map(e => e.textContent)")
        assert shown == []

        # hover: the heatmap's tooltip names the token under the mouse
        heat = page.locator(".interplay-token-heatmap canvas.interplay-heatmap-canvas").first
        heat.scroll_into_view_if_needed()
        box = heat.bounding_box()
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        page.mouse.move(box["x"] + 8, box["y"] + 6)
        page.wait_for_function("() => [...document.querySelectorAll('.interplay-tooltip')].some(t => !t.hidden && "
                               "(t.textContent || '').trim())", timeout=5_000)

        # zoom: the heatmap's cells grow
        width0 = heat.evaluate("c => c.width")
        page.locator(".interplay-token-heatmap button[aria-label='Zoom in']").first.click()
        page.wait_for_function("(w) => document.querySelector('.interplay-token-heatmap canvas"
                               ".interplay-heatmap-canvas').width > w", arg=width0, timeout=5_000)

        # sort: the attention table reorders by another score, in the browser
        table = ".interplay-attention tbody th"
        first = page.locator(table).first.text_content()
        page.locator(".interplay-attention thead th", has_text=re.compile(r"^self")).first.click()
        page.wait_for_function("(f) => document.querySelector('.interplay-attention tbody th').textContent !== f",
                               arg=first, timeout=5_000)

        # slider: the circuit's top-k changes what is drawn
        k_label = page.locator(".interplay-circuit-k-label").first
        before_k = k_label.text_content()
        slider = page.locator("input.interplay-circuit-k").first
        slider.scroll_into_view_if_needed()
        slider.evaluate("s => { s.value = String(Math.min(Number(s.max), Number(s.value) + 5)); "
                        "s.dispatchEvent(new Event('input', {bubbles: true})); "
                        "s.dispatchEvent(new Event('change', {bubbles: true})); }")
        page.wait_for_function("(t) => document.querySelector('.interplay-circuit-k-label').textContent !== t",
                               arg=before_k, timeout=5_000)

        # an edit Python must compute from (the logit lens' mode) is undone, and the file says why
        mode = page.locator(".interplay-logit-lens select.interplay-lens-mode").first
        mode.scroll_into_view_if_needed()
        before = mode.input_value()
        other = next(o for o in mode.locator("option").evaluate_all("os => os.filter(o => !o.disabled).map(o => o.value)")
                     if o != before)
        mode.select_option(other)
        alert = page.locator("section[data-kind='LogitLensView'] p[role='alert']")
        alert.wait_for(state="visible", timeout=5_000)
        assert "needs the Python kernel" in (alert.text_content() or "")
        page.wait_for_function("(v) => document.querySelector('.interplay-logit-lens select.interplay-lens-mode')"
                               ".value === v", arg=before, timeout=5_000)

        # what needs the model says so in the view (a patching cell's detail)
        cell = page.locator(".interplay-patching canvas.interplay-patching-canvas").first
        cell.scroll_into_view_if_needed()
        box = cell.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
        page.wait_for_function("() => (document.querySelector('.interplay-patching').textContent || '')"
                               ".includes('needs a live model')", timeout=10_000)
        assert page.errors == []
        page.screenshot(path=str(ARTIFACTS / "export_every_view.png"), full_page=True)
    finally:
        context.close()


def test_attention_heads_embedded_switch_in_the_file(chromium: Any, tmp_path: Path) -> None:
    """Head switching among the embedded heads draws their patterns; another head says it needs the model."""
    import numpy as np

    import interplay

    n = 64
    view = interplay.AttentionView.from_arrays([f"w{i}" for i in range(n)], causal_patterns(2, 4, n, seed=1))
    order = view._head_order()
    path = view.to_html(tmp_path / "attention.html", heads=2)
    context, page, requests = open_file(chromium, path)
    try:
        assert [u for u in requests if not LOCAL.match(u)] == []
        assert "2 of 8 heads are embedded" in page.locator("p.interplay-export-notice").first.text_content()
        pattern = "canvas.interplay-pattern-canvas"
        for layer, head in order[:2]:
            page.locator(".interplay-attention td, .interplay-attention th", has_text=re.compile(
                rf"^L{layer}H{head}$")).first.click()
            page.wait_for_function(f"() => {{ const c = document.querySelector('{pattern}'); return c && c.width > 0; }}",
                                   timeout=10_000)
            page.wait_for_timeout(300)
            assert _colours(page, pattern, 0) >= 2, (layer, head)
            assert "needs a live model" not in (page.locator(".interplay-attention").text_content() or "")
        layer, head = order[-1]
        page.locator(".interplay-attention td, .interplay-attention th", has_text=re.compile(
            rf"^L{layer}H{head}$")).first.click()
        page.wait_for_function("() => (document.querySelector('.interplay-attention').textContent || '')"
                               ".includes('needs a live model')", timeout=10_000)
        page.locator(".interplay-attention").screenshot(path=str(ARTIFACTS / "export_attention_heads.png"))
        assert page.errors == []
        np.testing.assert_equal(len(order), 8)
    finally:
        context.close()


def _shot_stats(path: Path) -> tuple[tuple[int, int], set[tuple[int, int, int]]]:
    """(width, height) of a PNG and its common colours (quantised to 32 levels, >= 0.3% of pixels)."""
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(path).convert("RGB"))
    q = (img // 32).reshape(-1, 3)
    colours, counts = np.unique(q, axis=0, return_counts=True)
    common = {tuple(int(v) for v in c) for c, k in zip(colours, counts, strict=True) if k >= 0.003 * len(q)}
    return (img.shape[1], img.shape[0]), common  # type: ignore[return-value]


def test_export_looks_like_the_live_view(page: Any, lab: Lab, chromium: Any) -> None:
    """The same views, live in JupyterLab and exported from that kernel: same size, same colours."""
    cells = [
        "import numpy as np, interplay\n"
        f"{inspect.getsource(causal_patterns)}\n"
        "vals = np.sin(np.arange(3 * 40).reshape(3, 40) / 5).astype(np.float32)\n"
        "heat = interplay.TokenHeatmapView.from_arrays([f'tok{i}' for i in range(40)], vals, title='heat')\n"
        "heat",
        "att = interplay.AttentionView.from_arrays([f'w{i}' for i in range(48)], causal_patterns(2, 3, 48), "
        "selected={'layer': 1, 'head': 2})\natt",
        "interplay.save_html([heat, att], 'look.html', title='look')",
    ]
    name = write_notebook(lab, "look.ipynb", cells)
    open_and_run(page, lab, name)
    ARTIFACTS.mkdir(exist_ok=True)
    roots = [".interplay-token-heatmap", ".interplay-attention"]
    live = {}
    for root in roots:
        page.wait_for_selector(root, timeout=30_000)
        page.wait_for_timeout(500)
        el = page.locator(root).first
        live[root] = el.bounding_box()
        el.screenshot(path=str(ARTIFACTS / f"look_live{root}.png"))
    width = int(page.evaluate("() => document.querySelector('.interplay-token-heatmap').parentElement"
                              ".getBoundingClientRect().width"))
    context, file_page, requests = open_file(chromium, lab.root / "look.html", width=width + 32)
    try:
        assert [u for u in requests if not LOCAL.match(u)] == []
        for root in roots:
            file_page.wait_for_timeout(500)
            el = file_page.locator(root).first
            box = el.bounding_box()
            el.screenshot(path=str(ARTIFACTS / f"look_file{root}.png"))
            assert abs(box["width"] - live[root]["width"]) <= 2, (root, box, live[root])
            assert abs(box["height"] - live[root]["height"]) <= 2, (root, box, live[root])
            live_size, lc = _shot_stats(ARTIFACTS / f"look_live{root}.png")
            file_size, fc = _shot_stats(ARTIFACTS / f"look_file{root}.png")
            assert all(abs(a - b) <= 4 for a, b in zip(live_size, file_size, strict=True)), (live_size, file_size)
            overlap = len(lc & fc) / max(1, len(lc | fc))
            assert overlap >= 0.7, (root, sorted(lc ^ fc))
        assert file_page.errors == []
    finally:
        context.close()
