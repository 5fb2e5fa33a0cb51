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
:mod:`interplay.methods.atp`). Many patched runs share each forward batch (see
:mod:`interplay.methods._sweep`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay.errors import InterplayError
from interplay.methods._inputs import Pair, Prompts, prepare_pair
from interplay.methods._sweep import LAYOUT, Plan, _row_patch, last_logits, make_plan, sweep
from interplay.methods.metrics import Metric, MetricFn, as_metric
from interplay.methods.patching_result import PatchingResult, axis_labels

if TYPE_CHECKING:
    from interplay.backend.model import Model

DIRECTIONS = ("denoising", "noising")
METHODS = ("exact", "attribution")


@dataclass
class PatchingSetup:
    """Everything a result needs to re-run one cell, or the sweep with other settings (the widget)."""

    model: Model
    pair: Pair
    metric: Metric
    direction: str
    clean_logits: torch.Tensor  #: [n, vocab] at each prompt's last token
    corrupted_logits: torch.Tensor
    bound: MetricFn
    options: dict[str, Any] = field(default_factory=dict)
    _sources: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)

    @property
    def base(self) -> Prompts:
        return self.pair.corrupted if self.direction == "denoising" else self.pair.clean

    @property
    def source_prompts(self) -> Prompts:
        return self.pair.clean if self.direction == "denoising" else self.pair.corrupted

    def source(self, plan: Plan) -> Callable[[int], torch.Tensor]:
        def get(layer: int) -> torch.Tensor:
            name = plan.name(layer)
            if name not in self._sources:
                p = self.source_prompts
                _, store = last_logits(self.model, p.ids, p.mask, p.last, capture=[plan.name(i) for i in range(
                    self.model.cfg.n_layers)])
                self._sources.update(store)
            return self._sources[name]

        return get

    def patched_logits(self, plan: Plan, layer: int, index: dict[str, int]) -> torch.Tensor:
        """Last-token logits [n, vocab] of the base run with one cell patched."""
        src = self.source(plan)(layer)
        fn = _row_patch(src, LAYOUT[plan.component], [(0, index)], 1)
        b = self.base
        with torch.no_grad():
            logits, _ = last_logits(self.model, b.ids, b.mask, b.last, {plan.name(layer): [fn]})
        return logits

    def with_metric(self, metric: Any) -> PatchingSetup:
        m = as_metric(metric, self.pair.dataset)
        bound = m.bind(self.model, self.clean_logits, self.corrupted_logits)
        return PatchingSetup(self.model, self.pair, m, self.direction, self.clean_logits, self.corrupted_logits,
                             bound, dict(self.options), self._sources)


def make_setup(model: Model, clean: Any, corrupted: Any, metric: Any, direction: str,
               options: dict[str, Any]) -> PatchingSetup:
    if direction not in DIRECTIONS:
        raise InterplayError(f"direction={direction!r}; use 'denoising' (clean into corrupted) or 'noising'")
    pair = prepare_pair(model, clean, corrupted)
    with torch.no_grad():
        c, _ = last_logits(model, pair.clean.ids, pair.clean.mask, pair.clean.last)
        x, _ = last_logits(model, pair.corrupted.ids, pair.corrupted.mask, pair.corrupted.last)
    m = as_metric(metric, pair.dataset)
    return PatchingSetup(model, pair, m, direction, c, x, m.bind(model, c, x), options)


def patch(
    model: Model,
    clean: Any,
    corrupted: Any = None,
    *,
    metric: Any = None,
    component: str = "resid_pre",
    by: str | Sequence[str] | None = None,
    direction: str = "denoising",
    method: str = "exact",
    layers: Iterable[int] | None = None,
    positions: Iterable[int] | None = None,
    layer: int | None = None,
    normalize: bool | None = None,
    batch_size: int | None = None,
    progress: bool = True,
) -> PatchingResult:
    """Patch ``component`` cell by cell between ``clean`` and ``corrupted``; the metric of each run.

    ``clean``/``corrupted``: a prompt or a list (pairwise equal token lengths; the metric is averaged
    over the prompts), or a task dataset from :mod:`interplay.tasks` as ``clean`` (its corrupted
    twins and its logit difference are used). ``metric``: :func:`~interplay.logit_diff`,
    :func:`~interplay.token_prob`, :func:`~interplay.kl_div`, or ``fn(logits [n, vocab]) -> scalar``.
    ``direction``: ``"denoising"`` (default) or ``"noising"``. ``method``: ``"exact"`` or
    ``"attribution"`` (AtP). ``layers``/``positions``: sweep only these. ``normalize``: None = map
    the corrupted run's metric to 0 and the clean run's to 1 unless they are equal; ``batch_size``:
    rows per forward pass (patched runs x prompts; halved on out-of-memory).
    """
    if method not in METHODS:
        raise InterplayError(f"method={method!r}; use 'exact' or 'attribution'")
    options: dict[str, Any] = {"component": component, "by": by, "layers": layers, "positions": positions, "layer": layer,
               "normalize": normalize, "batch_size": batch_size}
    setup = make_setup(model, clean, corrupted, metric, direction, options)
    return run_patch(setup, method=method, progress=progress, **options)


def run_patch(setup: PatchingSetup, *, method: str = "exact", progress: bool = False, component: str = "resid_pre",
              by: str | Sequence[str] | None = None, layers: Iterable[int] | None = None,
              positions: Iterable[int] | None = None, layer: int | None = None, normalize: bool | None = None,
              batch_size: int | None = None) -> PatchingResult:
    """:func:`patch` on a prepared setup (the widget re-runs sweeps through this)."""
    model, pair = setup.model, setup.pair
    layers = list(layers) if layers is not None else None
    positions = list(positions) if positions is not None else None
    plan = make_plan(model, component, by, pair.clean.ids.shape[1], layers=layers, positions=positions, layer=layer)
    clean_value = float(setup.bound(setup.clean_logits))
    corrupted_value = float(setup.bound(setup.corrupted_logits))
    if method == "attribution":
        from interplay.methods.atp import atp_sweep

        raw = atp_sweep(setup, plan)
    else:
        desc = f"patching {plan.component} by {'_'.join(plan.axes)}"
        raw = sweep(model, setup.base, setup.source(plan), plan, setup.bound, batch_size=batch_size,
                    progress=progress, desc=desc)
    notes = [f"{setup.direction}: {'clean activations patched into the corrupted run' if setup.direction == 'denoising' else 'corrupted activations patched into the clean run'}",
             f"metric {setup.metric.label} at each prompt's last token, mean over {pair.clean.n} prompt(s): "
             f"clean {clean_value:.4g}, corrupted {corrupted_value:.4g}"]
    span = clean_value - corrupted_value
    if normalize is None:
        normalize = abs(span) > 1e-6 * max(1.0, abs(clean_value))
        if not normalize:
            notes.append("not normalised: the metric is the same on the clean and the corrupted run")
    elif normalize and span == 0:
        raise InterplayError("cannot normalise: the metric is the same on the clean and corrupted runs")
    values = (raw - corrupted_value) / span if normalize else raw.copy()
    if normalize:
        notes.append("normalised: 0 = corrupted run, 1 = clean run")
    if method == "attribution":
        notes.append("attribution patching (AtP): a first-order gradient estimate, not exact patched runs")
    if len(set(pair.clean.lengths)) > 1:
        notes.append("prompts differ in token length: positions are absolute, labelled with prompt 0's tokens")
    return PatchingResult(
        values=values.astype(np.float32), raw=raw.astype(np.float32), axes=plan.axes,
        labels=axis_labels(plan, pair.clean.tokens[0], pair.corrupted.tokens[0]), component=plan.component,
        method=method, direction=setup.direction, metric_label=setup.metric.label, clean_value=clean_value,
        corrupted_value=corrupted_value, normalized=bool(normalize), tokens=pair.clean.tokens[0],
        corrupted_tokens=pair.corrupted.tokens[0], differing=pair.differing, notes=notes, plan=plan, setup=setup,
    )
