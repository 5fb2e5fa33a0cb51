"""The live part of a patching or ablation result.

A session holds the model, the tokenised prompts, the metrics and the source activations, computes
sweeps (cached per component, granularity, method and metric) and single patched runs, and hands
back numpy data: it implements :class:`interplay.results.patching.PatchingSession` (and so the
view's :class:`interplay.widgets.patching.PatchingSource`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.backend.names import BLOCK_SUFFIXES
from interplay.data.patching import PatchingData
from interplay.data.tokens import token_strings
from interplay.errors import InterplayError
from interplay.methods._inputs import Pair, Prompts
from interplay.methods.metrics import Metric, MetricFn, kl_div
from interplay.methods.patching.ablation import replacement
from interplay.methods.patching.atp import atp_sweep
from interplay.methods.patching.engine import (
    LAYOUT,
    VIEW_COMPONENTS,
    Plan,
    Sources,
    make_plan,
    patched_logits,
    sweep,
)

if TYPE_CHECKING:
    from interplay.backend.model import Model

DIRECTIONS = ("denoising", "noising")
METHODS = ("exact", "attribution")
Key = tuple[str, str, str, str]


class PatchingSession:
    """Denoising (clean activations into the corrupted run) or noising (the reverse)."""

    def __init__(self, model: Model, pair: Pair, metric: Metric, direction: str, *,
                 layers: Iterable[int] | None = None, positions: Iterable[int] | None = None,
                 layer: int | None = None, normalize: bool | None = None, batch_size: int | None = None) -> None:
        self.model, self.pair, self.direction, self.normalize = model, pair, direction, normalize
        self.layers = list(layers) if layers is not None else None
        self.positions = list(positions) if positions is not None else None
        self.layer, self.batch_size = layer, batch_size
        self.metric_label = metric.label
        self.clean_logits, _ = pair.clean.last_logits(model)  #: [n, vocab] at each prompt's last token
        self.corrupted_logits, _ = pair.corrupted.last_logits(model)
        self._metrics: dict[str, Metric] = {metric.label: metric, **self._extra_metrics(metric)}
        self._bound: dict[str, MetricFn] = {}
        self._sources: dict[str, torch.Tensor] = {}
        self._results: dict[Key, PatchingData] = {}
        self.bound(metric.label)  # a metric that cannot be bound fails here, before any sweep

    def _extra_metrics(self, metric: Metric) -> dict[str, Metric]:
        kl = kl_div()
        return {} if metric.label == kl.label else {kl.label: kl}

    @property
    def base(self) -> Prompts:
        """The prompts that are run with one activation patched."""
        return self.pair.corrupted if self.direction == "denoising" else self.pair.clean

    @property
    def source_prompts(self) -> Prompts:
        return self.pair.clean if self.direction == "denoising" else self.pair.corrupted

    # ------------------------------------------------------------------------ what is offered
    def components(self) -> list[str]:
        names = set(self.model.hook_names)
        return [c for c in VIEW_COMPONENTS if f"blocks.0.{BLOCK_SUFFIXES[c]}" in names]

    def metrics(self) -> list[str]:
        return list(self._metrics)

    def bound(self, label: str) -> MetricFn:
        """The metric ``label`` as a function of last-token logits."""
        if label not in self._metrics:
            raise InterplayError(f"unknown metric {label!r}; this sweep offers {', '.join(map(repr, self._metrics))}")
        if label not in self._bound:
            self._bound[label] = self._metrics[label].bind(self.model, self.clean_logits, self.corrupted_logits)
        return self._bound[label]

    def source(self, plan: Plan) -> Sources:
        """The activation patched in at each layer: the source prompts' own (captured once)."""

        def get(layer: int) -> torch.Tensor:
            name = plan.name(layer)
            if name not in self._sources:
                _, store = self.source_prompts.last_logits(
                    self.model, capture=[plan.name(i) for i in range(self.model.cfg.n_layers)])
                self._sources.update(store)
            return self._sources[name]

        return get

    # ---------------------------------------------------------------------------------- sweeps
    def sweep(self, component: str, by: str | Sequence[str] | None = None, method: str = "exact",
              metric: str | None = None, *, progress: bool = False) -> PatchingData:
        """The sweep with these settings (computed once per settings, then cached)."""
        if method not in METHODS:
            raise InterplayError(f"method={method!r}; use 'exact' or 'attribution'")
        label = self.metric_label if metric is None else metric
        bound = self.bound(label)
        plan = make_plan(self.model, component, by, self.pair.clean.ids.shape[1], layers=self.layers,
                         positions=self.positions, layer=self.layer)
        key = (plan.component, "_".join(plan.axes), method, label)
        if key not in self._results:
            if method == "attribution":
                raw = atp_sweep(self.model, self.base, self.source(plan), plan, bound, label)
            else:
                raw = sweep(self.model, self.base, self.source(plan), plan, bound, batch_size=self.batch_size,
                            progress=progress, desc=self._desc(plan))
            self._results[key] = self._finish(plan, raw, method, label)
        return self._results[key]

    def recompute(self, component: str, method: str, metric: str, by: str | None = None) -> PatchingData:
        """What the view asks: the sweep with these settings (``by`` None: the component's default)."""
        return self.sweep(component, by, method, metric)

    def _desc(self, plan: Plan) -> str:
        return f"patching {plan.component} by {'_'.join(plan.axes)}"

    def _finish(self, plan: Plan, raw: npt.NDArray[np.float64], method: str, label: str) -> PatchingData:
        bound, pair = self.bound(label), self.pair
        clean_value, corrupted_value = float(bound(self.clean_logits)), float(bound(self.corrupted_logits))
        what = ("clean activations patched into the corrupted run" if self.direction == "denoising"
                else "corrupted activations patched into the clean run")
        notes = [f"{self.direction}: {what}",
                 f"metric {label} at each prompt's last token, mean over {pair.clean.n} prompt(s): "
                 f"clean {clean_value:.4g}, corrupted {corrupted_value:.4g}"]
        span = clean_value - corrupted_value
        normalize = self.normalize if label == self.metric_label else None
        if normalize is None:
            normalize = abs(span) > 1e-6 * max(1.0, abs(clean_value))
            if not normalize:
                notes.append("not normalised: the metric is the same on the clean and the corrupted run")
        elif normalize and span == 0:
            raise InterplayError("cannot normalise: the metric is the same on the clean and corrupted runs")
        values = (raw - corrupted_value) / span if normalize else raw.copy()
        if normalize:
            notes.append("normalised: 0 = corrupted run, 1 = clean run")
        return self._data(plan, raw, values, method, label, clean_value, corrupted_value, bool(normalize), notes)

    def _data(self, plan: Plan, raw: npt.NDArray[np.float64], values: npt.NDArray[np.float64], method: str,
              label: str, clean_value: float, corrupted_value: float, normalized: bool,
              notes: list[str]) -> PatchingData:
        pair = self.pair
        if method == "attribution":
            notes.append("attribution patching (AtP): a first-order gradient estimate, not exact patched runs")
        if len(set(pair.clean.lengths)) > 1:
            notes.append("prompts differ in token length: positions are absolute, labelled with prompt 0's tokens")
        return PatchingData(
            values=values.astype(np.float32), raw=raw.astype(np.float32), axes=list(plan.axes), labels=plan.labels(pair.clean.tokens[0]),
            ranges=plan.ranges, layer=plan.layer, component=plan.component, method=method,
            direction=self.direction, metric_label=label, clean_value=clean_value, corrupted_value=corrupted_value,
            normalized=normalized, tokens=pair.clean.tokens[0], corrupted_tokens=pair.corrupted.tokens[0],
            differing=pair.differing, notes=notes, components=self.components(), metrics=self.metrics())

    # ------------------------------------------------------------------------------ one cell
    def _patched(self, data: PatchingData, cell: Sequence[int]) -> torch.Tensor:
        layer, idx = data.indices(tuple(cell))
        plan = Plan.of(data)
        return patched_logits(self.model, self.base, self.source(plan)(layer), plan, (layer, idx))

    def patched_logits(self, data: PatchingData, cell: Sequence[int]) -> npt.NDArray[np.float32]:
        return self._patched(data, cell).float().cpu().numpy()

    def cell(self, data: PatchingData, cell: Sequence[int], k: int = 10, prompt: int = 0) -> dict[str, Any]:
        n = self.pair.clean.n
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InterplayError(f"k={k!r} must be a positive integer (how many top tokens to list)")
        if isinstance(prompt, bool) or not isinstance(prompt, int) or not 0 <= prompt < n:
            raise InterplayError(f"prompt={prompt!r} is out of range: there are {n} prompts (0..{n - 1})")
        bound = self.bound(data.metric_label)
        patched = self._patched(data, cell)
        out: dict[str, Any] = {"cell": [int(c) for c in cell], "label": data.cell_label(tuple(cell)),
                               "metric": float(bound(patched)), "prompt": prompt}
        for key, logits in (("clean", self.clean_logits), ("corrupted", self.corrupted_logits), ("patched", patched)):
            probs = logits[prompt].float().softmax(-1)
            p, i = probs.topk(min(k, probs.shape[0]))
            ids = [int(x) for x in i.tolist()]
            out[key] = {"tokens": token_strings(self.model.tokenizer, ids), "ids": ids, "probs": [float(x) for x in p]}
        return out


class AblationSession(PatchingSession):
    """The source is a zero, mean or resampled activation; the base run is the prompts themselves."""

    def __init__(self, model: Model, prompts: Prompts, dataset: Any, metric: Metric, how: str, *,
                 reference: Prompts | None = None, per_position: bool = True, seed: int = 0,
                 **options: Any) -> None:
        self.how, self.reference, self.per_position, self.seed = how, reference, per_position, seed
        super().__init__(model, Pair(prompts, prompts, dataset), metric, f"ablation ({how})", **options)

    def _extra_metrics(self, metric: Metric) -> dict[str, Metric]:
        return {}

    @property
    def base(self) -> Prompts:
        return self.pair.clean

    def source(self, plan: Plan) -> Sources:
        layout = LAYOUT[plan.component]
        names = [plan.name(i) for i in range(self.model.cfg.n_layers)]

        def get(layer: int) -> torch.Tensor:
            name = plan.name(layer)
            if name not in self._sources:
                ref = self.reference or self.base
                _, store = ref.last_logits(self.model, capture=names)
                for n, act in store.items():
                    self._sources[n] = replacement(self.how, act, ref, self.base, layout, self.per_position, self.seed)
            return self._sources[name]

        return get

    def _desc(self, plan: Plan) -> str:
        return f"{self.how}-ablating {plan.component}"

    def _finish(self, plan: Plan, raw: npt.NDArray[np.float64], method: str, label: str) -> PatchingData:
        value = float(self.bound(label)(self.clean_logits))
        ref_text = "the prompts themselves" if self.reference is None else f"{self.reference.n} reference prompts"
        over = "" if self.how == "zero" else f" over {ref_text}" + (
            ", per position" if self.per_position and self.how == "mean" else "")
        notes = [f"{self.how} ablation{over}",
                 f"metric {label} mean over {self.base.n} prompt(s): {value:.4g} without ablation; "
                 "values = ablated - original"]
        return self._data(plan, raw, raw - value, method, label, value, value, False, notes)
