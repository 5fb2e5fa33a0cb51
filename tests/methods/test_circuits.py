"""Circuit discovery: graph sizes, EAP against AtP and exact edge patching, exact faithfulness."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.methods.circuits import circuit, expected_edges, make_graph, model_graph
from tests.conftest import make_hf_model

torch = pytest.importorskip("torch")

CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "The capital of France is Paris. The quick brown"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "The capital of France is Paris. The lazy brown"]
_MODELS: dict[str, Any] = {}


def _model(family: str, tokenizer: Any) -> Any:
    torch.set_num_threads(1)
    if family not in _MODELS:
        _MODELS[family] = interplay.load(make_hf_model(family, len(tokenizer)), tokenizer)
    return _MODELS[family]


def _metric() -> Any:
    return interplay.logit_diff(" Mary", " John")


@pytest.mark.parametrize("family,parallel", [("gpt2", False), ("llama", False), ("neox", True), ("neox_sequential", False)])
@pytest.mark.parametrize("qkv", [False, True])
def test_graph_counts_match_the_formula(family: str, parallel: bool, qkv: bool, tokenizer: Any) -> None:
    g = model_graph(_model(family, tokenizer), qkv=qkv)
    L, H, Q = 2, 4, 3 if qkv else 1
    assert g.parallel is parallel
    assert len(g.nodes) == 1 + L * (H + 1) + 1
    assert len(g.dests) == L * (H * Q + 1) + 1
    assert g.n_edges == expected_edges(L, H, qkv=qkv, parallel=parallel)
    # by hand for 2 layers x 4 heads: heads L0 read 1, L1 read 6; MLP0 reads 1 (+4), MLP1 6 (+4); logits 11
    by_hand = H * Q * (1 + 6) + (1 + 6) + (0 if parallel else 2 * H) + 11
    assert g.n_edges == by_hand
    # the MLP of a layer reads that layer's heads exactly when the block is sequential
    assert bool(g.valid[g.src_head(0, 0), g.dst_mlp(0)]) is (not parallel)
    assert not g.valid[g.src_mlp(1), g.dst_heads(1)].any()


def test_graph_formula_at_scale() -> None:
    for qkv in (False, True):
        for parallel in (False, True):
            assert make_graph(12, 12, qkv=qkv, parallel=parallel).n_edges == expected_edges(12, 12, qkv=qkv, parallel=parallel)


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox"])
def test_eap_edge_scores_sum_to_atp_node_scores(family: str, tokenizer: Any) -> None:
    """Summed over its outgoing edges, a node's EAP score is its AtP (noising) score."""
    model = _model(family, tokenizer)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), method="eap", progress=False)
    g = c.graph
    heads = interplay.patch(model, CLEAN, CORRUPTED, metric=_metric(), component="z", by="layer_head",
                            direction="noising", method="attribution", normalize=False, progress=False)
    mlps = interplay.patch(model, CLEAN, CORRUPTED, metric=_metric(), component="mlp_out", by="layer",
                           direction="noising", method="attribution", normalize=False, progress=False)
    out = c.scores.sum(1)
    for layer in range(g.n_layers):
        for head in range(g.n_heads):
            assert out[g.src_head(layer, head)] == pytest.approx(heads.raw[layer, head] - c.clean_value, abs=2e-5)
        assert out[g.src_mlp(layer)] == pytest.approx(mlps.raw[layer] - c.clean_value, abs=2e-5)
    assert np.abs(out).max() > 1e-4  # the check is not vacuous


@pytest.mark.parametrize("qkv", [False, True])
def test_eap_ig_with_one_step_is_eap(qkv: bool, tokenizer: Any) -> None:
    model = _model("gpt2", tokenizer)
    a = circuit(model, CLEAN, CORRUPTED, metric=_metric(), method="eap", qkv=qkv, progress=False)
    b = circuit(model, CLEAN, CORRUPTED, metric=_metric(), method="eap-ig", steps=1, qkv=qkv, progress=False)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-6, atol=1e-9)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), method="eap-ig", steps=4, qkv=qkv, progress=False)
    assert not np.allclose(a.scores, c.scores)


def test_batches_give_the_same_scores(tokenizer: Any) -> None:
    model = _model("gpt2", tokenizer)
    a = circuit(model, CLEAN, CORRUPTED, metric=_metric(), progress=False)
    b = circuit(model, CLEAN, CORRUPTED, metric=_metric(), batch_size=1, progress=False)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox"])
@pytest.mark.parametrize("qkv", [False, True])
def test_faithfulness_is_exact_at_the_ends(family: str, qkv: bool, tokenizer: Any) -> None:
    model = _model(family, tokenizer)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), qkv=qkv, progress=False)
    g = c.graph
    assert c.faithfulness(mask=g.valid) == pytest.approx(1.0, abs=1e-4)
    assert c.faithfulness(mask=np.zeros_like(g.valid)) == pytest.approx(0.0, abs=1e-4)
    assert c.circuit_metric(mask=np.zeros_like(g.valid)) == pytest.approx(c.corrupted_value, abs=1e-5)
    assert c.faithfulness(k=g.n_edges) == pytest.approx(1.0, abs=1e-4)
    assert c.faithfulness(k=0) == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_eap_estimates_track_exact_edge_patching(family: str, tokenizer: Any) -> None:
    model = _model(family, tokenizer)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), progress=False)
    u, v = c.edge_order()
    est, exact = [], []
    for a, b in zip(u[:10], v[:10], strict=True):
        mask = c.graph.valid.copy()
        mask[a, b] = False  # only this edge carries the corrupted value
        exact.append(c.circuit_metric(mask=mask) - c.clean_value)
        est.append(c.scores[a, b])
    r = float(np.corrcoef(est, exact)[0, 1])
    print(f"{family}: EAP vs exact edge patching, top 10 edges: r = {r:.3f}")
    assert r > 0.6
    assert np.sign(est[0]) == np.sign(exact[0])


def test_mean_ablation_and_pruning(tokenizer: Any) -> None:
    model = _model("gpt2", tokenizer)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), progress=False)
    assert c.faithfulness(mask=c.graph.valid, ablation="mean") == pytest.approx(1.0, abs=1e-4)
    assert np.isfinite(c.faithfulness(k=5, ablation="mean"))
    small = c.prune(k=10)
    assert 0 < small.n_edges <= 10
    g = small.graph
    # every kept edge lies on a path input -> logits
    kept = small.in_circuit
    assert kept[:, g.dst_logits].any()
    assert set(small.nodes) >= {"input", "logits"}
    with pytest.raises(interplay.InterplayError):
        c.select()
    t = c.prune(threshold=float(np.abs(c.scores).max()) / 2)
    assert t.n_edges <= c.graph.n_edges


def test_pruning_drops_dangling_edges() -> None:
    from interplay.data.graph import connected

    g = make_graph(2, 2)
    chosen = np.zeros_like(g.valid)
    chosen[g.src_head(0, 0), g.dst_logits] = True  # L0.H0 -> logits, but nothing feeds L0.H0
    assert not connected(g, chosen).any()
    chosen[0, g.dst_heads(0).start] = True  # input -> L0.H0
    chosen[g.src_head(1, 1), g.dst_mlp(1)] = True  # dangling: L1.H1 is never fed, MLP1 never read
    kept = connected(g, chosen)
    assert kept.sum() == 2 and not kept[g.src_head(1, 1), g.dst_mlp(1)]


def test_exports(tokenizer: Any, tmp_path: Any) -> None:
    import json

    model = _model("gpt2", tokenizer)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), progress=False).prune(k=8)
    df = c.to_dataframe()
    assert len(df) == c.graph.n_edges and df["in_circuit"].sum() == c.n_edges
    assert abs(df["score"].iloc[0]) == pytest.approx(np.abs(c.scores).max())
    nxg = c.to_networkx()
    assert nxg.number_of_edges() == c.n_edges and "logits" in nxg
    d = json.loads(c.to_json(str(tmp_path / "c.json")))
    assert len(d["edges"]) == c.graph.n_edges and sum(e["in_circuit"] for e in d["edges"]) == c.n_edges
    import matplotlib

    matplotlib.use("Agg")
    ax = c.plot()
    assert ax.get_title().startswith("eap circuit")
    curve = c.faithfulness_curve([0, c.graph.n_edges])
    assert curve["faithfulness"][0] == pytest.approx(0.0, abs=1e-4) and curve["faithfulness"][1] == pytest.approx(1.0, abs=1e-4)


def test_dataset_input_and_errors(tokenizer: Any) -> None:
    model = _model("gpt2", tokenizer)
    with pytest.raises(interplay.InterplayError, match=r"method='acdc'.*'eap'"):
        circuit(model, CLEAN, CORRUPTED, metric=_metric(), method="acdc", progress=False)
    with pytest.raises(interplay.InterplayError, match="custom metric"):
        circuit(model, CLEAN, CORRUPTED, metric=lambda logits: logits[:, 0].mean(), batch_size=1, progress=False)
    with pytest.raises(interplay.InterplayError, match="steps=0"):
        circuit(model, CLEAN, CORRUPTED, metric=_metric(), method="eap-ig", steps=0, progress=False)
    with pytest.raises(interplay.InterplayError, match="batch_size=0"):
        circuit(model, CLEAN, CORRUPTED, metric=_metric(), batch_size=0, progress=False)
    with pytest.raises(interplay.InterplayError, match="first argument is an interplay Model"):
        circuit(model.hf_model, CLEAN, CORRUPTED, metric=_metric(), progress=False)
    bert = _model("bert", tokenizer)
    with pytest.raises(interplay.UnsupportedArchitectureError, match="pre-norm"):
        model_graph(bert)
    with pytest.raises(interplay.UnsupportedArchitectureError, match="straight into the residual stream"):
        model_graph(_model("gemma2", tokenizer))
    # a task-like dataset as clean brings its corrupted twins and its logit difference
    ds = SimpleNamespace(clean=CLEAN, corrupted=CORRUPTED, answer=[" Mary", " Mary"], wrong=[" John", " John"])
    a = circuit(model, ds, progress=False)
    b = circuit(model, CLEAN, CORRUPTED, metric=_metric(), progress=False)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-6, atol=1e-9)
    # the old positional metric still works for one release, with a warning
    with pytest.warns(DeprecationWarning, match="metric"):
        old = circuit(model, CLEAN, CORRUPTED, _metric(), progress=False)
    np.testing.assert_array_equal(old.scores, b.scores)


def test_selection_arguments_are_checked(tokenizer: Any) -> None:
    c = circuit(_model("gpt2", tokenizer), CLEAN, CORRUPTED, metric=_metric(), progress=False)
    for bad in (-5, -1, 2.5, True, "3"):
        with pytest.raises(interplay.InterplayError, match="k="):
            c.top_edges(bad)  # type: ignore[arg-type]
        with pytest.raises(interplay.InterplayError, match="k="):
            c.select(k=bad)  # type: ignore[arg-type]
    with pytest.raises(interplay.InterplayError, match="exactly one"):
        c.select(k=3, threshold=0.1)
    with pytest.raises(interplay.InterplayError, match="threshold="):
        c.prune(threshold=float("nan"))
    with pytest.raises(interplay.InterplayError, match="ablation='zero'"):
        c.faithfulness(k=3, ablation="zero")
    with pytest.raises(interplay.ShapeError, match="mask must be a bool array"):
        c.faithfulness(mask=np.ones((2, 2), bool))
    assert len(c.top_edges(0)) == 0 and len(c.top_edges(10**6)) == c.graph.n_edges
    assert c.top_edges(3) == [(c.graph.nodes[c.graph.sources[a]].name, c.graph.dest_names[b], float(c.scores[a, b]))
                              for a, b in zip(*(x[:3] for x in c.edge_order()), strict=True)]


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_patching_an_edge_into_the_logits_matches_a_plain_intervention(family: str, tokenizer: Any) -> None:
    """An independent reference for edge patching: the edge u -> logits carries the corrupted value
    when u's corrupted-minus-clean output is added to the final norm's input (the last resid_post),
    with interplay's ordinary interventions; the graph pass must give the same metric."""
    from interplay.methods._common import single_token_id

    model = _model(family, tokenizer)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), progress=False)
    g = c.graph
    L = g.n_layers
    names = ["blocks.0.hook_resid_pre", *[f"blocks.{i}.attn.hook_result" for i in range(L)],
             *[f"blocks.{i}.hook_mlp_out" for i in range(L)]]
    clean, corrupted = model.run(CLEAN, capture=names), model.run(CORRUPTED, capture=names)
    last = torch.tensor([n - 1 for n in clean.lengths])
    a, w = single_token_id(model, " Mary"), single_token_id(model, " John")

    def output(trace: Any, u: int) -> Any:
        node = g.nodes[g.sources[u]]
        if node.kind == "input":
            return trace.activations["blocks.0.hook_resid_pre"]
        if node.kind == "mlp":
            return trace.activations[f"blocks.{node.layer}.hook_mlp_out"]
        return trace.activations[f"blocks.{node.layer}.attn.hook_result"][:, :, node.head]

    for u in [0, g.src_head(0, 1), g.src_mlp(0), g.src_head(L - 1, 3), g.src_mlp(L - 1)]:
        delta = output(corrupted, u) - output(clean, u)
        run = model.run(CLEAN, interventions=[(f"blocks.{L - 1}.hook_resid_post", lambda x, _n, d=delta: x + d)])
        logits = run.logits[torch.arange(2), last]
        reference = float((logits[:, a] - logits[:, w]).mean())
        mask = g.valid.copy()
        mask[u, g.dst_logits] = False
        assert c.circuit_metric(mask=mask) == pytest.approx(reference, abs=1e-5), g.nodes[g.sources[u]].name


def test_a_raising_metric_leaves_the_model_as_it_was(tokenizer: Any) -> None:
    from tests.conftest import hook_counts

    model = _model("gpt2", tokenizer)
    ids = torch.tensor([tokenizer.encode(CLEAN[0])])
    with torch.no_grad():
        before = model.hf_model(input_ids=ids).logits

    def broken(logits: Any) -> Any:
        raise RuntimeError("user metric failed")

    impl = model.hf_model.config._attn_implementation
    with pytest.raises(RuntimeError, match="user metric failed"):
        circuit(model, CLEAN, CORRUPTED, metric=broken, method="eap-ig", steps=2, progress=False)
    assert hook_counts(model.hf_model) == 0
    assert model.hf_model.config._attn_implementation == impl
    with torch.no_grad():
        after = model.hf_model(input_ids=ids).logits
    assert torch.equal(before, after)


def test_a_failure_inside_the_graph_pass_removes_every_hook(tokenizer: Any, monkeypatch: Any) -> None:
    """An exception raised in the middle of a patched pass (inside a hook, inside the attention
    routing): the module hooks, the attention routing and the attention implementation are undone."""
    from interplay.backend import attention
    from interplay.methods.circuits import engine
    from tests.conftest import hook_counts

    model = _model("llama", tokenizer)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), qkv=True, progress=False)
    impl = model.hf_model.config._attn_implementation
    expected = c.circuit_metric(k=5)

    def broken(self: Any, layer: int, xh: Any) -> Any:
        raise RuntimeError("inside the pass")

    monkeypatch.setattr(engine._Runner, "_split", broken)
    with pytest.raises(RuntimeError, match="inside the pass"):
        c.circuit_metric(k=6)
    assert hook_counts(model.hf_model) == 0 and not attention._SITES
    assert model.hf_model.config._attn_implementation == impl
    monkeypatch.undo()
    assert c.circuit_metric(k=5) == expected


def test_save_and_load_keep_the_circuit_without_a_model(tokenizer: Any, tmp_path: Any) -> None:
    model = _model("gpt2", tokenizer)
    c = circuit(model, CLEAN, CORRUPTED, metric=_metric(), qkv=True, progress=False)
    small = c.prune(k=12).with_faithfulness()
    assert small.data.faithfulness is not None
    assert small.data.faithfulness["value"] == pytest.approx(small.faithfulness())
    for r in (c, small):
        path = r.save(tmp_path / f"{r.n_edges}.interplay")
        for loaded in (interplay.CircuitResult.load(path), interplay.load_result(path)):
            assert type(loaded) is interplay.CircuitResult and loaded.session is None
            assert loaded.data == r.data
            np.testing.assert_array_equal(loaded.select(k=20), r.select(k=20))
            assert loaded.prune(k=20).n_edges == r.prune(k=20).n_edges
            assert loaded.top_edges(5) == r.top_edges(5) and loaded.nodes == r.nodes
            assert loaded.to_networkx().number_of_edges() == r.to_networkx().number_of_edges()
            assert loaded.to_json() == r.to_json()
            for ask in (lambda x: x.faithfulness(), lambda x: x.circuit_metric(k=3),
                        lambda x: x.faithfulness_curve([1, 2]), lambda x: x.with_faithfulness()):
                with pytest.raises(interplay.NeedsModelError, match=r"needs a live model.*interplay\.circuit"):
                    ask(loaded)
            view, live = loaded.show(), r.show()
            for trait in ("graph", "n_edges_total", "k", "faithfulness", "method", "metric_label", "clean_value",
                          "corrupted_value", "prompts", "title", "notes"):
                assert getattr(view, trait) == getattr(live, trait), trait
            for trait in ("edge_src", "edge_dst", "edge_kind", "edge_score"):
                assert view.get_state(trait) == live.get_state(trait), trait
    assert interplay.load_result(tmp_path / f"{small.n_edges}.interplay").show().faithfulness["value"] == \
        pytest.approx(small.data.faithfulness["value"])
