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
import numpy.typing as npt
import torch

from interplay.errors import InterplayError
from interplay.methods.patching.engine import LAYOUT, MetricFn, Plan, Sources

if TYPE_CHECKING:
    from interplay.backend.hooks import Intervention
    from interplay.backend.model import Model
    from interplay.methods._inputs import Prompts


def _leaf(act: torch.Tensor, name: str) -> torch.Tensor:
    """Cut the graph at the embeddings: gradients flow to activations only, never to weights."""
    return act.detach().requires_grad_(True)


def gradients(model: Model, base: Prompts, names: list[str], metric: MetricFn,
              label: str) -> tuple[float, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(base metric, base activations, d metric / d activation) for full names ``names``: one
    forward and one backward pass of ``base``."""
    inter: dict[str, list[Intervention]] = {"hook_embed": [_leaf]}
    with torch.enable_grad():
        logits, acts = base.last_logits(model, inter, capture=names, grad=True)
        value = metric(logits)
        if not value.requires_grad:
            raise InterplayError(f"the metric {label!r} is not differentiable (it returned a tensor with no "
                                 "gradient); attribution patching needs a torch function of the logits")
        grads = torch.autograd.grad(value, [acts[n] for n in names], allow_unused=True)
    out = {n: (g if g is not None else torch.zeros_like(acts[n])).detach() for n, g in zip(names, grads, strict=True)}
    return float(value.detach()), {n: acts[n].detach() for n in names}, out


def atp_sweep(model: Model, base: Prompts, sources: Sources, plan: Plan, metric: MetricFn,
              label: str) -> npt.NDArray[np.float64]:
    """AtP estimates of each cell's patched metric, shaped ``plan.shape`` (float64)."""
    cells = plan.cells()
    layers = sorted({layer for layer, _ in cells})
    names = [plan.name(layer) for layer in layers]
    base_value, acts, grads = gradients(model, base, names, metric, label)
    layout = LAYOUT[plan.component]
    keep = [a for a in layout if a in plan.axes]
    dims = [i for i, a in enumerate(layout) if a not in plan.axes]
    per_layer: dict[int, torch.Tensor] = {}
    for layer, name in zip(layers, names, strict=True):
        contrib = (sources(layer).to(acts[name].dtype) - acts[name]) * grads[name]  # [n, *layout]
        contrib = contrib.float().sum(0)  # the metric is a mean over prompts: its gradient already divides
        per_layer[layer] = (contrib.sum(dim=dims) if dims else contrib).cpu()  # axes left: `keep`, in layout order
    out = np.empty(len(cells))
    for i, (layer, idx) in enumerate(cells):
        t = per_layer[layer]
        out[i] = float(t[tuple(idx[a] for a in keep)]) if keep else float(t)
    return (base_value + out).reshape(plan.shape)
