"""Views in Jupyter Notebook 7 (`/notebooks/NAME.ipynb` on the session's Jupyter server), headless Chromium.

One notebook for the module: TokenHeatmapView, AttentionView, AnnotatorView and a PatchingView on the
live demo model. Each test checks what a person sees (canvas colours, token text, styled controls,
the sheet in the document's head) and what reaches Python: a click's selection printed by re-running
a cell, or written to a file by a kernel-side observer, and a drill-down answered by the live model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import (
    ARTIFACTS,
    KERNEL_STATUS,
    Lab,
    canvas_colours,
    error_outputs,
    wait_for_file,
    wait_idle,
    write_notebook,
)

XSS = "<img src=x onerror=alert(1)>"
FILES = ("nb7_heat.json", "nb7_attn.json", "nb7_ann.json", "nb7_patch.json")

CELLS = [
    "import json, pathlib, numpy as np, torch, interplay\n"
    "torch.set_num_threads(1)\n"
    "def dump(name):\n"
    "    return lambda ch: pathlib.Path(name).write_text(json.dumps(ch['new']))\n"
    "model = interplay.load()\n"
    "prompt = 'When Mary and John went to the store, John gave a drink to'\n"
    "corrupted = 'When Mary and John went to the store, Mary gave a drink to'",
    # 1: heatmap
    f"heat = interplay.TokenHeatmapView.from_arrays(['When', ' Mary', ' and', ' John', {XSS!r}],\n"
    "    np.array([[0.5, -1.0, 0.25, 2.0, -2.0], [1, 2, 3, 4, 5]], dtype=np.float32), labels=['signed', 'rising'],\n"
    "    title='nb7 heatmap')\n"
    "heat.observe(dump('nb7_heat.json'), names='selected')\n"
    "heat",
    # 2: re-run to print what Python holds
    "print('HEAT_SELECTED', json.dumps(heat.selected, sort_keys=True))",
    # 3: attention
    "attn = interplay.attention(model, prompt).show()\n"
    "attn.observe(dump('nb7_attn.json'), names='selected')\n"
    "attn",
    # 4: annotator
    "ann = interplay.AnnotatorView.from_texts(['When Mary and John went to the store'], labels=['name', 'verb'],"
    " title='nb7 annotator')\n"
    "ann.observe(dump('nb7_ann.json'), names='annotations')\n"
    "ann",
    # 5: patching with the live demo model
    "patch = interplay.patch(model, prompt, corrupted, metric=interplay.logit_diff(' Mary', ' John'), component='z',"
    " progress=False).show()\n"
    "patch.observe(dump('nb7_patch.json'), names='selected')\n"
    "patch",
]


@pytest.fixture(scope="module")
def nb7(browser: Any, lab: Lab) -> Iterator[Any]:
    """The notebook open in Notebook 7 with every cell run."""
    for f in FILES:
        (lab.root / f).unlink(missing_ok=True)
    name = write_notebook(lab, "notebook7_views.ipynb", CELLS)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    try:
        page.goto(f"{lab.url}/notebooks/{name}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        assert page.locator("#jp-top-panel, .jp-NotebookPanel").count() > 0
        assert "/lab" not in page.url, "this is JupyterLab, not Notebook 7"
        page.wait_for_function(f"() => !!window.jupyterapp && ({KERNEL_STATUS})() === 'idle'", timeout=60_000)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(timeout=10_000)
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(timeout=10_000)
        wait_idle(page, 120)
        for root in (".interplay-token-heatmap", ".interplay-attention", ".interplay-annotator", ".interplay-patching"):
            page.wait_for_selector(root, timeout=30_000)
        assert not error_outputs(page), error_outputs(page)
        yield page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "notebook7_final.png"))
        context.close()


# Notebook 7's own page errors, from its shell, not from a view (the first is in ENVIRONMENT.md; the second
# appears when the same server's JupyterLab workspace asked for its file browser earlier in the session).
NOTEBOOK7_NOISE = ("reading 'schema'", "'filebrowser:open-path' not registered")


def _page_errors(page: Any) -> list[str]:
    return [e for e in page.errors if not any(n in e for n in NOTEBOOK7_NOISE)]


def _style(page: Any, selector: str, prop: str) -> str:
    return str(page.locator(selector).first.evaluate(f"(e) => getComputedStyle(e).getPropertyValue({prop!r})"))


def _run_cell(page: Any, index: int) -> str:
    """Re-run code cell ``index`` (click it, Shift+Enter) and return its output text."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")
    wait_idle(page, 30)
    return str(cell.locator(".jp-OutputArea").text_content() or "")


def test_heatmap_in_notebook7_draws_and_a_click_reaches_python(nb7: Any, lab: Lab) -> None:
    page = nb7
    root = ".interplay-token-heatmap"
    canvas = f"{root} canvas.interplay-heatmap-canvas"
    assert canvas_colours(page, canvas) >= 5, "the heatmap canvas is blank"
    # styled: Notebook 7 is a plain document, the sheet is in its head
    assert page.evaluate("() => document.head.querySelectorAll('style#interplay-style').length") == 1
    assert _style(page, f"{root} .interplay-legend", "display") == "flex"
    assert _style(page, f"{root} .interplay-button", "cursor") == "pointer"
    assert "HEAT_SELECTED null" in (page.locator(".jp-Notebook .jp-CodeCell").nth(2).text_content() or "")
    # hover until the tooltip names position 3 on the second row; it shows the token as text, then click
    box = page.locator(canvas).first.bounding_box()
    tip = page.locator(f"{root} .interplay-tooltip").first
    for i in range(80):
        x, y = box["x"] + 2 + i * box["width"] / 80, box["y"] + box["height"] * 0.75
        page.mouse.move(x, y)
        if tip.is_visible() and "pos 3" in (tip.text_content() or ""):
            break
    else:
        raise AssertionError("no tooltip named position 3")
    assert "John" in (tip.text_content() or "") and "rising" in (tip.text_content() or "")
    page.mouse.click(x, y)
    assert json.loads(wait_for_file(lab.root / "nb7_heat.json")) == {"row": 1, "pos": 3}
    out = _run_cell(page, 2)
    assert 'HEAT_SELECTED {"pos": 3, "row": 1}' in out, out
    assert page.locator("img[src='x']").count() == 0 and page.dialogs == []  # type: ignore[attr-defined]
    page.locator(root).first.screenshot(path=str(ARTIFACTS / "notebook7_heatmap.png"))
    assert _page_errors(page) == []


def test_attention_in_notebook7_selects_a_head_and_its_pattern_comes_back(nb7: Any, lab: Lab) -> None:
    page = nb7
    root = ".interplay-attention"
    grid = f"{root} canvas.interplay-attention-grid"
    assert canvas_colours(page, grid) >= 4, "the head grid is blank"
    texts = page.evaluate(f"() => [...document.querySelectorAll('{root} .interplay-token-view .interplay-token')]"
                          ".map(t => t.textContent).join('')")
    assert "Mary" in texts and "store" in texts
    assert _style(page, f"{root} .interplay-controls", "display") == "flex"
    loc = page.locator(grid).first
    b = loc.bounding_box()
    loc.click(position={"x": b["width"] * 2.5 / 4, "y": b["height"] * 1.5 / 4})  # demo model: 4 x 4; layer 1, head 2
    assert json.loads(wait_for_file(lab.root / "nb7_attn.json")) == {"layer": 1, "head": 2}
    pattern = f"{root} canvas.interplay-pattern-canvas"
    page.wait_for_function(f"() => {{ const c = document.querySelector('{pattern}'); return c && c.width > 0; }}",
                           timeout=30_000)
    page.wait_for_timeout(300)
    assert canvas_colours(page, pattern) >= 3, "the pattern Python sent is blank"
    page.locator(root).first.screenshot(path=str(ARTIFACTS / "notebook7_attention.png"))
    assert _page_errors(page) == []


def test_annotator_in_notebook7_labels_reach_python(nb7: Any, lab: Lab) -> None:
    page = nb7
    root = ".interplay-annotator"
    tokens = page.locator(f"{root} .interplay-ann-token")
    assert tokens.count() == 8
    assert "".join(tokens.all_text_contents()).replace("␣", " ").startswith("When")
    assert _style(page, f"{root} .interplay-ann-tokens", "display") == "flex"
    page.locator(f"{root} .interplay-ann-token[data-pos='3']").click()
    page.locator(f"{root} .interplay-ann-label[data-label='name']").click()
    recs = json.loads(wait_for_file(lab.root / "nb7_ann.json"))
    assert [(r["start"], r["end"], r["label"], r["tokens"]) for r in recs] == [(3, 4, "name", [" John"])]
    page.locator(f"{root} .interplay-ann-token[data-pos='3'] .interplay-ann-underline").first.wait_for(timeout=10_000)
    page.locator(root).first.screenshot(path=str(ARTIFACTS / "notebook7_annotator.png"))
    assert _page_errors(page) == []


def test_patching_in_notebook7_click_asks_the_live_model(nb7: Any, lab: Lab) -> None:
    page = nb7
    root = ".interplay-patching"
    grid = f"{root} canvas.interplay-patching-canvas"
    assert canvas_colours(page, grid) >= 3, "the heatmap is blank"
    loc = page.locator(grid).first
    b = loc.bounding_box()
    loc.click(position={"x": b["width"] * 2.5 / 4, "y": b["height"] * 1.5 / 4})
    assert json.loads(wait_for_file(lab.root / "nb7_patch.json")) == {"row": 1, "col": 2}
    page.wait_for_function(f"() => document.querySelectorAll('{root} .interplay-topk').length === 3", timeout=30_000)
    for key in ("clean", "corrupted", "patched"):
        assert page.locator(f"{root} .interplay-topk-{key} tr").count() == 10, key
    assert "L1 H2" in (page.locator(f"{root} .interplay-patching-cell").first.text_content() or "")
    assert "Mary" in (page.locator(f"{root} .interplay-topk-clean").first.text_content() or "")
    assert _style(page, f"{root} .interplay-topk", "border-top-style") == "solid"
    page.locator(root).first.screenshot(path=str(ARTIFACTS / "notebook7_patching.png"))
    assert _page_errors(page) == []
