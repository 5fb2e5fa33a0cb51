"""Ablation (zero, mean, resample) against plain loops; steering identities and generations."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.errors import InterplayError
from tests.conftest import hook_counts

PROMPTS = ["When Mary and John went to the store, John gave a drink to",
           "When John and Mary went to the store, Mary gave a drink to",
           "When Mary and John went to the park, John gave a ball to"]
ANSWER, WRONG = [" Mary", " John", " Mary"], [" John", " Mary", " John"]


def metric() -> Any:
    return interplay.logit_diff(ANSWER, WRONG)


def _value(model: Any, trace: Any) -> float:
    a = [model.tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in ANSWER]
    w = [model.tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in WRONG]
    return float(np.mean([float(trace.logits[i, n - 1, a[i]] - trace.logits[i, n - 1, w[i]])
                          for i, n in enumerate(trace.lengths)]))


def test_zero_and_mean_ablation_agree_with_a_loop(gpt2: Any) -> None:
    base = _value(gpt2, gpt2.run(PROMPTS))
    zero = interplay.ablate(gpt2, PROMPTS, metric=metric(), component="z", how="zero", progress=False)
    assert zero.shape == (2, 4) and zero.clean_value == pytest.approx(base, abs=1e-6)
    for layer, head in [(0, 0), (1, 3)]:
        t = gpt2.run(PROMPTS, interventions=[interplay.ablate_spec(("z", layer), heads=head)])
        assert zero.values[layer, head] == pytest.approx(_value(gpt2, t) - base, abs=1e-5)
    mean = interplay.ablate(gpt2, PROMPTS, metric=metric(), component="mlp_out", by="layer", how="mean",
                            per_position=False, progress=False)
    acts = gpt2.run(PROMPTS, capture=[("mlp_out", 1)])
    real = [acts["mlp_out", 1][i, :n] for i, n in enumerate(acts.lengths)]
    avg = torch.cat(real).mean(0)
    t = gpt2.run(PROMPTS, interventions=[interplay.ablate_spec(("mlp_out", 1), how="mean", value=avg)])
    assert mean.values[1] == pytest.approx(_value(gpt2, t) - base, abs=1e-5)
    assert hook_counts(gpt2.hf_model) == 0


def test_ablating_with_identical_references_changes_nothing(gpt2: Any) -> None:
    same = [PROMPTS[0]] * 3
    m = interplay.logit_diff(" Mary", " John")
    for how in ("mean", "resample"):
        r = interplay.ablate(gpt2, same, metric=m, component="resid_pre", how=how, progress=False)
        np.testing.assert_allclose(r.values, 0.0, atol=2e-5)
    with pytest.raises(InterplayError, match="no reference prompt has the token length"):
        interplay.ablate(gpt2, PROMPTS[0], metric=m, how="resample")
    with pytest.raises(InterplayError, match="how="):
        interplay.ablate(gpt2, PROMPTS, metric=metric(), how="noise")


def test_resample_is_seeded(gpt2: Any) -> None:
    ref = [PROMPTS[1], PROMPTS[0], PROMPTS[1], PROMPTS[0]]
    a = interplay.ablate(gpt2, PROMPTS[:2], metric=metric().__class__("logit_diff", "ld", ANSWER[:2], WRONG[:2]),
                         how="resample", reference=ref, seed=3, progress=False)
    b = interplay.ablate(gpt2, PROMPTS[:2], metric=metric().__class__("logit_diff", "ld", ANSWER[:2], WRONG[:2]),
                         how="resample", reference=ref, seed=3, progress=False)
    np.testing.assert_array_equal(a.values, b.values)


def test_steering(gpt2: Any) -> None:
    prompt = PROMPTS[0]
    none = interplay.steer(gpt2, prompt, torch.zeros(gpt2.cfg.d_model), layer=1, coeff=3.0, max_new_tokens=5)
    assert none.steered_text == none.baseline_text and none.kl == pytest.approx(0.0, abs=1e-7)
    vec = interplay.steering_vector(gpt2, ["Mary went", "Mary gave"], ["John went", "John gave"], layer=1)
    acts = gpt2.run(["Mary went", "Mary gave", "John went", "John gave"], capture=[("resid_pre", 1)])["resid_pre", 1]
    torch.testing.assert_close(vec, acts[:2, -1].mean(0) - acts[2:, -1].mean(0))
    big = interplay.steer(gpt2, prompt, vec, layer=1, coeff=200.0, max_new_tokens=5)
    assert big.kl > 0.01 and len(big.steered_tokens) == 5
    # the next-token change equals a run with the spec
    t = gpt2.run(prompt, interventions=[interplay.steer_spec(1, vec, coeff=200.0)])
    p = t.logits[0, -1].softmax(-1)
    assert big.next_tokens["steered"]["probs"][0] == pytest.approx(float(p.max()), rel=1e-4)
    page = big._repr_html_()
    assert "without steering" in page and len(big.to_dataframe()) == 10
    # the biggest next-token change is listed, escaped (token text never becomes markup)
    tok, before, after = big.changes[0]
    assert f"{after - before:+.3f}" in page and html.escape(repr(tok)) in page
    only_first = interplay.steer(gpt2, prompt, vec, layer=1, coeff=200.0, positions=[0], max_new_tokens=2)
    assert only_first.kl != pytest.approx(big.kl)
    with pytest.raises(InterplayError, match="dimensions"):
        interplay.steer(gpt2, prompt, torch.zeros(3), layer=1)
    assert hook_counts(gpt2.hf_model) == 0


def test_steering_takes_a_numpy_direction_and_checks_its_arguments(gpt2: Any) -> None:
    prompt = PROMPTS[0]
    vec = np.random.default_rng(0).standard_normal(gpt2.cfg.d_model).astype(np.float32)
    a = interplay.steer(gpt2, prompt, vec, layer=1, component="resid_post", coeff=8.0, max_new_tokens=3)
    b = interplay.steer(gpt2, prompt, torch.from_numpy(vec), layer=1, component="resid_post", coeff=8.0,
                        max_new_tokens=3)
    assert a.data == b.data and a.component == "resid_post" and len(a.steered_tokens) <= 3
    zero = interplay.steer(gpt2, prompt, vec, layer=1, max_new_tokens=0)
    assert zero.steered_tokens == [] and zero.baseline_text == "" and zero.kl > 0
    for bad in (-3, 2.5, True, "8"):
        with pytest.raises(InterplayError, match=r"max_new_tokens=.* must be an integer >= 0"):
            interplay.steer(gpt2, prompt, vec, layer=1, max_new_tokens=bad)
    with pytest.raises(InterplayError, match=r"top_k=0 must be an integer >= 1"):
        interplay.steer(gpt2, prompt, vec, layer=1, top_k=0)
    with pytest.raises(InterplayError, match=r"layer=2 must be an integer layer of the model \(0..1\)"):
        interplay.steer(gpt2, prompt, vec, layer=2)
    with pytest.raises(InterplayError, match=r"component='z'.*residual stream"):
        interplay.steer(gpt2, prompt, vec, layer=1, component="z")
    with pytest.raises(InterplayError, match=r"coeff=nan must be a finite number"):
        interplay.steer(gpt2, prompt, vec, layer=1, coeff=float("nan"))
    with pytest.raises(InterplayError, match="NaN or infinite"):
        interplay.steer(gpt2, prompt, np.full(gpt2.cfg.d_model, np.nan), layer=1)
    with pytest.raises(interplay.PromptError, match="non-empty prompt"):
        interplay.steer(gpt2, "", vec, layer=1)
    with pytest.raises(InterplayError, match="position='first'"):
        interplay.steering_vector(gpt2, ["Mary went"], ["John went"], layer=1, position="first")
    assert hook_counts(gpt2.hf_model) == 0


def test_steering_result_round_trip_and_escaping(gpt2: Any, tmp_path: Any) -> None:
    from interplay.results.steering import SteeringResult

    prompt = "<b>Mary</b> & <script>alert(1)</script> went to"
    vec = interplay.steering_vector(gpt2, ["Mary went", "Mary gave"], ["John went", "John gave"], layer=1)
    r = interplay.steer(gpt2, prompt, vec, layer=1, coeff=50.0, max_new_tokens=4)
    page = r._repr_html_()
    assert "<script>" not in page and "<b>Mary" not in page and html.escape(prompt) in page
    for text in (r.baseline_text, r.steered_text):
        assert html.escape(text) in page
    path = r.save(tmp_path / "steer.interplay")
    for loaded in (SteeringResult.load(path), interplay.load_result(path)):
        assert type(loaded) is SteeringResult and loaded.data == r.data and loaded.session is None
        assert loaded._repr_html_() == page and loaded.show().value == r.show().value
        assert loaded.to_dataframe().equals(r.to_dataframe())
        tok, before, after = loaded.changes[0]
        assert isinstance(tok, str) and after - before == pytest.approx(r.changes[0][2] - r.changes[0][1])


def test_specs_take_numpy(gpt2: Any) -> None:
    clean = gpt2.run(PROMPTS[:1], capture=[("resid_pre", 1)])
    src = clean["resid_pre", 1].numpy()
    a = gpt2.run(PROMPTS[:1], interventions=[interplay.patch_spec(("resid_pre", 1), src, positions=[3])])
    torch.testing.assert_close(a.logits, clean.logits, atol=1e-5, rtol=1e-5)
    mean = src[0].mean(0)
    b = gpt2.run(PROMPTS[:1], interventions=[interplay.ablate_spec(("resid_pre", 1), how="mean", value=mean)])
    c = gpt2.run(PROMPTS[:1], interventions=[interplay.ablate_spec(("resid_pre", 1), how="mean",
                                                                   value=torch.from_numpy(mean))])
    torch.testing.assert_close(b.logits, c.logits)
    with pytest.raises(InterplayError, match="steer_spec: vector must be a tensor or an array"):
        interplay.steer_spec(1, object())
