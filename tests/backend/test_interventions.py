"""Interventions change exactly what they promise, and hooks never outlive a run."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from interplay.errors import ShapeError
from tests.conftest import hook_counts

PROMPT = "When Mary and John went to the store, John gave"


def test_identity_interventions_change_nothing(model: Any) -> None:
    base = model.run(PROMPT).logits
    names = [n for n in model.hook_names if "pattern" not in n]
    out = model.run(PROMPT, interventions=[(n, lambda a, name: a.clone()) for n in names])
    torch.testing.assert_close(out.logits, base, atol=1e-5, rtol=1e-5)
    none = model.run(PROMPT, interventions=[(n, lambda a, name: None) for n in names])
    torch.testing.assert_close(none.logits, base, atol=1e-5, rtol=1e-5)


def test_pattern_replaced_by_itself_recomputes_the_same_output(model: Any) -> None:
    base = model.run(PROMPT).logits
    out = model.run(PROMPT, interventions=[("pattern", lambda a, name: a.clone())])
    torch.testing.assert_close(out.logits, base, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", ["gpt2", "llama", "gemma2", "neox_sequential"])
def test_adding_to_resid_mid_equals_adding_to_attn_out(model: Any) -> None:
    d = torch.randn(model.cfg.d_model, generator=torch.Generator().manual_seed(1))
    a = model.run(PROMPT, capture=["resid_mid", "resid_post"], interventions=[(("resid_mid", 0), lambda x, n: x + d)])
    b = model.run(PROMPT, capture=["resid_mid", "resid_post"], interventions=[(("attn_out", 0), lambda x, n: x + d)])
    torch.testing.assert_close(a.logits, b.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a["resid_mid", 0], b["resid_mid", 0], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(a.logits, model.run(PROMPT).logits)


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox", "gemma"])
def test_zeroing_one_heads_z_removes_exactly_its_result(model: Any) -> None:
    head = 2
    base = model.run(PROMPT, capture=["result", "attn_out"])

    def zero_head(z: torch.Tensor, name: str) -> torch.Tensor:
        z = z.clone()
        z[:, :, head] = 0
        return z

    out = model.run(PROMPT, capture=["attn_out"], interventions=[(("z", 0), zero_head)])
    expected = base["attn_out", 0] - base["result", 0][:, :, head]
    torch.testing.assert_close(out["attn_out", 0], expected, atol=1e-5, rtol=1e-5)

    def zero_result(r: torch.Tensor, name: str) -> torch.Tensor:
        r = r.clone()
        r[:, :, head] = 0
        return r

    via_result = model.run(PROMPT, interventions=[(("result", 0), zero_result)])
    torch.testing.assert_close(via_result.logits, model.run(PROMPT, interventions=[(("z", 0), zero_head)]).logits,
                               atol=1e-5, rtol=1e-5)


def test_pattern_on_first_token_makes_z_the_first_value(gpt2: Any) -> None:
    def attend_first(p: torch.Tensor, name: str) -> torch.Tensor:
        new = torch.zeros_like(p)
        new[..., 0] = 1.0
        return new

    trace = gpt2.run(PROMPT, capture=[("z", 1), ("v", 1), ("pattern", 1)], interventions=[(("pattern", 1), attend_first)])
    z, v = trace["z", 1], trace["v", 1]
    torch.testing.assert_close(z, v[:, :1].expand_as(z), atol=1e-6, rtol=1e-5)
    assert torch.all(trace["pattern", 1][..., 0] == 1)


def test_scaling_v_scales_z(gpt2: Any) -> None:
    base = gpt2.run(PROMPT, capture=[("z", 0)])
    out = gpt2.run(PROMPT, capture=[("z", 0)], interventions=[(("v", 0), lambda v, n: 2 * v)])
    torch.testing.assert_close(out["z", 0], 2 * base["z", 0], atol=1e-6, rtol=1e-5)


def test_interventions_compose_in_order(gpt2: Any) -> None:
    out = gpt2.run(PROMPT, capture=[("resid_post", 0)],
                   interventions=[(("resid_post", 0), lambda a, n: a * 0), (("resid_post", 0), lambda a, n: a + 3)])
    assert torch.all(out["resid_post", 0] == 3)


class Boom(RuntimeError):
    pass


SITES = ["embed", ("resid_pre", 1), ("q", 0), ("pattern", 1), ("z", 0), ("result", 1), ("attn_out", 0),
         ("resid_mid", 1), ("post", 0), ("mlp_out", 1), ("resid_post", 1), "normalized"]


@pytest.mark.parametrize("family", ["gpt2", "llama", "gemma2", "bert"])
@pytest.mark.parametrize("site", SITES, ids=str)
def test_hooks_are_removed_when_user_code_raises(model: Any, site: Any) -> None:
    if site == "normalized" and not model.layout.adapter.final_norm:
        site = ("resid_post", 0)
    before_hooks = hook_counts(model.hf_model)
    before_impl = model.hf_model.config._attn_implementation
    before = model.run(PROMPT).logits

    def explode(a: torch.Tensor, name: str) -> None:
        raise Boom(name)

    with pytest.raises(Boom):
        model.run(PROMPT, capture="all", interventions=[(site, explode)])
    with pytest.raises(ShapeError, match="returned shape"):
        model.run(PROMPT, interventions=[(site, lambda a, n: a[..., :1])])
    assert hook_counts(model.hf_model) == before_hooks
    assert model.hf_model.config._attn_implementation == before_impl
    assert torch.equal(model.run(PROMPT).logits, before)


def test_user_hooks_already_on_the_model_are_kept(gpt2: Any) -> None:
    calls: list[int] = []
    n_before = len(gpt2.hf_model.transformer.h[0]._forward_hooks)
    handle = gpt2.hf_model.transformer.h[0].register_forward_hook(lambda m, i, o: calls.append(1))
    try:
        with pytest.raises(Boom):
            gpt2.run(PROMPT, interventions=[(("resid_post", 0), lambda a, n: (_ for _ in ()).throw(Boom()))])
        gpt2.run(PROMPT)
        assert len(gpt2.hf_model.transformer.h[0]._forward_hooks) == n_before + 1
        assert len(calls) == 2
    finally:
        handle.remove()


def test_grad_mode_lets_gradients_flow(gpt2: Any) -> None:
    trace = gpt2.run(PROMPT, capture=["embed"], grad=True, detach=False)
    trace.logits[0, -1].sum().backward()
    assert trace["embed"].requires_grad
    assert gpt2.hf_model.transformer.wte.weight.grad is not None
    gpt2.hf_model.zero_grad(set_to_none=True)
