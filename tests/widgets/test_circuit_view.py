"""CircuitView at the Python level: binary edge payloads, the faithfulness and node requests, and
the view of a circuit without a model (edges from the data, the rest "needs a live model")."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.data.circuit import CircuitData
from interplay.widgets.circuit import CircuitView
from tests.helpers import sent, wire

CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "When Mary and John went to the park, John gave a ball to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "When Mary and John went to the park, Mary gave a ball to"]


@pytest.fixture
def circuit(gpt2: Any) -> Any:
    import torch

    torch.set_num_threads(1)
    return interplay.circuit(gpt2, CLEAN, CORRUPTED, metric=interplay.logit_diff(" Mary", " John"), qkv=True,
                             progress=False)


def _data(n_layers: int = 2, n_heads: int = 3, seed: int = 0, **kw: Any) -> CircuitData:
    from interplay.data.graph import make_graph

    g = make_graph(n_layers, n_heads, qkv=True)
    scores = np.where(g.valid, np.random.default_rng(seed).normal(size=g.valid.shape), 0.0)
    return CircuitData(n_layers=n_layers, n_heads=n_heads, qkv=True, parallel=False, scores=scores,
                       metric_label="logit diff", clean_value=3.0, corrupted_value=1.0, n_prompts=2,
                       prompts=["a b c", "d e f"], **kw)


def test_edges_travel_as_binary_payloads_sorted_by_magnitude(circuit: Any) -> None:
    w = circuit.show(max_edges=50, k=12)
    g = circuit.graph
    assert isinstance(wire(w, "edge_score")["data"], memoryview) and isinstance(wire(w, "edge_src")["data"], memoryview)
    src, dst, kind, score = (sent(w, t) for t in ("edge_src", "edge_dst", "edge_kind", "edge_score"))
    assert len(score) == 50 and w.n_edges_total == g.n_edges
    assert np.all(np.diff(np.abs(score)) <= 1e-7)  # strongest first
    assert wire(w, "edge_score")["vmin"] == -wire(w, "edge_score")["vmax"] == -float(np.abs(score).max())
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


def test_a_pruned_circuit_starts_at_its_own_selection(circuit: Any) -> None:
    small = circuit.prune(k=15)
    w = small.show()
    np.testing.assert_array_equal(circuit.select(w.k), small.in_circuit)
    measured = small.with_faithfulness()
    assert measured.show().faithfulness["value"] == pytest.approx(measured.data.faithfulness["value"])


def test_node_request_gives_pattern_dla_and_edges(circuit: Any, gpt2: Any) -> None:
    w = circuit.show()
    out = w.answer("node", {"name": "L1.H2", "prompt": 1})
    assert "note" not in out, out.get("note")
    pattern = _decode(out["pattern"])
    n = len(out["tokens"])
    assert pattern.shape == (n, n) and out["pattern"]["dims"] == ["query", "key"]
    np.testing.assert_allclose(pattern.sum(1), 1.0, atol=1e-5)  # rows of an attention pattern
    assert np.allclose(np.triu(pattern, 1), 0)  # causal
    assert "Mary" in out["dla_label"] and isinstance(out["dla"], float)
    dla = interplay.direct_logit_attribution(gpt2.run(CLEAN[1]), target=" Mary", baseline=" John")
    assert out["dla"] == pytest.approx(float(dla.data.heads[1, 2]), abs=1e-5)
    assert out["incoming"] and {e["node"].split(" ")[0] for e in out["incoming"]} <= {
        "input", "L0.H0", "L0.H1", "L0.H2", "L0.H3", "MLP0"}
    mlp = w.answer("node", {"name": "MLP0"})
    assert isinstance(mlp["dla"], float) and "pattern" not in mlp
    assert w.answer("node", {"name": "logits"})["incoming"]
    with pytest.raises(interplay.InterplayError, match=r"no node 'L9\.H9'"):
        w.answer("node", {"name": "L9.H9"})
    with pytest.raises(interplay.InterplayError, match="prompt=5"):
        w.answer("node", {"name": "L0.H0", "prompt": 5})


def _decode(payload: Any) -> np.ndarray:
    from interplay.widgets._serialize import decode_array

    return decode_array(payload)


def test_without_a_model_edges_show_and_the_rest_says_so() -> None:
    data = _data()
    w = CircuitView(data)
    node = w.answer("node", {"name": "L1.H1", "prompt": 1})
    assert node["incoming"] and node["outgoing"] and "pattern" not in node
    assert "needs a live model" in node["note"] and "interplay.circuit(model" in node["note"]
    scores = [abs(e["score"]) for e in node["incoming"]]
    assert scores == sorted(scores, reverse=True)
    assert "note" not in w.answer("node", {"name": "logits"})
    faith = w.answer("faithfulness", {"k": 5})
    assert faith["value"] is None and "needs a live model" in faith["note"]
    assert w.faithfulness is None


def test_a_source_that_cannot_answer_still_lists_the_edges() -> None:
    class Broken:
        def circuit_metric(self, mask: Any, ablation: str) -> float:
            return 2.0

        def node(self, name: str, prompt: int) -> dict[str, Any]:
            raise interplay.InterplayError("direct logit attribution does not know this norm")

    w = CircuitView(_data(), Broken())
    out = w.answer("node", {"name": "MLP1"})
    assert out["incoming"] and out["note"] == "direct logit attribution does not know this norm"
    assert w.answer("faithfulness", {"k": 4})["value"] == pytest.approx(0.5)  # (2 - 1) / (3 - 1)


def test_bad_arguments_and_edits_are_refused(circuit: Any) -> None:
    with pytest.raises(interplay.InterplayError, match="shows a CircuitData"):
        CircuitView("not data")  # type: ignore[arg-type]
    with pytest.raises(interplay.InterplayError, match="max_edges=0"):
        CircuitView(_data(), max_edges=0)
    with pytest.raises(interplay.InterplayError, match="k=-1"):
        CircuitView(_data(), k=-1)
    with pytest.raises(TypeError, match="unexpected argument"):
        CircuitView(_data(), colour="red")
    w = CircuitView(_data(), k=3)
    with pytest.raises(interplay.InterplayError, match="not one of"):
        w.selected = {"node": "L7.H0"}
    w.selected = {"node": "L0.H1"}
    w.set_state({"k": 10**6, "prompt_index": 1})  # an edit from the page: k refused, the prompt taken
    assert w.k == 3 and w.prompt_index == 1
    with pytest.raises(interplay.ShapeError, match="scores have shape"):
        CircuitData(n_layers=2, n_heads=3, qkv=False, parallel=False, scores=_data().scores)
    bad = np.ones_like(_data().scores, bool)
    with pytest.raises(interplay.ShapeError, match="no edges of the graph"):
        _data(mask=bad)


def test_old_spellings_still_work(circuit: Any) -> None:
    with pytest.warns(DeprecationWarning, match="CircuitGraph"):
        view = interplay.CircuitGraph(circuit, k=5)
    assert isinstance(view, CircuitView) and view.k == 5 and view.source is circuit.session
    with pytest.warns(DeprecationWarning, match="CircuitView"):
        old = CircuitView(circuit)
    assert old.data is circuit.data and old.source is circuit.session
    with pytest.warns(DeprecationWarning, match="CircuitResult"):
        assert interplay.Circuit is interplay.CircuitResult


def test_the_view_needs_no_torch(tmp_path: Any) -> None:
    path = tmp_path / "c.interplay"
    interplay.CircuitResult(_data()).prune(k=6).save(path)
    code = (
        "import sys, interplay\n"
        f"r = interplay.load_result({str(path)!r})\n"
        "v = r.show()\n"
        "n = v.answer('node', {'name': 'L1.H0'})\n"
        "assert n['incoming'] and 'needs a live model' in n['note'], n\n"
        "assert 'needs a live model' in v.answer('faithfulness', {'k': 3})['note']\n"
        "assert r.top_edges(3) and r.prune(k=4).n_edges <= 4\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
