"""The result file format: one zip archive, JSON metadata plus arrays as ``.npy`` members.

::

    interplay.json     {"format": "interplay.result", "format_version": 1, "kind": "LogitLensResult",
                        "data_version": 1, "interplay": "0.2.0", "meta": {...}, "arrays": {name: {...}}}
    arrays/<name>.npy  one per array field (numpy's own format, read with allow_pickle=False)

Readable without torch (numpy and the standard library) and by anything that reads zip and npy
files (``numpy.load`` opens it as an ``.npz``). Arrays are stored uncompressed by default, so a large
attention result saves and loads at disk speed; ``compress=True`` deflates them. Every way a file
can be wrong (missing, truncated, not a zip, a zip of something else, from a newer interplay, a
member missing or corrupted) raises :class:`~interplay.errors.ResultFileError` naming the file and
the problem.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.errors import ResultFileError

FORMAT = "interplay.result"
FORMAT_VERSION = 1
HEADER = "interplay.json"


@dataclass(frozen=True)
class Contents:
    kind: str
    data_version: int
    meta: dict[str, Any]
    arrays: dict[str, npt.NDArray[Any]]


def write(path: str | os.PathLike[str], kind: str, data_version: int, meta: Mapping[str, Any],
          arrays: Mapping[str, npt.NDArray[Any]], *, compress: bool = False) -> Path:
    """Write one result file (atomically: a partial file never replaces a good one)."""
    from interplay._version import __version__

    target = _path(path)
    if not target.parent.is_dir():
        raise ResultFileError(f"cannot save {target}: the folder {target.parent} does not exist (create it first)")
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "data_version": data_version,
              "interplay": __version__, "meta": dict(meta),
              "arrays": {k: {"dtype": v.dtype.str, "shape": list(v.shape)} for k, v in arrays.items()}}
    tmp = target.with_name(target.name + ".partial")
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    try:
        with zipfile.ZipFile(tmp, "w", compression=method, allowZip64=True) as zf:
            zf.writestr(HEADER, json.dumps(header, ensure_ascii=False, allow_nan=True))
            for name, arr in arrays.items():
                if arr.dtype == object:
                    raise ResultFileError(f"cannot save {target}: array {name!r} holds Python objects")
                with zf.open(f"arrays/{name}.npy", "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, np.ascontiguousarray(arr), allow_pickle=False)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def read(path: str | os.PathLike[str], *, arrays: bool = True) -> Contents:
    """Read and check a result file (see the module docstring for what is checked); with
    ``arrays=False`` only its header (kind and metadata)."""
    p = _path(path)
    if not p.exists():
        raise ResultFileError(f"{p}: no such file")
    if p.is_dir():
        raise ResultFileError(f"{p} is a directory, not an interplay result file")
    try:
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
            if HEADER not in names:
                raise ResultFileError(f"{p} is a zip archive but not an interplay result file (no {HEADER} inside)")
            header = _header(p, zf.read(HEADER))
            loaded = {}
            for name, spec in (header["arrays"].items() if arrays else ()):
                member = f"arrays/{name}.npy"
                if member not in names:
                    raise ResultFileError(f"{p} is corrupted: array {name!r} is listed but missing")
                with zf.open(member) as f:
                    loaded[name] = np.lib.format.read_array(f, allow_pickle=False)
                    if f.read(1):  # read to the end, so that the zip's CRC check runs
                        raise ResultFileError(f"{p} is corrupted: array {name!r} has trailing bytes")
                if list(loaded[name].shape) != list(spec.get("shape", [])):
                    raise ResultFileError(f"{p} is corrupted: array {name!r} has shape {list(loaded[name].shape)}, "
                                          f"the header says {spec.get('shape')}")
    except ResultFileError:
        raise
    except zipfile.BadZipFile as exc:
        raise ResultFileError(f"{p} is not a readable interplay result file: truncated, corrupted or not a zip "
                              f"archive ({exc})") from None
    except (EOFError, zlib.error, OSError, ValueError) as exc:
        raise ResultFileError(f"{p} is truncated or corrupted ({type(exc).__name__}: {exc})") from None
    return Contents(header["kind"], int(header["data_version"]), dict(header["meta"]), loaded)


def _path(path: Any) -> Path:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise ResultFileError(f"path must be a file path (a str or os.PathLike); got {path!r} "
                              f"(a {type(path).__name__})")
    return Path(path)


def _header(p: Path, raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultFileError(f"{p} is corrupted: its {HEADER} is not JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ResultFileError(f"{p} is not an interplay result file (its {HEADER} has no \"format\": {FORMAT!r})")
    version = header.get("format_version")
    if not isinstance(version, int):
        raise ResultFileError(f"{p} is corrupted: format_version {version!r} is not an integer")
    if version > FORMAT_VERSION:
        raise ResultFileError(f"{p} was written by a newer interplay ({header.get('interplay', '?')}, file format "
                              f"{version}); this interplay reads file format {FORMAT_VERSION}: upgrade interplay")
    for key, kind in (("kind", str), ("data_version", int), ("meta", dict), ("arrays", dict)):
        if not isinstance(header.get(key), kind):
            raise ResultFileError(f"{p} is corrupted: {key!r} is missing or not a {kind.__name__}")
    return header
