"""Prompt pairs in batches, with the metric bound to each batch's prompts.

:class:`CircuitInputs` is everything the graph passes need about the prompts, computed once by
:func:`prepare` and kept by the session for faithfulness runs: the clean/corrupted pair, the
metric, the batch size and both runs' last-token logits (which bind the metric: ``kl_div`` needs
the clean distribution).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from interplay.errors import InterplayError
from interplay.methods._inputs import Pair, Prompts, prepare_pair
from interplay.methods.metrics import Metric, MetricFn, as_metric

if TYPE_CHECKING:
    from interplay.backend.model import Model

DEFAULT_BATCH = 32


@dataclass(frozen=True)
class Batch:
    rows: slice
    clean: Prompts
    corrupted: Prompts  #: pairs have equal token lengths, so the same width as ``clean``
    metric: MetricFn  #: bound to these prompts
    weight: float  #: share of the prompts in this batch (batch metrics average to the dataset's)


@dataclass(frozen=True)
class CircuitInputs:
    """The prompts of a circuit run, batched, with the metric bound per batch."""

    model: Model
    pair: Pair
    metric: Metric
    batch_size: int
    clean_logits: torch.Tensor  #: [n, vocab] at each prompt's last token
    corrupted_logits: torch.Tensor

    @property
    def n(self) -> int:
        return self.pair.clean.n

    def batches(self) -> Iterator[Batch]:
        for start in range(0, self.n, self.batch_size):
            rows = slice(start, min(self.n, start + self.batch_size))
            fn = bind_rows(self.metric, self.model, self.clean_logits, self.corrupted_logits, rows, self.n)
            yield Batch(rows, self.pair.clean.rows(rows), self.pair.corrupted.rows(rows), fn,
                        (rows.stop - rows.start) / self.n)

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


def prepare(model: Model, clean: Any, corrupted: Any, metric: Any, batch_size: int | None) -> CircuitInputs:
    """Tokenise the pair, read the metric and run both sides once (their last-token logits)."""
    pair = prepare_pair(model, clean, corrupted)
    m = as_metric(metric, pair.dataset)
    n = pair.clean.n
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise InterplayError(f"batch_size={batch_size!r} must be a positive integer (prompt pairs per pass)")
    if m.kind == "custom" and batch_size is not None and batch_size < n:
        raise InterplayError("a custom metric function sees every prompt at once: leave batch_size unset")
    size = n if m.kind == "custom" else int(batch_size or min(n, DEFAULT_BATCH))
    with torch.no_grad():
        c, _ = pair.clean.last_logits(model)
        x, _ = pair.corrupted.last_logits(model)
    return CircuitInputs(model, pair, m, size, c, x)
