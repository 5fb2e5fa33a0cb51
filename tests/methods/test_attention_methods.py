"""Head scores and thumbnails (analytic cases and an independent reference, methods.head_scores), the
model path against captured patterns, and the result's save/load round trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.methods import head_scores as ref
from interplay.widgets._attention_summary import (
    SCORE_NAMES,
    Repeats,
    build,
    check_patterns,
    max_pool,
    summarise_layer,
    thumbnail,
)
from tests.helpers import wire

PROMPT = "When Mary and John went to the store, John gave a drink to Mary"


def _random_patterns(layers: int, heads: int, n: int, seed: int = 0) -> np.ndarray:
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(layers, heads, n, n, generator=g) * 3
    scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    return scores.softmax(-1).numpy()


def _scores(pattern: np.ndarray, ids: Any) -> np.ndarray:
    """[score, head] of one layer [head, q, k]."""
    pattern = np.asarray(pattern, np.float32)
    return summarise_layer(pattern, Repeats.of(np.asarray(ids)), 1).scores


def test_torch_tensors_and_numpy_give_the_same_data() -> None:
    p = _random_patterns(2, 3, 40)
    tokens = [f" w{i % 7}" for i in range(40)]
    assert build(tokens, torch.from_numpy(p)) == build(tokens, p)
    assert build(tokens, p.astype(np.float64)) == build(tokens, p)
    with pytest.raises(interplay.InterplayError, match="no tokens"):
        build([], np.zeros((1, 1, 0, 0)))


def test_scores_agree_with_the_reference_implementation() -> None:
    p = _random_patterns(3, 4, 20)
    ids = np.array([5, 1, 2, 3, 4, 1, 2, 3, 9, 9, 4, 7, 1, 2, 8, 3, 3, 5, 6, 1])
    ours = np.stack([_scores(p[layer], ids) for layer in range(3)], axis=1)  # [score, layer, head]
    i = {n: k for k, n in enumerate(SCORE_NAMES)}
    np.testing.assert_allclose(ours[i["previous_token"]], ref.previous_token_score(p), rtol=1e-5)
    np.testing.assert_allclose(ours[i["induction"]], ref.induction_score(p, tokens=ids), rtol=1e-5)
    np.testing.assert_allclose(ours[i["duplicate_token"]], ref.duplicate_token_score(p, tokens=ids), rtol=1e-5)
    np.testing.assert_array_equal(build([str(t) for t in ids], p, token_ids=ids).scores, ours)  # any stride


def test_analytic_scores_of_uniform_and_shifted_patterns() -> None:
    n = 12
    uniform = np.tril(np.ones((n, n), np.float32))
    uniform = (uniform / uniform.sum(-1, keepdims=True))[None]
    s = _scores(uniform, np.arange(n))  # no repeats
    q = np.arange(n, dtype=np.float64)
    assert s[SCORE_NAMES.index("bos"), 0] == pytest.approx((1 / (q + 1)).mean(), rel=1e-6)
    assert s[SCORE_NAMES.index("entropy"), 0] == pytest.approx(np.log(q + 1).mean(), rel=1e-5)
    assert np.isnan(s[SCORE_NAMES.index("induction"), 0]) and np.isnan(s[SCORE_NAMES.index("duplicate_token"), 0])
    prev = np.zeros((1, n, n), np.float32)
    prev[0, 0, 0] = 1
    prev[0, np.arange(1, n), np.arange(n - 1)] = 1
    s = _scores(prev, np.arange(n))
    assert s[SCORE_NAMES.index("previous_token"), 0] == 1.0
    assert s[SCORE_NAMES.index("self"), 0] == pytest.approx(1 / n)
    assert s[SCORE_NAMES.index("entropy"), 0] == 0.0
    # a perfect induction head on a repeated sequence: [B] a b c d a b c d
    ids = np.array([0, 1, 2, 3, 4, 1, 2, 3, 4])
    ind = np.zeros((1, 9, 9), np.float32)
    for query in range(9):
        ind[0, query, query - 3 if query >= 5 else 0] = 1
    s = _scores(ind, ids)
    assert s[SCORE_NAMES.index("induction"), 0] == 1.0
    assert s[SCORE_NAMES.index("duplicate_token"), 0] == 0.0


def test_repeats_are_the_pairs_of_earlier_occurrences() -> None:
    ids = np.array([7, 3, 7, 7, 3, 1])
    rep = Repeats.of(ids)
    pairs = sorted(zip(rep.pair_queries.tolist(), rep.keys.tolist(), strict=True))
    assert pairs == [(2, 0), (3, 0), (3, 2), (4, 1)]
    assert rep.queries.tolist() == [2, 3, 4] and rep.starts.tolist() == [0, 1, 3]
    assert Repeats.of(np.arange(5)).keys.size == 0 and Repeats.of(np.zeros(0, int)).queries.size == 0


def test_max_pool_and_thumbnail() -> None:
    a = np.arange(25, dtype=np.float32).reshape(5, 5)
    np.testing.assert_array_equal(max_pool(a, 2), [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    assert max_pool(a, 1) is a  # no copy
    big = np.random.default_rng(0).random((2, 100, 100)).astype(np.float32)
    t, stride = thumbnail(big, 32)
    assert stride == 4 and t.shape == (2, 25, 25)
    assert t.max() == big.max()
    np.testing.assert_array_equal(t, big.reshape(2, 25, 4, 25, 4).max(axis=(2, 4)))
    nan = np.zeros((4, 4), np.float32)
    nan[1, 1] = np.nan
    assert np.isnan(max_pool(nan, 2)[0, 0]) and max_pool(nan, 2)[1, 1] == 0
    np.testing.assert_array_equal(max_pool(np.ones((3, 7), np.float16), 3), np.ones((1, 3)))


@pytest.mark.parametrize(
    ("patterns", "n", "match"),
    [
        (np.ones((2, 3, 4)), 4, "shape \\[layer, head, query, key\\]"),
        (np.ones((1, 1, 3, 4)) / 4, 3, "square"),
        (np.ones((1, 1, 4, 4)) / 4, 5, "5 tokens but the patterns cover 4"),
        (np.ones((1, 2, 3, 3)) / 2, 3, "layer 0, head 0, query 0 sums to 1.5000"),
        (-np.eye(3)[None, None], 3, "negative"),
        ("patterns", 3, "patterns must be a numeric array"),
    ],
)
def test_bad_patterns_are_named(patterns: Any, n: int, match: str) -> None:
    with pytest.raises(interplay.InterplayError, match=match):
        check_patterns(patterns, n)


def test_checks_see_every_block() -> None:
    p = _random_patterns(2, 2, 70)  # stride 3, a partial edge block
    assert check_patterns(p, 70) is p
    bad = p.copy()
    bad[1, 1, 69, 0] += 0.01  # the last row of the partial block
    with pytest.raises(interplay.InterplayError, match=r"layer 1, head 1, query 69 sums to 1\.0100"):
        check_patterns(bad)
    bad = p.copy()
    bad[0, 1, 2, 60] = -0.5  # far above the diagonal
    with pytest.raises(interplay.InterplayError, match=r"negative weights \(layer 0 holds -0\.5\)"):
        check_patterns(bad)
    tiny = p.copy()
    tiny[0, 0, 1, 50] = -1e-7  # tolerated, but no longer causal
    assert not build([str(i) for i in range(70)], tiny).causal
    assert build([str(i) for i in range(70)], p).causal


def test_nan_patterns_are_allowed_and_noted() -> None:
    p = _random_patterns(1, 2, 6)
    p[0, 1, 3] = np.nan
    data = build([f"t{i}" for i in range(6)], p)
    assert data.notes == ["6 NaN attention weights (hatched)"]
    assert np.isnan(data.scores[SCORE_NAMES.index("entropy"), 0, 1])
    assert not np.isnan(data.scores[SCORE_NAMES.index("entropy"), 0, 0])


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox", "gemma2"])
def test_model_path_equals_captured_path(model: Any) -> None:
    a = interplay.attention(model.run(PROMPT, capture="pattern"))
    b = interplay.attention(model, PROMPT)
    c = interplay.attention(model, PROMPT, keep_bytes=0)
    for other in (b, c):
        np.testing.assert_allclose(a.scores, other.scores, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a.thumbnails, other.thumbnails, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a.layer(1), other.layer(1), atol=1e-6)
        assert a.tokens == other.tokens and a.causal == other.causal == model.cfg.causal
    assert b.data.patterns is not None and b.data.patterns.dtype == np.float32 and c.data.patterns is None
    np.testing.assert_array_equal(a.token_ids, model.tokenize(PROMPT).token_ids[0].numpy())


def test_patterns_kept_in_float16_when_float32_does_not_fit(gpt2: Any) -> None:
    n = len(gpt2.to_str_tokens(PROMPT))
    size = gpt2.cfg.n_layers * gpt2.cfg.n_heads * n * n
    half = interplay.attention(gpt2, PROMPT, keep_bytes=2 * size)
    assert half.data.patterns is not None and half.data.patterns.dtype == np.float16
    full = interplay.attention(gpt2, PROMPT, keep_bytes=4 * size)
    np.testing.assert_allclose(half.layer(1), full.layer(1), atol=1e-3)
    assert half.layer(1).dtype == np.float32


def test_recomputed_layers_stop_early_match_and_are_cached(gpt2: Any) -> None:
    kept = interplay.attention(gpt2, PROMPT)
    recomputed = interplay.attention(gpt2, PROMPT, keep_bytes=0, cache_layers=1)
    assert recomputed.notes and not kept.notes
    calls: list[int] = []
    handle = gpt2.hf_model.transformer.h[1].register_forward_hook(lambda *a: calls.append(1))
    try:
        layer0 = recomputed.layer(0)  # stops after layer 0: block 1 never runs
        assert recomputed.layer(0) is layer0  # cached
    finally:
        handle.remove()
    assert calls == []
    np.testing.assert_allclose(layer0, kept.layer(0), atol=1e-6)
    recomputed.layer(1)
    assert list(recomputed.session._cache) == [(0, 1)]  # cache_layers=1: layer 0 went


def test_several_prompts_and_batch(gpt2: Any) -> None:
    prompts = [PROMPT, "The capital of France is Paris"]
    res = interplay.attention(gpt2, prompts, batch=1)
    assert res.batch_index == 1 and res.tokens == gpt2.to_str_tokens(prompts[1])
    assert res.sequences[1].startswith("The capital") and "sequence 1 of 2" in res.notes
    first = res.sequence(0)
    single = interplay.attention(gpt2, PROMPT)
    np.testing.assert_allclose(first.scores, single.scores, rtol=1e-5, atol=1e-6)
    view = res.show()
    view.batch_index = 0
    assert view.tokens == single.tokens
    traced = interplay.attention(gpt2.run(prompts), batch=1)  # a trace without patterns: the model's
    np.testing.assert_allclose(traced.scores, res.scores, rtol=1e-5, atol=1e-6)


def test_bad_arguments_are_named(gpt2: Any) -> None:
    trace = gpt2.run(PROMPT)
    with pytest.raises(interplay.InterplayError, match="prompt is missing"):
        interplay.attention(gpt2)
    with pytest.raises(interplay.InterplayError, match="pass one or the other"):
        interplay.attention(trace, PROMPT)
    with pytest.raises(interplay.InterplayError, match="takes an interplay Model"):
        interplay.attention("gpt2", PROMPT)  # type: ignore[arg-type]
    with pytest.raises(interplay.InterplayError, match="batch=1 is out of range: there are 1 sequences"):
        interplay.attention(trace, batch=1)
    with pytest.raises(interplay.InterplayError, match="keep_bytes=-1 must be an integer >= 0"):
        interplay.attention(gpt2, PROMPT, keep_bytes=-1)
    with pytest.raises(interplay.InterplayError, match="cache_layers=0"):
        interplay.attention(gpt2, PROMPT, cache_layers=0)
    with pytest.raises(interplay.PromptError, match="prompt must be a string"):
        interplay.attention(gpt2, [PROMPT, 3])  # type: ignore[list-item]
    res = interplay.attention(trace)
    with pytest.raises(interplay.InterplayError, match="layer 7 is out of range"):
        res.layer(7)
    with pytest.raises(interplay.InterplayError, match="unknown score 'nope'"):
        res.plot(score="nope")


def test_dataframe_and_plot(gpt2: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    res = interplay.attention(gpt2, PROMPT)
    df = res.to_dataframe()
    assert list(df.columns) == ["layer", "head", *SCORE_NAMES] and len(df) == 8
    row = df[(df["layer"] == 1) & (df["head"] == 2)].iloc[0]
    assert row["induction"] == pytest.approx(float(res.scores[1, 1, 2]))
    assert res.show().score_table().equals(df)
    assert res.plot() is not None and res.plot(score="entropy") is not None


@pytest.mark.parametrize("kept", ["float32", "float16", "none"])
def test_save_load_round_trip(gpt2: Any, tmp_path: Path, kept: str) -> None:
    n = len(gpt2.to_str_tokens(PROMPT))
    size = gpt2.cfg.n_layers * gpt2.cfg.n_heads * n * n
    keep_bytes = {"float32": 4 * size, "float16": 2 * size, "none": 0}[kept]
    res = interplay.attention(gpt2, [PROMPT, "Paris"], keep_bytes=keep_bytes)
    path = res.save(tmp_path / "attention.interplay")
    loaded = interplay.AttentionResult.load(path)
    again = interplay.load_result(path)
    assert isinstance(again, interplay.AttentionResult) and again.data == res.data
    assert loaded.data == res.data and loaded.session is None and not loaded.live
    assert str(loaded.data.patterns.dtype if loaded.data.patterns is not None else "none") == kept
    view, live = loaded.show(), res.show()
    for trait in ("tokens", "sequences", "batch_index", "n_layers", "n_heads", "causal", "thumbnails",
                  "thumb_stride", "scores", "score_names", "selected", "query", "title"):
        assert wire(view, trait) == wire(live, trait), trait
    assert loaded.to_dataframe().equals(res.to_dataframe())
    with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
        loaded.sequence(1)
    with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
        view.batch_index = 1
    if keep_bytes:  # the detail works from the file alone
        np.testing.assert_array_equal(view.answer("row", {"layer": 1, "head": 2, "query": 3})["values"]["data"],
                                      live.answer("row", {"layer": 1, "head": 2, "query": 3})["values"]["data"])
        np.testing.assert_array_equal(loaded.layer(0), res.layer(0))
    else:
        with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
            view.answer("pattern", {"layer": 0, "head": 0})
        with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
            loaded.layer(0)


def test_data_checks_its_shapes(gpt2: Any) -> None:
    data = interplay.attention(gpt2, PROMPT).data
    with pytest.raises(interplay.ShapeError, match="scores"):
        dataclasses.replace(data, scores=data.scores[:, :1])
    with pytest.raises(interplay.ShapeError, match="thumbnails"):
        dataclasses.replace(data, thumb_stride=2)
    with pytest.raises(interplay.ShapeError, match="patterns"):
        dataclasses.replace(data, patterns=np.zeros((1, 1, 2, 2), np.float32))
    with pytest.raises(interplay.ShapeError, match="batch_index 3"):
        dataclasses.replace(data, batch_index=3)
    assert dataclasses.replace(data, patterns=data.patterns.astype(np.float64)).patterns.dtype == np.float32


LOAD_ALONE = """
import sys
import interplay
res = interplay.load_result(sys.argv[1])
view = res.show()
assert view.answer("pattern", {"layer": 1, "head": 0})["pattern"]["shape"] == [len(view.tokens)] * 2
assert len(res.to_dataframe()) == res.n_layers * res.n_heads
assert "torch" not in sys.modules, "showing a saved attention result imported torch"
print("ok")
"""


def test_a_saved_result_shows_without_torch(gpt2: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = interplay.attention(gpt2, PROMPT).save(tmp_path / "attention.interplay")
    run = subprocess.run([sys.executable, "-c", LOAD_ALONE, str(path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
