"""Head scores and thumbnails: analytic cases and an independent reference (methods.head_scores)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.methods import head_scores as ref
from interplay.methods.attention import (
    SCORE_NAMES,
    check_patterns,
    from_arrays,
    from_model,
    from_trace,
    head_scores,
    max_pool,
    thumbnail,
)


def _random_patterns(layers: int, heads: int, n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(layers, heads, n, n, generator=g) * 3
    scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    return scores.softmax(-1)


def test_scores_agree_with_the_reference_implementation() -> None:
    p = _random_patterns(3, 4, 20)
    ids = torch.tensor([5, 1, 2, 3, 4, 1, 2, 3, 9, 9, 4, 7, 1, 2, 8, 3, 3, 5, 6, 1])
    ours = np.stack([head_scores(p[layer], ids).numpy() for layer in range(3)], axis=1)  # [score, layer, head]
    i = {n: k for k, n in enumerate(SCORE_NAMES)}
    np.testing.assert_allclose(ours[i["previous_token"]], ref.previous_token_score(p), rtol=1e-5)
    np.testing.assert_allclose(ours[i["induction"]], ref.induction_score(p, tokens=ids), rtol=1e-5)
    np.testing.assert_allclose(ours[i["duplicate_token"]], ref.duplicate_token_score(p, tokens=ids), rtol=1e-5)


def test_analytic_scores_of_uniform_and_shifted_patterns() -> None:
    n = 12
    uniform = torch.ones(n, n).tril()
    uniform = (uniform / uniform.sum(-1, keepdim=True))[None]
    s = head_scores(uniform, torch.arange(n))  # no repeats
    q = torch.arange(n, dtype=torch.float32)
    torch.testing.assert_close(s[SCORE_NAMES.index("bos"), 0], (1 / (q + 1)).mean())
    torch.testing.assert_close(s[SCORE_NAMES.index("entropy"), 0], torch.log(q + 1).mean())
    assert torch.isnan(s[SCORE_NAMES.index("induction"), 0])
    prev = torch.zeros(1, n, n)
    prev[0, 0, 0] = 1
    prev[0, torch.arange(1, n), torch.arange(n - 1)] = 1
    s = head_scores(prev, torch.arange(n))
    assert s[SCORE_NAMES.index("previous_token"), 0] == 1.0
    assert s[SCORE_NAMES.index("self"), 0] == pytest.approx(1 / n)
    # a perfect induction head on a repeated sequence: [B] a b c d a b c d
    ids = torch.tensor([0, 1, 2, 3, 4, 1, 2, 3, 4])
    ind = torch.zeros(1, 9, 9)
    for query in range(9):
        ind[0, query, query - 3 if query >= 5 else 0] = 1
    s = head_scores(ind, ids)
    assert s[SCORE_NAMES.index("induction"), 0] == 1.0
    assert s[SCORE_NAMES.index("duplicate_token"), 0] == 0.0


def test_max_pool_and_thumbnail() -> None:
    a = np.arange(25, dtype=np.float32).reshape(5, 5)
    np.testing.assert_array_equal(max_pool(a, 2), [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    big = np.random.default_rng(0).random((2, 100, 100)).astype(np.float32)
    t, stride = thumbnail(big, 32)
    assert stride == 4 and t.shape == (2, 25, 25)
    assert t.max() == big.max()
    nan = np.zeros((4, 4), np.float32)
    nan[1, 1] = np.nan
    assert np.isnan(max_pool(nan, 2)[0, 0])


@pytest.mark.parametrize(
    ("patterns", "n", "match"),
    [
        (np.ones((2, 3, 4)), 4, "shape \\[layer, head, query, key\\]"),
        (np.ones((1, 1, 3, 4)) / 4, 3, "square"),
        (np.ones((1, 1, 4, 4)) / 4, 5, "5 tokens but the patterns cover 4"),
        (np.ones((1, 2, 3, 3)) / 2, 3, "layer 0, head 0, query 0 sums to 1.5000"),
        (-np.eye(3)[None, None], 3, "negative"),
    ],
)
def test_bad_patterns_are_named(patterns: Any, n: int, match: str) -> None:
    with pytest.raises(interplay.InterplayError, match=match):
        check_patterns(patterns, n)


def test_nan_patterns_are_allowed_and_noted() -> None:
    p = _random_patterns(1, 2, 6).numpy()
    p[0, 1, 3] = np.nan
    data = from_arrays([f"t{i}" for i in range(6)], p)
    assert any("NaN" in note for note in data.notes)


def test_model_path_equals_captured_path(gpt2: Any) -> None:
    prompt = "When Mary and John went to the store, John gave a drink to Mary"
    a = from_trace(gpt2.run(prompt, capture="pattern"))
    b = from_model(gpt2, prompt)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.thumbnails, b.thumbnails, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.layer(1), b.layer(1), atol=1e-3)  # b keeps float16 patterns
    assert a.tokens == b.tokens


def test_recomputed_layers_stop_early_and_match(gpt2: Any) -> None:
    prompt = "When Mary and John went to the store, John gave a drink to Mary"
    kept = from_model(gpt2, prompt)
    recomputed = from_model(gpt2, prompt, keep_bytes=0)
    assert recomputed.notes and not kept.notes
    calls: list[int] = []
    handle = gpt2.hf_model.transformer.h[1].register_forward_hook(lambda *a: calls.append(1))
    try:
        layer0 = recomputed.layer(0)  # stops after layer 0: block 1 never runs
    finally:
        handle.remove()
    assert calls == []
    np.testing.assert_allclose(layer0, kept.layer(0), atol=1e-3)  # kept ones are float16
    np.testing.assert_allclose(recomputed.layer(1), from_trace(gpt2.run(prompt, capture="pattern")).layer(1), atol=1e-6)
