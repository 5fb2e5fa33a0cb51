"""The logit lens: the last row is the model's own prediction; targets; the ln switch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import interplay

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox", "gemma2"])
def test_last_layer_equals_the_models_logits(model: Any) -> None:
    trace = model.run(PROMPT)
    lens = interplay.logit_lens(trace, k=3)
    probs = trace.logits[0].float().softmax(-1)
    top = probs.topk(3, dim=-1)
    np.testing.assert_array_equal(lens.top_ids[-1], top.indices.numpy())
    np.testing.assert_allclose(lens.top_probs[-1], top.values.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(lens.kl[-1], 0, atol=1e-5)
    assert lens.layer_labels == ["embed", *[f"L{i}" for i in range(model.cfg.n_layers)]]
    assert lens.top_ids.shape == (model.cfg.n_layers + 1, len(trace.tokens), 3)
    assert np.all(lens.kl >= 0)


def test_target_probability_and_rank(gpt2: Any) -> None:
    lens = interplay.logit_lens(gpt2, PROMPT)
    probs, ranks = lens.target(" Mary")
    mary = gpt2.tokenizer(" Mary", add_special_tokens=False)["input_ids"][0]
    final = gpt2.run(PROMPT).logits[0].softmax(-1)
    np.testing.assert_allclose(probs[-1], final[:, mary].numpy(), rtol=1e-4)
    expected_rank = (final > final[:, mary : mary + 1]).sum(-1).numpy()
    np.testing.assert_array_equal(ranks[-1], expected_rank)
    top1 = lens.top_ids[:, :, 0] == mary
    assert np.all(ranks[top1] == 0)


def test_apply_ln_switch_is_recorded(gpt2: Any) -> None:
    on = interplay.logit_lens(gpt2, PROMPT)
    off = interplay.logit_lens(gpt2, PROMPT, apply_ln=False)
    assert on.apply_ln and not off.apply_ln
    assert "no final norm" in off.notes[0] and "final norm applied" in on.notes[0]
    assert not np.allclose(on.top_probs, off.top_probs)
    raw = gpt2.layout.unembed()(on.session.resid[-1]).softmax(-1).topk(5).values.detach().numpy()
    np.testing.assert_allclose(off.top_probs[-1], raw, rtol=1e-4)


def test_bad_targets_and_arguments(gpt2: Any, model: Any) -> None:
    lens = interplay.logit_lens(gpt2, PROMPT)
    with pytest.raises(interplay.InterplayError, match="is not a single token"):
        lens.target("Mary and John")
    with pytest.raises(interplay.InterplayError, match="outside the vocabulary"):
        lens.target(10**7)
    with pytest.raises(interplay.InterplayError, match="k=0"):
        interplay.logit_lens(gpt2, PROMPT, k=0)
    with pytest.raises(interplay.InterplayError, match="prompt is missing"):
        interplay.logit_lens(gpt2)


def test_dataframe_and_plot(gpt2: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    lens = interplay.logit_lens(gpt2, "When Mary", k=2)
    df = lens.to_dataframe()
    assert len(df) == len(lens.layer_labels) * len(lens.tokens) * 2
    assert set(df.columns) == {"layer", "pos", "token", "rank", "prediction", "prob"}
    assert lens.plot() is not None


def test_reuses_captured_activations(gpt2: Any) -> None:
    trace = gpt2.run(PROMPT, capture=["resid_pre", "resid_post"])
    a = interplay.logit_lens(trace)
    b = interplay.logit_lens(gpt2.run(PROMPT))
    np.testing.assert_allclose(a.top_probs, b.top_probs, rtol=1e-5)
    assert torch.equal(a.session.resid, b.session.resid)
