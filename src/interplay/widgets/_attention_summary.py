"""Attention patterns summarised in numpy: head scores, thumbnails and checks, fast at any length.

A head's pattern ``A[q, k]`` is the softmaxed weight that query position q puts on key k. Reading
heads by their summaries is how induction and previous-token heads were found (Olsson et al. 2022,
"In-context learning and induction heads"; Elhage et al. 2021, "A Mathematical Framework for
Transformer Circuits"). Per head, over the queries of one sequence:

* ``previous_token``: mean ``A[q, q-1]`` over q >= 1;
* ``induction``: mean, over the queries whose token occurred earlier, of the attention to the tokens
  right *after* those earlier occurrences: ``sum A[q, k]`` over ``k <= q`` with ``ids[k-1] == ids[q]``
  (NaN if the text repeats nothing);
* ``duplicate_token``: the same queries, ``sum A[q, k]`` over the earlier occurrences ``k < q`` with
  ``ids[k] == ids[q]``;
* ``bos``: mean ``A[q, 0]`` (attention parked on the first token);
* ``self``: mean ``A[q, q]``;
* ``entropy``: mean ``-sum_k A[q, k] log A[q, k]`` in nats (``0 log 0 = 0``).

NaN is never dropped: a query whose row holds a NaN weight gives NaN to the scores that sum its row
(induction, duplicate_token, entropy), a NaN at ``A[q, q-1]``, ``A[q, q]`` or ``A[q, 0]`` to the
score that reads it, and the mean over queries is then NaN.

How it stays fast (12 layers x 12 heads x 1,024 tokens, 600 MB of float32, in well under a second
on two cores): layers are summarised in parallel threads (numpy releases the GIL); each layer is
read from memory once, in blocks of query rows: each block's max over its rows gives a row of
thumbnails and proves where the block is all zero, and its row sums and entropies are taken while
it is in cache, only up to that key (half the work on a causal pattern); the repeat scores gather only the
(query, key) pairs of repeated tokens instead of dense [q, k] masks; nothing makes a full-size
temporary.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from interplay.data.arrays import as_array
from interplay.data.attention import SCORE_NAMES, AttentionData
from interplay.errors import InterplayError, ShapeError

__all__ = ["SCORE_NAMES", "THUMB_SIZE", "LayerSummary", "Repeats", "assemble", "build", "check_patterns",
           "max_pool", "score_frame", "summarise_layer", "thumb_stride", "thumbnail"]

THUMB_SIZE = 32
#: (query, key) pairs gathered at once for the repeat scores (bounds memory on very repetitive text)
PAIR_CHUNK = 1 << 20
F32 = npt.NDArray[np.float32]
Ints = npt.NDArray[np.intp]
T = TypeVar("T")


# ------------------------------------------------------------------------------------- pooling
def thumb_stride(n: int, size: int = THUMB_SIZE) -> int:
    """Positions per thumbnail cell, so that ``n`` positions take at most ``size`` cells."""
    return max(1, math.ceil(n / size))


def _pool_rows(x: npt.NDArray[Any], s: int) -> npt.NDArray[Any]:
    """[..., q, k] -> [..., ceil(q/s), k]: max over blocks of ``s`` rows (a view is reshaped: no copy)."""
    q = x.shape[-2]
    full = q - q % s
    parts = []
    if full:
        parts.append(x[..., :full, :].reshape(*x.shape[:-2], full // s, s, x.shape[-1]).max(axis=-2))
    if full < q:
        parts.append(x[..., full:, :].max(axis=-2, keepdims=True))
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-2)


def _pool_cols(x: npt.NDArray[Any], s: int) -> npt.NDArray[Any]:
    """[..., k] -> [..., ceil(k/s)]: max over blocks of ``s`` columns."""
    k = x.shape[-1]
    full = k - k % s
    parts = []
    if full:
        parts.append(x[..., :full].reshape(*x.shape[:-1], full // s, s).max(axis=-1))
    if full < k:
        parts.append(x[..., full:].max(axis=-1, keepdims=True))
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)


def max_pool(pattern: npt.ArrayLike, stride: int) -> F32:
    """Max-pool the last two axes by ``stride`` (edge blocks pool what they hold; NaN propagates, so
    it shows). Never copies the input: rows are pooled first, on a reshaped view."""
    arr = np.asarray(pattern)
    if stride <= 1:
        return arr.astype(np.float32, copy=False)
    return np.asarray(_pool_cols(_pool_rows(arr, stride), stride), dtype=np.float32)


def thumbnail(pattern: npt.ArrayLike, size: int = THUMB_SIZE) -> tuple[F32, int]:
    """[..., n, n] -> ([..., T, T], stride) with T <= size."""
    arr = np.asarray(pattern)
    stride = thumb_stride(arr.shape[-1], size)
    return max_pool(arr, stride), stride


# ---------------------------------------------------------------------------- repeated tokens
@dataclass(frozen=True)
class Repeats:
    """The (query, key) pairs of repeated tokens, grouped by query: ``keys`` are the earlier
    occurrences of each query's token (the duplicate-token keys; ``keys + 1`` the induction keys)."""

    queries: Ints  #: queries whose token occurred earlier, ascending
    starts: Ints  #: where each of those queries' pairs start
    pair_queries: Ints
    keys: Ints

    @classmethod
    def of(cls, ids: npt.ArrayLike) -> Repeats:
        ids = np.asarray(ids).reshape(-1)
        n = ids.shape[0]
        order = np.argsort(ids, kind="stable")  # positions grouped by id, ascending within a group
        sorted_ids = ids[order]
        first = np.ones(n, bool)
        first[1:] = sorted_ids[1:] != sorted_ids[:-1]
        group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else np.zeros(0, np.intp)
        earlier, start = np.empty(n, np.intp), np.empty(n, np.intp)
        earlier[order] = np.arange(n) - group_start  # occurrences before each position
        start[order] = group_start
        queries = np.flatnonzero(earlier)
        counts = earlier[queries]
        offsets = np.cumsum(counts) - counts
        within = np.arange(int(counts.sum())) - np.repeat(offsets, counts)
        keys = order[np.repeat(start[queries], counts) + within]
        return cls(queries, offsets, np.repeat(queries, counts), keys)


def _pair_mass(p: F32, rep: Repeats, shift: int) -> npt.NDArray[np.float64]:
    """[head, len(rep.queries)]: per query, the attention summed over its pairs' keys (+ ``shift``)."""
    nq, total = rep.queries.shape[0], rep.keys.shape[0]
    out = np.empty((p.shape[0], nq))
    ends = np.append(rep.starts[1:], total)
    i = 0
    while i < nq:
        j = max(i + 1, int(np.searchsorted(ends, rep.starts[i] + PAIR_CHUNK, side="right")))
        a, b = int(rep.starts[i]), int(ends[j - 1])
        vals = p[:, rep.pair_queries[a:b], rep.keys[a:b] + shift]  # [head, pairs]
        out[:, i:j] = np.add.reduceat(vals, rep.starts[i:j] - a, axis=1, dtype=np.float64)
        i = j
    return out


def _repeat_score(p: F32, rep: Repeats, shift: int, finite_rows: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    if rep.queries.size == 0:
        return np.full(p.shape[0], np.nan)
    mass = _pair_mass(p, rep, shift)
    mass[~finite_rows[:, rep.queries]] = np.nan
    out: npt.NDArray[np.float64] = mass.mean(axis=-1)
    return out


# ----------------------------------------------------------------------------- one layer
@dataclass(frozen=True)
class LayerSummary:
    """One layer's summaries ([head, ...]) and what the checks need."""

    scores: F32  #: [score, head]
    thumbnails: F32  #: [head, T, T]
    row_sums: F32  #: [head, query]
    minimum: float  #: the smallest weight, NaN ignored (NaN when every weight is NaN)
    causal: bool  #: no weight above the diagonal (NaN counted as 0)
    nan_count: int


def _key_limit(pooled: npt.NDArray[Any], minimum: float) -> int:
    """The key after which every weight of a block of rows is 0, from the block's maxima per key
    [head, key] (NaN counts as nonzero; with a negative weight in the block, a maximum of 0 proves
    nothing, so the limit is the whole row)."""
    n = int(pooled.shape[-1])
    if not minimum >= 0:
        return n
    nonzero = (pooled != 0).any(axis=0)
    return n - int(np.argmax(nonzero[::-1])) if bool(nonzero.any()) else 0


def _is_causal(p: npt.NDArray[Any], thumbs: F32, stride: int, minimum: float) -> bool:
    n, nb = p.shape[-1], thumbs.shape[-1]
    rows, cols = np.triu_indices(nb, 1)
    upper = thumbs[:, rows, cols]  # pooled maxima of the blocks right of the diagonal
    if minimum >= 0 and not np.isnan(upper).any():
        if upper.any():
            return False
    else:  # negatives or NaN there: look at those blocks themselves (NaN counted as 0)
        for b in range(nb - 1):
            slab = p[:, b * stride:(b + 1) * stride, (b + 1) * stride:]
            if ((slab != 0) & ~np.isnan(slab)).any():
                return False
    for b in range(nb):  # the diagonal blocks: their own upper triangles
        q0, q1 = b * stride, min(n, (b + 1) * stride)
        tri = np.triu(p[:, q0:q1, q0:q1], 1)
        if ((tri != 0) & ~np.isnan(tri)).any():
            return False
    return True


def summarise_layer(pattern: npt.NDArray[Any], repeats: Repeats | None, stride: int) -> LayerSummary:
    """Scores, thumbnails and check statistics of one layer's patterns [head, query, key] (float32).
    ``repeats`` None: only what the checks need (the scores come back NaN).

    One pass over blocks of ``stride`` query rows: each block is read from memory once (its max over
    rows: a thumbnail row, and the key limit right of which it is all zero), then, while it is in
    cache, its row sums and entropies up to that limit."""
    p = pattern
    heads, n = p.shape[0], p.shape[-1]
    n_blocks = math.ceil(n / stride)
    thumbs = np.empty((heads, n_blocks, n_blocks), np.float32)
    row_sums = np.empty((heads, n), np.float32)
    entropy_rows = np.empty((heads, n), np.float32)
    buf = np.empty(heads * min(stride, n) * n, np.float32) if repeats is not None else None
    block_mins = []
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for b in range(n_blocks):
            q0, q1 = b * stride, min(n, (b + 1) * stride)
            block = p[:, q0:q1, :]
            pooled = block.max(axis=1)  # [head, key]
            thumbs[:, b, :] = _pool_cols(pooled, stride)
            block_min = float(np.fmin.reduce(block, axis=None))
            block_mins.append(block_min)
            a = block[:, :, :_key_limit(pooled, block_min)]
            row_sums[:, q0:q1] = a.sum(axis=-1, dtype=np.float32)
            if buf is not None:
                t = buf[: a.size].reshape(a.shape)
                np.maximum(a, np.float32(1e-30), out=t)
                np.log(t, out=t)
                entropy_rows[:, q0:q1] = np.einsum("hqk,hqk->hq", a, t)
        finite = np.isfinite(row_sums)
        scores = np.full((len(SCORE_NAMES), heads), np.nan, np.float32)
        if repeats is not None:
            if n > 1:
                scores[0] = np.diagonal(p, -1, 1, 2).mean(axis=-1, dtype=np.float64)
            scores[1] = _repeat_score(p, repeats, 1, finite)
            scores[2] = _repeat_score(p, repeats, 0, finite)
            scores[3] = p[:, :, 0].mean(axis=-1, dtype=np.float64)
            scores[4] = np.diagonal(p, 0, 1, 2).mean(axis=-1, dtype=np.float64)
            scores[5] = -entropy_rows.mean(axis=-1, dtype=np.float64)
        minimum = float(np.fmin.reduce(np.array(block_mins))) if block_mins else 0.0
        causal = _is_causal(p, thumbs, stride, minimum)
    nan_count = 0
    bad_heads, bad_queries = np.nonzero(~finite)
    for i in range(0, bad_heads.shape[0], 1024):
        nan_count += int(np.isnan(p[bad_heads[i:i + 1024], bad_queries[i:i + 1024]]).sum())
    return LayerSummary(scores, thumbs, row_sums, minimum, causal, nan_count)


# ---------------------------------------------------------------------------------- checks
def _each_layer(fn: Callable[[int], T], n_layers: int) -> list[T]:
    workers = min(n_layers, os.cpu_count() or 1)
    if workers <= 1:
        return [fn(i) for i in range(n_layers)]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, range(n_layers)))


def _check_shape(patterns: Any, n_tokens: int | None) -> F32:
    arr = as_array(patterns, "patterns")
    if arr.dtype.kind not in "fiub":
        raise ShapeError(f"patterns must be a numeric array [layer, head, query, key]; got {type(patterns).__name__} "
                         f"(dtype {arr.dtype})")
    if arr.ndim != 4:
        raise ShapeError(f"patterns must have shape [layer, head, query, key]; got {arr.ndim} axes {list(arr.shape)}")
    if arr.shape[2] != arr.shape[3]:
        raise ShapeError(f"patterns must be square in query x key; got {arr.shape[2]} x {arr.shape[3]}")
    if n_tokens is not None and arr.shape[2] != n_tokens:
        raise ShapeError(f"{n_tokens} tokens but the patterns cover {arr.shape[2]} positions (shape {list(arr.shape)})")
    return arr.astype(np.float32, copy=False)


def _validate(summaries: Sequence[LayerSummary]) -> None:
    """The errors a user's patterns get: negative weights, rows that do not sum to 1 (NaN rows pass)."""
    for layer, s in enumerate(summaries):
        if s.minimum < -1e-6:
            raise InterplayError(f"patterns have negative weights (layer {layer} holds {s.minimum:.4g}): pass softmaxed "
                                 "attention patterns")
    for layer, s in enumerate(summaries):
        bad = np.isfinite(s.row_sums) & (np.abs(s.row_sums - 1) > 1e-3)
        if bad.any():
            head, q = (int(i) for i in np.argwhere(bad)[0])
            raise InterplayError(f"attention rows must sum to 1: layer {layer}, head {head}, query {q} sums to "
                                 f"{s.row_sums[head, q]:.4f} (pass softmaxed patterns, not scores)")


def check_patterns(patterns: Any, n_tokens: int | None = None) -> F32:
    """Validate raw patterns [layer, head, query, key] (numpy, torch, anything with ``__array__``):
    the shape, no negative weights, every row summing to 1 (NaN allowed). Returns them as float32
    (the same array when it already is)."""
    arr = _check_shape(patterns, n_tokens)
    stride = thumb_stride(arr.shape[-1])
    _validate(_each_layer(lambda layer: summarise_layer(arr[layer], None, stride), arr.shape[0]))
    return arr


# -------------------------------------------------------------------------------- building
def _token_ids(token_ids: Any, tokens: list[str]) -> npt.NDArray[np.int64] | None:
    if token_ids is None:
        return None
    ids = as_array(token_ids, "token_ids", dtype=np.int64).reshape(-1)
    if ids.shape[0] != len(tokens):
        raise ShapeError(f"{len(tokens)} tokens but {ids.shape[0]} token ids")
    return ids


def _tokens(tokens: Any) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence) or not all(isinstance(t, str) for t in tokens):
        raise InterplayError(f"tokens must be a list of strings, one per position; got {type(tokens).__name__}")
    if not tokens:
        raise InterplayError("there are no tokens: pass one string per position of the patterns")
    return list(tokens)


def assemble(tokens: list[str], summaries: Sequence[LayerSummary], stride: int, *, causal: bool | None = None,
             token_ids: npt.NDArray[np.int64] | None = None, patterns: npt.NDArray[Any] | None = None,
             notes: Sequence[str] = (), sequences: Sequence[str] = ("",), batch_index: int = 0) -> AttentionData:
    """The data of one sequence from its layers' summaries (``causal`` None: read from the patterns)."""
    nans = sum(s.nan_count for s in summaries)
    all_notes = [f"{nans} NaN attention weights (hatched)"] * bool(nans) + list(notes)
    return AttentionData(
        tokens=tokens, n_layers=len(summaries), n_heads=summaries[0].scores.shape[1],
        causal=all(s.causal for s in summaries) if causal is None else bool(causal),
        scores=np.stack([s.scores for s in summaries], axis=1), thumbnails=np.stack([s.thumbnails for s in summaries]),
        thumb_stride=stride, token_ids=token_ids, patterns=patterns, notes=all_notes, sequences=list(sequences),
        batch_index=batch_index)


def build(tokens: Sequence[str], patterns: Any, *, token_ids: Any = None, causal: bool | None = None) -> AttentionData:
    """:class:`AttentionData` from raw softmaxed ``patterns`` [layer, head, query, key] and their
    ``tokens``, which it embeds (float32; a float32 numpy array is held, not copied). Without
    ``token_ids``, equal token strings count as the same token for the repeat scores."""
    toks = _tokens(tokens)
    arr = _check_shape(patterns, len(toks))
    ids = _token_ids(token_ids, toks)
    if ids is None:
        vocab: dict[str, int] = {}
        rep = Repeats.of(np.array([vocab.setdefault(t, len(vocab)) for t in toks], np.int64))
    else:
        rep = Repeats.of(ids)
    stride = thumb_stride(len(toks))
    summaries = _each_layer(lambda layer: summarise_layer(arr[layer], rep, stride), arr.shape[0])
    _validate(summaries)
    return assemble(toks, summaries, stride, causal=causal, token_ids=ids, patterns=arr)


def score_frame(data: AttentionData) -> Any:
    """Every head's scores as a pandas DataFrame (layer, head, one column per score)."""
    import pandas as pd

    layer, head = np.divmod(np.arange(data.n_layers * data.n_heads), data.n_heads)
    columns = {name: data.scores[i].reshape(-1).astype(np.float64) for i, name in enumerate(data.score_names)}
    return pd.DataFrame({"layer": layer, "head": head, **columns})
