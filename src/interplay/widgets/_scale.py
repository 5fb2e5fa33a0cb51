"""Colour scales of the views that colour tokens (TokenHeatmapView, AnnotatorView): which kind of
scale, which colour map and which centre a set of values gets. numpy only.

A scale spec is the ``scale`` trait the TypeScript side reads (``js/lib/scales.ts``):
``{"kind": "diverging" | "sequential", "cmap": name, "center": float | None}``. Signed values get a
diverging map centred on 0 (blue below, red above), values of one sign a sequential one; every map
is colour-blind safe.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.errors import ViewError

SEQUENTIAL = ("viridis", "cividis", "magma", "blues")
DIVERGING = ("rdbu", "puor")
#: the map "auto" picks for each kind
DEFAULT_CMAP = {"sequential": "viridis", "diverging": "rdbu"}
#: the matplotlib name of each map, oriented as the views draw it (low values first)
MATPLOTLIB = {"viridis": "viridis", "cividis": "cividis", "magma": "magma", "blues": "Blues",
              "rdbu": "RdBu_r", "puor": "PuOr_r"}


def scale_spec(arr: npt.NDArray[Any], cmap: str = "auto", center: float | None = None) -> dict[str, Any]:
    """The ``scale`` trait for values ``arr``: diverging (centred on ``center``, default 0) for signed
    values or a given ``center``, else sequential; ``cmap`` "auto" or one of SEQUENTIAL/DIVERGING
    (a diverging map makes the scale diverging whatever the values)."""
    if not isinstance(cmap, str) or cmap.lower() not in ("auto", *SEQUENTIAL, *DIVERGING):
        raise ViewError(f"unknown cmap {cmap!r}: use 'auto' or one of {SEQUENTIAL + DIVERGING}")
    arr = np.asarray(arr)
    finite = arr[np.isfinite(arr)]
    signed = finite.size > 0 and finite.min() < 0 < finite.max()
    name = cmap.lower()
    if name == "auto":
        kind = "diverging" if (signed or center is not None) else "sequential"
        name = DEFAULT_CMAP[kind]
    else:
        kind = "diverging" if name in DIVERGING else "sequential"
    mid = (0.0 if center is None else float(center)) if kind == "diverging" else None
    return {"kind": kind, "cmap": name, "center": mid}


def scale_options(spec: dict[str, Any]) -> tuple[str, float | None]:
    """The ``(cmap, center)`` options that give ``spec`` again for values like the ones it was made
    for (a default map reads as "auto", so new values pick their kind again)."""
    kind, name, center = spec.get("kind"), spec.get("cmap", "auto"), spec.get("center")
    cmap = "auto" if name == DEFAULT_CMAP.get(str(kind)) else str(name)
    return cmap, (float(center) if kind == "diverging" and center not in (None, 0.0) else None)
