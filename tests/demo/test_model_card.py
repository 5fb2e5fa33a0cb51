"""The bundled demo model: every number of its card recomputed from the committed weights."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from interplay.tasks.dataset import DEMO_MODEL_DIR

pytest.importorskip("torch")
pytest.importorskip("transformers")

from scripts.demo_model.card import render_model_card
from scripts.demo_model.evaluation import THRESHOLDS, evaluate, model_files

CARD = json.loads((DEMO_MODEL_DIR / "card.json").read_text())


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    return evaluate(DEMO_MODEL_DIR)


def _assert_close(expected: Any, actual: Any, where: str = "card") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and expected.keys() == actual.keys(), where
        for key in expected:
            _assert_close(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(expected) == len(actual), where
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _assert_close(e, a, f"{where}[{i}]")
    elif isinstance(expected, bool) or (isinstance(expected, int) and isinstance(actual, int)):
        assert expected == actual, where
    elif isinstance(expected, float | int):
        assert math.isclose(expected, actual, rel_tol=1e-3, abs_tol=1e-4), (
            f"{where}: card {expected}, now {actual}"
        )
    else:
        assert expected == actual, where


def test_card_numbers_match_the_weights(measured: dict[str, Any]) -> None:
    assert set(measured) <= set(CARD)
    for key, value in measured.items():
        _assert_close(CARD[key], value, key)
    assert CARD["files"] == model_files(DEMO_MODEL_DIR)


@pytest.mark.parametrize("key", list(THRESHOLDS))
def test_card_meets_the_threshold(key: str) -> None:
    assert CARD["thresholds"][key] == THRESHOLDS[key]
    assert CARD["summary"][key] >= THRESHOLDS[key], f"{key}: {CARD['summary'][key]} < {THRESHOLDS[key]}"
    assert CARD["passed"][key]


def test_some_heads_matter_for_ioi() -> None:
    assert CARD["ioi_ablation"]["important"], "some head must matter for IOI"


def test_markdown_card_is_rendered_from_the_json() -> None:
    text = (DEMO_MODEL_DIR / "MODEL_CARD.md").read_text()
    assert text == render_model_card(CARD)
    assert f"{CARD['summary']['ioi_accuracy']:.3f}" in text


def test_loads_offline_with_the_auto_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2LMHeadModel

    model = AutoModelForCausalLM.from_pretrained(DEMO_MODEL_DIR)
    tok = AutoTokenizer.from_pretrained(DEMO_MODEL_DIR)
    assert isinstance(model, GPT2LMHeadModel)
    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()  # tied
    assert 2 <= model.config.n_layer <= 4
    ids = tok("When Mary and John went to the store, John gave a drink to")["input_ids"]
    assert ids[0] == tok.bos_token_id == model.config.bos_token_id
    assert tok.convert_ids_to_tokens(ids[1:3]) == ["ĠWhen", "ĠMary"]
    assert (
        tok.decode(ids, skip_special_tokens=True)
        == " When Mary and John went to the store, John gave a drink to"
    )
    assert tok.pad_token == "<|pad|>" and tok.pad_token_id == model.config.pad_token_id
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits
    assert tok.decode(int(logits[0, -1].argmax())) == " Mary"


def test_assets_are_small() -> None:
    total = sum(p.stat().st_size for p in DEMO_MODEL_DIR.iterdir() if p.is_file())
    assert total < 10_000_000
    assert (DEMO_MODEL_DIR / "model.safetensors").stat().st_size < 8_500_000


def test_card_says_when_the_in_context_drop_rests_on_first_layer_heads() -> None:
    card = json.loads(json.dumps(CARD))
    for layer, expected in ((0, True), (2, False)):
        card["in_context_ablation"]["important"] = [{"layer": layer, "head": 1, "effect": 1.5}]
        text = render_model_card(card)
        assert f"most harmful to remove first: L{layer}H1 (1.50)." in text
        assert ("cannot be induction heads" in text) is expected
    card["in_context_ablation"]["important"] = []
    assert "cannot be induction heads" not in render_model_card(card)


def test_card_says_how_the_weights_started() -> None:
    card = json.loads(json.dumps(CARD))
    card["training"] = {"pos_init": "normal"}
    assert "Initialisation:" not in render_model_card(card)
    card["training"] = {"pos_init": "sinusoidal", "pos_dims": 32, "prev_token_prior": 0.0}
    text = render_model_card(card)
    assert "sinusoids in 32 dimensions" in text and "previous-token head" not in text
    card["training"].update(prev_token_prior=1.5, induction_prior=2.0, induction_prior_ov=0.5)
    text = " ".join(render_model_card(card).split())
    assert "Layer 0 head 0 starts as a previous-token head (query-key gain 1.5)" in text
    assert (
        "layer 1 head 0 as an induction head composed with it (query-key gain 2.0, value-output gain 0.5)"
        in text
    )
    assert "every score on this card is measured on the trained weights" in text
    card["training"]["ioi_after_filler"] = 0.25
    assert "25% of the IOI rows follow a filler sentence" in render_model_card(card)
