"""PatchingView in real JupyterLab: the heatmap renders; clicking a cell runs that patch in Python
and the three top-k lists (clean, corrupted, patched) appear; switching to AtP recomputes. A view of
a saved sweep draws the same heatmap, and a click says that the patch needs a live model."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import (
    ARTIFACTS,
    Lab,
    canvas_colours,
    error_outputs,
    open_and_run,
    wait_for_file,
    write_notebook,
)

SETUP = (
    "import json, pathlib, interplay\n"
    "from tests.conftest import build_tokenizer, make_hf_model\n"
    "tok = build_tokenizer()\n"
    "model = interplay.load(make_hf_model('gpt2', len(tok)), tok)\n"
    "clean = 'When Mary and John went to the store, John gave a drink to'\n"
    "corrupted = 'When Mary and John went to the store, Mary gave a drink to'\n"
)


def test_click_a_cell_shows_three_top_k_lists(page: Any, lab: Lab) -> None:
    (lab.root / "patch_selected.json").unlink(missing_ok=True)
    name = write_notebook(lab, "patching.ipynb", [
        SETUP,
        "view = interplay.patch(model, clean, corrupted, metric=interplay.logit_diff(' Mary', ' John'),"
        " component='z', progress=False).show()\n"
        "view.observe(lambda ch: pathlib.Path('patch_selected.json').write_text(json.dumps(ch['new'])), names='selected')\n"
        "view",
    ])
    open_and_run(page, lab, name)
    grid = ".interplay-patching canvas.interplay-patching-canvas"
    page.wait_for_selector(grid, timeout=30_000)
    assert not error_outputs(page)
    assert canvas_colours(page, grid) >= 3, "the heatmap is blank"
    box = page.locator(grid).first.bounding_box()
    # layer x head: 2 rows, 4 columns; click layer 1, head 2
    page.mouse.click(box["x"] + box["width"] * (2.5 / 4), box["y"] + box["height"] * (1.5 / 2))
    assert json.loads(wait_for_file(lab.root / "patch_selected.json")) == {"row": 1, "col": 2}
    page.wait_for_function("() => document.querySelectorAll('.interplay-patching .interplay-topk').length === 3",
                           timeout=30_000)
    for key in ("clean", "corrupted", "patched"):
        rows = page.locator(f".interplay-patching .interplay-topk-{key} tr")
        assert rows.count() == 10, key
    assert "L1 H2" in (page.locator(".interplay-patching-cell").first.text_content() or "")
    page.select_option(".interplay-patching select.interplay-patching-method", "attribution")
    page.wait_for_function(
        "() => (document.querySelector('.interplay-patching-title')?.textContent || '').includes('attribution')",
        timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('.interplay-patching-scatter-box').hidden", timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".interplay-patching").first.screenshot(path=str(ARTIFACTS / "patching_view.png"))
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]


def test_a_saved_sweep_draws_and_a_click_says_it_needs_a_model(page: Any, lab: Lab) -> None:
    name = write_notebook(lab, "patching_saved.ipynb", [
        SETUP,
        "r = interplay.patch(model, clean, corrupted, metric=interplay.logit_diff(' Mary', ' John'),"
        " component='z', progress=False)\n"
        "r.save('patching_saved.interplay')\n"
        "interplay.load_result('patching_saved.interplay').show()",
    ])
    open_and_run(page, lab, name)
    grid = ".interplay-patching canvas.interplay-patching-canvas"
    page.wait_for_selector(grid, timeout=30_000)
    assert not error_outputs(page)
    assert canvas_colours(page, grid) >= 3, "the heatmap of the saved sweep is blank"
    box = page.locator(grid).first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * (2.5 / 4), box["y"] + box["height"] * (1.5 / 2))
    page.wait_for_function(
        "() => (document.querySelector('.interplay-patching .interplay-error')?.textContent || '')"
        ".includes('needs a live model')", timeout=30_000)
    assert page.locator(".interplay-patching .interplay-topk").count() == 0
    page.select_option(".interplay-patching select.interplay-patching-method", "attribution")
    page.wait_for_function(
        "() => document.querySelector('.interplay-patching select.interplay-patching-method').value === 'exact'",
        timeout=30_000)
    assert "exact" in (page.locator(".interplay-patching-title").first.text_content() or "")
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]
