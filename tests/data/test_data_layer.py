"""The data layer: typed fields, the one result file format and every way a file can be wrong."""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import interplay.data
from interplay.data import io
from interplay.data.base import Data, array, nested
from interplay.errors import ResultFileError, ShapeError


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Inner(Data):
    weights: np.ndarray = array(("layer", "d"), np.float32)
    label: str = ""


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Outer(Data):
    tokens: list[str]
    values: np.ndarray = array(("row", "pos"), np.float32)
    counts: np.ndarray = array(("pos",), np.int64)
    inner: Inner = nested(Inner)
    extra: np.ndarray | None = array(("pos",), np.float16, optional=True)
    meta: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    score: float = float("nan")


def _outer(**changes: object) -> Outer:
    base = {"tokens": ["a", " b", "\n"], "values": np.arange(6, dtype=np.float64).reshape(2, 3),
            "counts": [1, 2, 3], "inner": Inner(np.ones((2, 4)), label="w"), "meta": {"k": [1, 2]}}
    return Outer(**{**base, **changes})  # type: ignore[arg-type]


def test_fields_are_checked_and_cast() -> None:
    d = _outer()
    assert d.values.dtype == np.float32 and d.counts.dtype == np.int64 and d.inner.weights.dtype == np.float32
    with pytest.raises(ShapeError, match=r"Outer.values must have 2 axes \[row, pos\]; got 1 axes"):
        _outer(values=[1.0, 2.0])
    with pytest.raises(ShapeError, match=r"Outer\.inner must be an instance of Inner"):
        _outer(inner={"weights": 1})
    with pytest.raises(ShapeError, match=r"Outer\.meta.*plain values"):
        _outer(meta={"k": object()})
    with pytest.raises(ShapeError, match="dict keys must be strings"):
        _outer(meta={1: [1]})
    assert _outer(meta={"k": (np.int64(3), np.float32(0.5))}).meta == {"k": [3, 0.5]}  # numpy scalars, tuples: plain


def test_equality_and_repr() -> None:
    assert _outer() == _outer()  # NaN == NaN, arrays element-wise
    assert _outer() != _outer(counts=[1, 2, 4])
    assert "values=<float32 [2, 3]>" in repr(_outer())


def test_every_data_class_uses_the_base_equality_and_repr() -> None:
    for info in pkgutil.iter_modules(interplay.data.__path__):
        module = importlib.import_module(f"interplay.data.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Data) and obj is not Data:
                assert obj.__eq__ is Data.__eq__ and obj.__repr__ is Data.__repr__, obj
                assert obj.__dataclass_params__.frozen, obj  # type: ignore[attr-defined]


def test_round_trip_with_nested_and_optional(tmp_path: Path) -> None:
    for d in (_outer(), _outer(extra=[0.5, 1.5, np.nan])):
        path = d.save(tmp_path / "x.interplay")
        back = Outer.load(path)
        assert back == d and back.inner.label == "w" and (back.extra is None) == (d.extra is None)
    assert sorted(np.load(path).files) == ["arrays/counts", "arrays/extra", "arrays/inner.weights",
                                           "arrays/values", "interplay.json"]


def _good(tmp_path: Path) -> Path:
    return _outer().save(tmp_path / "good.interplay")


def _rewrite(path: Path, header: dict | None = None, drop: str | None = None) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if header is not None:
        members[io.HEADER] = json.dumps(header).encode()
    if drop is not None:
        members.pop(drop)
    with zipfile.ZipFile(path, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)


def _header(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read(io.HEADER))


@pytest.mark.parametrize(("break_it", "message"), [
    (lambda p: p.unlink(), "no such file"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "truncated, corrupted or not a zip"),
    (lambda p: p.write_text("just,a,csv\n1,2,3\n"), "not a zip archive"),
    (lambda p: _rewrite(p, drop=io.HEADER), "a zip archive but not an interplay result file"),
    (lambda p: _rewrite(p, header={"format": "something.else"}), "not an interplay result file"),
    (lambda p: _rewrite(p, header={**_header(p), "format_version": 99}), "written by a newer interplay"),
    (lambda p: _rewrite(p, header={**_header(p), "data_version": 7}), "data version 7, written by a newer"),
    (lambda p: _rewrite(p, header={**_header(p), "kind": "PatchingResult"}), "holds a PatchingResult, not a Outer"),
    (lambda p: _rewrite(p, drop="arrays/values.npy"), "array 'values' is listed but missing"),
    (lambda p: _rewrite(p, header={**_header(p), "arrays": {**_header(p)["arrays"], "values": {"shape": [9]}}}),
     "array 'values' has shape"),
    (lambda p: _rewrite(p, header={**_header(p), "meta": {}}), "field 'tokens' is missing"),
])
def test_a_bad_file_names_itself_and_the_problem(tmp_path: Path, break_it: object, message: str) -> None:
    path = _good(tmp_path)
    break_it(path)  # type: ignore[operator]
    with pytest.raises(ResultFileError, match=message) as info:
        Outer.load(path)
    assert str(path) in str(info.value)


def test_a_corrupted_member_is_caught(tmp_path: Path) -> None:
    path = _good(tmp_path)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"\x93NUMPY")  # flip bytes inside the first stored array: the zip's CRC no longer matches
    raw[at + 130: at + 134] = b"\x00\xff\x00\xff"  # inside the data, after the 128-byte npy header
    path.write_bytes(bytes(raw))
    with pytest.raises(ResultFileError, match=str(path)):
        Outer.load(path)


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ResultFileError, match="is a directory"):
        Outer.load(tmp_path)


def test_a_failed_save_leaves_the_old_file(tmp_path: Path) -> None:
    path = _good(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ResultFileError, match="holds Python objects"):
        io.write(path, "Outer", 1, {}, {"bad": np.array([object()])})
    assert path.read_bytes() == before and not list(tmp_path.glob("*.partial"))


def test_torch_tensors_are_read_without_importing_torch_here() -> None:
    import torch

    from interplay.data.arrays import as_array

    x = torch.arange(6, dtype=torch.bfloat16).reshape(2, 3).requires_grad_(False)
    arr = as_array(x, "x", dims=("a", "b"))
    assert arr.dtype == np.float32 and arr.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ShapeError, match="ragged"):
        as_array([[1, 2], [3]], "x")
