"""The one forward engine (Model.forward): kept positions, captures, a method's own hooks, and the
architecture facts on the adapters it reads."""

from __future__ import annotations

from typing import Any

import pytest
import torch

import interplay
from interplay.backend.hooks import Registration
from tests.conftest import CAUSAL_FAMILIES, hook_counts

PROMPTS = ["When Mary and John went to the store", "John gave a drink to"]


def _batch(model: Any) -> Any:
    return model.tokenize(PROMPTS)


@pytest.mark.parametrize("family", CAUSAL_FAMILIES)
def test_kept_positions_are_the_same_logits(model: Any) -> None:
    b = _batch(model)
    full = model.forward(b.token_ids, b.attention_mask).logits
    shared = model.forward(b.token_ids, b.attention_mask, keep_positions=[0, 2]).logits
    torch.testing.assert_close(shared, full[:, [0, 2]])
    last = torch.tensor([n - 1 for n in b.lengths])
    per_row = model.forward(b.token_ids, b.attention_mask, keep_positions=last[:, None]).logits
    torch.testing.assert_close(per_row[:, 0], full[torch.arange(2), last])


def test_kept_positions_without_logits_to_keep(gpt2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model whose forward has no logits_to_keep gets the same answer, sliced after the fact."""
    b = _batch(gpt2)
    ref = gpt2.forward(b.token_ids, b.attention_mask, keep_positions=torch.tensor([[3], [1]])).logits
    monkeypatch.setattr(gpt2.layout, "keeps_logits", False)
    out = gpt2.forward(b.token_ids, b.attention_mask, keep_positions=torch.tensor([[3], [1]])).logits
    torch.testing.assert_close(out, ref)
    assert out.shape == (2, 1, gpt2.cfg.d_vocab)


def test_run_is_sugar_over_forward(model: Any) -> None:
    trace = model.run(PROMPTS, capture=["resid_post", ("pattern", 0)])
    b = _batch(model)
    out = model.forward(b.token_ids, b.attention_mask, capture=["resid_post", ("pattern", 0)])
    assert list(out.activations) == list(trace.activations)
    for name, act in out.activations.items():
        assert torch.equal(act, trace.activations[name]), name
    if trace.logits is not None:
        assert torch.equal(out.logits, trace.logits)


def test_capabilities_are_read_once_and_the_users_model_is_untouched(gpt2: Any) -> None:
    before_model = dict(vars(gpt2.hf_model))
    before_wrapper = set(vars(gpt2))
    b = _batch(gpt2)
    gpt2.forward(b.token_ids, b.attention_mask, keep_positions=[1])
    assert set(vars(gpt2.hf_model)) == set(before_model)
    assert set(vars(gpt2)) == before_wrapper
    assert gpt2.layout.keeps_logits and gpt2.layout.accepts_use_cache


def test_a_methods_own_hooks_are_held_for_one_pass_and_removed_on_errors(gpt2: Any) -> None:
    b = _batch(gpt2)
    ref = gpt2.forward(b.token_ids, b.attention_mask).logits
    seen: list[tuple[int, ...]] = []
    block = gpt2.layout.block(1)

    def look(module: Any, args: Any, kwargs: Any) -> None:
        seen.append(tuple((args[0] if args else kwargs["hidden_states"]).shape))

    gpt2.forward(b.token_ids, b.attention_mask, hooks=[Registration(block, "pre", look)])
    assert seen == [(*b.token_ids.shape, gpt2.cfg.d_model)]
    assert hook_counts(gpt2.hf_model) == 0

    def boom(module: Any, args: Any, output: Any) -> None:
        raise RuntimeError("a method's hook failed")

    with pytest.raises(RuntimeError, match="a method's hook failed"):
        gpt2.forward(b.token_ids, b.attention_mask, capture=["pattern"], hooks=[Registration(block, "post", boom)])
    assert hook_counts(gpt2.hf_model) == 0
    assert torch.equal(gpt2.forward(b.token_ids, b.attention_mask).logits, ref)


def test_grad_keeps_captures_in_the_graph(gpt2: Any) -> None:
    b = _batch(gpt2)
    out = gpt2.forward(b.token_ids, b.attention_mask, capture=[("resid_mid", 1)], grad=True, keep_positions=[0])
    act = out.activations["blocks.1.hook_resid_mid"]
    assert act.requires_grad and out.logits.requires_grad
    (g,) = torch.autograd.grad(out.logits[..., 5].sum(), act)
    assert g.shape == act.shape
    plain = gpt2.forward(b.token_ids, b.attention_mask, capture=[("resid_mid", 1)])
    assert not plain.activations["blocks.1.hook_resid_mid"].requires_grad and not plain.logits.requires_grad


def test_a_bare_function_is_not_an_intervention(gpt2: Any) -> None:
    b = _batch(gpt2)
    with pytest.raises(interplay.InterplayError, match="bare function"):
        gpt2.forward(b.token_ids, interventions=lambda x, name: x)  # type: ignore[arg-type]
    with pytest.raises(interplay.InterplayError, match=r"\(name, fn\) pair"):
        gpt2.forward(b.token_ids, interventions=[lambda x, name: x])  # type: ignore[list-item]


def test_architecture_facts_live_on_the_adapters(model: Any, family: str) -> None:
    a, lay = model.adapter, model.layout
    norm = lay.final_norm()
    if family == "bert":
        assert a.attn_norm is None and lay.attn_norm(0) is None and norm is None
        return
    name = type(lay.attn_norm(0)).__name__.lower()
    assert ("rmsnorm" in name) == (a.norm == "rmsnorm"), name
    assert ("rmsnorm" in type(norm).__name__.lower()) == (a.norm == "rmsnorm")
    assert a.norm_offset == (1.0 if family.startswith("gemma") else 0.0)
    assert lay.logit_softcap == (30.0 if family == "gemma2" else None)
    # the norm offset is what the module does: an RMSNorm with zero weight is the identity times offset
    x = torch.randn(3, model.cfg.d_model)
    if a.norm == "rmsnorm":
        rms = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + float(getattr(norm, "eps", None) or norm.variance_epsilon))
        torch.testing.assert_close(norm(x), rms * (a.norm_offset + norm.weight.detach()), atol=1e-5, rtol=1e-4)
