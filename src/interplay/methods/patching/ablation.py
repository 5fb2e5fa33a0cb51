"""Ablation: remove a component's contribution and measure what the model loses.

Replace an activation by something that carries no information about the prompt and see how much
the metric drops. What to replace it by matters (Heimersheim & Nanda 2024, "How to use and interpret
activation patching"; Chan et al. 2022, "Causal Scrubbing"):

* ``how="zero"``: zeros. Simple, but zero can be far off the activations the model ever sees, so
  later layers may react to the zero itself rather than to the missing information.
* ``how="mean"``: the mean activation over a reference set of prompts (by default the prompts
  themselves), at each position (``per_position=True``) or over all positions. Wang et al. 2022
  (IOI) use the mean over the dataset: the model keeps the "average" signal and loses only what is
  specific to each prompt.
* ``how="resample"``: the activation from another prompt of the reference set (a random pairing,
  ``seed``): the component behaves normally but says the wrong thing for this prompt.

Values are the change in the metric (``ablated - original``; negative: the component helps),
``raw`` the metric of each ablated run. Same components and granularity as :func:`~interplay.patch`;
the ablated runs are batched the same way.

Each function here takes one layer's activation of the reference prompts in the canonical layout
(``[n_ref, *layout]``) and gives the replacement for the base prompts (``[n_base, *layout]``, cut or
zero-padded to the base prompts' width).
"""

from __future__ import annotations

import numpy as np
import torch

from interplay.errors import InterplayError
from interplay.methods._inputs import Prompts

HOW = ("zero", "mean", "resample")


def _pos_mask(prompts: Prompts, layout: tuple[str, ...], act: torch.Tensor) -> torch.Tensor:
    """Real-token mask broadcastable to ``act`` [n, *layout] along its position axis."""
    axis = 1 + layout.index("pos")
    shape = [1] * act.ndim
    shape[0], shape[axis] = act.shape[0], act.shape[axis]
    return prompts.mask[:, : act.shape[axis]].to(act.dtype).reshape(shape)


def replacement(how: str, act: torch.Tensor, ref: Prompts, base: Prompts, layout: tuple[str, ...],
                per_position: bool, seed: int) -> torch.Tensor:
    """The activation to patch in, [n_base, ...] in the canonical layout."""
    n, width = base.n, base.ids.shape[1]
    if how == "zero":
        return torch.zeros([n, *_fit(act[:1], layout, width).shape[1:]], dtype=act.dtype, device=act.device)
    pos_axis = 1 + layout.index("pos")
    if how == "mean":
        w = _pos_mask(ref, layout, act)
        if per_position:
            counts = ref.mask.sum(0)
            if counts.shape[0] < width or bool((counts[:width] == 0).any()):
                raise InterplayError(f"per-position mean ablation needs a reference prompt with a real token at every "
                                     f"position up to {width}; the reference prompts are {ref.lengths} tokens long")
            mean = (act * w).sum(0, keepdim=True) / w.sum(0, keepdim=True).clamp(min=1)
        else:
            mean = (act * w).sum(dim=(0, pos_axis), keepdim=True) / w.sum(dim=(0, pos_axis), keepdim=True)
        fitted = _fit(mean, layout, width)
        return fitted.expand(n, *[width if a == "pos" else fitted.shape[i + 1] for i, a in enumerate(layout)]).contiguous()
    # resample: prompt i takes the activation of a reference prompt of the same token length
    gen = np.random.default_rng(seed)
    same = ref is base
    out = []
    for i, length in enumerate(base.lengths):
        options = [j for j, m in enumerate(ref.lengths) if m == length and not (same and j == i)]
        if not options:
            raise InterplayError(f"resample ablation: no reference prompt has the token length ({length}) of prompt "
                                 f"{i}; pass reference= prompts of the same lengths (at least two prompts when none is given)")
        out.append(_fit(act[int(gen.choice(options))][None], layout, width)[0])
    return torch.stack(out)


def _fit(t: torch.Tensor, layout: tuple[str, ...], width: int) -> torch.Tensor:
    """Cut or zero-pad the position (and key) axes of ``t`` [b, *layout] to ``width``; a size-1 axis
    (a mean over positions) stays, to broadcast."""
    for i, a in enumerate(layout):
        axis = i + 1
        if a in ("pos", "key") and t.shape[axis] not in (1, width):
            if t.shape[axis] > width:
                t = t.narrow(axis, 0, width)
            else:
                pad = list(t.shape)
                pad[axis] = width - t.shape[axis]
                t = torch.cat([t, t.new_zeros(pad)], dim=axis)
    return t
