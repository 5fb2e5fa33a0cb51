"""CircuitResult: edge scores over a model's graph (data), pruning and exports (numpy), and
faithfulness through the live model (session).

Everything that reads the scores works on a result loaded from a file: selecting and pruning,
``top_edges``, ``nodes``, ``to_dataframe`` / ``to_networkx`` / ``to_json``, ``plot`` and ``show``.
Faithfulness runs the model with every edge outside the circuit patched, so it needs the session
(:class:`~interplay.widgets.circuit.CircuitSource`) and raises
:class:`~interplay.errors.NeedsModelError` without one.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.circuit import CircuitData, count
from interplay.data.graph import Graph
from interplay.errors import InterplayError, ShapeError
from interplay.results.base import Result
from interplay.widgets.circuit import CircuitSource, CircuitView

ABLATIONS = ("patch", "mean")


class CircuitResult(Result[CircuitData, CircuitSource]):
    """Edge scores of a model's graph for one behaviour (``data``, a :class:`CircuitData`), and
    after :meth:`prune` a chosen subgraph.

    ``scores[u, v]`` is the estimated change of the metric when edge ``u -> v`` alone carries the
    corrupted value (negative: the edge helps the clean behaviour, for a metric that is larger on
    the clean run). ``in_circuit`` marks the edges in the circuit (every edge before pruning).
    """

    DATA = CircuitData
    RECOMPUTE = "interplay.circuit(model, clean, corrupted)"

    # ------------------------------------------------------------------------------- selection
    @property
    def graph(self) -> Graph:
        return self.data.graph

    @property
    def in_circuit(self) -> npt.NDArray[np.bool_]:
        """Edges in the circuit, [n_sources, n_dests] (every valid edge before pruning)."""
        return self.data.in_circuit

    @property
    def n_edges(self) -> int:
        return self.data.n_edges

    def edge_order(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Valid edges sorted by |score|, largest first: (source indices, destination indices)."""
        return self.data.edge_order()

    def select(self, k: int | None = None, threshold: float | None = None) -> npt.NDArray[np.bool_]:
        """The pruned edge mask: the top ``k`` edges by |score| (or those with |score| >= threshold),
        keeping only edges on a path from the input to the logits."""
        return self.data.select(k, threshold)

    def prune(self, k: int | None = None, threshold: float | None = None) -> CircuitResult:
        """A result (the same session) whose circuit is the pruned selection (see :meth:`select`)."""
        return CircuitResult(dataclasses.replace(self.data, mask=self.select(k, threshold), faithfulness=None),
                             self.session)

    @property
    def nodes(self) -> list[str]:
        """Names of the nodes the circuit touches (graph order)."""
        g = self.graph
        u, v = np.nonzero(self.in_circuit)
        used = {g.sources[i] for i in u} | {g.dests[i] for i in v}
        return [g.nodes[i].name for i in sorted(used)]

    def top_edges(self, k: int = 20) -> list[tuple[str, str, float]]:
        """The ``k`` edges with the largest |score|: (source, destination input, score)."""
        k = count(k, "k")
        u, v = self.edge_order()
        g = self.graph
        return [(g.nodes[g.sources[a]].name, g.dest_names[b], float(self.data.scores[a, b]))
                for a, b in zip(u[:k], v[:k], strict=True)]

    # ---------------------------------------------------------------------------- faithfulness
    def _mask(self, k: int | None, threshold: float | None, mask: Any) -> npt.NDArray[np.bool_]:
        if mask is None:
            return self.in_circuit if k is None and threshold is None else self.select(k, threshold)
        if k is not None or threshold is not None:
            raise InterplayError("give mask= or k= / threshold=, not both")
        arr = np.asarray(mask)
        if arr.shape != self.graph.valid.shape or arr.dtype != np.bool_:
            raise ShapeError(f"mask must be a bool array [n_sources, n_dests] = {list(self.graph.valid.shape)} "
                             f"(like result.in_circuit); got {arr.dtype} {list(arr.shape)}")
        return arr & self.graph.valid

    def circuit_metric(self, k: int | None = None, threshold: float | None = None, *, ablation: str = "patch",
                       mask: npt.NDArray[np.bool_] | None = None) -> float:
        """The metric of the run in which only the circuit's edges carry the clean values (the
        pruned circuit, the top ``k`` / ``threshold`` edges, or ``mask``)."""
        if ablation not in ABLATIONS:
            raise InterplayError(f"ablation={ablation!r}; use 'patch' (the corrupted run) or 'mean' (mean over the "
                                 "clean prompts)")
        chosen = self._mask(k, threshold, mask)
        return self._live("faithfulness").circuit_metric(chosen, ablation)

    def faithfulness(self, k: int | None = None, threshold: float | None = None, *, ablation: str = "patch",
                     mask: npt.NDArray[np.bool_] | None = None) -> float:
        """Fraction of the metric recovered by the circuit (as in :meth:`circuit_metric`):
        ``(m(circuit) - m(corrupted)) / (m(clean) - m(corrupted))``; every other edge patched from
        the corrupted run (``ablation="patch"``) or mean-ablated (``"mean"``)."""
        return self.data.fraction(self.circuit_metric(k, threshold, ablation=ablation, mask=mask))

    def with_faithfulness(self, k: int | None = None, *, ablation: str = "patch") -> CircuitResult:
        """A copy whose data records the faithfulness of its circuit (or of the top ``k``): its view
        shows it, and it stays in a saved file, where no model can measure it again."""
        chosen = self._mask(k, None, None)
        metric = self.circuit_metric(mask=chosen, ablation=ablation)
        record = {"k": k, "edges": int(chosen.sum()), "value": self.data.fraction(metric), "ablation": ablation,
                  "metric": metric}
        return CircuitResult(dataclasses.replace(self.data, faithfulness=record), self.session)

    def faithfulness_curve(self, ks: list[int] | None = None, *, ablation: str = "patch") -> dict[str, list[float]]:
        """Faithfulness of the top-k circuit for each k (default: ~12 sizes from 1 to every edge):
        ``{"k": [...], "edges": [edges kept after pruning], "faithfulness": [...]}``."""
        if ks is None:
            ks = sorted({round(float(x)) for x in np.geomspace(1, max(1, self.graph.n_edges), 12)})
        masks = [self.select(count(k, "ks[i]")) for k in ks]
        values = [self.faithfulness(mask=m, ablation=ablation) for m in masks]
        return {"k": [float(k) for k in ks], "edges": [float(m.sum()) for m in masks], "faithfulness": values}

    # --------------------------------------------------------------------------------- exports
    def to_dataframe(self) -> Any:
        """One row per valid edge, strongest first: source, destination, score, rank, in_circuit."""
        import pandas as pd

        g = self.graph
        u, v = self.edge_order()
        mask = self.in_circuit
        return pd.DataFrame({
            "source": [g.nodes[g.sources[a]].name for a in u], "destination": [g.dest_names[b] for b in v],
            "score": self.data.scores[u, v], "rank": np.arange(len(u)), "in_circuit": mask[u, v],
        })

    def to_networkx(self, *, all_edges: bool = False) -> Any:
        """A ``networkx.DiGraph`` of the circuit (``all_edges=True``: every scored edge); node
        attributes ``kind``, ``layer``, ``head``; edge attributes ``score`` (summed over q/k/v
        inputs) and ``inputs``."""
        import networkx as nx  # type: ignore[import-untyped]

        g, scores = self.graph, self.data.scores
        mask = g.valid if all_edges else self.in_circuit
        out = nx.DiGraph(method=self.data.method, metric=self.data.metric_label)
        for u, v in zip(*np.nonzero(mask), strict=True):
            a, b = g.nodes[g.sources[u]], g.nodes[g.dests[v]]
            for n in (a, b):
                out.add_node(n.name, kind=n.kind, layer=n.layer, head=n.head)
            if out.has_edge(a.name, b.name):
                out[a.name][b.name]["score"] += float(scores[u, v])
                out[a.name][b.name]["inputs"].append(g.dest_names[v])
            else:
                out.add_edge(a.name, b.name, score=float(scores[u, v]), inputs=[g.dest_names[v]])
        return out

    def to_dict(self, max_edges: int | None = None) -> dict[str, Any]:
        """The graph, the metadata and every edge (or the ``max_edges`` strongest), as plain values."""
        d = self.data
        u, v = self.edge_order()
        if max_edges is not None:
            n = count(max_edges, "max_edges")
            u, v = u[:n], v[:n]
        mask = self.in_circuit
        return {"graph": self.graph.to_dict(), "method": d.method, "steps": d.steps, "metric": d.metric_label,
                "clean_value": d.clean_value, "corrupted_value": d.corrupted_value, "n_prompts": d.n_prompts,
                "notes": d.notes,
                "edges": [{"source": int(a), "dest": int(b), "score": float(d.scores[a, b]), "in_circuit": bool(mask[a, b])}
                          for a, b in zip(u, v, strict=True)]}

    def to_json(self, path: str | None = None, *, max_edges: int | None = None) -> str:
        """:meth:`to_dict` as JSON text (written to ``path`` too, when given)."""
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

    def plot(self, ax: Any = None, *, k: int | None = 100) -> Any:
        """A matplotlib drawing of the circuit (the pruned one, or its top ``k`` edges): layers as
        rows, edge width by |score|, red = positive, blue = negative."""
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection

        g = self.graph
        mask = self.in_circuit if self.data.mask is not None or k is None else self.select(k)
        pos = self.layout()
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.6 * g.n_heads + 2), max(4.0, 0.9 * g.n_layers + 2)))
        u, v = np.nonzero(mask)
        s = self.data.scores[u, v]
        lim = float(np.abs(s).max()) if len(s) else 1.0
        segs = [[pos[g.nodes[g.sources[a]].name], pos[g.nodes[g.dests[b]].name]] for a, b in zip(u, v, strict=True)]
        colors = ["#c0392b" if x > 0 else "#2c6fbb" for x in s]
        widths = 0.4 + 3.0 * np.abs(s) / (lim or 1.0)
        ax.add_collection(LineCollection(segs, colors=colors, linewidths=widths, alpha=0.7, zorder=1))
        used = {g.nodes[g.sources[a]].name for a in u} | {g.nodes[g.dests[b]].name for b in v}
        for n in g.nodes:
            x, y = pos[n.name]
            on = n.name in used
            ax.scatter([x], [y], s=160 if on else 30, c="#333" if on else "#ccc", zorder=2,
                       marker="s" if n.kind == "mlp" else "o")
            if on:
                ax.annotate(n.name, (x, y), textcoords="offset points", xytext=(0, 9), ha="center", fontsize=7)
        ax.set_title(f"{self.data.method} circuit: {int(mask.sum())} edges · {self.data.metric_label}")
        ax.set_axis_off()
        ax.autoscale()
        return ax

    def show(self, **kwargs: Any) -> CircuitView:
        """The interactive :class:`~interplay.widgets.circuit.CircuitView` (``max_edges=``, ``k=``)."""
        return CircuitView(self.data, self.session, **kwargs)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        d, g = self.data, self.graph
        p.text(f"CircuitResult({d.method}, {g.n_layers} layers x {g.n_heads} heads, {self.n_edges}/{g.n_edges} "
               f"edges, metric {d.metric_label}: clean {d.clean_value:.4g}, corrupted {d.corrupted_value:.4g}"
               f"{'' if self.live else ', no model'})")
