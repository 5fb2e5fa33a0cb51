"""Turning what users hold (numpy arrays, torch tensors, lists) into checked numpy arrays, without
importing torch: anything with ``.detach()`` is read as a tensor, anything with ``__array__`` as an
array."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.errors import ShapeError


def to_numpy(x: Any) -> npt.NDArray[Any]:
    """``x`` as a numpy array: a tensor (on any device, any dtype; bfloat16 becomes float32) is
    detached and copied to the CPU; numpy arrays pass through without a copy."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        t = x.detach()
        if str(getattr(t, "dtype", "")) == "torch.bfloat16":
            t = t.float()
        return np.asarray(t.cpu().numpy())
    return np.asarray(x)


def as_array(x: Any, name: str, *, dims: Sequence[str] | None = None, dtype: Any = None) -> npt.NDArray[Any]:
    """A checked array: ``dims`` names every axis (the rank must match), ``dtype`` casts (no copy
    when it already has it). Errors name the argument and the shape that would be accepted."""
    try:
        arr = to_numpy(x)
    except ValueError as exc:
        raise ShapeError(f"{name} must be a rectangular array (numpy, torch or nested lists of equal lengths); "
                         f"got ragged {type(x).__name__}s ({exc})") from None
    except (TypeError, RuntimeError) as exc:
        raise ShapeError(f"{name} must be an array (numpy, torch or nested lists); got {type(x).__name__}: {exc}") from None
    if arr.dtype == object:
        raise ShapeError(f"{name} must be a numeric array; got an object array (ragged lists?) of shape {arr.shape}")
    if dims is not None and arr.ndim != len(dims):
        raise ShapeError(f"{name} must have {len(dims)} axes [{', '.join(dims)}]; got {arr.ndim} axes, shape {list(arr.shape)}")
    if dtype is not None and arr.dtype != np.dtype(dtype):
        arr = arr.astype(dtype)
    return arr
