"""CircuitGraph: a circuit's graph drawn in layers; a top-k slider applied in the browser.

numpy only at import. The view receives the graph's nodes and the top ``max_edges`` edges by |score|
(source node, destination node, input kind, score: binary payloads, sorted by |score|), prunes the
top ``k`` of them to the edges on input-to-logits paths itself, and asks Python for the faithfulness
of a selection when the slider is released and for a node's details when it is clicked (requests
``faithfulness`` and ``node``, which run the model).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from interplay.errors import InterplayError
from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets._serialize import encode_array

MAX_EDGES = 2000
_KIND = {"": 0, "q": 1, "k": 2, "v": 3}


class CircuitGraph(RequestHandlers, BaseWidget):
    """Show a :class:`~interplay.methods.circuits.Circuit` (``interplay.circuit(...).show()``).

    Layers are rows (the input at the bottom, the logits at the top), heads and the MLP in order
    along each row; an edge's width and colour show its signed score. Drag the slider to keep the
    top-k edges (pruned to paths from the input to the logits, in the browser); on release, Python
    reports how much of the metric that circuit recovers. Hover a node to highlight its paths; click
    it for details (a head's attention pattern on a prompt, its direct logit attribution).
    """

    _esm = bundle("circuit")

    graph = traitlets.Dict().tag(sync=True)
    edge_src = traitlets.Dict().tag(sync=True)
    edge_dst = traitlets.Dict().tag(sync=True)
    edge_kind = traitlets.Dict().tag(sync=True)
    edge_score = traitlets.Dict().tag(sync=True)
    n_edges_total = traitlets.Int(0).tag(sync=True)
    k = traitlets.Int(0).tag(sync=True)
    faithfulness = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    method = traitlets.Unicode("").tag(sync=True)
    metric_label = traitlets.Unicode("").tag(sync=True)
    clean_value = traitlets.Float(0.0).tag(sync=True)
    corrupted_value = traitlets.Float(0.0).tag(sync=True)
    prompts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    prompt_index = traitlets.Int(0).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, circuit: Any, *, max_edges: int = MAX_EDGES, k: int | None = None, **kwargs: Any) -> None:
        self.circuit = circuit
        super().__init__(**kwargs)
        self._init_rpc({"faithfulness": self._faithfulness, "node": self._node})
        g = circuit.graph
        u, v = circuit.edge_order()
        u, v = u[:max_edges], v[:max_edges]
        scores = circuit.scores[u, v].astype(np.float32)
        lim = float(np.abs(scores).max()) if len(scores) else 1.0
        src = np.asarray([g.sources[a] for a in u], np.int32)
        dst = np.asarray([g.dests[b] for b in v], np.int32)
        kind = np.asarray([_KIND[g.dest_names[b].rsplit(".", 1)[-1]] if g.qkv and g.nodes[g.dests[b]].kind == "head"
                           else 0 for b in v], np.uint8)
        if k is None:
            k = circuit.n_edges if circuit.mask is not None else min(len(u), max(10, g.n_edges // 20))
        prompts = list(circuit.data.pair.clean.texts) if circuit.data is not None else []
        with self.hold_sync():
            self.graph = g.to_dict()
            self.edge_src = encode_array(src, ["edge"])
            self.edge_dst = encode_array(dst, ["edge"])
            self.edge_kind = encode_array(kind, ["edge"])
            self.edge_score = encode_array(scores, ["edge"], vmin=-lim, vmax=lim)
            self.n_edges_total = g.n_edges
            self.k = int(min(max(k, 0), len(u)))
            self.method, self.metric_label = circuit.method, circuit.metric_label
            self.clean_value, self.corrupted_value = circuit.clean_value, circuit.corrupted_value
            self.prompts = prompts[:50]
            self.title = (f"{circuit.method} circuit · {g.n_layers} layers × {g.n_heads} heads · "
                          f"{g.n_edges} edges scored, top {len(u)} shown")
            self.notes = list(circuit.notes)

    # --------------------------------------------------------------------------------- requests
    def _faithfulness(self, k: int, ablation: str = "patch") -> dict[str, Any]:
        c = self.circuit
        if c.data is None:
            raise InterplayError("this circuit has no model attached: faithfulness needs interplay.circuit's result")
        mask = c.select(int(k))
        value = c.faithfulness(mask=mask, ablation=ablation)
        out = {"k": int(k), "edges": int(mask.sum()), "value": value, "ablation": ablation,
               "metric": c.circuit_metric(mask=mask, ablation=ablation)}
        self.faithfulness = out  # survives a saved notebook
        return out

    def _node(self, name: str, prompt: int = 0) -> dict[str, Any]:
        c = self.circuit
        g = c.graph
        names = [n.name for n in g.nodes]
        if name not in names:
            raise InterplayError(f"no node {name!r} in this graph")
        node = g.nodes[names.index(name)]
        out: dict[str, Any] = {"name": name, "kind": node.kind, "layer": node.layer, "head": node.head}
        src_of = {s: i for i, s in enumerate(g.sources)}
        incoming = [i for i, d in enumerate(g.dests) if d == names.index(name)]
        edges_in = [(g.nodes[g.sources[u]].name + (f" ({g.dest_names[v].rsplit('.', 1)[-1]})" if g.qkv and node.kind == "head" else ""),
                     float(c.scores[u, v])) for v in incoming for u in np.nonzero(g.valid[:, v])[0]]
        edges_out = []
        if names.index(name) in src_of:
            u = src_of[names.index(name)]
            edges_out = [(g.dest_names[v], float(c.scores[u, v])) for v in np.nonzero(g.valid[u])[0]]
        out["incoming"] = [{"node": n, "score": s} for n, s in sorted(edges_in, key=lambda t: -abs(t[1]))[:8]]
        out["outgoing"] = [{"node": n, "score": s} for n, s in sorted(edges_out, key=lambda t: -abs(t[1]))[:8]]
        if c.data is None or node.kind in ("input", "logits"):
            return out
        model, texts = c.data.model, c.data.pair.clean.texts
        i = int(prompt)
        if not 0 <= i < len(texts):
            raise InterplayError(f"prompt {i} is out of range (0..{len(texts) - 1})")
        m = c.data.metric
        target = _item(m.answer, i) if m.kind in ("logit_diff", "prob") else None
        baseline = _item(m.wrong, i) if m.kind == "logit_diff" else None
        from interplay.methods.dla import direct_logit_attribution

        capture = [("pattern", node.layer)] if node.kind == "head" else []
        trace = model.run(texts[i], capture=capture)
        dla = direct_logit_attribution(trace, target, baseline)
        out["dla_label"] = dla.target_label
        if node.kind == "head":
            out["dla"] = float(dla.heads[node.layer, node.head])
            pattern = trace.activations[f"blocks.{node.layer}.attn.hook_pattern"][0, node.head].float().cpu().numpy()
            out["tokens"] = list(trace.str_tokens[0])
            out["pattern"] = encode_array(pattern.astype(np.float32), ["query", "key"], vmin=0.0, vmax=1.0)
        else:
            labels = list(dla.component_labels)
            label = f"L{node.layer}.mlp"
            out["dla"] = float(dla.components[labels.index(label)]) if label in labels else None
        return out


def _item(tokens: Any, i: int) -> Any:
    if tokens is None or isinstance(tokens, (str, int)):
        return tokens
    return list(tokens)[i]
