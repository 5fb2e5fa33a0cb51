"""Prompt pairs in batches, with the metric bound to each batch's prompts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from interplay.errors import InterplayError
from interplay.methods._inputs import Pair, prepare_pair
from interplay.methods._sweep import last_logits
from interplay.methods.metrics import Metric, MetricFn, as_metric

if TYPE_CHECKING:
    from interplay.backend.model import Model


@dataclass(frozen=True)
class Batch:
    rows: slice
    clean_ids: torch.Tensor
    corrupted_ids: torch.Tensor
    mask: torch.Tensor  #: the clean mask (pairs have equal token lengths)
    corrupted_mask: torch.Tensor
    last: torch.Tensor
    metric: MetricFn  #: bound to these prompts
    weight: float  #: share of the prompts in this batch (batch metrics average to the dataset's)


@dataclass
class CircuitData:
    """Everything a circuit method needs about the prompts: reused by faithfulness runs."""

    model: Model
    pair: Pair
    metric: Metric
    batch_size: int
    clean_logits: torch.Tensor
    corrupted_logits: torch.Tensor

    @property
    def n(self) -> int:
        return self.pair.clean.n

    def batches(self) -> Iterator[Batch]:
        c, x = self.pair.clean, self.pair.corrupted
        for start in range(0, self.n, self.batch_size):
            rows = slice(start, min(self.n, start + self.batch_size))
            width = max(c.lengths[rows])
            fn = bind_rows(self.metric, self.model, self.clean_logits, self.corrupted_logits, rows, self.n)
            yield Batch(rows, c.ids[rows, :width], x.ids[rows, :width], c.mask[rows, :width], x.mask[rows, :width],
                        c.last[rows], fn, (rows.stop - rows.start) / self.n)

    def value(self, logits: torch.Tensor) -> float:
        """The metric of the whole dataset from last-token logits of every prompt."""
        return float(self.metric.bind(self.model, self.clean_logits, self.corrupted_logits)(logits).detach())


def bind_rows(metric: Metric, model: Model, clean: torch.Tensor, corrupted: torch.Tensor, rows: slice,
              n: int) -> MetricFn:
    """``metric`` bound to the prompts ``rows`` of ``n`` (per-prompt answer lists are sliced)."""
    if rows.start == 0 and rows.stop == n:
        return metric.bind(model, clean, corrupted)
    if metric.kind == "custom":
        raise InterplayError("a custom metric function sees every prompt at once: pass batch_size >= the number "
                             "of prompts, or use interplay.logit_diff / token_prob / kl_div")
    changes: dict[str, Any] = {}
    for key in ("answer", "wrong"):
        value = getattr(metric, key)
        if value is not None and not isinstance(value, (str, int)):
            changes[key] = list(value)[rows]
    m = dataclasses.replace(metric, **changes)
    return m.bind(model, clean[rows], corrupted[rows])


def prepare(model: Model, clean: Any, corrupted: Any, metric: Any, batch_size: int | None) -> CircuitData:
    pair = prepare_pair(model, clean, corrupted)
    m = as_metric(metric, pair.dataset)
    if m.kind == "custom" and batch_size is not None and batch_size < pair.clean.n:
        raise InterplayError("a custom metric function sees every prompt at once: leave batch_size unset")
    n = pair.clean.n
    size = n if m.kind == "custom" else int(batch_size or min(n, 32))
    if size < 1:
        raise InterplayError(f"batch_size={batch_size!r} must be >= 1")
    with torch.no_grad():
        c, _ = last_logits(model, pair.clean.ids, pair.clean.mask, pair.clean.last)
        x, _ = last_logits(model, pair.corrupted.ids, pair.corrupted.mask, pair.corrupted.last)
    return CircuitData(model, pair, m, size, c, x)
