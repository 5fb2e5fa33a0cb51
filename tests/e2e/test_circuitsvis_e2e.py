"""The CircuitsVis drop-in in real JupyterLab: the cell a TransformerLens notebook runs,
``cv.attention.attention_heads(attention=pattern, tokens=tokens)``, renders our AttentionView after
``from interplay import circuitsvis as cv`` and CircuitsVis's own HTML after ``import circuitsvis as
cv``. Both are timed from Run to first paint, with the bytes the page receives meanwhile
(``tests/e2e/artifacts/circuitsvis_e2e.json``; ``bench/circuitsvis_dropin.py`` measures larger sizes)."""

from __future__ import annotations

import json
import math
from typing import Any

from bench.circuitsvis_dropin import CV_PAINTED, OURS_PAINTED, time_cell

from tests.e2e.conftest import ARTIFACTS, Lab, canvas_colours, error_outputs

SETUP = """
import torch
torch.manual_seed(0)
tokens = ['<|endoftext|>', 'When', ' Mary', ' and', ' John', ' went', ' to', ' the', ' store', ',', ' John',
          ' gave', ' a', '<b>drink</b>', ' to', ' Mary']
scores = torch.randn(1, 12, len(tokens), len(tokens)) * 2
mask = torch.triu(torch.ones(len(tokens), len(tokens), dtype=torch.bool), 1)
cache = {("pattern", 0): scores.masked_fill(mask, float("-inf")).softmax(-1)}  # as a TransformerLens cache
pattern = cache["pattern", 0][0]
"""
CELL = "cv.attention.attention_heads(attention=pattern, tokens=tokens)"
OURS = "from interplay import circuitsvis as cv\n" + CELL
THEIRS = "import circuitsvis as cv\n" + CELL
LAST_OUTPUT = "window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-OutputArea-output')"


def test_attention_heads_drop_in_renders_like_circuitsvis(page: Any, lab: Lab) -> None:
    ours_s, ours_bytes = time_cell(page, lab, "cv_dropin_ours.ipynb", SETUP, OURS, OURS_PAINTED, 40)
    assert not math.isnan(ours_s), "our AttentionView never painted its head grid and head 0's pattern"
    assert not error_outputs(page) and not page.errors
    grid = ".interplay-attention canvas.interplay-attention-grid"
    assert canvas_colours(page, grid) >= 8, "the 12 thumbnails are blank"
    assert canvas_colours(page, ".interplay-attention canvas.interplay-pattern-canvas") >= 8, "head 0 is blank"
    text = page.locator(".interplay-attention .interplay-token-text").first.text_content() or ""
    assert "Mary" in text and "store" in text and "<b>drink</b>" in text  # tokens as text...
    assert page.locator(".interplay-attention b").count() == 0  # ...never as HTML
    title = page.locator(".interplay-attention-detail .interplay-detail-title").first.text_content() or ""
    assert "0" in title  # head 0 opens, as in CircuitsVis
    page.screenshot(path=str(ARTIFACTS / "circuitsvis_dropin_ours.png"))

    page = page.context.new_page()  # a second tab: leaving the first would ask to save it
    theirs_s, theirs_bytes = time_cell(page, lab, "cv_dropin_theirs.ipynb", SETUP, THEIRS, CV_PAINTED, 40)
    assert not math.isnan(theirs_s), "CircuitsVis's HTML never rendered"
    assert not error_outputs(page)
    painted = page.evaluate(f"""() => {{ const out = {LAST_OUTPUT}; const last = out[out.length - 1];
        const c = last && last.querySelector('canvas'); return [last ? last.textContent : '', !!c && c.width > 0]; }}""")
    assert painted[1], "CircuitsVis drew no canvas"
    assert "Head 11" in painted[0] and "Head 0 Zoomed" in painted[0]  # its head selector (tokens: on the canvas)
    page.screenshot(path=str(ARTIFACTS / "circuitsvis_dropin_theirs.png"))

    record = {"tokens": 16, "heads": 12, "ours": {"first_paint_s": round(ours_s, 3), "bytes": ours_bytes},
              "circuitsvis": {"first_paint_s": round(theirs_s, 3), "bytes": theirs_bytes}}
    (ARTIFACTS / "circuitsvis_e2e.json").write_text(json.dumps(record, indent=1))
    print(record)
    assert 0 < ours_bytes < theirs_bytes  # CircuitsVis inlines its 1.3 MB bundle in every output
