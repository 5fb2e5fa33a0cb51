"""Direct logit attribution: contributions add up to the logit under the frozen final-norm scale."""

from __future__ import annotations

from typing import Any

import pytest

import interplay

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox", "neox_sequential", "gemma", "qwen2"])
def test_contributions_sum_to_the_logit(model: Any) -> None:
    trace = model.run(PROMPT)
    for target, baseline in [(" Mary", None), (" Mary", " John"), (None, None)]:
        res = interplay.direct_logit_attribution(trace, target, baseline)
        assert res.components.sum() == pytest.approx(res.total, abs=1e-4 * max(1.0, abs(res.total)))
    assert res.heads.shape == (model.cfg.n_layers, model.cfg.n_heads)
    labels = res.component_labels
    assert labels[-1] == "bias" and "L0.attn" in labels and f"L{model.cfg.n_layers - 1}.mlp" in labels


def test_heads_add_up_to_their_layer(gpt2: Any) -> None:
    res = interplay.direct_logit_attribution(gpt2, " Mary", " John", prompt=PROMPT)
    o_bias = {layer: gpt2.layout.o_proj(layer).bias for layer in range(2)}
    for layer in range(2):
        attn = res.components[res.component_labels.index(f"L{layer}.attn")]
        assert attn != pytest.approx(0)
        assert o_bias[layer] is not None
    assert "frozen at" in res.notes[0]
    assert res.target_label.startswith("logit(' Mary') - logit(' John') at pos")
    df = res.to_dataframe()
    assert len(df) == 8 + len(res.component_labels)


def test_position_and_errors(gpt2: Any, tokenizer: Any) -> None:
    first = interplay.direct_logit_attribution(gpt2, " Mary", prompt=PROMPT, position=0)
    assert first.position == 0
    with pytest.raises(interplay.InterplayError, match="position 99 is out of range"):
        interplay.direct_logit_attribution(gpt2, " Mary", prompt=PROMPT, position=99)
    with pytest.raises(interplay.InterplayError, match="not a single token"):
        interplay.direct_logit_attribution(gpt2, "Mary and John", prompt=PROMPT)
    with pytest.raises(interplay.InterplayError, match="needs prompt="):
        interplay.direct_logit_attribution(gpt2, " Mary")


@pytest.mark.parametrize("family", ["gemma2", "bert"])
def test_nonlinear_head_paths_are_refused(model: Any) -> None:
    with pytest.raises(interplay.InterplayError, match="write linearly"):
        interplay.direct_logit_attribution(model, None, prompt="When Mary")
