"""Attribution patching (AtP): every patching effect at once, from a first-order Taylor expansion.

Exact activation patching needs one forward pass per patched activation. Attribution patching
(Nanda 2023, "Attribution Patching: Activation Patching At Industrial Scale"; Syed, Rager & Conmy
2023, "Attribution Patching Outperforms Automated Circuit Discovery") linearises the metric around
the base run: patching activation ``a`` from ``a_base`` to ``a_source`` changes the metric by about

    (a_source - a_base) . d metric / d a   (evaluated on the base run)

so one forward pass of the source prompts, one forward and one backward pass of the base prompts
give the estimate for every layer, position and head. Sums over the parts of an activation that a
cell covers (d_model for a position, d_head and every position for a head) give each cell's
estimate. It is exact for a metric linear in the activation and good when the patch is small; it
fails where the patch moves a saturated nonlinearity (an attention softmax or LayerNorm far from
the base point: Kramár et al. 2024, "AtP*"), so check the heads it ranks highly with exact patching.
Here the estimate is reported as the estimated metric of the patched run (the base run's metric
plus the first-order change), normalised like the exact sweep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from interplay.errors import InterplayError
from interplay.methods._sweep import LAYOUT, Plan, last_logits

if TYPE_CHECKING:
    from interplay.backend.hooks import Intervention
    from interplay.methods.patching import PatchingSetup


def _leaf(act: torch.Tensor, name: str) -> torch.Tensor:
    """Cut the graph at the embeddings: gradients flow to activations only, never to weights."""
    return act.detach().requires_grad_(True)


def gradients(setup: PatchingSetup, names: list[str]) -> tuple[float, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(base metric, base activations, d metric / d activation) for full names ``names``."""
    b = setup.base
    inter: dict[str, list[Intervention]] = {"hook_embed": [_leaf]}
    with torch.enable_grad():
        logits, acts = last_logits(setup.model, b.ids, b.mask, b.last, inter, capture=names, grad=True)
        value = setup.bound(logits)
        if not value.requires_grad:
            raise InterplayError(f"the metric {setup.metric.label!r} is not differentiable (it returned a tensor with "
                                 "no gradient); attribution patching needs a torch function of the logits")
        grads = torch.autograd.grad(value, [acts[n] for n in names], allow_unused=True)
    out = {n: (g if g is not None else torch.zeros_like(acts[n])).detach() for n, g in zip(names, grads, strict=True)}
    return float(value.detach()), {n: acts[n].detach() for n in names}, out


def atp_sweep(setup: PatchingSetup, plan: Plan) -> np.ndarray:
    """AtP estimates of each cell's patched metric, shaped ``plan.shape`` (float64)."""
    layers = sorted({layer for layer, _ in plan.cells()})
    names = [plan.name(layer) for layer in layers]
    source = setup.source(plan)
    base_value, acts, grads = gradients(setup, names)
    layout = LAYOUT[plan.component]
    keep = [a for a in layout if a in plan.axes]
    per_layer: dict[int, torch.Tensor] = {}
    for layer, name in zip(layers, names, strict=True):
        contrib = (source(layer).to(acts[name].dtype) - acts[name]) * grads[name]  # [n, *layout]
        contrib = contrib.float().sum(0)  # the metric is a mean over prompts: its gradient already divides
        dims = [i for i, a in enumerate(layout) if a not in plan.axes]
        summed = contrib.sum(dim=dims) if dims else contrib  # axes left: `keep`, in layout order
        per_layer[layer] = summed
    out = np.empty(len(plan.cells()))
    for i, (layer, idx) in enumerate(plan.cells()):
        t = per_layer[layer]
        out[i] = float(t[tuple(idx[a] for a in keep)]) if keep else float(t)
    return (base_value + out).reshape(plan.shape)
