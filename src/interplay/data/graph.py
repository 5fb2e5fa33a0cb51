"""The computational graph of a transformer at head / MLP granularity.

Nodes are the input embeddings, every attention head, every MLP and the logits. The residual
stream makes the model a complete DAG: every node's output is added to the stream, and every later
node reads the stream, so there is an edge from each upstream node to each downstream node's input.
A head in layer ``l`` reads the embeddings and all heads and MLPs of layers ``< l``; the MLP of layer
``l`` also reads the heads of layer ``l`` in a sequential block (GPT-2, Llama), but not when attention
and MLP run in parallel (GPT-NeoX ``use_parallel_residual``); the logits read everything.

With ``qkv=True`` a head has three inputs (its query, key and value inputs), so every edge into a
head becomes three edges. Upstream nodes ("sources") and node inputs ("destinations") are indexed
separately; ``valid[u, v]`` says whether source ``u`` feeds destination ``v``.

numpy only: a circuit result rebuilds its graph from four numbers (``make_graph`` is cached, and
its graphs are read-only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Node:
    name: str  #: "input", "L3.H7", "MLP3", "logits"
    kind: str  #: "input", "head", "mlp", "logits"
    layer: int  #: -1 for the input, n_layers for the logits
    head: int = -1


@dataclass(frozen=True)
class Graph:
    """Nodes, sources (nodes with an output), destinations (node inputs) and the valid edges."""

    n_layers: int
    n_heads: int
    qkv: bool
    parallel: bool
    nodes: list[Node]
    sources: list[int]  #: node index of each source
    dests: list[int]  #: node index of each destination
    dest_names: list[str]  #: "L3.H7", "L3.H7.q", "MLP3", "logits"
    valid: npt.NDArray[np.bool_] = field(repr=False)  #: [n_sources, n_dests]

    @property
    def n_edges(self) -> int:
        return int(self.valid.sum())

    @property
    def q(self) -> int:
        """Inputs per head: 3 with separate q/k/v inputs, else 1."""
        return 3 if self.qkv else 1

    # source indices: 0 = input, then per layer its heads then its MLP
    def src_head(self, layer: int, head: int) -> int:
        return 1 + layer * (self.n_heads + 1) + head

    def src_mlp(self, layer: int) -> int:
        return 1 + layer * (self.n_heads + 1) + self.n_heads

    # destination indices: per layer its head inputs (q-major when qkv) then its MLP; the logits last
    def dst_heads(self, layer: int) -> slice:
        start = layer * (self.n_heads * self.q + 1)
        return slice(start, start + self.n_heads * self.q)

    def dst_mlp(self, layer: int) -> int:
        return layer * (self.n_heads * self.q + 1) + self.n_heads * self.q

    @property
    def dst_logits(self) -> int:
        return len(self.dests) - 1

    def upstream(self, layer: int, *, mlp: bool = False) -> int:
        """How many sources (a prefix) feed the heads (or, ``mlp=True``, the MLP) of ``layer``."""
        n = 1 + layer * (self.n_heads + 1)
        return n + self.n_heads if mlp and not self.parallel else n

    def edges(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(source index, destination index) of every valid edge, in row-major order."""
        u, v = np.nonzero(self.valid)
        return u.astype(np.int64), v.astype(np.int64)

    def edge_name(self, u: int, v: int) -> str:
        return f"{self.nodes[self.sources[u]].name}->{self.dest_names[v]}"

    def to_dict(self) -> dict[str, Any]:
        return {"n_layers": self.n_layers, "n_heads": self.n_heads, "qkv": self.qkv, "parallel": self.parallel,
                "nodes": [{"name": n.name, "kind": n.kind, "layer": n.layer, "head": n.head} for n in self.nodes],
                "dests": self.dest_names}


@lru_cache(maxsize=16)
def make_graph(n_layers: int, n_heads: int, *, qkv: bool = False, parallel: bool = False) -> Graph:
    """The graph of a model with ``n_layers`` blocks of ``n_heads`` heads and one MLP each."""
    nodes = [Node("input", "input", -1)]
    sources = [0]
    dests: list[int] = []
    dest_names: list[str] = []
    for layer in range(n_layers):
        for head in range(n_heads):
            nodes.append(Node(f"L{layer}.H{head}", "head", layer, head))
            sources.append(len(nodes) - 1)
        nodes.append(Node(f"MLP{layer}", "mlp", layer))
        sources.append(len(nodes) - 1)
    nodes.append(Node("logits", "logits", n_layers))
    for layer in range(n_layers):
        first = 1 + layer * (n_heads + 1)
        letters = ("q", "k", "v") if qkv else ("",)
        for letter in letters:  # q-major: all heads' q inputs, then k, then v
            for head in range(n_heads):
                dests.append(first + head)
                dest_names.append(f"L{layer}.H{head}" + (f".{letter}" if letter else ""))
        dests.append(first + n_heads)
        dest_names.append(f"MLP{layer}")
    dests.append(len(nodes) - 1)
    dest_names.append("logits")
    g = Graph(n_layers, n_heads, qkv, parallel, nodes, sources, dests, dest_names, np.zeros(0, bool))
    valid = np.zeros((len(sources), len(dests)), dtype=bool)
    for layer in range(n_layers):
        valid[: g.upstream(layer), g.dst_heads(layer)] = True
        valid[: g.upstream(layer, mlp=True), g.dst_mlp(layer)] = True
    valid[:, g.dst_logits] = True
    valid.flags.writeable = False
    object.__setattr__(g, "valid", valid)
    return g


def expected_edges(n_layers: int, n_heads: int, *, qkv: bool = False, parallel: bool = False) -> int:
    """The closed form of :attr:`Graph.n_edges` (tests compare the two)."""
    L, H, Q = n_layers, n_heads, (3 if qkv else 1)
    before = L + (H + 1) * L * (L - 1) // 2  # sum over layers of 1 + l (H + 1)
    return H * Q * before + before + (0 if parallel else L * H) + 1 + L * (H + 1)


def connected(graph: Graph, chosen: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``chosen`` ([n_sources, n_dests] bool) restricted to the edges on a path from the input to the
    logits through chosen edges: the source is reached from the input, the destination's node
    reaches the logits. Node indices are topological, so one pass each way suffices."""
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
