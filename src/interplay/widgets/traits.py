"""Typed traits: arrays with named axes and selections with keys and bounds (imitating lonboard's
``traits/``). Each validates what Python or the view sets, and an array trait serialises itself
into the wire payload (``_serialize.encode_array``) only when the widget syncs.

* :class:`Array`: accepts numpy arrays, anything with ``__array__`` and torch tensors (through
  ``.detach()``, without importing torch); checks the rank against ``dims``; stores a numpy array
  (reading the trait gives the array); writes the payload at sync, with colour limits computed then.
* :class:`Selection`: ``None`` or a dict with exactly the given keys, each an int below its bound
  (a callable of the widget, e.g. ``lambda w: w.n_layers``) or one of a set of values.
* :class:`Index`: ``None`` or one int in ``[low, bound)``.

A bad value raises :class:`SelectionError` / :class:`~interplay.errors.ShapeError` naming the
trait, the value and what would be accepted. From the view, the base widget refuses it and puts
the good value back (``_base.BaseWidget.set_state``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import traitlets

from interplay.data.arrays import as_array
from interplay.errors import ViewError
from interplay.widgets._serialize import decode_array, encode_array

Limits = Callable[[Any, npt.NDArray[Any]], tuple[float | None, float | None]]
Bound = Callable[[Any], "int | Collection[Any]"]


class SelectionError(ViewError, traitlets.TraitError):
    """A selection (or other view state) set to a value the view cannot show."""


class Array(traitlets.TraitType):  # type: ignore[type-arg]
    """An array with named axes, serialised to a binary payload at sync (``None`` when empty)."""

    info_text = "an array"

    def __init__(self, dims: Sequence[str], dtype: Any = "float32", *, encoding: Literal["raw", "u8-linear"] = "raw",
                 vmin: float | None = None, vmax: float | None = None, center: float | None = None,
                 limits: Limits | None = None, **kwargs: Any) -> None:
        super().__init__(default_value=None, allow_none=True, **kwargs)
        self.dims, self.dtype, self.encoding = tuple(dims), dtype, encoding
        self.vmin, self.vmax, self.center, self.limits = vmin, vmax, center, limits
        self.tag(sync=True, to_json=self._to_json, from_json=self._from_json)

    def validate(self, obj: Any, value: Any) -> npt.NDArray[Any] | None:
        if value is None:
            return None
        if isinstance(value, dict) and "dtype" in value and "data" in value:  # a payload (from the page)
            value = decode_array(value)
        where = f"{type(obj).__name__}.{self.name}"
        return as_array(value, where, dims=self.dims, dtype=self.dtype)

    def set(self, obj: Any, value: Any) -> None:
        """Store and notify on every assignment of another array object (never compares values:
        element-wise ``==`` is costly and ambiguous, and colour limits may change with equal values)."""
        new_value = self._validate(obj, value)
        old_value = obj._trait_values.get(self.name, self.default_value)
        obj._trait_values[self.name] = new_value
        if new_value is not old_value:
            obj._notify_trait(self.name, old_value, new_value)

    def _to_json(self, value: npt.NDArray[Any] | None, widget: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        vmin, vmax = (self.vmin, self.vmax) if self.limits is None else self.limits(widget, value)
        return encode_array(value, self.dims, vmin=vmin, vmax=vmax, center=self.center, encoding=self.encoding)

    def _from_json(self, value: Any, widget: Any) -> npt.NDArray[Any] | None:
        return None if value is None or value == {} else decode_array(value)


def _check_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SelectionError(f"{what} must be an integer, got {value!r}")
    return int(value)


def _check_value(value: Any, bound: int | Collection[Any], what: str, low: int = 0) -> Any:
    if isinstance(bound, int):
        v = _check_int(value, what)
        if not low <= v < bound:
            raise SelectionError(f"{what} = {v} is out of range: {low}..{bound - 1}" if bound > low
                                 else f"{what} = {v}: there is nothing to select")
        return v
    if value not in bound:
        options = sorted(bound, key=str)
        shown = ", ".join(repr(o) for o in options[:8]) + (", ..." if len(options) > 8 else "")
        raise SelectionError(f"{what} = {value!r} is not one of {shown}")
    return value


class Selection(traitlets.Dict):  # type: ignore[type-arg]
    """``None`` or ``{key: value}`` with exactly ``keys``; each value checked against its bound."""

    def __init__(self, keys: Mapping[str, Bound], **kwargs: Any) -> None:
        super().__init__(default_value=None, allow_none=True, **kwargs)
        self.bounds = dict(keys)
        self.tag(sync=True)

    def validate(self, obj: Any, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        where = f"{type(obj).__name__}.{self.name}"
        shape = "{" + ", ".join(f"{k!r}: ..." for k in self.bounds) + "}"
        if not isinstance(value, Mapping):
            raise SelectionError(f"{where} must be {shape} or None, got {value!r}")
        missing, unknown = [k for k in self.bounds if k not in value], [k for k in value if k not in self.bounds]
        if missing or unknown:
            raise SelectionError(f"{where} must be {shape} or None: " + "; ".join(
                ([f"missing {missing}"] if missing else []) + ([f"unknown keys {unknown}"] if unknown else [])))
        return {k: _check_value(value[k], bound(obj), f"{where}[{k!r}]") for k, bound in self.bounds.items()}


class Index(traitlets.Int):  # type: ignore[type-arg]
    """``None`` or one index in ``[low, bound(widget))``."""

    def __init__(self, bound: Callable[[Any], int], *, low: int = 0, **kwargs: Any) -> None:
        super().__init__(default_value=None, allow_none=True, **kwargs)
        self.bound, self.low = bound, low
        self.tag(sync=True)

    def validate(self, obj: Any, value: Any) -> int | None:
        if value is None:
            return None
        return int(_check_value(value, self.bound(obj), f"{type(obj).__name__}.{self.name}", self.low))
