"""The numpy behind CircuitView: the edges it sends, a node's strongest edges, faithfulness answers.

Everything here reads a :class:`~interplay.data.circuit.CircuitData` alone, so a view of a saved
circuit still lists a clicked node's edges; only the attention pattern and the direct logit
attribution need the live model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.circuit import CircuitData
from interplay.errors import InterplayError

_KIND = {"q": 1, "k": 2, "v": 3}


def edge_arrays(data: CircuitData, max_edges: int) -> dict[str, npt.NDArray[Any]]:
    """The top ``max_edges`` edges by |score| as node indices (``src``, ``dst``), input kind
    (``kind``: 0 the node's whole input, 1/2/3 its query/key/value input) and ``score``."""
    g = data.graph
    u, v = data.edge_order()
    u, v = u[:max_edges], v[:max_edges]
    sources, dests = np.asarray(g.sources), np.asarray(g.dests)
    letters = [g.dest_names[b].rsplit(".", 1)[-1] for b in v] if g.qkv else []
    kind = np.asarray([_KIND.get(x, 0) for x in letters] if g.qkv else np.zeros(len(v)), np.uint8)
    return {"src": sources[u].astype(np.int32), "dst": dests[v].astype(np.int32), "kind": kind,
            "score": data.scores[u, v].astype(np.float32)}


def default_k(data: CircuitData) -> int:
    """The slider's start: for a pruned circuit the fewest top edges whose selection is exactly its
    mask (the rank of its weakest edge, plus one); else ~5% of the edges (at least 10)."""
    if data.mask is None:
        return max(10, data.graph.n_edges // 20)
    u, v = data.edge_order()
    ranks = np.flatnonzero(data.mask[u, v])
    return int(ranks[-1]) + 1 if len(ranks) else 0


def node_edges(data: CircuitData, name: str, limit: int = 8) -> dict[str, Any]:
    """A node's kind, layer and head, and its ``limit`` strongest incoming and outgoing edges by
    |score| (``{"node": name, "score": s}``; an incoming edge into a head's q/k/v input says which)."""
    g = data.graph
    names = [n.name for n in g.nodes]
    if name not in names:
        shown = ", ".join([*names[:4], "...", *names[-2:]])
        raise InterplayError(f"no node {name!r} in this graph; its nodes are named {shown}")
    index = names.index(name)
    node = g.nodes[index]
    dests = np.flatnonzero(np.asarray(g.dests) == index)
    edges_in: list[tuple[str, float]] = []
    for v in dests:
        letter = f" ({g.dest_names[v].rsplit('.', 1)[-1]})" if g.qkv and node.kind == "head" else ""
        edges_in += [(names[g.sources[u]] + letter, float(data.scores[u, v])) for u in np.flatnonzero(g.valid[:, v])]
    edges_out: list[tuple[str, float]] = []
    if index in g.sources:
        u = g.sources.index(index)
        edges_out = [(g.dest_names[v], float(data.scores[u, v])) for v in np.flatnonzero(g.valid[u])]

    def strongest(edges: list[tuple[str, float]]) -> list[dict[str, Any]]:
        return [{"node": n, "score": s} for n, s in sorted(edges, key=lambda t: -abs(t[1]))[:limit]]

    return {"name": name, "kind": node.kind, "layer": node.layer, "head": node.head,
            "incoming": strongest(edges_in), "outgoing": strongest(edges_out)}


def known_faithfulness(data: CircuitData, mask: npt.NDArray[np.bool_], ablation: str) -> dict[str, Any] | None:
    """The data's recorded faithfulness when it was measured for exactly ``mask`` and ``ablation``."""
    f = data.faithfulness
    if f is None or f.get("ablation") != ablation:
        return None
    measured = data.in_circuit if f.get("k") is None else data.select(k=int(f["k"]))
    return f if np.array_equal(measured, mask) else None
