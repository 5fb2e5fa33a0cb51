"""AttentionView, LogitLensView and DLAView in real JupyterLab: select a head (pattern appears), hover a
token (highlight appears), type a logit-lens target (values arrive), click a DLA head (AttentionView
selects it)."""

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
    "prompt = 'When Mary and John went to the store, John gave a drink to Mary. <img src=x onerror=alert(1)>'\n"
    "def dump(name):\n"
    "    return lambda ch: pathlib.Path(name).write_text(json.dumps(ch['new']))\n"
)


def test_attention_view_select_head_and_hover_tokens(page: Any, lab: Lab) -> None:
    (lab.root / "attn_selected.json").unlink(missing_ok=True)
    name = write_notebook(lab, "attention.ipynb", [
        SETUP,
        "view = interplay.attention(model, prompt).show()\nview.observe(dump('attn_selected.json'), names='selected')\nview",
    ])
    open_and_run(page, lab, name)
    grid = ".interplay-attention canvas.interplay-attention-grid"
    page.wait_for_selector(grid, timeout=30_000)
    assert not error_outputs(page)
    assert canvas_colours(page, grid) >= 4, "the head grid is blank"
    box = page.locator(grid).first.bounding_box()
    # click the thumbnail of layer 1, head 2 (the grid is layers x heads); the choice reaches Python
    page.mouse.click(box["x"] + box["width"] * (2.5 / 4), box["y"] + box["height"] * (1.5 / 2))
    selected = json.loads(wait_for_file(lab.root / "attn_selected.json"))
    assert selected == {"layer": 1, "head": 2}
    pattern = ".interplay-attention canvas.interplay-pattern-canvas"
    page.wait_for_function(f"() => {{ const c = document.querySelector('{pattern}'); return c && c.width > 0; }}")
    page.wait_for_function(
        "() => !document.querySelector('.interplay-attention .interplay-busy') || "
        "document.querySelector('.interplay-attention .interplay-busy').offsetParent === null", timeout=30_000)
    assert canvas_colours(page, pattern) >= 3, "the selected head's pattern is blank"
    detail = page.locator(".interplay-attention-detail").first.text_content() or ""
    assert "1" in detail and "2" in detail
    # hover a token in the token view: other tokens get highlighted by attention
    tokens = page.locator(".interplay-token-view .interplay-token")
    assert tokens.count() > 5
    tokens.nth(8).hover()
    page.wait_for_timeout(300)
    highlighted = page.evaluate(
        "() => [...document.querySelectorAll('.interplay-token-view .interplay-token')]"
        ".filter(t => { const b = getComputedStyle(t).backgroundColor; return b && b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent'; }).length")
    assert highlighted >= 1
    texts = page.evaluate("() => [...document.querySelectorAll('.interplay-token-view .interplay-token')].map(t => t.textContent).join('')")
    assert "<img" in texts and page.locator("img[src='x']").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".interplay-attention").first.screenshot(path=str(ARTIFACTS / "attention_view.png"))
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]


def test_logit_lens_typed_target(page: Any, lab: Lab) -> None:
    (lab.root / "lens_target.json").unlink(missing_ok=True)
    name = write_notebook(lab, "lens.ipynb", [
        SETUP,
        "lens = interplay.logit_lens(model, prompt).show()\n"
        "lens.observe(lambda ch: pathlib.Path('lens_target.json').write_text(json.dumps("
        "{'target': lens.target, 'error': lens.target_error, 'has_probs': lens.target_probs is not None})), names='target_probs')\n"
        "lens",
    ])
    open_and_run(page, lab, name)
    canvas = ".interplay-logit-lens canvas.interplay-lens-canvas"
    page.wait_for_selector(canvas, timeout=30_000)
    assert canvas_colours(page, canvas) >= 4
    box = page.locator(".interplay-logit-lens input.interplay-lens-target").first
    box.fill(" Mary")
    box.press("Enter")
    got = json.loads(wait_for_file(lab.root / "lens_target.json"))
    assert got == {"target": " Mary", "error": "", "has_probs": True}
    # the view now colours by the target's probability (the legend says so) and the tooltip reports it
    page.wait_for_function("() => document.querySelector('.interplay-logit-lens').textContent.includes('target probability')",
                           timeout=10_000)
    cb = page.locator(canvas).first.bounding_box()
    tip = page.locator(".interplay-tooltip").first
    text = ""
    for i in range(20):  # hover again until the target's probabilities have arrived (a loaded machine is slow)
        page.mouse.move(cb["x"] + cb["width"] * 0.3 + i % 2, cb["y"] + cb["height"] * 0.8)
        tip.wait_for(state="visible", timeout=5_000)
        text = tip.text_content() or ""
        if "target" in text:
            break
        page.wait_for_timeout(250)
    assert "target" in text
    box.fill("Mary and John")
    box.press("Enter")
    err = page.locator(".interplay-logit-lens .interplay-target-error").first
    err.wait_for(state="visible", timeout=10_000)
    assert "not a single token" in (err.text_content() or "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".interplay-logit-lens").first.screenshot(path=str(ARTIFACTS / "logit_lens.png"))
    assert page.errors == []  # type: ignore[attr-defined]


def test_dla_click_selects_the_head_in_the_linked_attention_view(page: Any, lab: Lab) -> None:
    (lab.root / "dla_selected.json").unlink(missing_ok=True)
    name = write_notebook(lab, "dla.ipynb", [
        SETUP,
        "res = interplay.direct_logit_attribution(model, prompt, target=' Mary', baseline=' John')\n"
        "box = res.show()\n"
        "box.children[1].observe(dump('dla_selected.json'), names='selected')\n"
        "box",
    ])
    open_and_run(page, lab, name)
    canvas = ".interplay-dla canvas.interplay-dla-canvas"
    page.wait_for_selector(canvas, timeout=30_000)
    assert canvas_colours(page, canvas) >= 3
    bb = page.locator(canvas).first.bounding_box()
    page.mouse.click(bb["x"] + bb["width"] * (3.5 / 4), bb["y"] + bb["height"] * (0.5 / 2))
    selected = json.loads(wait_for_file(lab.root / "dla_selected.json"))
    assert selected == {"layer": 0, "head": 3}
    page.wait_for_function(
        "() => (document.querySelector('.interplay-attention-detail') || {}).textContent?.includes('3')", timeout=15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dla_linked.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]
