"""Activation patching: identities, an independent naive loop, batching, and clear errors."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.backend.names import BLOCK_SUFFIXES
from interplay.errors import ComponentError, HookNameError, InterplayError, PromptError
from interplay.methods.metrics import MetricError
from tests.conftest import hook_counts

CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "When John and Mary went to the store, Mary gave a drink to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "When John and Mary went to the store, John gave a drink to"]
ANSWER, WRONG = [" Mary", " John"], [" John", " Mary"]


def metric() -> Any:
    return interplay.logit_diff(ANSWER, WRONG)


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox", "gemma2"])
@pytest.mark.parametrize(("component", "by"), [("resid_pre", "layer_pos"), ("z", "layer_head_pos"),
                                               ("pattern", "layer_head"), ("resid_mid", "layer_pos"),
                                               ("k", "layer_head")])
def test_patching_clean_into_clean_changes_nothing(model: Any, component: str, by: str) -> None:
    if f"blocks.0.{BLOCK_SUFFIXES[component]}" not in model.hook_names:
        with pytest.raises(HookNameError, match="has no such activation"):
            interplay.patch(model, CLEAN, CLEAN, metric=metric(), component=component, by=by)
        return
    r = interplay.patch(model, CLEAN, CLEAN, metric=metric(), component=component, by=by, progress=False)
    np.testing.assert_allclose(r.raw, r.clean_value, atol=2e-5)
    assert not r.normalized  # clean == corrupted: nothing to normalise by
    assert hook_counts(model.hf_model) == 0


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox", "gemma2", "qwen2"])
def test_patching_all_of_resid_pre_0_reproduces_the_clean_logits(model: Any) -> None:
    r = interplay.patch(model, CLEAN, CORRUPTED, metric=metric(), by="layer", layers=[0], progress=False)
    assert r.shape == (1,)
    clean = model.run(CLEAN)
    want = clean.logits[torch.arange(2), torch.tensor(clean.lengths) - 1].float().numpy()
    np.testing.assert_allclose(r.patched_logits((0,)), want, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(r.values, [1.0], atol=1e-4)
    noised = interplay.patch(model, CLEAN, CORRUPTED, metric=metric(), by="layer", layers=[0], direction="noising",
                             progress=False)
    np.testing.assert_allclose(noised.values, [0.0], atol=1e-4)


def test_all_heads_equal_attn_out(gpt2: Any) -> None:
    z = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="z", by="layer_pos", progress=False)
    attn = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="attn_out", by="layer_pos", progress=False)
    np.testing.assert_allclose(z.raw, attn.raw, atol=1e-5)
    # attribution patching is linear: the heads' estimates sum to attn_out's
    z_atp = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="z", by="layer_head_pos",
                            method="attribution")
    a_atp = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="attn_out", method="attribution")
    effect = z_atp.raw - z_atp.corrupted_value
    np.testing.assert_allclose(effect.sum(1), a_atp.raw - a_atp.corrupted_value, atol=1e-5)


def _naive(model: Any, component: str, layer: int, select: Any, direction: str = "denoising") -> float:
    """One patched run written plainly: capture the source, replace a slice, read the metric."""
    base, src = (CORRUPTED, CLEAN) if direction == "denoising" else (CLEAN, CORRUPTED)
    name = (component, layer)
    source = model.run(src, capture=[name])[name]

    def replace(act: torch.Tensor, _: str) -> torch.Tensor:
        act = act.clone()
        act[select] = source[select]
        return act

    trace = model.run(base, interventions=[(name, replace)])
    ids = [model.tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in ANSWER]
    wrong = [model.tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in WRONG]
    vals = [trace.logits[i, n - 1, ids[i]] - trace.logits[i, n - 1, wrong[i]] for i, n in enumerate(trace.lengths)]
    return float(torch.stack(vals).mean())


@pytest.mark.parametrize("direction", ["denoising", "noising"])
def test_agrees_with_a_naive_loop(gpt2: Any, direction: str) -> None:
    kw = {"metric": metric(), "direction": direction, "progress": False, "batch_size": 7}
    r = interplay.patch(gpt2, CLEAN, CORRUPTED, component="resid_pre", **kw)
    for layer in range(2):
        for pos in (0, 9, 13):
            assert r.raw[layer, pos] == pytest.approx(_naive(gpt2, "resid_pre", layer, (slice(None), pos), direction), abs=1e-5)
    h = interplay.patch(gpt2, CLEAN, CORRUPTED, component="z", by="layer_head_pos", **kw)
    for layer, head, pos in [(0, 1, 9), (1, 3, 13), (1, 0, 12)]:
        want = _naive(gpt2, "z", layer, (slice(None), pos, head), direction)
        assert h.raw[layer, head, pos] == pytest.approx(want, abs=1e-5)
    p = interplay.patch(gpt2, CLEAN, CORRUPTED, component="pattern", by="layer_head", **kw)
    assert p.raw[1, 2] == pytest.approx(_naive(gpt2, "pattern", 1, (slice(None), 2), direction), abs=1e-5)
    n = interplay.patch(gpt2, CLEAN, CORRUPTED, component="neurons", by="neuron", layer=0, **kw)
    assert n.shape == (gpt2.cfg.d_mlp,)
    for neuron in (0, 17):
        assert n.raw[neuron] == pytest.approx(_naive(gpt2, "post", 0, (slice(None), slice(None), neuron), direction), abs=1e-5)


def test_batch_size_and_memory_back_off(gpt2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pass goes through Model.forward (the one forward engine), so a model whose forward
    runs out of memory above 8 rows makes the sweep halve its batches until they fit."""
    ref = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), progress=False, batch_size=2)
    real = gpt2.forward
    seen: list[int] = []

    def small_memory(ids: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        seen.append(ids.shape[0])
        if ids.shape[0] > 8:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(ids, *args, **kwargs)

    monkeypatch.setattr(gpt2, "forward", small_memory)
    r = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), progress=False, batch_size=64)
    np.testing.assert_allclose(r.raw, ref.raw, atol=1e-5)
    # the clean, corrupted and source runs (2 prompts each), then 28 cells x 2 prompts, halved until it fits
    assert seen[:4] == [2, 2, 2, 56] and max(s for s in seen if s <= 8) == 8
    assert hook_counts(gpt2.hf_model) == 0


def test_metrics_and_normalisation(gpt2: Any) -> None:
    kl = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=interplay.kl_div(), by="layer", progress=False)
    assert kl.clean_value == pytest.approx(0.0, abs=1e-6) and kl.corrupted_value > 0
    # all of resid_pre 0 patched = the clean run (up to float noise: on this random model the
    # clean-corrupted KL itself is only ~3e-6, so the normalised 1.0 is checked through the formula)
    assert kl.raw[0] <= 0.05 * kl.corrupted_value
    want = (kl.raw - kl.corrupted_value) / (kl.clean_value - kl.corrupted_value)
    np.testing.assert_allclose(kl.values, want, rtol=1e-4)
    prob = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=interplay.token_prob(" Mary"), progress=False, normalize=False)
    assert prob.raw.min() >= 0 and prob.raw.max() <= 1
    np.testing.assert_array_equal(prob.values, prob.raw)

    def custom(logits: torch.Tensor) -> torch.Tensor:
        return logits[:, 5].mean()

    c = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=custom, progress=False)
    assert c.metric_label == "custom" and np.isfinite(c.values).all()


def test_a_task_dataset_in_place_of_prompts(gpt2: Any) -> None:
    ds = SimpleNamespace(clean=CLEAN, corrupted=CORRUPTED, answer=ANSWER, wrong=WRONG)
    ds.metric = SimpleNamespace(__self__=ds, __name__="metric")
    a = interplay.patch(gpt2, ds, progress=False)
    b = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), progress=False)
    np.testing.assert_allclose(a.raw, b.raw)
    df = a.to_dataframe()
    assert list(df.columns) == ["layer", "pos", "token", "value", "metric"] and len(df) == a.values.size
    assert a.labels["pos"][1] == " Mary" and a.differing == [9]


def test_top_k_of_one_cell(gpt2: Any) -> None:
    r = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="z", progress=False)
    out = r.top_k((1, 2), k=5)
    assert out["label"] == "L1 H2" and out["metric"] == pytest.approx(float(r.raw[1, 2]), abs=1e-5)
    for key in ("clean", "corrupted", "patched"):
        assert len(out[key]["tokens"]) == 5 and out[key]["probs"] == sorted(out[key]["probs"], reverse=True)


def test_bad_input_gives_clear_errors(gpt2: Any) -> None:
    with pytest.raises(PromptError, match=r"pair 1.*13 tokens.*14.*' Alice'|pair 1.*Differences"):
        interplay.patch(gpt2, CLEAN, [CORRUPTED[0], CORRUPTED[1].replace("John gave", "Ali ce gave")], metric=metric())
    with pytest.raises(MetricError, match="returned shape"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=lambda logits: logits[:, 0])
    with pytest.raises(ComponentError, match=r"unknown component .resid.*resid_pre"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="resid")
    with pytest.raises(ComponentError, match=r"not a granularity.*layer_pos"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="resid_pre", by="layer_head")
    with pytest.raises(InterplayError, match="layer 5 is out of range"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), layers=[5])
    with pytest.raises(InterplayError, match="position 40 is out of range"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), positions=[40])
    with pytest.raises(InterplayError, match="neuron sweep needs layer="):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="post", by="neuron")
    with pytest.raises(InterplayError, match="not a single token"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=interplay.logit_diff(" Maryanne", " John"))
    with pytest.raises(PromptError, match="2 clean prompts but 1"):
        interplay.patch(gpt2, CLEAN, CORRUPTED[:1], metric=metric())
    with pytest.raises(InterplayError, match="direction="):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), direction="sideways")
    with pytest.raises(InterplayError, match=r"method='fast'.*'exact' or 'attribution'"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), method="fast")
    with pytest.raises(InterplayError, match=r"batch_size=0 must be a positive integer"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), batch_size=0)
    with pytest.raises(InterplayError, match=r"patch takes an interplay Model first.*str"):
        interplay.patch("gpt2", CLEAN, CORRUPTED, metric=metric())
    r = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), by="layer", progress=False)
    with pytest.raises(InterplayError, match=r"cell \(2,\) is outside the result of shape \(2,\)"):
        r.top_k((2,))
    with pytest.raises(InterplayError, match=r"prompt=5 is out of range: there are 2 prompts"):
        r.top_k((0,), prompt=5)
    with pytest.raises(InterplayError, match=r"k=0 must be a positive integer"):
        r.top_k((0,), k=0)

    def boom(logits: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("user bug")

    with pytest.raises(RuntimeError, match="user bug"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=boom)
    assert hook_counts(gpt2.hf_model) == 0


def test_specs_compose_with_model_run(gpt2: Any) -> None:
    r = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="z", by="layer_head", progress=False)
    clean = gpt2.run(CLEAN, capture=[("z", 1)])
    trace = gpt2.run(CORRUPTED, interventions=[interplay.patch_spec(("z", 1), clean, heads=[3])])
    np.testing.assert_allclose(trace.logits[torch.arange(2), torch.tensor(trace.lengths) - 1].numpy(),
                               r.patched_logits((1, 3)), atol=1e-5, rtol=1e-5)
    base = gpt2.run(CLEAN).logits
    both = gpt2.run(CLEAN, interventions=[interplay.steer_spec(0, torch.zeros(gpt2.cfg.d_model)),
                                          interplay.patch_spec(("resid_pre", 1), gpt2.run(CLEAN, capture=[("resid_pre", 1)]),
                                                               positions=[2, -1])])
    torch.testing.assert_close(both.logits, base, atol=1e-5, rtol=1e-5)
    zeroed = gpt2.run(CLEAN, capture=[("attn_out", 0)], interventions=[interplay.ablate_spec(("z", 0), heads=[0, 1, 2, 3])])
    bias = gpt2.layout.o_proj(0).bias
    torch.testing.assert_close(zeroed["attn_out", 0], bias.expand_as(zeroed["attn_out", 0]), atol=1e-6, rtol=0)
    assert hook_counts(gpt2.hf_model) == 0


def test_save_and_load_round_trip(gpt2: Any, tmp_path: Any) -> None:
    import pandas as pd

    from interplay.results.patching import PatchingResult
    from tests.widgets.test_patching_view import synced

    kw = {"metric": metric(), "progress": False}
    results = [interplay.patch(gpt2, CLEAN, CORRUPTED, component="z", by="layer_head_pos", **kw),
               interplay.patch(gpt2, CLEAN, CORRUPTED, component="resid_pre", method="attribution", **kw),
               interplay.patch(gpt2, CLEAN, CORRUPTED, component="post", by="neuron", layer=1, **kw),
               interplay.ablate(gpt2, CLEAN, component="mlp_out", by="layer", how="zero", **kw)]
    for i, r in enumerate(results):
        path = r.save(tmp_path / f"sweep{i}.interplay")
        for loaded in (PatchingResult.load(path), interplay.load_result(path)):
            assert type(loaded) is PatchingResult and loaded.data == r.data and loaded.session is None
            assert synced(loaded.show()) == synced(r.show())
            pd.testing.assert_frame_equal(loaded.to_dataframe(), r.to_dataframe())
            cell = (0,) * len(r.axes)
            with pytest.raises(interplay.NeedsModelError, match=r"needs a live model.*interplay\.patch"):
                loaded.top_k(cell)
            with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
                loaded.patched_logits(cell)
            with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
                loaded.show().answer("cell", {"row": 0, "col": 0})
    assert results[2].layer == 1 and results[2].axes == ["neuron"]


def test_data_is_checked(gpt2: Any) -> None:
    import dataclasses

    from interplay.data.patching import PatchingData

    d = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), progress=False).data
    with pytest.raises(interplay.ShapeError, match=r"PatchingData.values has shape \[2, 13\].*need \[2, 14\]"):
        dataclasses.replace(d, values=d.values[:, :13])
    with pytest.raises(interplay.ShapeError, match=r"PatchingData.axes = \['layer', 'time'\]"):
        dataclasses.replace(d, axes=["layer", "time"])
    with pytest.raises(interplay.ShapeError, match="needs its fixed layer="):
        PatchingData(values=np.zeros(3), raw=np.zeros(3), axes=["neuron"], labels={"neuron": ["N0", "N1", "N2"]},
                     ranges={"neuron": [0, 1, 2]})


def test_the_session_recomputes_what_the_view_asks(gpt2: Any) -> None:
    r = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=metric(), component="z", by="layer_head", progress=False)
    s = r.session
    assert s.recompute("heads", "exact", r.metric_label, "layer_head") is r.data  # cached, alias resolved
    kl = s.recompute("resid_pre", "exact", "KL(clean || patched)")
    assert kl.axes == ["layer", "pos"] and kl.metric_label == "KL(clean || patched)"
    with pytest.raises(ComponentError, match="not a granularity of 'resid_pre'"):
        s.recompute("resid_pre", "exact", r.metric_label, "layer_head")
    with pytest.raises(InterplayError, match=r"unknown metric 'p\(x\)'; this sweep offers"):
        s.recompute("z", "exact", "p(x)")
