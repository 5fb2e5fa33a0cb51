"""The base of every result's data: a frozen dataclass of numpy arrays, strings and numbers.

A data class declares its array fields with :func:`array` (axis names and dtype, checked and cast
when an instance is made) and nests other data with :func:`nested`; every other field holds plain
JSON values (strings, numbers, booleans, None, lists and dicts of them). That is all a view draws
and all a file holds: :meth:`Data.save` / :meth:`Data.load` go through :mod:`interplay.data.io`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt

from interplay.data import io
from interplay.data.arrays import as_array
from interplay.errors import ResultFileError, ShapeError

D = TypeVar("D", bound="Data")


def array(dims: Sequence[str] | None, dtype: Any = None, *, optional: bool = False) -> Any:
    """An array field with named axes (``dims=None``: any rank, e.g. one axis per name in another
    field; ``dtype``: cast on construction; None keeps the given one)."""
    meta = {"dims": None if dims is None else tuple(dims), "dtype": dtype}
    return dataclasses.field(metadata=meta, default=None) if optional else dataclasses.field(metadata=meta)


def nested(cls: type[Data], *, optional: bool = False) -> Any:
    """A field holding another data object (saved under this field's name)."""
    meta = {"data": cls}
    return dataclasses.field(metadata=meta, default=None) if optional else dataclasses.field(metadata=meta)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Data:
    """Subclass with ``@dataclasses.dataclass(frozen=True, eq=False, repr=False)``; equality compares arrays
    element-wise (NaN equal to NaN), ``repr`` shows array shapes, not values."""

    VERSION: ClassVar[int] = 1

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if "dims" in f.metadata:
                if value is None and f.default is None:
                    continue
                arr = as_array(value, f"{type(self).__name__}.{f.name}", dims=f.metadata["dims"],
                               dtype=f.metadata["dtype"])
                object.__setattr__(self, f.name, arr)
            elif "data" in f.metadata:
                if value is not None and not isinstance(value, f.metadata["data"]):
                    raise ShapeError(f"{type(self).__name__}.{f.name} must be an instance of {f.metadata['data'].__name__}, "
                                     f"not {type(value).__name__}")
            else:
                object.__setattr__(self, f.name, _plain(value, f"{type(self).__name__}.{f.name}"))

    # ------------------------------------------------------------------------------------ files
    def to_parts(self) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
        """(JSON metadata, arrays by name) of this object; nested data under ``"field.name"``."""
        meta: dict[str, Any] = {}
        arrays: dict[str, npt.NDArray[Any]] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if "dims" in f.metadata:
                if value is None:
                    meta[f.name] = None
                else:
                    arrays[f.name] = value
            elif "data" in f.metadata and value is not None:
                sub_meta, sub_arrays = value.to_parts()
                meta[f.name] = sub_meta
                arrays.update({f"{f.name}.{k}": v for k, v in sub_arrays.items()})
            else:
                meta[f.name] = value
        return meta, arrays

    @classmethod
    def from_parts(cls: type[D], meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]], where: str = "") -> D:
        where = where or cls.__name__
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            if "dims" in f.metadata:
                if f.name in arrays:
                    kwargs[f.name] = arrays[f.name]
                elif meta.get(f.name, "missing") is None and f.default is None:
                    kwargs[f.name] = None
                elif not has_default:
                    raise ResultFileError(f"{where}: array {f.name!r} is missing")
            elif "data" in f.metadata:
                if isinstance(meta.get(f.name), dict):
                    prefix = f"{f.name}."
                    sub = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
                    kwargs[f.name] = f.metadata["data"].from_parts(meta[f.name], sub, f"{where}.{f.name}")
                elif not has_default:
                    raise ResultFileError(f"{where}: {f.name!r} is missing")
            elif f.name in meta:
                kwargs[f.name] = _check_plain(meta[f.name], f, where)
            elif not has_default:
                raise ResultFileError(f"{where}: field {f.name!r} is missing")
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ResultFileError(f"{where}: the saved data does not make a {cls.__name__} ({exc})") from None

    def save(self, path: str | os.PathLike[str], *, kind: str | None = None, compress: bool = False) -> Path:
        meta, arrays = self.to_parts()
        return io.write(path, kind or type(self).__name__, self.VERSION, meta, arrays, compress=compress)

    @classmethod
    def load(cls: type[D], path: str | os.PathLike[str], *, kind: str | None = None) -> D:
        contents = io.read(path)
        expected = kind or cls.__name__
        if contents.kind != expected:
            raise ResultFileError(f"{path} holds a {contents.kind}, not a {expected}: load it with "
                                  f"interplay.load_result({str(path)!r})")
        if contents.data_version > cls.VERSION:
            raise ResultFileError(f"{path} holds {expected} data version {contents.data_version}, written by a newer "
                                  f"interplay; this interplay reads version {cls.VERSION}: upgrade interplay")
        return cls.from_parts(contents.meta, contents.arrays, f"{path} ({expected})")

    # ------------------------------------------------------------------------------- comparison
    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self))

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                parts.append(f"{f.name}=<{v.dtype} {list(v.shape)}>")
            elif isinstance(v, (list, dict)) and len(v) > 6:
                parts.append(f"{f.name}=<{type(v).__name__} of {len(v)}>")
            else:
                parts.append(f"{f.name}={v!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


_PLAIN: dict[str, tuple[type, ...]] = {"list": (list,), "dict": (dict,), "str": (str,), "bool": (bool,),
                                       "int": (int,), "float": (int, float)}


def _check_plain(value: Any, f: dataclasses.Field[Any], where: str) -> Any:
    """A saved plain field against its annotation's outer type (``list[str]`` -> a list): a file whose
    field has another type is named, not left to fail inside the data class."""
    annotation = str(f.type)
    head = annotation.split("[", 1)[0].strip()
    accepted = _PLAIN.get(head) if "|" not in annotation and "Optional" not in annotation else None
    if accepted is not None and (not isinstance(value, accepted) or (isinstance(value, bool) and head != "bool")):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise ResultFileError(f"{where}: field {f.name!r} is {shown} (a {type(value).__name__}); "
                              f"it must be a {annotation}")
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _plain(value: Any, where: str) -> Any:
    """``value`` as plain JSON values (tuples become lists, numpy scalars Python numbers)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise ShapeError(f"{where}: dict keys must be strings, got {bad[:3]}")
        return {k: _plain(v, where) for k, v in value.items()}
    raise ShapeError(f"{where} must hold strings, numbers, lists or dicts (data is plain values); "
                     f"got {type(value).__name__}")
