"""CircuitView: a circuit's graph drawn in layers; a top-k slider applied in the browser.

numpy only. The view shows a :class:`~interplay.data.circuit.CircuitData`: it sends the graph's
nodes and the top ``max_edges`` edges by |score| (source node, destination node, input kind,
score: binary payloads, sorted by |score|); the browser prunes the top ``k`` of them to the edges
on input-to-logits paths itself. Two requests come back: ``faithfulness`` (on the slider's
release: how much of the metric that circuit recovers) and ``node`` (on a click: the node's
strongest edges, from the data, and for a head or MLP what its :class:`CircuitSource` computes:
the attention pattern on a prompt and the direct logit attribution). Without a source both say
that the model-dependent part needs a live model; the edges are listed anyway.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import traitlets

from interplay.data.circuit import CircuitData, count
from interplay.errors import InterplayError
from interplay.widgets._base import BaseWidget, bundle, needs_model, view_input
from interplay.widgets._circuit_parts import default_k, edge_arrays, known_faithfulness, node_edges
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets._serialize import encode_array
from interplay.widgets.traits import Array, Index, Selection, SelectionError

MAX_EDGES = 2000
_HINT = "Recompute the circuit with the model: interplay.circuit(model, clean, corrupted).show()"


class CircuitSource(Protocol):
    """What a CircuitView may ask the live model (numpy in, numbers and plain dicts out)."""

    def circuit_metric(self, mask: npt.NDArray[np.bool_], ablation: str) -> float:
        """The metric when only the edges in ``mask`` ([n_sources, n_dests] bool) carry clean
        values and every other edge is patched (``ablation``: ``"patch"`` or ``"mean"``)."""
        ...

    def node(self, name: str, prompt: int) -> dict[str, Any]:
        """A head's or MLP's live details on clean prompt ``prompt``: ``dla`` (its direct logit
        attribution, or None) and ``dla_label``; for a head also ``tokens`` and ``pattern``
        ([query, key] float array)."""
        ...


class CircuitView(RequestHandlers, BaseWidget):
    """``CircuitView(data, source=None, *, max_edges=2000, k=None)``; usually ``circuit.show()``.

    Layers are rows (the input at the bottom, the logits at the top), heads and the MLP in order
    along each row; an edge's width and colour show its signed score. Drag the slider to keep the
    top-k edges (pruned to paths from the input to the logits, in the browser); on release, the
    model reports how much of the metric that circuit recovers. Hover a node to highlight its
    paths; click it for its strongest edges and, with a model, its attention pattern and direct
    logit attribution. ``k`` starts where the selection is a pruned circuit's own (else at ~5% of
    the edges).
    """

    _esm = bundle("circuit")

    graph = traitlets.Dict().tag(sync=True)
    edge_src = Array(("edge",), np.int32)
    edge_dst = Array(("edge",), np.int32)
    edge_kind = Array(("edge",), np.uint8)
    edge_score = Array(("edge",), np.float32, limits=lambda w, a: (-w._limit, w._limit))
    n_edges_total = traitlets.Int(0).tag(sync=True)
    k = traitlets.Int(0).tag(sync=True)
    faithfulness = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    method = traitlets.Unicode("").tag(sync=True)
    metric_label = traitlets.Unicode("").tag(sync=True)
    clean_value = traitlets.Float(0.0).tag(sync=True)
    corrupted_value = traitlets.Float(0.0).tag(sync=True)
    prompts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    prompt_index = Index(lambda w: max(1, len(w.prompts)))
    title = traitlets.Unicode("").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = Selection({"node": lambda w: w._node_names})

    def __init__(self, data: CircuitData, source: CircuitSource | None = None, *, max_edges: int = MAX_EDGES,
                 k: int | None = None, prompt_index: int = 0, **kwargs: Any) -> None:
        data, source = view_input(data, source, CircuitData, "CircuitView",
                                  "use interplay.circuit(model, clean, corrupted).show()")
        self.data, self.source = data, source
        g = data.graph
        self._node_names = {n.name for n in g.nodes}
        if count(max_edges, "max_edges") < 1:
            raise InterplayError(f"max_edges={max_edges} must be >= 1 (the strongest edges sent to the view)")
        edges = edge_arrays(data, max_edges)
        self._n_sent = len(edges["score"])
        self._limit = float(np.abs(edges["score"]).max()) if self._n_sent else 1.0
        super().__init__(**kwargs)
        self._init_rpc({"faithfulness": self._faithfulness, "node": self._node})
        with self.hold_sync():
            self.graph = g.to_dict()
            self.edge_src, self.edge_dst, self.edge_kind = edges["src"], edges["dst"], edges["kind"]
            self.edge_score = edges["score"]
            self.n_edges_total = g.n_edges
            self.k = min(count(default_k(data) if k is None else k, "k"), self._n_sent)
            self.method, self.metric_label = data.method, data.metric_label
            self.clean_value, self.corrupted_value = data.clean_value, data.corrupted_value
            self.prompts = list(data.prompts[:50])
            self.prompt_index = prompt_index
            self.title = (f"{data.method} circuit · {g.n_layers} layers × {g.n_heads} heads · "
                          f"{g.n_edges} edges scored, top {self._n_sent} shown")
            self.notes = list(data.notes)
            known = known_faithfulness(data, data.select(k=self.k), "patch")
            if known is not None:
                self.faithfulness = {**known, "k": self.k}

    @traitlets.validate("k")
    def _check_k(self, proposal: dict[str, Any]) -> int:
        k = proposal["value"]
        if not 0 <= k <= getattr(self, "_n_sent", 0):
            raise SelectionError(f"CircuitView.k = {k} is out of range: 0..{getattr(self, '_n_sent', 0)} "
                                 "(the edges sent to the view)")
        return int(k)

    # --------------------------------------------------------------------------------- requests
    def _faithfulness(self, k: int, ablation: str = "patch") -> dict[str, Any]:
        """The faithfulness of the top-``k`` circuit (from the data when it was measured already)."""
        mask = self.data.select(k=count(k, "k"))
        known = known_faithfulness(self.data, mask, ablation)
        if known is not None:
            return {**known, "k": int(k)}
        out: dict[str, Any] = {"k": int(k), "edges": int(mask.sum()), "value": None, "ablation": ablation}
        if self.source is None:
            return {**out, "note": "Faithfulness needs a live model (this view shows saved data)"}
        metric = self.source.circuit_metric(mask, ablation)
        out.update(value=self.data.fraction(metric), metric=metric)
        self.faithfulness = out  # survives a saved notebook
        return out

    def _node(self, name: str, prompt: int = 0) -> dict[str, Any]:
        """A node's strongest edges (from the data) and, with a source, its pattern and DLA."""
        out = node_edges(self.data, name)
        if out["kind"] in ("input", "logits"):
            return out
        n = len(self.data.prompts)
        if isinstance(prompt, bool) or not isinstance(prompt, int) or (n and not 0 <= prompt < n):
            raise InterplayError(f"prompt={prompt!r} is out of range: the circuit has {n} prompts (0..{n - 1})")
        if self.source is None:
            what = "Drawing this node's attention pattern and direct logit attribution"
            return {**out, "note": str(needs_model(what, _HINT))}
        try:
            live = dict(self.source.node(name, int(prompt)))
        except InterplayError as exc:  # the edges still show; the pane says why the rest is missing
            return {**out, "note": str(exc)}
        if live.get("pattern") is not None:
            live["pattern"] = encode_array(np.asarray(live["pattern"], np.float32), ["query", "key"], vmin=0.0, vmax=1.0)
        return {**out, **live}

    def _html_embed(self, *, faithfulness_every: int = 1) -> Any:  # type: ignore[override]
        """What ``to_html`` embeds: every node's detail as the data gives it (its strongest edges;
        patterns and DLA need the model) and the faithfulness at every k the slider reaches (the
        values measured already; a note for the rest). ``faithfulness_every``: a step over k, to
        keep a file of a very large graph small."""
        from interplay.widgets._html import Embed

        if isinstance(faithfulness_every, bool) or not isinstance(faithfulness_every, int) or faithfulness_every < 1:
            raise InterplayError(f"to_html: faithfulness_every={faithfulness_every!r} must be a whole number >= 1")
        source, self.source = self.source, None  # what the saved data answers, the same with or without a model
        try:
            requests: list[tuple[str, dict[str, Any]]] = [
                ("node", {"name": n.name, "prompt": int(self.prompt_index)}) for n in self.data.graph.nodes]
            requests += [("faithfulness", {"k": k}) for k in range(0, self._n_sent + 1, faithfulness_every)]
            answered = [(m, p, self.answer(m, p)) for m, p in requests]
        finally:
            self.source = source
        return Embed(requests=answered, note="Node details in this file show their edges; attention patterns, "
                                             "DLA and new faithfulness values need a live model.")
