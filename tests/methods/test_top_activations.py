"""top_activations: exactly a brute-force numpy computation over the same feature values, for every
feature kind, many features at once; resumable to the identical result; clear errors for bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import interplay.tasks as tasks
from interplay.backend.dictionaries import SAE, Transcoder
from interplay.errors import (
    DictionaryError,
    HookNameError,
    InterplayError,
    ResultFileError,
    ShapeError,
    TaskError,
)
from interplay.methods._common import special_ids
from interplay.methods.features._accumulators import Distribution, sample_keys
from interplay.methods.features.spec import capture, resolve_features
from interplay.methods.features.stream import iter_batches
from interplay.methods.features.top_activations import top_activations


@pytest.fixture(scope="module")
def texts() -> list[str]:
    ds = tasks.ioi(n=40, seed=3)
    return [*ds.clean, "( [ ( ) ] )", "Mary Mary Mary Mary", "the the the"]


@pytest.fixture(scope="module")
def sae(demo_model: Any) -> SAE:
    torch.manual_seed(1)
    return SAE(demo_model.cfg.d_model, 96, hook="blocks.1.hook_resid_post", architecture="relu", name="test-sae")


def embed_slice(act: torch.Tensor) -> torch.Tensor:
    """Four embedding coordinates (absolute): depend on the token id alone, so equal tokens tie exactly."""
    return act[..., :4].abs()


def brute_force(model: Any, feature: Any, dataset: Any, *, k: int, context: tuple[int, int], batch_size: int,
                n_buckets: int, n_samples: int, seed: int, hook: Any = None, seq_len: int | None = None,
                exclude_special: bool = True) -> dict[str, Any]:
    """Every token's value, kept in memory, then the statistics by plain numpy sorting."""
    spec = resolve_features(model, feature, hook=hook)
    seqs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    special = special_ids(model) if exclude_special else []
    for b in iter_batches(model, dataset, batch_size=batch_size, seq_len=seq_len):
        vals = spec.values(capture(model, b.ids, b.mask, spec.hook)).cpu().numpy()
        for i, n in enumerate(b.lengths):
            seqs[int(b.rows[i])] = (b.ids[i, :n].numpy(), vals[i, :n])
    rows = np.concatenate([np.full(len(ids), r) for r, (ids, _) in seqs.items()])
    pos = np.concatenate([np.arange(len(ids)) for ids, _ in seqs.values()])
    tok = np.concatenate([ids for ids, _ in seqs.values()])
    val = np.concatenate([v for _, v in seqs.values()])
    cand = ~np.isin(tok, special)
    before, after = context
    n_f = val.shape[1]
    out: dict[str, Any] = {"n_tokens": int(cand.sum()), "acts": np.full((n_f, k), np.nan, np.float32),
                           "where": np.full((n_f, k, 2), -1), "ctx_ids": np.full((n_f, k, before + 1 + after), -1),
                           "ctx_vals": np.full((n_f, k, before + 1 + after), np.nan, np.float32),
                           "n_active": np.zeros(n_f, np.int64), "active": []}

    def window(f: int, r: int, p: int) -> tuple[list[int], list[float]]:
        ids, v = seqs[r]
        q = range(p - before, p + after + 1)
        return ([int(ids[j]) if 0 <= j < len(ids) else -1 for j in q],
                [float(v[j, f]) if 0 <= j < len(ids) else np.nan for j in q])

    out["window"] = window
    for f in range(n_f):
        act = cand & (val[:, f] > 0)
        out["n_active"][f] = act.sum()
        idx = np.nonzero(act)[0]
        out["active"].append((val[idx, f], rows[idx], pos[idx]))
        order = idx[np.lexsort((pos[idx], rows[idx], -val[idx, f]))][:k]
        for r, t in enumerate(order):
            out["acts"][f, r] = val[t, f]
            out["where"][f, r] = rows[t], pos[t]
            out["ctx_ids"][f, r], out["ctx_vals"][f, r] = window(f, int(rows[t]), int(pos[t]))
    return out


def check_exact(result: Any, ref: dict[str, Any], *, n_samples: int, seed: int, n_bins: int, n_buckets: int) -> None:
    d = result.data
    table = np.asarray(d.table_ids)
    ctx_ids = np.where(d.ctx_tokens >= 0, table[np.maximum(d.ctx_tokens, 0)], -1)
    assert d.n_tokens == ref["n_tokens"]
    np.testing.assert_array_equal(d.acts, ref["acts"])
    np.testing.assert_array_equal(d.where, ref["where"])
    np.testing.assert_array_equal(ctx_ids, ref["ctx_ids"])
    np.testing.assert_array_equal(d.ctx_values, ref["ctx_vals"])
    np.testing.assert_array_equal(d.n_active, ref["n_active"])
    np.testing.assert_allclose(d.density, ref["n_active"] / ref["n_tokens"])
    q_ids = np.where(d.q_ctx_tokens >= 0, table[np.maximum(d.q_ctx_tokens, 0)], -1)
    for f, (v, rows, pos) in enumerate(ref["active"]):
        edges = d.hist_edges[f].astype(np.float64)
        if len(v) == 0:
            assert d.hist_counts[f].sum() == 0 and np.isnan(d.q_acts[f]).all()
            continue
        width = np.diff(edges)
        assert edges[0] == 0 and np.all(width == width[0]), "equal bins from 0"
        assert edges[-1] > v.max() >= edges[-1] - width[0], "the top bin holds the max"
        assert edges[-1] - v.max() <= v.max() * 2 * n_bins / Distribution(1, n_bins=n_bins, n_buckets=n_buckets,
                                                                            n_samples=1, before=0, after=0,
                                                                            device=torch.device("cpu")).n_fh
        np.testing.assert_array_equal(d.hist_counts[f], np.histogram(v, bins=edges)[0])
        qe = d.bucket_edges[f].astype(np.float64)
        assert qe[0] == 0 and np.all(np.diff(qe) > 0) and qe[-1] > v.max()
        ideal = np.arange(n_buckets + 1) * v.max() / n_buckets
        n_fq = Distribution(1, n_bins=n_bins, n_buckets=n_buckets, n_samples=1, before=0, after=0,
                            device=torch.device("cpu")).n_fq
        assert np.all(np.abs(qe[1:-1] - ideal[1:-1]) <= v.max() / n_fq), "edges near b * max / n_buckets"
        assert qe[-1] - v.max() <= 2 * v.max() / n_fq, "the top edge is the first grid point above the max"
        keys = sample_keys(seed, rows, pos)
        for b in range(n_buckets):
            inside = np.nonzero((v >= qe[b]) & (v < qe[b + 1]))[0]
            pick = inside[np.lexsort((pos[inside], rows[inside], keys[inside]))][:n_samples]
            pick = pick[np.lexsort((pos[pick], rows[pick], -v[pick]))]
            got = d.q_acts[f, b]
            np.testing.assert_array_equal(got[: len(pick)], v[pick])
            assert np.isnan(got[len(pick):]).all()
            np.testing.assert_array_equal(d.q_where[f, b, : len(pick)], np.stack([rows[pick], pos[pick]], 1))
            for s, t in enumerate(pick):
                ids, vals = ref["window"](f, int(rows[t]), int(pos[t]))
                np.testing.assert_array_equal(q_ids[f, b, s], ids)
                np.testing.assert_array_equal(d.q_ctx_values[f, b, s], np.asarray(vals, np.float32))


OPTS = {"k": 6, "context": (3, 2), "batch_size": 7, "n_buckets": 4, "n_samples": 3, "seed": 5}


def run_and_check(model: Any, feature: Any, dataset: Any, hook: Any = None, **extra: Any) -> Any:
    opts = {**OPTS, **extra}
    res = top_activations(model, feature, dataset, hook=hook, n_bins=20, progress=False, **opts)
    ref = brute_force(model, feature, dataset, hook=hook, **opts)
    check_exact(res, ref, n_samples=opts["n_samples"], seed=opts["seed"], n_bins=20, n_buckets=opts["n_buckets"])
    return res


def test_every_latent_of_a_dictionary_equals_brute_force(demo_model, texts, sae) -> None:
    res = run_and_check(demo_model, sae, texts)
    d = res.data
    assert d.n_features == 96 and d.features[5] == "test-sae #5"
    assert d.feature_meta == {"kind": "sae", "hook": "blocks.1.hook_resid_post", "indices": list(range(96)),
                              "dictionary": "test-sae", "d_sae": 96}
    assert np.isfinite(d.acts).sum() > 96  # many features, many examples
    bos = demo_model.tokenizer.bos_token_id
    assert not np.isin(np.asarray(d.table_ids)[d.ctx_tokens[:, :, 3]], [bos]).any(), "BOS is never a max token"


def test_ties_are_broken_by_sequence_then_position(demo_model) -> None:
    data = ["Mary Mary John", "John Mary Mary Mary", "Mary"] * 3  # equal tokens give equal embedding values
    res = run_and_check(demo_model, embed_slice, data, hook="embed", k=8, batch_size=2)
    d = res.data
    for f in range(4):
        acts = d.acts[f][np.isfinite(d.acts[f])]
        assert len(set(acts.tolist())) < len(acts), "the test data has ties"
        order = np.lexsort((d.where[f, : len(acts), 1], d.where[f, : len(acts), 0], -acts))
        assert order.tolist() == list(range(len(acts)))


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_the_result_does_not_depend_on_the_batch_size(demo_model, texts, batch_size) -> None:
    base = top_activations(demo_model, embed_slice, texts, hook="embed", progress=False, **OPTS)
    other = top_activations(demo_model, embed_slice, texts, hook="embed", progress=False,
                            **{**OPTS, "batch_size": batch_size})
    assert other.data == base.data


def test_neurons_directions_functions_and_transcoders(demo_model, texts) -> None:
    res = run_and_check(demo_model, ("mlp.post", 2, [0, 7, 300]), texts)
    assert res.data.features == ["L2 N0", "L2 N7", "L2 N300"] and res.data.feature_meta["kind"] == "neuron"
    run_and_check(demo_model, ("post", -1, 5), texts)
    rng = np.random.default_rng(0)
    res = run_and_check(demo_model, rng.normal(size=(3, 128)).astype(np.float32), texts, hook=("resid_post", 1))
    assert res.data.features == ["direction 0", "direction 1", "direction 2"]
    run_and_check(demo_model, torch.tensor(rng.normal(size=128), dtype=torch.float32), texts, hook="resid_mid.0")
    res = run_and_check(demo_model, lambda a: a.norm(dim=-1) - 10.0, texts, hook="resid_pre.3")
    assert res.data.n_features == 1 and res.data.feature_meta["kind"] == "function"
    torch.manual_seed(2)
    tc = Transcoder(128, 40, hook_in="blocks.1.ln2.hook_normalized", hook_out="blocks.1.hook_mlp_out",
                    architecture="topk", k=6, name="tc")
    res = run_and_check(demo_model, (tc, [1, 4, 9, 39]), texts)
    assert res.data.features == ["tc #1", "tc #4", "tc #9", "tc #39"]
    assert res.data.feature_meta["hook_out"] == "blocks.1.hook_mlp_out"
    assert res.data.logit_ids is not None  # a transcoder writes the MLP's output: the residual stream


class TinyDictionary(torch.nn.Module):
    """A duck-typed dictionary: encode, hook_in, W_dec, d_sae (no interplay base class)."""

    def __init__(self, d: int, n: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(4)
        self.W_enc = torch.nn.Parameter(torch.randn(d, n, generator=g) / d ** 0.5)
        self.W_dec = torch.nn.Parameter(torch.randn(n, d, generator=g))
        self.d_sae, self.hook_in, self.name = n, "blocks.0.hook_resid_post", "tiny"

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x @ self.W_enc)


def test_a_duck_typed_dictionary_and_special_tokens(demo_model, texts) -> None:
    tiny = TinyDictionary(128, 12)
    res = run_and_check(demo_model, tiny, texts)
    assert res.data.features[0] == "tiny #0"
    keep = run_and_check(demo_model, (tiny, 3), texts, exclude_special=False)
    n_bos = len(texts)
    assert keep.data.n_tokens == res.data.n_tokens + n_bos


def test_logit_effects_follow_the_fold_ln_convention(demo_model, sae) -> None:
    spec = resolve_features(demo_model, (sae, [2, 3]))
    ids, vals, note = spec.logit_effects(demo_model, 5)
    w_u = demo_model.hf_model.lm_head.weight.detach()
    ln = demo_model.hf_model.transformer.ln_f
    # TransformerLens fold_ln: W_U' = diag(ln.w) W_U, centred over d_model; SAEDashboard: W_dec @ W_U'
    folded = ln.weight.detach()[:, None] * w_u.T
    folded = folded - folded.mean(dim=0, keepdim=True)
    logits = sae.W_dec.detach()[[2, 3]] @ folded
    np.testing.assert_array_equal(ids[:, 0], torch.topk(logits, 5).indices.numpy())
    np.testing.assert_allclose(vals[:, 0], torch.topk(logits, 5).values.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(vals[:, 1], -torch.topk(-logits, 5).values.numpy(), rtol=1e-5, atol=1e-5)
    assert "fold_ln" in note and "scale ignored" in note
    # a neuron's effect: its row of the MLP's output weight (GPT-2 Conv1D: [d_mlp, d_model])
    n_ids, _, _ = resolve_features(demo_model, ("mlp.post", 1, 17)).logit_effects(demo_model, 3)
    row = demo_model.hf_model.transformer.h[1].mlp.c_proj.weight.detach()[17]
    np.testing.assert_array_equal(n_ids[0, 0], torch.topk(row @ folded, 3).indices.numpy())
    assert resolve_features(demo_model, embed_slice, hook="embed").logit_effects(demo_model, 3) is None
    mlp_in = TinyDictionary(128, 4)
    mlp_in.hook_in = "blocks.0.ln2.hook_normalized"
    assert resolve_features(demo_model, mlp_in).logit_effects(demo_model, 3) is None


class Failing:
    """A dataset that raises after ``n`` texts (an interrupted run)."""

    def __init__(self, items: list[str], n: int) -> None:
        self.items, self.n = items, n

    def __iter__(self) -> Any:
        for i, t in enumerate(self.items):
            if i == self.n:
                raise KeyboardInterrupt("interrupted")
            yield t


def test_an_interrupted_run_resumes_to_the_identical_result(demo_model, texts, sae, tmp_path: Path) -> None:
    opts = {**OPTS, "batch_size": 4, "checkpoint_every": 2, "progress": False}
    full = top_activations(demo_model, (sae, list(range(0, 96, 5))), texts, **opts)
    ckpt = tmp_path / "run.npz"
    with pytest.raises(KeyboardInterrupt):
        top_activations(demo_model, (sae, list(range(0, 96, 5))), Failing(texts, 27), checkpoint=ckpt, **opts)
    with np.load(ckpt) as z:
        assert "interplay.top_activations.checkpoint/1" in str(z["meta"]) and '"rows_done": 24' in str(z["meta"])
    resumed = top_activations(demo_model, (sae, list(range(0, 96, 5))), texts, checkpoint=ckpt, **opts)
    assert resumed.data == full.data
    again = top_activations(demo_model, (sae, list(range(0, 96, 5))), texts, checkpoint=ckpt, **opts)
    assert again.data == full.data  # a finished checkpoint: nothing left to read
    with pytest.raises(ResultFileError, match="differs in k"):
        top_activations(demo_model, (sae, list(range(0, 96, 5))), texts, checkpoint=ckpt, **{**opts, "k": 3})
    with pytest.raises(ResultFileError, match="not this dataset's first"):
        top_activations(demo_model, (sae, list(range(0, 96, 5))), texts[::-1], checkpoint=ckpt, **opts)
    fresh = top_activations(demo_model, (sae, list(range(0, 96, 5))), texts[:10], checkpoint=ckpt, resume=False,
                            **opts)
    assert fresh.data.n_tokens < full.data.n_tokens
    (tmp_path / "junk.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(ResultFileError, match="not a top_activations checkpoint"):
        top_activations(demo_model, (sae, 1), texts, checkpoint=tmp_path / "junk.npz", **opts)


def test_resume_with_another_batch_size_is_identical(demo_model, texts, tmp_path: Path) -> None:
    opts = {**OPTS, "checkpoint_every": 1, "progress": False}
    full = top_activations(demo_model, embed_slice, texts, hook="embed", **opts)
    ckpt = tmp_path / "embed.npz"
    with pytest.raises(KeyboardInterrupt):
        top_activations(demo_model, embed_slice, Failing(texts, 16), hook="embed", checkpoint=ckpt, **opts)
    resumed = top_activations(demo_model, embed_slice, texts, hook="embed", checkpoint=ckpt,
                              **{**opts, "batch_size": 5})
    assert resumed.data == full.data


def test_memory_does_not_grow_with_the_dataset(demo_model, texts, sae, tmp_path: Path) -> None:
    sizes = []
    for n in (1, 3):
        path = tmp_path / f"x{n}.npz"
        top_activations(demo_model, sae, texts * n, k=4, progress=False, checkpoint=path)
        with np.load(path) as z:
            sizes.append({name: z[name].shape for name in z.files if name != "meta"})
    assert sizes[0] == sizes[1]


def test_a_dataset_of_token_ids_and_windows(demo_model) -> None:
    ids = np.random.default_rng(0).integers(3, demo_model.cfg.d_vocab, size=(5, 30))
    res = run_and_check(demo_model, ("mlp.post", 0, [1, 2]), ids, seq_len=12)
    assert res.data.where[:, :, 0].max() < 15  # 5 sequences x 3 windows
    assert res.data.n_tokens == 150


@pytest.mark.parametrize(("feature", "kw", "error", "match"), [
    (("mlp.post", 9, 0), {}, HookNameError, "out of range: the model has 4 layers"),
    (("mlp.post", 1, 512), {}, InterplayError, r"512 is out of range 0..511 \(d_mlp = 512\)"),
    (("mlp.post", 1, [3, 3]), {}, InterplayError, "lists an index twice"),
    (("mlp.post", 1, 2.5), {}, InterplayError, "must be an integer"),
    (("resid", 1, 2), {}, InterplayError, "neurons are"),
    (("mlp.post", 1), {}, InterplayError, r"neurons are \('mlp.post', layer"),
    (("mlp.post", 1, 2), {"hook": "resid_post.1"}, HookNameError, "leave hook= out"),
    (np.ones(128), {}, HookNameError, "a direction needs hook="),
    (np.ones(64), {"hook": "resid_post.1"}, ShapeError, "64 dimensions, but blocks.1.hook_resid_post has width 128"),
    (np.ones((2, 2, 128)), {"hook": "resid_post.1"}, ShapeError, r"a float vector \[d\] or \[n, d\]"),
    (np.full(128, np.nan), {"hook": "resid_post.1"}, ShapeError, "NaN"),
    (np.ones(128), {"hook": "resid_post"}, HookNameError, "names 4 activations"),
    (np.ones(32), {"hook": "z.1"}, ShapeError, "not \\[batch, pos, d\\]"),
    (lambda a: a.sum(), {"hook": "resid_post.1"}, ShapeError, "must return \\[batch, pos, n\\]"),
    (lambda a: "x", {"hook": "resid_post.1"}, ShapeError, "returned a str"),
    (lambda a: a, {}, HookNameError, "needs hook="),
    ("resid_post", {}, InterplayError, "a feature is one of"),
    (torch.nn.Linear(2, 2), {}, DictionaryError, "is not a dictionary"),
])
def test_bad_features_name_the_argument(demo_model, feature, kw, error, match) -> None:
    with pytest.raises(error, match=match):
        resolve_features(demo_model, feature, **kw)


def test_bad_dictionaries_and_options(demo_model, sae, texts) -> None:
    wrong = TinyDictionary(128, 4)
    wrong.hook_in = "blocks.0.hook_nope"
    with pytest.raises(DictionaryError, match=r"hook_in='blocks\.0\.hook_nope'"):
        resolve_features(demo_model, wrong)
    narrow = SAE(64, 8, hook="blocks.1.hook_resid_post", architecture="relu")
    with pytest.raises(DictionaryError, match=r"d_in=64, but blocks\.1\.hook_resid_post has width 128"):
        resolve_features(demo_model, narrow)
    with pytest.raises(InterplayError, match=r"latent index of test-sae: 96 is out of range 0..95 \(d_sae = 96\)"):
        resolve_features(demo_model, (sae, 96))
    with pytest.raises(HookNameError, match="reads its own hook_in"):
        resolve_features(demo_model, sae, hook="resid_post.0")
    for kw, match in [({"k": 0}, "k=0 must be a positive integer"), ({"context": (3,)}, "context=.*tokens before"),
                      ({"context": (-1, 2)}, "context="), ({"n_bins": 0}, "n_bins=0"),
                      ({"seed": 1.5}, "seed=1.5"), ({"progress": "yes"}, "progress='yes'"),
                      ({"seq_len": 0}, "seq_len=0"), ({"n_samples": True}, "n_samples=True")]:
        with pytest.raises(InterplayError, match=match):
            top_activations(demo_model, sae, texts, **kw)
    with pytest.raises(TaskError, match="one string"):
        top_activations(demo_model, sae, "one text", progress=False)
    with pytest.raises(InterplayError, match="takes an interplay Model first"):
        top_activations("demo", sae, texts)


@pytest.mark.parametrize("fraction", [0.0, 1.0], ids=["dense-topk", "sparse-sort"])
def test_both_top_k_paths_are_exact(demo_model, texts, sae, monkeypatch, fraction) -> None:
    import interplay.methods.features._accumulators as acc

    monkeypatch.setattr(acc, "SPARSE_FRACTION", fraction)
    run_and_check(demo_model, sae, texts)
    run_and_check(demo_model, (sae, list(range(10))), texts)  # a leading block of latents: a view of encode's output
    run_and_check(demo_model, embed_slice, ["Mary Mary John", "John Mary Mary Mary", "Mary"] * 3, hook="embed", k=8,
                  batch_size=2)


def test_progress_bar_and_never_active_features(demo_model, texts, capsys) -> None:
    dead = TinyDictionary(128, 3)
    with torch.no_grad():
        dead.W_enc[:, 1] = 0.0  # latent 1 is exactly 0 everywhere: never active
    res = top_activations(demo_model, dead, texts, k=3, progress=True, batch_size=8)
    assert "top activations" in capsys.readouterr().err
    d = res.data
    assert np.isnan(d.acts[1]).all() and (d.where[1] == -1).all() and (d.ctx_tokens[1] == -1).all()
    assert d.n_active[1] == 0 and d.hist_counts[1].sum() == 0 and np.isnan(d.q_acts[1]).all()
    assert any("1 of 3 features were never active" in n for n in d.notes)
    assert any("special tokens" in n for n in d.notes)


def test_logit_effects_of_a_linear_mlp_with_rmsnorm(tokenizer) -> None:
    import interplay
    from tests.conftest import make_hf_model

    model = interplay.load(make_hf_model("llama", len(tokenizer)), tokenizer)
    ids, vals, note = resolve_features(model, ("mlp.post", 1, [3, 8])).logit_effects(model, 4)
    hf = model.hf_model
    rows = hf.model.layers[1].mlp.down_proj.weight.detach()[:, [3, 8]].T  # nn.Linear: [d_model, d_mlp]
    logits = (rows * hf.model.norm.weight.detach()) @ hf.lm_head.weight.detach().T  # RMSNorm: no centring
    np.testing.assert_array_equal(ids[:, 0], torch.topk(logits, 4).indices.numpy())
    np.testing.assert_allclose(vals[:, 1], -torch.topk(-logits, 4).values.numpy(), rtol=1e-5, atol=1e-6)
    assert "centred" not in note
    vec = np.ones(model.cfg.d_model, np.float32)
    after = resolve_features(model, vec, hook="ln_final").logit_effects(model, 2)
    assert after is not None and "after the final norm" in after[2]
    np.testing.assert_allclose(after[1][0, 0], torch.topk(hf.lm_head.weight.detach() @ torch.from_numpy(vec), 2)
                               .values.numpy(), rtol=1e-5)
