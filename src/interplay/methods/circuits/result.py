"""The result of circuit discovery: edge scores over the graph, pruning, faithfulness and exports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from interplay.errors import InterplayError
from interplay.methods.circuits.faithfulness import References, fraction, patched_metric

if TYPE_CHECKING:
    from interplay.methods.circuits._data import CircuitData
    from interplay.methods.circuits.graph import Graph


@dataclass(frozen=True)
class Circuit:
    """Edge scores of a model's graph for one task, and (after :meth:`prune`) a chosen subgraph.

    ``scores[u, v]`` is the estimated change of the metric when edge ``u -> v`` alone carries the
    corrupted value (negative: the edge helps the clean behaviour, for a metric that is larger on the
    clean run). ``mask`` marks the edges in the circuit (every edge before pruning).
    """

    graph: Graph
    scores: npt.NDArray[np.float64]  #: [n_sources, n_dests]
    method: str
    steps: int
    metric_label: str
    clean_value: float
    corrupted_value: float
    n_prompts: int
    notes: list[str]
    mask: npt.NDArray[np.bool_] | None = None
    data: CircuitData | None = field(default=None, repr=False, compare=False)
    _refs: dict[str, References] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------------------- selection
    @property
    def in_circuit(self) -> npt.NDArray[np.bool_]:
        """Edges in the circuit, [n_sources, n_dests] (every valid edge before pruning)."""
        return self.graph.valid.copy() if self.mask is None else self.mask

    @property
    def n_edges(self) -> int:
        return int(self.in_circuit.sum())

    def edge_order(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Valid edges sorted by |score|, largest first: (source indices, destination indices)."""
        u, v = self.graph.edges()
        order = np.argsort(-np.abs(self.scores[u, v]), kind="stable")
        return u[order], v[order]

    def select(self, k: int | None = None, threshold: float | None = None) -> npt.NDArray[np.bool_]:
        """The pruned edge mask: the top ``k`` edges by |score| (or those with |score| >= threshold),
        keeping only edges on a path from the input to the logits."""
        if (k is None) == (threshold is None):
            raise InterplayError("give exactly one of k= (top-k edges by |score|) or threshold= (|score| >= it)")
        chosen = np.zeros_like(self.graph.valid)
        if k is not None:
            if k < 0:
                raise InterplayError(f"k={k} must be >= 0")
            u, v = self.edge_order()
            chosen[u[:k], v[:k]] = True
        else:
            chosen = self.graph.valid & (np.abs(self.scores) >= float(threshold))  # type: ignore[arg-type]
        return connected(self.graph, chosen)

    def prune(self, k: int | None = None, threshold: float | None = None) -> Circuit:
        """A copy whose circuit is the pruned selection (see :meth:`select`)."""
        return replace(self, mask=self.select(k, threshold))

    @property
    def nodes(self) -> list[str]:
        """Names of the nodes the circuit touches (graph order)."""
        u, v = np.nonzero(self.in_circuit)
        used = {self.graph.sources[i] for i in u} | {self.graph.dests[i] for i in v}
        return [self.graph.nodes[i].name for i in sorted(used)]

    def top_edges(self, k: int = 20) -> list[tuple[str, str, float]]:
        """The ``k`` edges with the largest |score|: (source, destination input, score)."""
        u, v = self.edge_order()
        g = self.graph
        return [(g.nodes[g.sources[a]].name, g.dest_names[b], float(self.scores[a, b])) for a, b in zip(u[:k], v[:k], strict=True)]

    # ---------------------------------------------------------------------------- faithfulness
    def _need_data(self) -> CircuitData:
        if self.data is None:
            raise InterplayError("this circuit has no model attached: faithfulness needs the result of interplay.circuit(model, ...)")
        return self.data

    def faithfulness(self, k: int | None = None, threshold: float | None = None, *, ablation: str = "patch",
                     mask: npt.NDArray[np.bool_] | None = None) -> float:
        """Fraction of the metric recovered by the circuit (the pruned one, or top ``k`` / ``threshold``):
        ``(m(circuit) - m(corrupted)) / (m(clean) - m(corrupted))``; every other edge patched from the
        corrupted run (``ablation="patch"``) or mean-ablated (``"mean"``)."""
        return fraction(self.circuit_metric(k, threshold, ablation=ablation, mask=mask), self.clean_value,
                        self.corrupted_value)

    def circuit_metric(self, k: int | None = None, threshold: float | None = None, *, ablation: str = "patch",
                       mask: npt.NDArray[np.bool_] | None = None) -> float:
        """The metric of the run in which only the circuit's edges carry the clean values."""
        data = self._need_data()
        if mask is None:
            mask = self.in_circuit if k is None and threshold is None else self.select(k, threshold)
        if ablation not in self._refs:
            self._refs[ablation] = References(data, self.graph, ablation)
        return patched_metric(data, self.graph, np.asarray(mask, bool), self._refs[ablation])

    def faithfulness_curve(self, ks: list[int] | None = None, *, ablation: str = "patch") -> dict[str, list[float]]:
        """Faithfulness of the top-k circuit for each k (default: ~12 sizes from 1 to every edge)."""
        if ks is None:
            n = self.graph.n_edges
            ks = sorted({round(float(x)) for x in np.geomspace(1, n, 12)})
        values = [self.faithfulness(k, ablation=ablation) for k in ks]
        kept = [int(self.select(k).sum()) for k in ks]
        return {"k": [float(k) for k in ks], "edges": [float(e) for e in kept], "faithfulness": values}

    # --------------------------------------------------------------------------------- exports
    def to_dataframe(self) -> Any:
        """One row per valid edge: source, destination, score, |score| rank, in_circuit."""
        import pandas as pd

        g = self.graph
        u, v = self.edge_order()
        mask = self.in_circuit
        return pd.DataFrame({
            "source": [g.nodes[g.sources[a]].name for a in u], "destination": [g.dest_names[b] for b in v],
            "score": self.scores[u, v], "rank": np.arange(len(u)), "in_circuit": mask[u, v],
        })

    def to_networkx(self, *, all_edges: bool = False) -> Any:
        """A ``networkx.DiGraph`` of the circuit (``all_edges=True``: every scored edge); node attributes
        ``kind``, ``layer``, ``head``; edge attributes ``score`` (summed over q/k/v inputs) and ``inputs``."""
        import networkx as nx  # type: ignore[import-untyped]

        g = self.graph
        mask = g.valid if all_edges else self.in_circuit
        out = nx.DiGraph(method=self.method, metric=self.metric_label)
        for u, v in zip(*np.nonzero(mask), strict=True):
            a, b = g.nodes[g.sources[u]], g.nodes[g.dests[v]]
            for n in (a, b):
                out.add_node(n.name, kind=n.kind, layer=n.layer, head=n.head)
            if out.has_edge(a.name, b.name):
                out[a.name][b.name]["score"] += float(self.scores[u, v])
                out[a.name][b.name]["inputs"].append(g.dest_names[v])
            else:
                out.add_edge(a.name, b.name, score=float(self.scores[u, v]), inputs=[g.dest_names[v]])
        return out

    def to_dict(self, max_edges: int | None = None) -> dict[str, Any]:
        u, v = self.edge_order()
        if max_edges is not None:
            u, v = u[:max_edges], v[:max_edges]
        mask = self.in_circuit
        return {"graph": self.graph.to_dict(), "method": self.method, "steps": self.steps,
                "metric": self.metric_label, "clean_value": self.clean_value, "corrupted_value": self.corrupted_value,
                "n_prompts": self.n_prompts, "notes": self.notes,
                "edges": [{"source": int(a), "dest": int(b), "score": float(self.scores[a, b]), "in_circuit": bool(mask[a, b])}
                          for a, b in zip(u, v, strict=True)]}

    def to_json(self, path: str | None = None, *, max_edges: int | None = None) -> str:
        """The graph, the scores of every edge (or the ``max_edges`` largest) and the selection, as JSON."""
        text = json.dumps(self.to_dict(max_edges))
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def layout(self) -> dict[str, tuple[float, float]]:
        """Node positions for drawings: layers as rows (input at the bottom, logits at the top)."""
        g = self.graph
        pos: dict[str, tuple[float, float]] = {}
        mid = g.n_heads / 2
        for n in g.nodes:
            if n.kind == "input":
                pos[n.name] = (mid, 0.0)
            elif n.kind == "logits":
                pos[n.name] = (mid, 2.0 * g.n_layers + 1)
            elif n.kind == "head":
                pos[n.name] = (float(n.head), 2.0 * n.layer + 1)
            else:
                pos[n.name] = (mid, 2.0 * n.layer + 2) if not g.parallel else (float(g.n_heads) + 0.5, 2.0 * n.layer + 1)
        return pos

    def plot(self, k: int | None = 100, ax: Any = None) -> Any:
        """A matplotlib drawing of the circuit (the pruned one, or its top ``k`` edges): layers as rows,
        edge width by |score|, red = positive, blue = negative."""
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection

        g = self.graph
        mask = self.in_circuit if self.mask is not None or k is None else self.select(k)
        pos = self.layout()
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.6 * g.n_heads + 2), max(4.0, 0.9 * g.n_layers + 2)))
        u, v = np.nonzero(mask)
        s = self.scores[u, v]
        lim = float(np.abs(s).max()) if len(s) else 1.0
        segs = [[pos[g.nodes[g.sources[a]].name], pos[g.nodes[g.dests[b]].name]] for a, b in zip(u, v, strict=True)]
        colors = ["#c0392b" if x > 0 else "#2c6fbb" for x in s]
        widths = 0.4 + 3.0 * np.abs(s) / (lim or 1.0)
        ax.add_collection(LineCollection(segs, colors=colors, linewidths=widths, alpha=0.7, zorder=1))
        used = set(self.nodes)
        for n in g.nodes:
            x, y = pos[n.name]
            on = n.name in used
            ax.scatter([x], [y], s=160 if on else 30, c="#333" if on else "#ccc", zorder=2,
                       marker="s" if n.kind == "mlp" else "o")
            if on:
                ax.annotate(n.name, (x, y), textcoords="offset points", xytext=(0, 9), ha="center", fontsize=7)
        ax.set_title(f"{self.method} circuit: {int(mask.sum())} edges · {self.metric_label}")
        ax.set_axis_off()
        ax.autoscale()
        return ax

    def show(self, **kwargs: Any) -> Any:
        """The interactive :class:`~interplay.CircuitGraph` widget."""
        from interplay.widgets.circuit import CircuitGraph

        return CircuitGraph(self, **kwargs)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(f"Circuit({self.method}, {self.graph.n_layers} layers x {self.graph.n_heads} heads, "
               f"{self.n_edges}/{self.graph.n_edges} edges, metric {self.metric_label}: clean {self.clean_value:.4g}, "
               f"corrupted {self.corrupted_value:.4g})")


def connected(graph: Graph, chosen: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``chosen`` restricted to edges whose source is reachable from the input and whose destination
    node reaches the logits through chosen edges."""
    n_nodes = len(graph.nodes)
    src_node = np.asarray(graph.sources)
    dst_node = np.asarray(graph.dests)
    fwd = np.zeros(n_nodes, bool)
    fwd[0] = True
    for v in np.argsort(dst_node, kind="stable"):  # destinations in node (topological) order
        if chosen[:, v].any() and fwd[src_node[chosen[:, v]]].any():
            fwd[dst_node[v]] = True
    back = np.zeros(n_nodes, bool)
    back[n_nodes - 1] = True
    for u in np.argsort(-src_node, kind="stable"):  # sources in reverse order
        if chosen[u].any() and back[dst_node[chosen[u]]].any():
            back[src_node[u]] = True
    out: npt.NDArray[np.bool_] = chosen & fwd[src_node][:, None] & back[dst_node][None, :]
    return out
