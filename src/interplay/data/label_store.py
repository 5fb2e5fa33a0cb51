"""Labels that are never lost: a journal of annotation edits, on disk as each edit happens.

``AnnotatorView(..., path="labels.jsonl")`` keeps its records in a :class:`LabelStore`. Every edit
(labels added, removed or changed, from the page or from Python) is appended to the file as one
line and flushed to the disk (``fsync``) before the edit is accepted; a view made again with the
same path (after a restart, a crash, a notebook saved without its widget state) resumes from it.

The file is UTF-8 JSON Lines: one JSON object per line, every line ending in ``\\n``::

    {"format": "interplay.labels", "version": 1, "id": "9c1e07d2a4b3f5e6", "interplay": "0.2.0",
     "created": "2026-12-04T19:02:11.042+00:00", "labels": ["name", "verb"],
     "texts": [{"n_tokens": 8, "sha256": "3f0c...", "start": "When Mary and John went to the store"}]}
    {"time": "2026-12-04T19:02:15.310+00:00", "from": "view",
     "add": [{"text": 0, "start": 1, "end": 2, "label": "name", "tokens": [" Mary"]}]}
    {"time": "...", "from": "python", "remove": [{...}], "add": [{...}]}     a label changed: one edit
    {"time": "...", "from": "python", "set": [{...}, ...]}                   the records reordered

The header names the file (a random ``id``: a file replaced under a view is noticed) and the texts
it was made for (each text's token count and the SHA-256 of its
text and tokens), so a file made for other texts, or the same texts cut by another tokenizer, is
refused instead of putting labels on the wrong tokens. The records are replayed in order (an edit
removes its ``remove`` records, then appends its ``add`` records; ``set`` replaces the list).

Durability. One edit is one line, written with one ``write`` on an ``O_APPEND`` descriptor under an
exclusive ``flock`` and fsynced before :meth:`LabelStore.write` returns; the file is never rewritten.
A process killed in the middle of a write can leave only a torn last line (no ``\\n``): the next
open drops it with a warning (that edit was never acknowledged) and every earlier edit is intact.
The header is written to a temporary file and linked into place, so a file is never half-created.
Anything else that does not read as this format (a damaged line before the last, a header of
something else, a newer version, other texts, labels the view does not have) raises
:class:`~interplay.errors.AnnotationError` naming the file and the line, and the file is left
exactly as it was.

Two views on one file (two notebooks, or a cell run twice) both append, each edit whole under the
lock; reopening replays every edit of both in order. A view does not see another's edits live.

Why JSON Lines rather than SQLite: the file can be read, grepped and diffed by a person (it is the
labels, with their tokens), it is one file (no ``-wal``/``-shm`` side files, which also fail on
network filesystems), and the only damage a crash can do to an append-only file is a torn last
line, which is easy to recognise and drop. SQLite would bring transactions we do not need for one
writer appending small records. Standard library only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from interplay.data import annotations as ann
from interplay.data.annotations import Corpus
from interplay.errors import AnnotationError

FORMAT = "interplay.labels"
VERSION = 1
EDIT_KEYS = ("time", "from", "add", "remove", "set")
FILE_RECORD_KEYS = ("text", "start", "end", "label", "tokens")
_PREVIEW = 40
_HEAD = 96  # the first bytes of a file, its id among them
_O_BINARY = getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)

if sys.platform == "win32":  # no flock: a file is then safe with one writer at a time

    @contextlib.contextmanager
    def _locked(fd: int) -> Iterator[None]:
        yield

else:
    import fcntl

    @contextlib.contextmanager
    def _locked(fd: int) -> Iterator[None]:
        """An exclusive lock on the whole file (released by the kernel if the process dies)."""
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


# -- the format ------------------------------------------------------------------------------


def text_fingerprint(text: str, tokens: Sequence[str]) -> dict[str, Any]:
    """What the header keeps of one text: its token count, the SHA-256 of ``[text, tokens]`` as
    JSON, and its first characters (for a person reading the file or an error)."""
    digest = hashlib.sha256(json.dumps([text, list(tokens)], ensure_ascii=False).encode("utf-8")).hexdigest()
    return {"n_tokens": len(tokens), "sha256": digest, "start": text[:_PREVIEW]}


def make_header(corpus: Corpus, labels: Sequence[str]) -> dict[str, Any]:
    from interplay._version import __version__

    return {"format": FORMAT, "version": VERSION, "id": os.urandom(8).hex(), "interplay": __version__, "created": _now(),
            "labels": list(labels),
            "texts": [text_fingerprint(t, toks) for t, toks in zip(corpus.texts, corpus.tokens, strict=True)]}


def file_record(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A record as a line holds it: the record and its token strings (derived fields are recomputed
    when read)."""
    return {k: (list(rec[k]) if k == "tokens" else rec[k]) for k in FILE_RECORD_KEYS}


def edit_line(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], source: str) -> bytes | None:
    """The line that turns the records ``old`` into ``new`` (both checked, without duplicates), or
    None when they are the same list: the removals and additions when replaying those gives ``new``
    in its order, else the whole list (``set``)."""
    old_keys, new_keys = [ann.key(r) for r in old], [ann.key(r) for r in new]
    if old_keys == new_keys:
        return None
    old_set, new_set = set(old_keys), set(new_keys)
    removed = [file_record(r) for r in old if ann.key(r) not in new_set]
    added = [file_record(r) for r in new if ann.key(r) not in old_set]
    edit: dict[str, Any] = {"time": _now(), "from": source}
    if [k for k in old_keys if k in new_set] + [ann.key(r) for r in added] == new_keys:
        if removed:
            edit["remove"] = removed
        if added:
            edit["add"] = added
    else:
        edit["set"] = [file_record(r) for r in new]
    return _line(edit)


@dataclasses.dataclass(frozen=True)
class Journal:
    """A labels file as read: the header, the edits, and what follows the last complete line."""

    header: dict[str, Any]
    edits: list[tuple[int, dict[str, Any]]]  # (line number, edit)
    tail: bytes  # b"" when the file ends with a newline
    tail_start: int  # byte offset where the tail begins (the size of the complete lines)


def parse(raw: bytes, where: str) -> Journal:
    """The header and edits of a labels file's bytes, each line's shape checked. A last line
    without its newline is returned as ``tail`` (a torn write, or an edit that lacks only ``\\n``)."""
    if not raw:
        raise AnnotationError(f"{where} is empty, so it is not an interplay labels file; it was left as it is "
                              "(delete it, or pass another path)")
    cut = raw.rfind(b"\n") + 1
    lines, tail = raw[:cut].split(b"\n")[:-1], raw[cut:]
    if not lines:  # no complete line: not even a header (ours is created whole)
        raise AnnotationError(_foreign(raw, where, "it has no complete first line"))
    header = _header(lines[0], raw, where)
    edits = [(n, _edit(line, n, where)) for n, line in enumerate(lines[1:], start=2)]
    if tail and _is_json(tail):  # a whole edit that lacks only its newline (checked like any other)
        edits.append((len(lines) + 1, _edit(tail, len(lines) + 1, where)))
    return Journal(header, edits, tail, cut)


def check_texts(header: Mapping[str, Any], corpus: Corpus, where: str) -> None:
    """The file was made for these texts, cut into these tokens."""
    theirs = header["texts"]
    if len(theirs) != len(corpus.texts):
        raise AnnotationError(
            f"{where} holds labels for {len(theirs)} texts and this view has {len(corpus.texts)}: it was made for other "
            "texts. It was left as it is; pass another path for these texts (or the texts it was made for)")
    for i, (fp, text, toks) in enumerate(zip(theirs, corpus.texts, corpus.tokens, strict=True)):
        mine = text_fingerprint(text, toks)
        if fp["sha256"] != mine["sha256"]:
            raise AnnotationError(
                f"{where} was made for other texts: its text {i} has {fp['n_tokens']} tokens and starts "
                f"{fp.get('start', '')!r}; this view's has {mine['n_tokens']} tokens and starts {mine['start']!r} "
                "(the texts or the tokenizer differ). It was left as it is; pass another path for these texts")


def replay(edits: Iterable[tuple[int, Mapping[str, Any]]], corpus: Corpus, labels: Sequence[str],
           where: str) -> list[dict[str, Any]]:
    """The records after every edit, each record checked against the texts; the labels of the
    records left must be the view's (a label used once and removed since does not matter)."""
    records: dict[tuple[int, int, int, str], dict[str, Any]] = {}
    for n, edit in edits:
        if "set" in edit:
            records = {ann.key(r): r for r in _checked(edit, "set", corpus, f"{where}, line {n}")}
            continue
        for r in _checked(edit, "remove", corpus, f"{where}, line {n}"):
            records.pop(ann.key(r), None)
        for r in _checked(edit, "add", corpus, f"{where}, line {n}"):
            records.setdefault(ann.key(r), r)
    missing = sorted({r["label"] for r in records.values()} - set(labels))
    if missing:
        raise AnnotationError(f"{where} holds labels {missing} that this view does not have (its labels are "
                              f"{list(labels)}); it was left as it is. Add them to the labels, or pass another path")
    return list(records.values())


def _checked(edit: Mapping[str, Any], field: str, corpus: Corpus, where: str) -> list[dict[str, Any]]:
    out = []
    for j, r in enumerate(edit.get(field, [])):
        at = f"{where}, {field} record {j}"
        label = r.get("label") if isinstance(r, Mapping) else None
        if isinstance(r, Mapping) and "label" in r and not (isinstance(label, str) and label.strip()):
            raise AnnotationError(f"{at}: the label {label!r} is not a label name")
        out.append(ann.check_record(r, corpus, [label] if isinstance(label, str) else [], at))
    return out


# -- the store -------------------------------------------------------------------------------


class LabelStore:
    """The records of one view, kept in a labels file. :meth:`open` creates the file or resumes
    from it; :meth:`write` makes the file hold a new list of records (one durable edit)."""

    def __init__(self, path: Path, records: list[dict[str, Any]], ident: tuple[int, int], head: bytes,
                 size: int) -> None:
        self.path = path
        self._records = records
        self._ident, self._head = ident, head  # (device, inode) and first bytes (with the file's id): a
        self._size = size  # replaced file is refused, and the file never shrinks under us

    @property
    def records(self) -> list[dict[str, Any]]:
        """The current records (checked, with derived fields)."""
        return [dict(r) for r in self._records]

    @classmethod
    def open(cls, path: str | os.PathLike[str], corpus: Corpus, labels: Sequence[str],
             seed: Iterable[Mapping[str, Any]] = ()) -> LabelStore:
        """Resume from ``path``, or create it for these texts. ``seed`` records are the first edit of
        a file that holds no edit yet; a file that does keeps its own records (a warning says so
        when ``seed`` differs)."""
        p = _usable_path(path)
        seeded = ann.check_records(list(seed), corpus, labels)
        header = make_header(corpus, labels)
        first = _line(header) + (edit_line([], seeded, "python") or b"")
        created = not p.exists() and _create(p, first)
        fd = _open(p, os.O_RDWR, "open")
        try:
            with _locked(fd):
                journal = parse(_read_all(fd, p), str(p))
                check_texts(journal.header, corpus, str(p))
                records = replay(journal.edits, corpus, labels, str(p))
                _settle_tail(fd, journal.tail, journal.tail_start, p)
                st = os.fstat(fd)
                store = cls(p, records, (st.st_dev, st.st_ino), os.pread(fd, _HEAD, 0), st.st_size)
                if not journal.edits and seeded:  # an existing file without edits: the seed starts it
                    store._append_locked(fd, edit_line([], seeded, "python") or b"")
                    store._records = seeded
        except OSError as e:
            raise AnnotationError(f"cannot read labels from {p}: {e.strerror or e}") from None
        finally:
            os.close(fd)
        if not created and journal.edits and seeded and {ann.key(r) for r in seeded} != {ann.key(r) for r in records}:
            warnings.warn(f"{p} already holds {len(records)} labels: the view resumes from the file, and the "
                          f"{len(seeded)} annotations given were not applied (add them, or delete the file to start "
                          "again)", UserWarning, stacklevel=3)
        return store

    def write(self, records: Sequence[Mapping[str, Any]], source: str = "python") -> None:
        """Make the file hold ``records`` (checked records, no duplicates): one edit, on disk before
        this returns. Nothing is written when they are the current records. On any failure nothing
        changes and AnnotationError says why."""
        line = edit_line(self._records, records, source)
        if line is None:
            return
        fd = _open(self.path, os.O_RDWR | os.O_APPEND, "write")
        try:
            with _locked(fd):
                st = os.fstat(fd)
                if (st.st_dev, st.st_ino) != self._ident or os.pread(fd, _HEAD, 0) != self._head:
                    raise AnnotationError(f"{self.path} was replaced by another file after this view opened it; the "
                                          "edit was not saved (make the view again to resume from the file)")
                if st.st_size < self._size:
                    raise AnnotationError(f"{self.path} was cut short by something else after this view opened it; "
                                          "the edit was not saved (make the view again to resume from the file)")
                _settle_tail(fd, *_tail_of(fd, st.st_size, self.path), self.path)  # a writer killed mid-line
                self._append_locked(fd, line)
        except OSError as e:
            raise AnnotationError(f"cannot write labels to {self.path}: {e.strerror or e}; the edit was not saved") from None
        finally:
            os.close(fd)
        self._records = [dict(r) for r in records]

    def _append_locked(self, fd: int, line: bytes) -> None:
        os.lseek(fd, 0, os.SEEK_END)  # (O_APPEND does this for every write; the open descriptor has no O_APPEND)
        _write_all(fd, line)
        os.fsync(fd)
        self._size = os.fstat(fd).st_size


def read_records(path: str | os.PathLike[str], corpus: Corpus, labels: Sequence[str]) -> list[dict[str, Any]]:
    """The records a labels file holds for these texts (read only: the file is not changed, a torn
    last line is ignored)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise AnnotationError(f"cannot read labels from {p}: {e.strerror or e}") from None
    journal = parse(raw, str(p))
    check_texts(journal.header, corpus, str(p))
    return replay(journal.edits, corpus, labels, str(p))


# -- helpers ---------------------------------------------------------------------------------


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def _line(obj: Mapping[str, Any]) -> bytes:
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")  # json escapes every newline


def _foreign(raw: bytes, where: str, why: str) -> str:
    hint = ""
    with contextlib.suppress(ValueError):
        obj = json.loads(raw.decode("utf-8"))
        if isinstance(obj, dict) and obj.get("format") == ann.FORMAT:
            hint = " It is an annotation file of AnnotatorView.save: open it with AnnotatorView.load(path)."
    if raw[:4] == b"PK\x03\x04":
        hint = " It is a zip archive (a result file?): open one with AnnotatorView.load(path)."
    return (f"{where} is not an interplay labels file ({why}); it was left as it is.{hint} Pass another path for "
            "the labels")


def _json_object(line: bytes) -> Any:
    return json.loads(line.decode("utf-8"))


def _header(line: bytes, raw: bytes, where: str) -> dict[str, Any]:
    try:
        obj = _json_object(line)
    except ValueError:
        raise AnnotationError(_foreign(raw, where, "its first line is not a JSON object")) from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise AnnotationError(_foreign(raw, where, f"its first line has no \"format\": {FORMAT!r}"))
    version = obj.get("version")
    if not isinstance(version, int) or version < 1:
        raise AnnotationError(f"{where}, line 1: the version {version!r} is not a version number; it was left as it is")
    if version > VERSION:
        raise AnnotationError(f"{where} was written by a newer interplay (labels file version {version}); this one "
                              f"reads version {VERSION}. It was left as it is")
    texts = obj.get("texts")
    if not (isinstance(texts, list) and all(
            isinstance(t, dict) and type(t.get("n_tokens")) is int and isinstance(t.get("sha256"), str) for t in texts)):
        raise AnnotationError(f"{where}, line 1: the header's \"texts\" is not a list of {{n_tokens, sha256}}; the file "
                              "is damaged and was left as it is")
    return obj


def _edit(line: bytes, n: int, where: str) -> dict[str, Any]:
    damaged = f"{where}, line {n}"
    try:
        obj = _json_object(line)
    except ValueError as e:
        raise AnnotationError(f"{damaged} is damaged (not JSON: {e}); the file was left as it is. Every line but a "
                              "torn last one must be a whole edit: repair or remove that line by hand") from None
    if not isinstance(obj, dict):
        raise AnnotationError(f"{damaged} is not an edit (a JSON object); the file was left as it is")
    unknown = sorted(set(obj) - set(EDIT_KEYS))
    if unknown:
        raise AnnotationError(f"{damaged}: unknown keys {unknown} (an edit has {list(EDIT_KEYS)}); the file was left "
                              "as it is")
    if "set" in obj and ("add" in obj or "remove" in obj):
        raise AnnotationError(f"{damaged}: an edit has either \"set\" or \"add\"/\"remove\"; the file was left as it is")
    for field in ("add", "remove", "set"):
        if field in obj and not isinstance(obj[field], list):
            raise AnnotationError(f"{damaged}: {field!r} must be a list of records; the file was left as it is")
    return obj


def _usable_path(path: str | os.PathLike[str]) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise AnnotationError(f"path must be a file path such as 'labels.jsonl' (a str or Path), not {path!r}")
    p = Path(path).expanduser().absolute()  # (a later chdir does not move the file)
    if not str(path):
        raise AnnotationError("path must be a file path such as 'labels.jsonl', not ''")
    if not p.parent.is_dir():
        raise AnnotationError(f"cannot keep labels in {p}: the folder {p.parent} does not exist (create it, or pass "
                              "another path)")
    if p.is_dir():
        raise AnnotationError(f"cannot keep labels in {p}: it is a folder; pass a file path such as {str(p / 'labels.jsonl')!r}")
    return p


def _open(p: Path, flags: int, what: str) -> int:
    doing = "open labels file {} for writing" if what == "open" else "write to labels file {}"
    lost = "; the edit was not saved" if what == "write" else ""
    try:
        return os.open(p, flags | _O_BINARY)
    except FileNotFoundError:
        raise AnnotationError(f"cannot {doing.format(p)}: it was deleted or moved{lost}") from None
    except OSError as e:
        raise AnnotationError(f"cannot {doing.format(p)}: {e.strerror or e}{lost}") from None


def _create(p: Path, content: bytes) -> bool:
    """Write ``content`` to a temporary file and link it in as ``p``: a new file is whole or absent,
    and an existing one is never replaced. False when ``p`` appeared meanwhile."""
    tmp = p.with_name(f".{p.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o644)
    except OSError as e:
        raise AnnotationError(f"cannot create labels file {p}: {e.strerror or e} (in {p.parent})") from None
    try:
        try:
            _write_all(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, p)
        except FileExistsError:
            return False
        except OSError:  # a filesystem without hard links: exclusive create (a kill here may tear the header)
            try:
                fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o644)
            except FileExistsError:
                return False
            try:
                _write_all(fd, content)
                os.fsync(fd)
            finally:
                os.close(fd)
    except OSError as e:
        raise AnnotationError(f"cannot create labels file {p}: {e.strerror or e}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _fsync_dir(p.parent)
    return True


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not possible everywhere (Windows): the file's own fsync still holds
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read_all(fd: int, p: Path) -> bytes:
    size = os.fstat(fd).st_size
    chunks, at = [], 0
    while at < size:
        chunk = os.pread(fd, min(1 << 20, size - at), at)
        if not chunk:
            break
        chunks.append(chunk)
        at += len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _tail_of(fd: int, size: int, p: Path) -> tuple[bytes, int]:
    """The bytes after the file's last newline, and where they start (a check before appending)."""
    if size == 0:
        raise AnnotationError(f"{p} was emptied by something else after this view opened it; the edit was not saved")
    at, tail = size, b""
    while at > 0:
        n = min(4096, at)
        chunk = os.pread(fd, n, at - n)
        i = chunk.rfind(b"\n")
        if i >= 0:
            tail = chunk[i + 1:] + tail
            return tail, size - len(tail)
        tail, at = chunk + tail, at - n
    raise AnnotationError(f"{p} has no complete line any more; the edit was not saved")


def _is_json(data: bytes) -> bool:
    try:
        _json_object(data)
    except ValueError:
        return False
    return True


def _settle_tail(fd: int, tail: bytes, tail_start: int, p: Path) -> None:
    """A last line without its newline: one that is JSON (an edit lacking only its newline) is
    completed; anything else is a write torn by a kill, dropped with a warning (that edit was never
    acknowledged) so that the next edit starts a line of its own."""
    if not tail:
        return
    if _is_json(tail):
        os.lseek(fd, 0, os.SEEK_END)  # (a descriptor opened without O_APPEND)
        _write_all(fd, b"\n")
    else:
        preview = tail[:60].decode("utf-8", "replace")
        warnings.warn(f"{p}: the last line ({len(tail)} bytes: {preview!r}) is a write cut short (a process killed "
                      "while writing it); that edit was never saved and is dropped. Every earlier label is intact",
                      UserWarning, stacklevel=4)
        os.ftruncate(fd, tail_start)
    os.fsync(fd)
