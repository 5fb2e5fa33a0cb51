"""Per-head attention scores: previous-token, induction and duplicate-token heads.

Each function takes attention patterns of shape [batch, layer, head, query, key] (softmaxed,
each query row sums to 1 over keys; a single prompt's [layer, head, query, key] is accepted too)
as a torch tensor or numpy array, and returns a float64 numpy array [layer, head] with values in
[0, 1]: the average attention, over the queries where the score is defined, that a head pays to
the key position the score asks about. A score of 1 means the head always looks exactly there.

* previous-token heads attend from each token to the one right before it. They are the first
  half of an induction circuit: they write "the token before me was A" into position B.
* induction heads (Olsson et al. 2022, "In-context learning and induction heads") attend from a
  token A to the token right after an earlier occurrence of A, and copy it: [A][B] ... [A] -> [B].
  Measured on a sequence of random tokens repeated once, where every token of the second copy has
  an earlier occurrence exactly ``period`` positions back.
* duplicate-token heads (Wang et al. 2022, "Interpretability in the Wild", the IOI circuit)
  attend from a token to its own earlier occurrence: in IOI they mark the repeated subject name
  so later heads can inhibit it.

Scores need either the period of a repeated sequence (every query at or after ``first_query``
repeats the token ``period`` positions back) or the token ids themselves ([batch, query]); with
ids, every earlier matching position counts. ``lengths`` (real tokens per prompt, for right-padded
batches) keeps padding out of the averages.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def _as_numpy(pattern: Any) -> Array:
    if not isinstance(pattern, np.ndarray):
        pattern = pattern.detach().float().cpu().numpy()
    arr = np.asarray(pattern, dtype=np.float64)
    if arr.ndim == 4:
        arr = arr[None]
    if arr.ndim != 5 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(
            f"pattern must have shape [batch, layer, head, query, key] with query == key, got {list(arr.shape)}"
        )
    return arr


def _valid_queries(arr: Array, lengths: Any) -> NDArray[np.bool_]:
    """[batch, query] mask of real (non-padding) query positions."""
    batch, seq = arr.shape[0], arr.shape[-1]
    if lengths is None:
        return np.ones((batch, seq), dtype=bool)
    lens = np.asarray(lengths).reshape(-1)
    if lens.shape[0] != batch:
        raise ValueError(f"lengths has {lens.shape[0]} entries for a batch of {batch}")
    return np.arange(seq)[None, :] < lens[:, None]


def _weighted_mean(arr: Array, weights: Array) -> Array:
    """Sum of attention on ``weights``-marked keys, averaged over queries that have any.

    ``weights``: [batch, query, key] in {0, 1}. Returns [layer, head].
    """
    has = weights.sum(-1) > 0  # [batch, query]
    if not has.any():
        raise ValueError("no query position has a key to score (sequence too short or no repeats)")
    mass = np.einsum("blhqk,bqk->blhq", arr, weights)
    rows, queries = has.nonzero()
    selected: Array = mass[rows, :, :, queries]  # [n_queries, layer, head]
    return np.asarray(selected.mean(0), dtype=np.float64)


def _token_matches(tokens: Any, shift: int, seq: int) -> Array:
    """[batch, query, key]: key k < query q with tokens[k - shift] == tokens[q] (k - shift >= 0)."""
    if not isinstance(tokens, np.ndarray) and hasattr(tokens, "detach"):
        tokens = tokens.detach().cpu().numpy()
    ids = np.asarray(tokens)
    if ids.ndim == 1:
        ids = ids[None]
    if ids.shape[-1] != seq:
        raise ValueError(f"tokens have {ids.shape[-1]} positions, patterns {seq}")
    query = np.arange(seq)[:, None]
    source = np.arange(seq) - shift  # the position whose token key k is compared with, per key
    ok = (source[None, :] >= 0) & (source[None, :] < query)  # [query, key]
    same = ids[:, :, None] == ids[:, None, np.clip(source, 0, seq - 1)]  # [batch, query, key]
    return np.asarray(same & ok[None], dtype=np.float64)


def _periodic_keys(batch: int, seq: int, period: int, offset: int, first_query: int | None) -> Array:
    if not isinstance(period, int) or period <= 0:
        raise ValueError(f"period must be a positive integer, got {period!r}")
    start = period + 1 if first_query is None else first_query
    if start - period < 0:
        raise ValueError("first_query must be at least period")
    w = np.zeros((batch, seq, seq))
    for q in range(start, seq):
        k = q - period + offset
        if 0 <= k <= q:
            w[:, q, k] = 1.0
    return w


def previous_token_score(pattern: Any, lengths: Any = None) -> Array:
    """Mean attention from each token (position >= 1) to the token right before it.

    Returns [layer, head]. A previous-token head scores near 1 on any text.
    """
    arr = _as_numpy(pattern)
    batch, seq = arr.shape[0], arr.shape[-1]
    w = np.zeros((batch, seq, seq))
    idx = np.arange(1, seq)
    w[:, idx, idx - 1] = 1.0
    return _weighted_mean(arr, w * _valid_queries(arr, lengths)[:, :, None])


def induction_score(
    pattern: Any,
    period: int | None = None,
    *,
    tokens: Any = None,
    first_query: int | None = None,
    lengths: Any = None,
) -> Array:
    """Mean attention from a repeated token to the token right after its earlier occurrence.

    With ``period`` (a repeated sequence; e.g. BOS + L random tokens + the same L tokens has
    period L): queries from ``first_query`` (default ``period + 1``, the second copy after a BOS)
    attend to key ``query - period + 1``. With ``tokens`` ([batch, pos] ids) instead: every key k
    with tokens[k - 1] == tokens[query], k - 1 < query, counts. Returns [layer, head].
    """
    arr = _as_numpy(pattern)
    batch, seq = arr.shape[0], arr.shape[-1]
    if (period is None) == (tokens is None):
        raise ValueError("pass exactly one of period or tokens")
    if tokens is not None:
        w = _token_matches(tokens, 1, seq)
    else:
        assert period is not None
        w = _periodic_keys(batch, seq, period, 1, first_query)
    return _weighted_mean(arr, w * _valid_queries(arr, lengths)[:, :, None])


def duplicate_token_score(
    pattern: Any,
    period: int | None = None,
    *,
    tokens: Any = None,
    first_query: int | None = None,
    lengths: Any = None,
) -> Array:
    """Mean attention from a repeated token to its own earlier occurrence(s).

    With ``period``: queries from ``first_query`` (default ``period + 1``) attend to key
    ``query - period``. With ``tokens``: every earlier key with the same id counts (queries
    without an earlier duplicate are skipped). Returns [layer, head].
    """
    arr = _as_numpy(pattern)
    batch, seq = arr.shape[0], arr.shape[-1]
    if (period is None) == (tokens is None):
        raise ValueError("pass exactly one of period or tokens")
    if tokens is not None:
        w = _token_matches(tokens, 0, seq)
    else:
        assert period is not None
        w = _periodic_keys(batch, seq, period, 0, first_query)
    return _weighted_mean(arr, w * _valid_queries(arr, lengths)[:, :, None])
