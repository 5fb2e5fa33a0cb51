"""CircuitGraph at the Python level: binary edge payloads, the faithfulness and node requests."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.widgets._serialize import decode_array

CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "When Mary and John went to the park, John gave a ball to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "When Mary and John went to the park, Mary gave a ball to"]


@pytest.fixture
def circuit(gpt2: Any) -> Any:
    import torch

    torch.set_num_threads(1)
    return interplay.circuit(gpt2, CLEAN, CORRUPTED, interplay.logit_diff(" Mary", " John"), qkv=True, progress=False)


def test_edges_travel_as_binary_payloads_sorted_by_magnitude(circuit: Any) -> None:
    w = circuit.show(max_edges=50, k=12)
    g = circuit.graph
    assert isinstance(w.edge_score["data"], memoryview) and isinstance(w.edge_src["data"], memoryview)
    src, dst, kind, score = (decode_array(getattr(w, t)) for t in ("edge_src", "edge_dst", "edge_kind", "edge_score"))
    assert len(score) == 50 and w.n_edges_total == g.n_edges
    assert np.all(np.diff(np.abs(score)) <= 1e-7)  # strongest first
    assert w.edge_score["vmin"] == -w.edge_score["vmax"]
    u, v = circuit.edge_order()
    np.testing.assert_allclose(score, circuit.scores[u[:50], v[:50]].astype(np.float32))
    assert [g.nodes[i].name for i in src[:5]] == [g.nodes[g.sources[a]].name for a in u[:5]]
    assert [g.nodes[i].name for i in dst[:5]] == [g.nodes[g.dests[b]].name for b in v[:5]]
    # q/k/v inputs: kind 1..3 exactly where the destination is a head's q/k/v input
    want = [{"q": 1, "k": 2, "v": 3}.get(g.dest_names[b].rsplit(".", 1)[-1], 0) for b in v[:50]]
    assert kind.tolist() == want and set(want) & {1, 2, 3}
    assert w.k == 12 and len(w.graph["nodes"]) == len(g.nodes)
    assert w.prompts == CLEAN
    json.dumps(w.graph)  # the graph is plain JSON


def test_faithfulness_request_matches_the_method(circuit: Any) -> None:
    w = circuit.show()
    out = w.answer("faithfulness", {"k": 7})
    assert out["value"] == pytest.approx(circuit.faithfulness(k=7))
    assert out["edges"] == int(circuit.select(7).sum())
    assert w.faithfulness == out
    full = w.answer("faithfulness", {"k": circuit.graph.n_edges})
    assert full["value"] == pytest.approx(1.0, abs=1e-4)


def test_node_request_gives_pattern_dla_and_edges(circuit: Any) -> None:
    w = circuit.show()
    out = w.answer("node", {"name": "L1.H2", "prompt": 1})
    pattern = decode_array(out["pattern"])
    n = len(out["tokens"])
    assert pattern.shape == (n, n) and out["pattern"]["dims"] == ["query", "key"]
    np.testing.assert_allclose(pattern.sum(1), 1.0, atol=1e-5)  # rows of an attention pattern
    assert np.allclose(np.triu(pattern, 1), 0)  # causal
    assert "Mary" in out["dla_label"] and isinstance(out["dla"], float)
    dla = interplay.direct_logit_attribution(circuit.data.model, " Mary", " John", prompt=CLEAN[1])
    assert out["dla"] == pytest.approx(float(dla.heads[1, 2]), abs=1e-5)
    assert out["incoming"] and {e["node"].split(" ")[0] for e in out["incoming"]} <= {
        "input", "L0.H0", "L0.H1", "L0.H2", "L0.H3", "MLP0"}
    mlp = w.answer("node", {"name": "MLP0"})
    assert isinstance(mlp["dla"], float) and "pattern" not in mlp
    assert w.answer("node", {"name": "logits"})["incoming"]
    with pytest.raises(interplay.InterplayError):
        w.answer("node", {"name": "L9.H9"})


def test_widget_module_imports_without_torch() -> None:
    import subprocess

    code = "import interplay.widgets.circuit, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
