"""Head scores on hand-made attention patterns with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from interplay.methods.head_scores import duplicate_token_score, induction_score, previous_token_score


def _patterns(seq: int, period: int) -> np.ndarray:
    """[batch=2, layer=2, head=3, q, k]: BOS sink, previous-token, induction, duplicate, uniform, self."""
    p = np.zeros((2, 2, 3, seq, seq))
    q = np.arange(seq)
    p[:, 0, 0, :, 0] = 1.0  # attends to BOS
    p[:, 0, 1, q, np.maximum(q - 1, 0)] = 1.0  # previous token
    for i in range(seq):
        k_ind = i - period + 1 if i >= period + 1 else 0
        k_dup = i - period if i >= period + 1 else 0
        p[:, 0, 2, i, k_ind] = 1.0
        p[:, 1, 0, i, k_dup] = 1.0
        p[:, 1, 1, i, : i + 1] = 1.0 / (i + 1)  # uniform causal
        p[:, 1, 2, i, i] = 1.0  # self
    return p


def test_known_heads() -> None:
    period = 5
    p = _patterns(1 + 2 * period, period)
    prev = previous_token_score(p)
    ind = induction_score(p, period)
    dup = duplicate_token_score(p, period)
    assert prev.shape == ind.shape == dup.shape == (2, 3)
    assert prev[0, 1] == pytest.approx(1.0) and prev[0, 0] == pytest.approx(0.1)  # only q=1 hits BOS
    assert ind[0, 2] == pytest.approx(1.0) and ind[0, 1] == 0.0 and ind[1, 2] == 0.0
    assert dup[1, 0] == pytest.approx(1.0) and dup[0, 2] == 0.0
    # uniform attention over q+1 keys scores 1/(q+1) on every query
    expected = np.mean([1 / (q + 1) for q in range(period + 1, 2 * period + 1)])
    assert ind[1, 1] == pytest.approx(expected) and dup[1, 1] == pytest.approx(expected)


def test_tokens_agree_with_period_on_repeated_sequences() -> None:
    period = 4
    tokens = np.array([[0, 11, 12, 13, 14, 11, 12, 13, 14]] * 2)
    p = _patterns(tokens.shape[1], period)
    np.testing.assert_allclose(induction_score(p, tokens=tokens), induction_score(p, period))
    np.testing.assert_allclose(duplicate_token_score(p, tokens=tokens), duplicate_token_score(p, period))


def test_torch_input_single_prompt_and_lengths() -> None:
    torch = pytest.importorskip("torch")
    p = _patterns(11, 5)
    single = previous_token_score(torch.tensor(p[0], dtype=torch.bfloat16))
    np.testing.assert_allclose(single, previous_token_score(p), atol=1e-2)
    # padding queries (beyond lengths) are ignored: garbage there changes nothing
    padded = np.concatenate([p, np.zeros((2, 2, 3, 2, 11))], axis=3)
    padded = np.concatenate([padded, np.zeros((2, 2, 3, 13, 2))], axis=4)
    padded[:, :, :, 11:, 0] = 1.0
    np.testing.assert_allclose(previous_token_score(padded, lengths=[11, 11]), previous_token_score(p))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="query == key"):
        previous_token_score(np.zeros((1, 1, 1, 3, 4)))
    with pytest.raises(ValueError, match="exactly one of period or tokens"):
        induction_score(np.zeros((1, 1, 1, 3, 3)))
    with pytest.raises(ValueError, match="period must be a positive integer"):
        induction_score(np.zeros((1, 1, 1, 3, 3)), 0)
    with pytest.raises(ValueError, match="no query position"):
        duplicate_token_score(np.zeros((1, 1, 1, 3, 3)), tokens=np.array([[1, 2, 3]]))
