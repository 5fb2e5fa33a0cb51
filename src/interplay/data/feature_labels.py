"""Feature labels that are never lost: ``FeatureView(..., path="labels.json")`` keeps the labels a
person types (one free-text label per feature index) in a small JSON file, written before the edit
is accepted.

The file (UTF-8 JSON)::

    {"format": "interplay.feature-labels", "version": 1, "interplay": "0.2.0",
     "n_features": 512, "features_sha256": "…", "updated": "2026-12-04T20:11:02.113+00:00",
     "labels": {"3": "closing bracket", "17": "names as indirect object"}}

``features_sha256`` is the SHA-256 of the feature names (``TopActivationsData.features``) as JSON,
so a file made for other features (another dictionary, another layer) is refused instead of
putting labels on the wrong latents.

Durability: every write goes to a temporary file in the same folder, is fsynced, renamed over the
old file (``os.replace``, atomic on POSIX and Windows) and the folder is fsynced; a crash leaves the
old file or the new one, never half of either. A file that does not read as this format raises
:class:`~interplay.errors.ViewError` naming it, and is left exactly as it is. Standard library only.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from interplay.errors import ViewError

FORMAT = "interplay.feature-labels"
VERSION = 1


def features_fingerprint(features: Sequence[str]) -> str:
    """The SHA-256 of the feature names as JSON (what a labels file was made for)."""
    return hashlib.sha256(json.dumps(list(features), ensure_ascii=False).encode("utf-8")).hexdigest()


def check_labels(labels: Any, n_features: int, where: str = "labels") -> dict[str, str]:
    """``{str(feature index): label}`` with every key a feature index in ``0..n_features-1`` and every
    value a string; empty labels are dropped. Raises ViewError naming the bad entry."""
    if not isinstance(labels, Mapping):
        raise ViewError(f"{where} must be a dict {{feature index (str or int): label (str)}}, got {type(labels).__name__}")
    out: dict[str, str] = {}
    for key, value in labels.items():
        try:
            index = int(key) if not isinstance(key, bool) and str(key).strip().lstrip("-").isdigit() else None
        except (TypeError, ValueError):
            index = None
        if index is None or not 0 <= index < n_features:
            raise ViewError(f"{where}: key {key!r} is not a feature index (0..{n_features - 1})")
        if not isinstance(value, str):
            raise ViewError(f"{where}[{key!r}] = {value!r}: a label is a string")
        if value != "":
            out[str(index)] = value
    return dict(sorted(out.items(), key=lambda kv: int(kv[0])))


class FeatureLabelStore:
    """The labels file of one set of features: :meth:`open` reads (or creates) it, :meth:`write`
    replaces it atomically with the new labels."""

    def __init__(self, path: Path, features: Sequence[str], labels: dict[str, str]) -> None:
        self.path = path
        self.n_features = len(features)
        self.fingerprint = features_fingerprint(features)
        self.labels = labels

    @classmethod
    def open(cls, path: str | os.PathLike[str], features: Sequence[str],
             seed: Mapping[str, str] | None = None) -> FeatureLabelStore:
        """The labels in ``path`` (made for these ``features``), or a new file holding ``seed``."""
        if not isinstance(path, (str, os.PathLike)):
            raise ViewError(f"path must be a file path (str or Path), not {type(path).__name__}")
        p = Path(path)
        if p.is_dir():
            raise ViewError(f"path={str(p)!r} is a folder; give the path of a .json file for the labels")
        if not p.parent.exists():
            raise ViewError(f"cannot keep labels in {p}: the folder {p.parent} does not exist")
        store = cls(p, features, {})
        if p.exists():
            store.labels = store._read()
            return store
        store.write(check_labels(dict(seed or {}), store.n_features))
        return store

    def _read(self) -> dict[str, str]:
        where = str(self.path)
        try:
            obj = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ViewError(f"{where} is not a feature labels file ({exc}); it was left as it is "
                            "(move it away, or pass another path)") from None
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise ViewError(f"{where} is not an interplay feature labels file (no \"format\": {FORMAT!r}); "
                            "it was left as it is")
        if not isinstance(obj.get("version"), int) or obj["version"] > VERSION:
            raise ViewError(f"{where} has version {obj.get('version')!r}; this interplay reads version {VERSION}")
        if obj.get("n_features") != self.n_features or obj.get("features_sha256") != self.fingerprint:
            raise ViewError(f"{where} holds labels of other features ({obj.get('n_features')!r} features, another "
                            f"set of names) than this view's {self.n_features}; it was left as it is")
        return check_labels(obj.get("labels", {}), self.n_features, where=f"{where}: labels")

    def write(self, labels: Mapping[str, str]) -> None:
        """Replace the file with ``labels`` (checked): on disk, fsynced, before this returns."""
        from interplay._version import __version__

        checked = check_labels(labels, self.n_features)
        doc = {"format": FORMAT, "version": VERSION, "interplay": __version__, "n_features": self.n_features,
               "features_sha256": self.fingerprint,
               "updated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
               "labels": checked}
        data = (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise ViewError(f"cannot write the labels to {self.path}: {exc}") from None
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise ViewError(f"cannot write the labels to {self.path}: {exc}") from None
        _fsync_dir(self.path.parent)
        self.labels = checked


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: no directory descriptors
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
