"""Activation patching: which activations carry the information that a behaviour needs?

Run the model on a *clean* prompt ("When Mary and John went to the store, John gave a drink to",
answer " Mary") and on a *corrupted* twin that differs in one detail ("... Alice gave a drink to",
where the answer is no longer determined). Then run the corrupted prompt again, but replace one
activation (the residual stream at layer 5, position 9; head 9.6's output) by its value in the clean
run, and measure how much of the clean behaviour comes back. An activation whose patch restores it
carries what the task needs. This is causal tracing (Meng et al. 2022, "Locating and Editing Factual
Associations in GPT"), or causal mediation analysis (Vig et al. 2020, "Investigating Gender Bias in
Language Models Using Causal Mediation Analysis").

Two directions answer different questions (Heimersheim & Nanda 2024, "How to use and interpret
activation patching"): *denoising* (corrupted run, clean activation patched in) finds activations
that are *sufficient* to restore the behaviour; *noising* (clean run, corrupted activation patched in)
finds those that are *necessary* for it. With a metric normalised so that 0 = the corrupted run and
1 = the clean run, a denoising cell of 0.9 says "this activation alone restores 90% of the logit
difference"; a noising cell of 0.1 says "without it, only 10% is left".

    >>> result = interplay.patch(model, clean, corrupted, metric=interplay.logit_diff(" Mary", " John"),
    ...                          component="resid_pre", by="layer_pos")
    >>> result.show()        # heatmap; click a cell to see the patched run's top tokens
    >>> result.to_dataframe()

Components: ``resid_pre``, ``resid_mid``, ``resid_post``, ``attn_out``, ``mlp_out``, per-head ``z``
(the head's output), ``q``, ``k``, ``v``, ``pattern``, ``result``, and MLP neurons (``post``, with
``layer=`` and ``by="neuron"``). Granularity ``by``: ``layer_pos``, ``layer``, ``layer_head`` (all
positions), ``layer_head_pos``, ``neuron``, ``neuron_pos``. ``method="attribution"`` gives the
gradient estimate of the same sweep from two forward passes and one backward pass (see
:mod:`.atp`). Many patched runs share each forward batch (see :mod:`.engine`).

Ablation (:func:`ablate`) asks the complementary question with no corrupted prompt: replace a
component by zeros, its mean over reference prompts, or another prompt's value, and measure what the
metric loses (Chan et al. 2022, "Causal Scrubbing"; Wang et al. 2022, the IOI paper, use the mean).
Zero ablation can push later layers off the activations they ever see; mean ablation keeps the
"average" signal and removes only what is specific to each prompt.

    >>> abl = interplay.ablate(model, ds, component="z", how="mean")
    >>> abl.to_dataframe().sort_values("value").head()    # the heads whose loss hurts most

Package shape (as every method family): the entry points (:mod:`.api`), the result
(:class:`interplay.results.patching.PatchingResult`, numpy only: a
:class:`~interplay.data.patching.PatchingData` plus the live session), the session behind the view
(:mod:`.session`: one patched cell on demand, other components, metrics and methods), the batched
sweep (:mod:`.engine`), ablation sources (:mod:`.ablation`) and attribution patching (:mod:`.atp`).
"""

from __future__ import annotations

from interplay.methods.patching.api import ablate, patch
from interplay.results.patching import PatchingResult

__all__ = ["PatchingResult", "ablate", "patch"]
