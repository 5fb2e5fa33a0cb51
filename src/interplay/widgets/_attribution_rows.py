"""What the AttributionView sends for an :class:`~interplay.data.attribution.AttributionData`: its rows
over the view's line of tokens, their colour limits, deltas and gaps, and the replies to the view's
``attribute`` and ``matrix`` requests (numpy only)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.attribution import AttributionData
from interplay.widgets._serialize import color_limits, encode_array


def finite(x: Any) -> float | None:
    """``x`` as a float, or None where it is missing or not finite (JSON has no NaN)."""
    return float(x) if x is not None and math.isfinite(float(x)) else None


def row_limits(row: npt.NDArray[np.float32], signed: bool) -> list[float | None]:
    """Colour limits of one row: symmetric around 0 for signed scores, from 0 for non-negative ones."""
    lo, hi = color_limits(row, center=0.0 if signed else None)
    if not signed and lo is not None and lo >= 0:
        lo = 0.0
    return [lo, hi]


def rows_limits(values: npt.NDArray[np.float32], signed: bool) -> tuple[float | None, float | None]:
    """Colour limits of a whole [target, source] payload (what ``rows`` carries)."""
    return color_limits(values, center=0.0 if signed else None)


def on_line(data: AttributionData, n: int) -> npt.NDArray[np.float32]:
    """``data.scores`` padded with NaN to a line of ``n`` tokens ([target, n])."""
    out = np.full((data.n_targets, n), np.nan, dtype=np.float32)
    out[:, : data.n_input] = data.scores
    return out


def per_row(data: AttributionData, scores: npt.NDArray[np.float32]) -> dict[str, Any]:
    """Labels, limits, deltas and gaps of every row of ``data`` (lists, one entry per target)."""
    gaps = data.gaps
    n = data.n_targets
    return {"labels": list(data.target_labels), "limits": [row_limits(r, data.signed) for r in scores],
            "deltas": [finite(d) for d in data.delta] if data.delta is not None else [None] * n,
            "gaps": [finite(g) for g in gaps] if gaps is not None else [None] * n}


def attribute_reply(data: AttributionData, n: int) -> dict[str, Any]:
    """The answer to ``attribute``: one explained token's row over the view's ``n`` tokens."""
    row = on_line(data, n)[0]
    rows = per_row(data, row[None])
    return {"scores": encode_array(row, ["source"], center=0.0 if data.signed else None),
            "limits": rows["limits"][0], "label": rows["labels"][0], "signed": data.signed,
            "delta": rows["deltas"][0], "gap": rows["gaps"][0], "notes": list(data.notes)}


def matrix_reply(data: AttributionData, n: int) -> dict[str, Any]:
    """The answer to ``matrix``: every row again (another method, score or contrast)."""
    scores = on_line(data, n)
    rows = per_row(data, scores)
    return {"scores": encode_array(scores, ["target", "source"], center=0.0 if data.signed else None),
            "limits": rows["limits"], "labels": rows["labels"], "signed": data.signed,
            "deltas": rows["deltas"] if data.delta is not None else None,
            "gaps": rows["gaps"] if data.baseline_values is not None else None, "notes": list(data.notes)}
