"""What CircuitsVis's functions take (torch tensors, numpy arrays, nested lists, lists of token
strings), turned into checked numpy arrays without importing torch. Errors name the argument and
the shape in CircuitsVis's terms (``[n_heads, dest_tokens, src_tokens]``), not in our views'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.arrays import to_numpy
from interplay.errors import ShapeError, ViewError


def numbers(x: Any, name: str, shape: str, ndim: int | tuple[int, ...]) -> npt.NDArray[np.float32]:
    """``x`` (torch, numpy, nested lists) as float32 with ``ndim`` axes; ``shape`` is how
    CircuitsVis's docs write it (e.g. ``"[n_heads, dest_tokens, src_tokens]"``)."""
    try:
        arr = np.asarray(to_numpy(x))
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ShapeError(f"{name} must be an array of shape {shape} (torch, numpy or nested lists); "
                         f"got {type(x).__name__}: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "fiub":
        raise ShapeError(f"{name} must be numbers of shape {shape}; got {type(x).__name__} of dtype {arr.dtype} "
                         "(ragged nested lists?)")
    ranks = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in ranks:
        raise ShapeError(f"{name} must have shape {shape}; got {arr.ndim} axes {list(arr.shape)}")
    return arr.astype(np.float32, copy=False)


def half_precision(x: Any) -> str | None:
    """``"bfloat16"``/``"float16"`` when ``x`` (a tensor or array) holds 16-bit floats, else None."""
    name = str(getattr(x, "dtype", "")).split(".")[-1]
    return name if name in ("bfloat16", "float16") else None


def integers(x: Any, name: str, shape: str) -> npt.NDArray[np.int64]:
    """Token ids (torch, numpy, lists) as int64 ``[n]`` (a leading batch axis of 1 is dropped, as
    CircuitsVis does)."""
    try:
        arr = np.asarray(to_numpy(x))
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ShapeError(f"{name} must be integer token ids of shape {shape}; got {type(x).__name__}: {exc}") from None
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ShapeError(f"{name} must be integer token ids of shape {shape}; got dtype {arr.dtype}, "
                         f"shape {list(arr.shape)}")
    return arr.astype(np.int64, copy=False)


def tokens(x: Any, name: str = "tokens") -> list[str]:
    """A list of token strings (e.g. ``model.to_str_tokens(prompt)``)."""
    if isinstance(x, str) or not isinstance(x, Sequence) or not all(isinstance(t, str) for t in x):
        raise ViewError(f"{name} must be a list of token strings (e.g. ['A', ' person']); got {type(x).__name__}"
                        + ("" if isinstance(x, str) or not isinstance(x, Sequence) else
                           f" holding {sorted({type(t).__name__ for t in x if not isinstance(t, str)})}"))
    if not x:
        raise ViewError(f"{name} is empty: pass one string per token")
    return list(x)


def labels(x: Any, name: str, n: int, what: str) -> list[str] | None:
    """``None`` or ``n`` strings, one per ``what``."""
    if x is None:
        return None
    if isinstance(x, str) or not isinstance(x, Sequence):
        raise ViewError(f"{name} must be a list of strings, one per {what} ({n}); got {type(x).__name__}")
    if len(x) != n:
        raise ShapeError(f"{name} has {len(x)} entries but there are {n} {what}s (one label per {what})")
    return [str(v) for v in x]


def same_length(n_tokens: int, n: int, name: str, shape: str) -> None:
    if n != n_tokens:
        raise ShapeError(f"{name} covers {n} tokens but tokens has {n_tokens} (expected {name} of shape {shape} "
                         f"with n_tokens = len(tokens) = {n_tokens})")
