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
import numpy.typing as npt
import torch

from interplay.errors import InterplayError
from interplay.methods.attribution.engine import is_out_of_memory
from interplay.methods.circuits.engine import graph_pass
from interplay.results.circuit import ABLATIONS

if TYPE_CHECKING:
    from interplay.data.graph import Graph
    from interplay.methods._inputs import Prompts
    from interplay.methods.circuits.inputs import CircuitInputs


class References:
    """The reference node outputs per batch (corrupted run, or means over the clean prompts)."""

    def __init__(self, data: CircuitInputs, graph: Graph, ablation: str) -> None:
        if ablation not in ABLATIONS:
            raise InterplayError(f"ablation={ablation!r}; use 'patch' (the corrupted run) or 'mean'")
        self.data, self.graph, self.ablation = data, graph, ablation
        self._cache: dict[int, torch.Tensor] = {}
        self._mean: torch.Tensor | None = None

    def get(self, i: int, corrupted: Prompts) -> torch.Tensor:
        """The reference outputs [sources, batch, pos, d_model] for batch ``i`` (its corrupted prompts)."""
        if self.ablation == "mean":
            m = self._means()
            return m[:, None, : corrupted.ids.shape[1]].expand(-1, corrupted.n, -1, -1)
        if i not in self._cache:
            with torch.no_grad():
                self._cache[i] = graph_pass(self.data.model, self.graph, corrupted).acts
        return self._cache[i]

    def _means(self) -> torch.Tensor:
        """Masked mean over the clean prompts of every node's output, per position: [sources, pos, d]."""
        if self._mean is None:
            total: torch.Tensor | None = None
            count: torch.Tensor | None = None
            width = self.data.pair.clean.ids.shape[1]
            for b in self.data.batches():
                with torch.no_grad():
                    acts = graph_pass(self.data.model, self.graph, b.clean).acts
                w = b.clean.mask.to(acts.dtype)  # [batch, pos]
                s = torch.einsum("ubpd,bp->upd", acts, w)
                s = torch.nn.functional.pad(s, (0, 0, 0, width - s.shape[1]))
                c = torch.nn.functional.pad(w.sum(0), (0, width - w.shape[1]))
                total = s if total is None else total + s
                count = c if count is None else count + c
            assert total is not None and count is not None
            self._mean = total / count.clamp(min=1)[None, :, None]
        return self._mean


def patched_metric(data: CircuitInputs, graph: Graph, in_circuit: npt.NDArray[np.bool_], refs: References) -> float:
    """The dataset's metric with every valid edge not in ``in_circuit`` ([sources, dests] bool) patched."""
    removed = torch.as_tensor(graph.valid & ~in_circuit, device=data.model.device)
    total = 0.0
    try:
        for i, b in enumerate(data.batches()):
            ref = refs.get(i, b.corrupted)
            with torch.no_grad():
                run = graph_pass(data.model, graph, b.clean, removed=removed, reference=ref)
            total += float(b.metric(run.logits)) * b.weight
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        raise InterplayError(f"out of memory measuring faithfulness with batch_size={data.batch_size} prompt pair(s) "
                             "per pass: build the circuit with a smaller batch_size (or fewer, shorter prompts)"
                             ) from exc
    return total

