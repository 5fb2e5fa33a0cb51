"""AttributionView in real JupyterLab: click an output token, Python attributes it, the sources colour;
a result loaded from a file shows its row, and says that another token needs a live model."""

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

ROOT = ".interplay-attribution"
TOKEN = f"{ROOT} .interplay-attr-token"


def _colours(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(TOKEN, "els => els.map(e => e.style.backgroundColor)"))


def test_click_an_output_token_and_attributions_arrive(page: Any, lab: Lab) -> None:
    sel_file = lab.root / "attr_selected.json"
    sel_file.unlink(missing_ok=True)
    name = write_notebook(lab, "attribution.ipynb", [
        "import json, pathlib, interplay\n"
        "from tests.conftest import build_tokenizer, make_hf_model\n"
        "tok = build_tokenizer()\n"
        "model = interplay.load(make_hf_model('gpt2', len(tok)), tok)\n"
        "res = interplay.attribute(model, 'When Mary and John went to the store, John gave a drink to',"
        " target=' Mary', method='saliency', progress=False)\n"
        "view = res.show(title='e2e attribution')\n"
        "view.observe(lambda ch: pathlib.Path('attr_selected.json').write_text(json.dumps(ch['new'])),"
        " names='selected')\n"
        "view",
    ])
    open_and_run(page, lab, name, timeout=180)
    page.wait_for_selector(TOKEN, timeout=30_000)
    assert not error_outputs(page), error_outputs(page)
    n = page.locator(TOKEN).count()
    assert n == 15  # 14 prompt tokens + the explained ' Mary'
    before = _colours(page)
    assert all(c for c in before[:-1]) and before[-1] == "", "the result's row did not colour the sources"
    assert page.locator(f"{TOKEN}.interplay-attr-target").count() == 1
    # click token 5: Python attributes it to tokens 0..4, the view colours exactly those
    page.locator(TOKEN).nth(5).click()
    assert json.loads(wait_for_file(sel_file)) == 5
    page.wait_for_function(
        f"() => {{ const s = [...document.querySelectorAll('{TOKEN}')];"
        " return s[5].classList.contains('interplay-attr-target') && s[0].style.backgroundColor !== ''"
        " && s[6].style.backgroundColor === ''; }", timeout=60_000)
    after = _colours(page)
    assert all(after[:5]) and not any(after[5:]), after
    assert after[:5] != before[:5], "the colours did not change for the new target"
    assert page.locator(f"{ROOT} .interplay-busy").first.is_hidden()
    # switch to integrated gradients: the convergence delta shows
    page.locator(f"{ROOT} select.interplay-attr-method").select_option("integrated_gradients")
    page.wait_for_function(
        f"() => (document.querySelector('{ROOT} .interplay-attr-delta')?.textContent || '')"
        ".startsWith('convergence delta')", timeout=120_000)
    label = page.locator(f"{ROOT} .interplay-attr-label").first.text_content() or ""
    assert "integrated gradients" in label
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "attribution.png"))
    assert page.errors == []  # type: ignore[attr-defined]


def test_generation_matrix_renders_and_highlights(page: Any, lab: Lab) -> None:
    name = write_notebook(lab, "attribution_gen.ipynb", [
        "import interplay\n"
        "from tests.conftest import build_tokenizer, make_hf_model\n"
        "tok = build_tokenizer()\n"
        "model = interplay.load(make_hf_model('gpt2', len(tok)), tok)\n"
        "gen = interplay.attribute_generation(model, 'When Mary and John went to the store', max_new_tokens=4,"
        " method='input_x_gradient', stop_at_eos=False, progress=False)\n"
        "gen.show(title='generation')",
    ])
    open_and_run(page, lab, name, timeout=180)
    canvas = f"{ROOT} canvas.interplay-attr-matrix"
    page.wait_for_selector(canvas, timeout=30_000)
    assert not error_outputs(page), error_outputs(page)
    assert canvas_colours(page, canvas) >= 6, "the matrix canvas is blank"
    assert page.locator(f"{TOKEN}.interplay-attr-generated").count() == 4
    box = page.locator(canvas).first.bounding_box()
    assert box is not None
    # hover the last row's first column: the first token and the last generated token are highlighted
    page.mouse.move(box["x"] + 96 + 3, box["y"] + box["height"] - 3)
    page.wait_for_function(f"() => document.querySelectorAll('{TOKEN}.interplay-attr-hover').length === 2")
    hovered = page.eval_on_selector_all(f"{TOKEN}.interplay-attr-hover", "els => els.map(e => +e.dataset.pos)")
    assert hovered[0] == 0 and hovered[1] == page.locator(TOKEN).count() - 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "attribution_generation.png"))
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_loaded_result_shows_its_row_and_needs_the_model_for_more(page: Any, lab: Lab) -> None:
    name = write_notebook(lab, "attribution_loaded.ipynb", [
        "import interplay\n"
        "from tests.conftest import build_tokenizer, make_hf_model\n"
        "tok = build_tokenizer()\n"
        "model = interplay.load(make_hf_model('gpt2', len(tok)), tok)\n"
        "interplay.attribute(model, 'When Mary and John went to the store, John gave a drink to', target=' Mary',"
        " method='input_x_gradient', progress=False).save('attr.interplay')\n"
        "del model\n"
        "interplay.load_result('attr.interplay').show(title='loaded')",
    ])
    open_and_run(page, lab, name, timeout=180)
    page.wait_for_selector(TOKEN, timeout=30_000)
    assert not error_outputs(page), error_outputs(page)
    colours = _colours(page)
    assert len(colours) == 15 and all(colours[:-1]) and colours[-1] == "", "the saved row did not colour the sources"
    page.locator(TOKEN).nth(5).click()
    error = page.locator(f"{ROOT} .interplay-error").first
    error.wait_for(state="visible", timeout=30_000)
    assert "needs a live model" in (error.text_content() or "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "attribution_loaded.png"))
    assert page.errors == []  # type: ignore[attr-defined]
