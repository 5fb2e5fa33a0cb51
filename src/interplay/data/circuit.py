"""What a circuit is as data: the edge scores over a model's graph, and which edges are kept.

The graph itself is not stored: it is rebuilt from four numbers (``n_layers``, ``n_heads``,
``qkv``, ``parallel``) with :func:`~interplay.data.graph.make_graph`. ``scores[u, v]`` is the
estimated change of the metric when edge ``u -> v`` alone carries the corrupted value (0 where
there is no edge); ``mask`` marks the edges in the circuit (None: every edge, before pruning).

The selection rules live here (numpy), so that the result, the view and the live session agree:
edges are ranked by |score| (ties keep the graph's row-major order), the top ``k`` (or those with
|score| >= a threshold) are chosen, and only those on a path from the input to the logits through
chosen edges are kept (:func:`~interplay.data.graph.connected`).
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.data.graph import Graph, connected, make_graph
from interplay.errors import InterplayError, ShapeError


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CircuitData(Data):
    """Edge scores [n_sources, n_dests] of a model's graph for one behaviour, and the kept edges.

    ``clean_value`` / ``corrupted_value``: the metric on the clean and corrupted prompts;
    ``prompts``: the clean prompts (a view offers them for a node's details); ``faithfulness``:
    the last measured faithfulness, ``{"k", "edges", "value", "ablation", "metric"}`` (``k`` None:
    of ``mask``'s circuit), shown by a view that has no model.
    """

    n_layers: int
    n_heads: int
    qkv: bool
    parallel: bool
    scores: npt.NDArray[np.float64] = array(("source", "dest"), np.float64)
    method: str = "eap"
    steps: int = 1
    metric_label: str = ""
    clean_value: float = float("nan")
    corrupted_value: float = float("nan")
    n_prompts: int = 0
    mask: npt.NDArray[np.bool_] | None = array(("source", "dest"), np.bool_, optional=True)
    prompts: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    faithfulness: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("n_layers", "n_heads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ShapeError(f"CircuitData.{name}={value!r} must be a positive integer")
        g = self.graph
        want = g.valid.shape
        if self.scores.shape != want:
            raise ShapeError(f"CircuitData: scores have shape {list(self.scores.shape)}, but a graph of "
                             f"{self.n_layers} layers x {self.n_heads} heads (qkv={self.qkv}) has "
                             f"[sources, dests] = {list(want)}")
        if self.mask is not None:
            if self.mask.shape != want:
                raise ShapeError(f"CircuitData: mask has shape {list(self.mask.shape)}, the scores {list(want)}")
            if (self.mask & ~g.valid).any():
                raise ShapeError("CircuitData: mask keeps pairs that are no edges of the graph (graph.valid is False)")
        if self.prompts and len(self.prompts) != self.n_prompts:
            raise ShapeError(f"CircuitData: {len(self.prompts)} prompts for n_prompts={self.n_prompts} "
                             "(give every clean prompt, or none)")
        if self.faithfulness is not None and not {"edges", "value", "ablation"} <= set(self.faithfulness):
            raise ShapeError("CircuitData.faithfulness must hold 'k', 'edges', 'value', 'ablation' and 'metric'; "
                             f"got keys {sorted(self.faithfulness)}")

    # ------------------------------------------------------------------------------ selection
    @property
    def graph(self) -> Graph:
        """The model's graph (rebuilt, cached and read-only)."""
        return make_graph(self.n_layers, self.n_heads, qkv=self.qkv, parallel=self.parallel)

    @property
    def in_circuit(self) -> npt.NDArray[np.bool_]:
        """Edges in the circuit, [n_sources, n_dests] (every valid edge before pruning); a copy."""
        return (self.graph.valid if self.mask is None else self.mask).copy()

    @property
    def n_edges(self) -> int:
        """Edges in the circuit."""
        return int(self.graph.valid.sum() if self.mask is None else self.mask.sum())

    def edge_order(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Every valid edge sorted by |score|, largest first: (source indices, destination indices)."""
        u, v = self.graph.edges()
        order = np.argsort(-np.abs(self.scores[u, v]), kind="stable")
        return u[order], v[order]

    def select(self, k: int | None = None, threshold: float | None = None) -> npt.NDArray[np.bool_]:
        """The edge mask of the top ``k`` edges by |score| (or those with |score| >= ``threshold``),
        pruned to the edges on input-to-logits paths through chosen edges."""
        if (k is None) == (threshold is None):
            raise InterplayError("give exactly one of k= (the top k edges by |score|) or threshold= (|score| >= it)")
        g = self.graph
        chosen = np.zeros(g.valid.shape, dtype=bool)
        if k is not None:
            k = count(k, "k")
            u, v = self.edge_order()
            chosen[u[:k], v[:k]] = True
        else:
            if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not np.isfinite(threshold):
                raise InterplayError(f"threshold={threshold!r} must be a finite number (edges with |score| >= it are kept)")
            chosen = g.valid & (np.abs(self.scores) >= float(threshold))
        return connected(g, chosen)

    def fraction(self, value: float) -> float:
        """The share of the metric a run with metric ``value`` recovers:
        ``(value - corrupted) / (clean - corrupted)`` (NaN when clean equals corrupted)."""
        span = self.clean_value - self.corrupted_value
        return float("nan") if span == 0 else float((value - self.corrupted_value) / span)


def count(k: Any, name: str) -> int:
    """``k`` as a number of edges (a non-negative integer), else an error naming ``name``."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise InterplayError(f"{name}={k!r} must be a whole number of edges (an int >= 0)")
    if k < 0:
        raise InterplayError(f"{name}={k} must be >= 0: it counts the edges kept, strongest |score| first")
    return int(k)
