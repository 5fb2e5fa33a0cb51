"""Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers").

Attention weights of one layer say where information moves in that layer only; rollout follows it
through the stack. Each layer's heads are fused (mean by default), the residual connection is added
as an identity term, ``Â = r·I + (1 - r)·A`` with ``r = 0.5`` as in the paper, rows are renormalised,
and the layers are multiplied from the input up: ``R = Â_L ··· Â_1``. Row ``q`` of ``R`` is a
distribution over the input tokens (rows sum to 1); a causal model's is zero after ``q``.

Rollout does not look at the output token at all (only at its position), and it ignores the values
and the MLPs: it is a cheap picture of where attention flows, not a measure of what drove a logit.
"""

from __future__ import annotations

import torch

from interplay.errors import InterplayError
from interplay.methods.attribution.engine import AttributionContext, MethodOutput, forward

FUSIONS = ("mean", "max", "min")


def attention_rollout(patterns: torch.Tensor, *, residual: float = 0.5, head_fusion: str = "mean") -> torch.Tensor:
    """Rollout of ``patterns`` [layer, head, query, key] (softmaxed) -> [query, key], rows summing to 1.

    ``residual``: the weight of the identity (the residual connection); 0 multiplies raw attention.
    """
    if patterns.ndim != 4 or patterns.shape[-1] != patterns.shape[-2]:
        raise InterplayError(f"patterns must be [layer, head, query, key] with query == key, got {tuple(patterns.shape)}")
    if not 0.0 <= residual <= 1.0:
        raise InterplayError(f"residual must be between 0 and 1, got {residual}")
    if head_fusion not in FUSIONS:
        raise InterplayError(f"head_fusion must be one of {FUSIONS}, got {head_fusion!r}")
    p = patterns.double()
    n = p.shape[-1]
    eye = torch.eye(n, dtype=p.dtype, device=p.device)
    fused = p.mean(1) if head_fusion == "mean" else p.amax(1) if head_fusion == "max" else p.amin(1)
    out = eye
    for a in fused:
        a_hat = residual * eye + (1.0 - residual) * a
        a_hat = a_hat / a_hat.sum(-1, keepdim=True).clamp_min(1e-30)
        out = a_hat @ out
    return out.float()


def rollout_method(ctx: AttributionContext, *, residual: float = 0.5, head_fusion: str = "mean") -> MethodOutput:
    """The registry's ``attention_rollout``: the rollout row at each target's position."""
    model = ctx.model
    names = [f"blocks.{layer}.attn.hook_pattern" for layer in range(model.cfg.n_layers)]
    _, store = forward(model, ctx.ids, None, [ctx.ids.shape[0] - 1], capture=names)
    patterns = torch.stack([store[name][0] for name in names]).float().cpu()
    rolled = attention_rollout(patterns, residual=residual, head_fusion=head_fusion)
    scores = torch.stack([rolled[t.position] for t in ctx.targets])
    notes = (f"attention rollout ({head_fusion} over heads, residual weight {residual}): depends only on the "
             "target's position, not on the token",)
    return MethodOutput(scores=scores, notes=notes, params={"residual": residual, "head_fusion": head_fusion})
