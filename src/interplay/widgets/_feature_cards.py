"""What a FeatureView sends for one feature (numpy only): its card (header numbers, histogram,
quantile-bucket examples, logit effects, the first page of top examples) and any page of examples,
each a plain dict with wire payloads inside.

A set of example rows travels as ``{"n", "table", "tokens", "values", "acts", "where"}``:
``tokens`` int32 ``[example, ctx]`` indexes ``table`` (the strings of that answer only; -1 outside
the sequence), ``values`` float32 ``[example, ctx]`` is the feature's value at each token (NaN
outside; colour limits 0 .. the feature's max), ``acts`` float32 ``[example]`` the value at the max
token (column ``context[0]``), ``where`` int32 ``[example, 2]`` its (sequence, position).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.features import FeatureSteeringData, TopActivationsData
from interplay.errors import ViewError
from interplay.widgets._serialize import encode_array


def max_act(d: TopActivationsData, f: int) -> float | None:
    """The feature's largest value seen (its top example), or None when it has none."""
    a = d.acts[f]
    finite = a[np.isfinite(a)]
    return float(finite.max()) if finite.size else None


def n_examples(d: TopActivationsData, f: int) -> int:
    """How many of the ``k`` top examples the data holds for feature ``f`` (finite ``acts``)."""
    return int(np.isfinite(d.acts[f]).sum())


def _limit(d: TopActivationsData, f: int) -> float:
    m = max_act(d, f)
    return m if m is not None and m > 0 else 1.0


def encode_rows(table: Sequence[str], idx: npt.NDArray[Any], values: npt.NDArray[Any], acts: npt.NDArray[Any],
                where: npt.NDArray[Any], vmax: float) -> dict[str, Any]:
    """Example rows as the view reads them, with only the strings they use (see the module doc)."""
    idx = np.asarray(idx, np.int64)
    if idx.ndim != 2 or len(idx) != len(acts):
        raise ViewError(f"example rows: tokens {list(idx.shape)} must be [example, ctx] with {len(acts)} examples")
    used = np.unique(idx[idx >= 0])
    remap = np.full(int(used.max()) + 1 if used.size else 1, -1, np.int64)
    remap[used] = np.arange(used.size)
    local = np.where(idx >= 0, remap[np.clip(idx, 0, None)], -1).astype(np.int32)
    vals = np.asarray(values, np.float32).reshape(local.shape)
    return {
        "n": len(acts),
        "table": [table[i] for i in used.tolist()],
        "tokens": encode_array(local, ["example", "ctx"]),
        "values": encode_array(vals, ["example", "ctx"], vmin=0.0, vmax=vmax),
        "acts": encode_array(np.asarray(acts, np.float32), ["example"]),
        "where": encode_array(np.asarray(where, np.int64).astype(np.int32).reshape(len(acts), 2), ["example", "coord"]),
    }


def top_rows(d: TopActivationsData, f: int, start: int, count: int) -> dict[str, Any]:
    """Top examples ``start .. start+count-1`` of feature ``f`` that the data holds."""
    stop = min(start + count, n_examples(d, f))
    sl = slice(start, max(start, stop))
    return encode_rows(d.token_table, d.ctx_tokens[f, sl], d.ctx_values[f, sl], d.acts[f, sl], d.where[f, sl],
                       _limit(d, f))


def source_rows(d: TopActivationsData, f: int, given: Any) -> dict[str, Any]:
    """A source's ``more_examples`` answer (``{"tokens": [[str | None] * n_ctx], "values": [n, n_ctx],
    "acts": [n], "where": [n, 2] (optional)}``) as example rows."""
    if not isinstance(given, dict) or "tokens" not in given or "values" not in given or "acts" not in given:
        raise ViewError("the source's more_examples must return {'tokens': [[str | None, ...], ...], "
                        f"'values': [n, ctx], 'acts': [n]}}, not {type(given).__name__}")
    tokens = [list(row) for row in given["tokens"]]
    n_ctx = int(d.context[0]) + 1 + int(d.context[1])
    acts = np.asarray(given["acts"], np.float32).reshape(-1)
    values = np.asarray(given["values"], np.float32)
    if len(tokens) != len(acts) or values.shape != (len(acts), n_ctx) or any(len(r) != n_ctx for r in tokens):
        raise ViewError(f"the source's more_examples gave {len(tokens)} token rows, values {list(values.shape)} and "
                        f"{len(acts)} acts; each row must have {n_ctx} tokens (context {list(d.context)})")
    strings = sorted({t for row in tokens for t in row if t is not None})
    at = {s: i for i, s in enumerate(strings)}
    idx = np.array([[-1 if t is None else at[t] for t in row] for row in tokens], np.int64).reshape(len(acts), n_ctx)
    where = np.asarray(given.get("where", np.full((len(acts), 2), -1)), np.int64).reshape(len(acts), 2)
    return encode_rows(strings, idx, values, acts, where, _limit(d, f))


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def logit_rows(d: TopActivationsData, f: int) -> dict[str, list[list[Any]]] | None:
    """``{"promoted": [[token, value], ...], "suppressed": [...]}`` or None when the data has no logit effects."""
    if d.logit_ids is None or d.logit_values is None:
        return None
    pos = np.searchsorted(d.table_ids, d.logit_ids[f])
    pos = np.clip(pos, 0, max(len(d.table_ids) - 1, 0))
    out: dict[str, list[list[Any]]] = {}
    for side, name in ((0, "promoted"), (1, "suppressed")):
        rows = []
        for j in range(d.logit_ids.shape[2]):
            tid, val = int(d.logit_ids[f, side, j]), float(d.logit_values[f, side, j])
            ok = len(d.table_ids) and int(d.table_ids[pos[side, j]]) == tid
            if math.isfinite(val):
                rows.append([d.token_table[int(pos[side, j])] if ok else f"<id {tid}>", val])
        out[name] = rows
    return out


def default_prompt(d: TopActivationsData, f: int) -> str:
    """The top example's text up to and including its max token (where steering starts)."""
    if n_examples(d, f) == 0:
        return ""
    idx = d.ctx_tokens[f, 0, : int(d.context[0]) + 1]
    return "".join(d.token_table[i] for i in idx.tolist() if i >= 0)


def card(d: TopActivationsData, f: int, page_size: int) -> dict[str, Any]:
    """Everything the view draws for feature ``f`` with its first ``page_size`` top examples."""
    buckets = []
    for b in range(d.q_acts.shape[1]):
        ok = np.isfinite(d.q_acts[f, b])
        sl = np.flatnonzero(ok)
        buckets.append(encode_rows(d.token_table, d.q_ctx_tokens[f, b, sl], d.q_ctx_values[f, b, sl],
                                   d.q_acts[f, b, sl], d.q_where[f, b, sl], _limit(d, f)))
    return {
        "feature": f,
        "name": d.features[f],
        "n_active": int(d.n_active[f]),
        "n_tokens": int(d.n_tokens),
        "density": float(d.density[f]),
        "max_act": max_act(d, f),
        "k": d.k,
        "n_examples": n_examples(d, f),
        "examples": top_rows(d, f, 0, page_size),
        "hist_edges": encode_array(d.hist_edges[f].astype(np.float32), ["edge"]),
        "hist_counts": encode_array(d.hist_counts[f].astype(np.float64), ["bin"]),
        "bucket_edges": [_finite(x) for x in d.bucket_edges[f].tolist()],
        "buckets": buckets,
        "logits": logit_rows(d, f),
        "prompt": default_prompt(d, f),
    }


def steering_dict(s: FeatureSteeringData) -> dict[str, Any]:
    """A steering run as plain JSON (what the view shows side by side)."""
    out = {f.name: getattr(s, f.name) for f in dataclasses.fields(s)}
    out["changes"] = [[str(t), float(a), float(b)] for t, a, b in s.changes]
    out["value"], out["kl"] = float(s.value), _finite(s.kl)
    out["baseline_tokens"], out["steered_tokens"] = list(s.baseline_tokens), list(s.steered_tokens)
    out["notes"] = list(s.notes)
    return out
