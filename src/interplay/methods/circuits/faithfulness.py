"""Faithfulness: how much of the behaviour does the circuit alone carry?

Run the clean prompts with every edge *outside* the circuit patched: the input of each node is
rebuilt as the residual stream it reads minus, for each non-circuit edge ``u -> v``, the difference
``current_u - reference_u`` of the upstream output, so along that edge ``v`` sees ``u``'s reference
value (the corrupted run's with ``ablation="patch"``, the mean over the clean prompts at that position
with ``ablation="mean"``) while along circuit edges it sees the current run. This is edge-level patching
as in Hanna et al. (2024) and Conmy et al. (2023, ACDC). Then

    faithfulness = (m(circuit) - m(corrupted)) / (m(clean) - m(corrupted))

the fraction of the metric recovered: 1 with every edge in the circuit (nothing is patched), 0 with
none (with ``ablation="patch"`` every input is then the corrupted run's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from interplay.errors import InterplayError
from interplay.methods.circuits._run import graph_pass

if TYPE_CHECKING:
    from interplay.methods.circuits._data import CircuitData
    from interplay.methods.circuits.graph import Graph

ABLATIONS = ("patch", "mean")


class References:
    """The reference node outputs per batch (corrupted run, or means over the clean prompts)."""

    def __init__(self, data: CircuitData, graph: Graph, ablation: str) -> None:
        if ablation not in ABLATIONS:
            raise InterplayError(f"ablation={ablation!r}; use 'patch' (the corrupted run) or 'mean'")
        self.data, self.graph, self.ablation = data, graph, ablation
        self._cache: dict[int, torch.Tensor] = {}
        self._mean: torch.Tensor | None = None

    def get(self, i: int, ids: torch.Tensor, mask: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
        if self.ablation == "mean":
            m = self._means()
            return m[:, None, : ids.shape[1]].expand(-1, ids.shape[0], -1, -1)
        if i not in self._cache:
            with torch.no_grad():
                self._cache[i] = graph_pass(self.data.model, self.graph, ids, mask, last).acts
        return self._cache[i]

    def _means(self) -> torch.Tensor:
        """Masked mean over the clean prompts of every node's output, per position: [sources, pos, d]."""
        if self._mean is None:
            total: torch.Tensor | None = None
            count: torch.Tensor | None = None
            width = self.data.pair.clean.ids.shape[1]
            for b in self.data.batches():
                with torch.no_grad():
                    acts = graph_pass(self.data.model, self.graph, b.clean_ids, b.mask, b.last).acts
                w = b.mask.to(acts.dtype)  # [batch, pos]
                s = torch.einsum("ubpd,bp->upd", acts, w)
                s = torch.nn.functional.pad(s, (0, 0, 0, width - s.shape[1]))
                c = torch.nn.functional.pad(w.sum(0), (0, width - w.shape[1]))
                total = s if total is None else total + s
                count = c if count is None else count + c
            assert total is not None and count is not None
            self._mean = total / count.clamp(min=1)[None, :, None]
        return self._mean


def patched_metric(data: CircuitData, graph: Graph, in_circuit: np.ndarray, refs: References) -> float:
    """The dataset's metric with every valid edge not in ``in_circuit`` ([sources, dests] bool) patched."""
    removed = torch.as_tensor(graph.valid & ~in_circuit, device=data.model.device)
    total = 0.0
    for i, b in enumerate(data.batches()):
        ref = refs.get(i, b.corrupted_ids, b.corrupted_mask, b.last)
        with torch.no_grad():
            run = graph_pass(data.model, graph, b.clean_ids, b.mask, b.last, removed=removed, reference=ref)
        total += float(b.metric(run.logits)) * b.weight
    return total


def fraction(value: float, clean: float, corrupted: float) -> float:
    span = clean - corrupted
    return float("nan") if span == 0 else float((value - corrupted) / span)


def empty_like(graph: Graph) -> np.ndarray:
    return np.zeros_like(graph.valid)
