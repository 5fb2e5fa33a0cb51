"""On the bundled demo model, AttentionView's head scores find the heads the model card names.

The card scores every head on 100 held-out repeated random-word sequences with its own reference
code (``interplay.methods.head_scores``, on HF's eager ``output_attentions``); here the same kind of
prompts go through the user's path instead (``interplay.attention(model, prompt)`` -> the view's
sortable score table, computed by ``interplay.methods.attention`` through our attention hooks, in
numpy). Both must agree on which head is the induction head and which the previous-token head.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import interplay
from interplay.tasks.dataset import DEMO_MODEL_DIR
from scripts.demo_model.evaluation import INDUCTION_LEN

CARD = json.loads((DEMO_MODEL_DIR / "card.json").read_text())
N_PROMPTS = 8


def _card_top(score: str) -> tuple[tuple[int, int], float]:
    s = np.asarray(CARD["head_scores"][score])
    layer, head = np.unravel_index(int(np.argmax(s)), s.shape)
    return (int(layer), int(head)), float(s[layer, head])


@pytest.fixture(scope="module")
def view_scores() -> dict[str, np.ndarray]:
    model = interplay.load()
    ds = interplay.tasks.induction(N_PROMPTS, seq_len=INDUCTION_LEN, seed=4321, tokenizer=model.tokenizer)
    tables = []
    for clean, answer in zip(ds.clean, ds.answer, strict=True):
        view = interplay.attention(model, clean + answer).show()
        tables.append(view.score_table().sort_values(["layer", "head"]))
        shape = (view.n_layers, view.n_heads)
    return {
        name: np.mean([t[name].to_numpy() for t in tables], axis=0).reshape(shape)
        for name in ("previous_token", "induction", "duplicate_token")
    }


@pytest.mark.parametrize("score", ["induction", "previous_token"])
def test_view_finds_the_card_head(view_scores: dict[str, np.ndarray], score: str) -> None:
    (layer, head), card_value = _card_top(score)
    s = view_scores[score]
    found = np.unravel_index(int(np.argmax(s)), s.shape)
    assert (int(found[0]), int(found[1])) == (layer, head), (
        f"{score}: the view ranks L{found[0]}H{found[1]} first ({s.max():.2f}); "
        f"the card names L{layer}H{head} ({card_value:.2f})"
    )
    # Different prompts (seed) than the card's, so only roughly the same value ...
    assert abs(float(s[layer, head]) - card_value) < 0.15, (float(s[layer, head]), card_value)
    # ... and the same picture over every head, not only the top one.
    card = np.asarray(CARD["head_scores"][score]).ravel()
    r = float(np.corrcoef(card, s.ravel())[0, 1])
    print(f"{score}: view vs card over {card.size} heads r = {r:.3f}")
    assert r > 0.9, r
