"""The binary wire format: the only Python module that knows it (its twin is ``js/lib/codec.ts``).

An array travels as a trait value of this shape::

    {"dtype": "float32", "shape": [2, 5], "dims": ["row", "pos"],
     "vmin": -1.5, "vmax": 1.5, "encoding": "raw", "data": <memoryview>}

``data`` holds the C-order bytes, little-endian. ipywidgets lifts every ``memoryview`` out of the
JSON into a binary websocket buffer, so no array is ever sent as a JSON list. ``vmin``/``vmax`` are the
colour limits, computed here once so every view, legend and tooltip agrees (``None`` where the array
has no finite value). ``encoding`` is ``"raw"`` (the numbers themselves) or ``"u8-linear"``: uint8
codes where ``0..254`` map linearly onto ``[vmin, vmax]`` and ``255`` means NaN, for payloads that are
only used for colour (a quarter of float32's bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from interplay.errors import ViewError

#: dtypes the JS codec can decode; everything else is converted (float64 -> float32, bool -> uint8).
WIRE_DTYPES = ("float32", "float64", "uint8", "int8", "uint16", "int16", "uint32", "int32")
NAN_CODE = 255
MAX_MESSAGE_BYTES = 8 * 1024 * 1024

Payload = dict[str, Any]


def color_limits(
    values: npt.ArrayLike, *, center: float | None = None, robust: float | None = None
) -> tuple[float | None, float | None]:
    """Colour limits over the finite values: symmetric around ``center`` when given.

    ``robust`` (e.g. 99.5) clips to that percentile of magnitudes, so one outlier does not wash
    out the rest of the view.
    """
    arr = np.asarray(values, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return None, None
    if center is not None:
        dev = np.abs(finite - center)
        half = float(np.percentile(dev, robust)) if robust else float(dev.max())
        if half == 0.0:
            half = 1.0
        return center - half, center + half
    if robust:
        lo = float(np.percentile(finite, 100 - robust))
        hi = float(np.percentile(finite, robust))
    else:
        lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def encode_array(
    values: npt.ArrayLike,
    dims: Sequence[str],
    *,
    vmin: float | None = None,
    vmax: float | None = None,
    center: float | None = None,
    encoding: Literal["raw", "u8-linear"] = "raw",
) -> Payload:
    """Encode an array as a wire payload. ``dims`` names every axis (``len(dims) == ndim``)."""
    arr = np.asarray(values)
    if arr.ndim != len(dims):
        raise ValueError(f"encode_array: array has {arr.ndim} axes {arr.shape} but dims names {len(dims)}: {list(dims)}")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    elif arr.dtype.kind == "f" and arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu" and arr.dtype.name not in WIRE_DTYPES:
        arr = arr.astype(np.int32 if arr.dtype.kind == "i" else np.uint32)
    if arr.dtype.name not in WIRE_DTYPES:
        raise TypeError(f"encode_array: cannot send dtype {arr.dtype}; use one of {WIRE_DTYPES}")
    if vmin is None or vmax is None:
        lo, hi = color_limits(arr, center=center)
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
    if encoding == "u8-linear":
        arr = quantize_u8(arr, vmin, vmax)
    elif encoding != "raw":
        raise ValueError(f"encode_array: unknown encoding {encoding!r}; use 'raw' or 'u8-linear'")
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    if arr.nbytes > MAX_MESSAGE_BYTES:
        raise ViewError(
            f"encode_array: {arr.nbytes / 2**20:.1f} MiB in one payload exceeds the 8 MiB message limit; "
            "send it in pieces (per layer or head) or quantised (encoding='u8-linear')"
        )
    return {
        "dtype": arr.dtype.name,
        "shape": [int(s) for s in arr.shape],
        "dims": list(dims),
        "vmin": _json_float(vmin),
        "vmax": _json_float(vmax),
        "encoding": encoding,
        "data": memoryview(arr.tobytes()),
    }


def quantize_u8(values: npt.ArrayLike, vmin: float | None, vmax: float | None) -> npt.NDArray[np.uint8]:
    """Map ``[vmin, vmax]`` onto codes 0..254 (clipped); NaN becomes 255."""
    arr = np.asarray(values, dtype=np.float64)
    lo = 0.0 if vmin is None else float(vmin)
    hi = 1.0 if vmax is None else float(vmax)
    span = hi - lo if hi > lo else 1.0
    with np.errstate(invalid="ignore"):
        codes = np.rint(np.clip((arr - lo) / span, 0.0, 1.0) * (NAN_CODE - 1))
    codes = np.where(np.isnan(arr), NAN_CODE, codes)
    return codes.astype(np.uint8)


def decode_array(payload: Payload) -> npt.NDArray[Any]:
    """Inverse of :func:`encode_array` (float32 values for ``u8-linear``), for tests and exports. A
    payload that is not one (a key missing, another dtype, a byte count that does not fit its shape)
    raises ViewError naming the problem."""
    if not isinstance(payload, dict) or any(k not in payload for k in ("dtype", "shape", "data")):
        keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise ViewError(f"an array payload must have the keys 'dtype', 'shape' and 'data'; got {keys}")
    data, dtype, shape = payload["data"], payload["dtype"], payload["shape"]
    if dtype not in WIRE_DTYPES:
        raise ViewError(f"an array payload's dtype must be one of {WIRE_DTYPES}; got {dtype!r}")
    if not isinstance(shape, (list, tuple)) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                                       for n in shape):
        raise ViewError(f"an array payload's shape must be a list of integers >= 0; got {shape!r}")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ViewError(f"an array payload's data must be bytes (a binary buffer); got a {type(data).__name__}")
    raw = bytes(data)
    need = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if len(raw) != need:
        raise ViewError(f"an array payload of dtype {dtype} and shape {list(shape)} needs {need} bytes; got {len(raw)}")
    arr = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
    arr = arr.reshape(shape)
    if payload.get("encoding", "raw") == "u8-linear":
        lo, hi = payload["vmin"] or 0.0, payload["vmax"] if payload["vmax"] is not None else 1.0
        out = lo + arr.astype(np.float32) / (NAN_CODE - 1) * (hi - lo)
        return np.where(arr == NAN_CODE, np.nan, out).astype(np.float32)
    return arr


def _json_float(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None
