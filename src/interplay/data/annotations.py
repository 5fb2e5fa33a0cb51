"""Token annotations: tokenising texts with character offsets, and validating label records.

An annotation is a record ``{"text": i, "start": s, "end": e, "char_start": a, "char_end": b,
"label": name, "tokens": [...]}``: tokens ``s..e-1`` (end exclusive) of text ``i`` carry ``label``;
``a:b`` is the character span of those tokens in the text (Python ``str`` indices, i.e. code
points), and ``tokens`` their strings. ``text``, ``start``, ``end`` and ``label`` are the record;
the other fields are derived from the tokenisation and always recomputed here, so a record can never
disagree with the tokens it names.

Character offsets come from the tokenizer's offset mapping (fast tokenizers). A byte-level BPE may
split one character across tokens (an emoji is 4 UTF-8 bytes, often 2-3 tokens): every piece then
maps to that whole character, so ``text[char_start:char_end]`` always holds the tokens' text.

:class:`AnnotationData` holds a whole labelled corpus (texts, tokens, offsets, labels, colours,
records) as data: what :class:`interplay.AnnotatorView` shows, what :func:`interplay.probe` reads,
and what a file holds, either the annotation JSON file (``FORMAT``, ``VERSION``) or the common
result file. numpy and the standard library only (a tokenizer object is only called): no torch.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.arrays import to_numpy
from interplay.data.base import Data
from interplay.data.tokens import token_strings
from interplay.errors import AnnotationError, ShapeError

FORMAT = "interplay.annotations"
VERSION = 1
RECORD_KEYS = ("text", "start", "end", "label")
DERIVED_KEYS = ("char_start", "char_end", "tokens")
#: Okabe-Ito, colour-blind safe; label i gets PALETTE[i % len(PALETTE)].
PALETTE = ("#e69f00", "#56b4e9", "#009e73", "#d55e00", "#cc79a7", "#0072b2", "#f0e442", "#999999", "#000000")
_WORDS = re.compile(r"\s*\w+|\s*[^\w\s]+|\s+")


@dataclasses.dataclass(frozen=True)
class Corpus:
    """Texts with their tokens and each token's ``[char_start, char_end)`` in its text."""

    texts: list[str]
    tokens: list[list[str]]
    offsets: list[list[list[int]]]

    @property
    def lengths(self) -> list[int]:
        return [len(t) for t in self.tokens]


def split_words(text: str) -> tuple[list[str], list[list[int]]]:
    """Whitespace-and-punctuation tokens (a leading space stays with its word), with offsets."""
    toks, offs = [], []
    for m in _WORDS.finditer(text):
        toks.append(m.group(0))
        offs.append([m.start(), m.end()])
    return toks, offs


def tokenize_text(tokenizer: Any, text: str) -> tuple[list[str], list[list[int]]]:
    """Tokens exactly as ``tokenizer(text, add_special_tokens=True)`` gives them (what
    ``Model.run`` uses), shown as in every other view, and each token's character span."""
    try:
        enc = tokenizer(text, add_special_tokens=True, return_offsets_mapping=True)
        spans = [[int(a), int(b)] for a, b in enc["offset_mapping"]]
    except (NotImplementedError, KeyError, TypeError, ValueError):  # slow tokenizers have no offsets
        enc, spans = tokenizer(text, add_special_tokens=True), []
    ids = [int(i) for i in enc["input_ids"]]
    strings = token_strings(tokenizer, ids)
    if not spans:
        spans = _offsets_by_search(text, strings)
    return strings, _fix_offsets(spans, len(text))


def _offsets_by_search(text: str, tokens: Sequence[str]) -> list[list[int]]:
    """Offsets of tokens found one after another in ``text`` (empty spans where one is not found)."""
    out, at = [], 0
    for tok in tokens:
        i = text.find(tok, at) if tok else -1
        if i < 0:
            out.append([at, at])
        else:
            out.append([i, i + len(tok)])
            at = i + len(tok)
    return out


def _fix_offsets(spans: list[list[int]], n_chars: int) -> list[list[int]]:
    """Clamp into the text. (Fast tokenizers already give each piece of a split character the
    whole character's span.)"""
    fixed = []
    for a, b in spans:
        a, b = max(0, min(a, n_chars)), max(0, min(b, n_chars))
        fixed.append([a, max(a, b)])
    return fixed


def build_corpus(items: Any, tokenizer: Any = None) -> Corpus:
    """Texts (strings), pre-split texts (lists of token strings) or traces (``Model.run`` results)."""
    if isinstance(items, str) or not isinstance(items, Iterable):
        items = [items]
    texts: list[str] = []
    tokens: list[list[str]] = []
    offsets: list[list[list[int]]] = []
    for i, item in enumerate(items):
        if hasattr(item, "prompts") and hasattr(item, "str_tokens"):  # a Trace (without importing torch)
            tok = tokenizer if tokenizer is not None else item.model.tokenizer
            for prompt in item.prompts:
                t, o = tokenize_text(tok, prompt)
                texts.append(prompt)
                tokens.append(t)
                offsets.append(o)
            continue
        if isinstance(item, str):
            if not item:
                raise AnnotationError(f"text {i} is empty: there is nothing to annotate")
            t, o = tokenize_text(tokenizer, item) if tokenizer is not None else split_words(item)
        elif isinstance(item, Sequence) and all(isinstance(x, str) for x in item) and len(item) > 0:
            t, o, at = list(item), [], 0
            for x in t:
                o.append([at, at + len(x)])
                at += len(x)
            item = "".join(t)
        else:
            raise AnnotationError(
                f"item {i} is a {type(item).__name__}: give texts (strings), lists of token strings, or traces")
        if not t:
            raise AnnotationError(f"text {i} ({item!r}) has no tokens")
        texts.append(item)
        tokens.append(t)
        offsets.append(o)
    if not texts:
        raise AnnotationError("no texts given: pass a text, a list of texts, or traces")
    return Corpus(texts, tokens, offsets)


def check_labels(labels: Any) -> list[str]:
    """A non-empty list of distinct, non-empty label names."""
    if isinstance(labels, str) or not isinstance(labels, Iterable):
        raise AnnotationError(f"labels must be a list of names, e.g. ['subject', 'object'], not {labels!r}")
    out = list(labels)
    bad = [x for x in out if not isinstance(x, str) or not x.strip()]
    if bad or not out:
        raise AnnotationError(f"labels must be non-empty strings; got {out!r}")
    dupes = sorted({x for x in out if out.count(x) > 1})
    if dupes:
        raise AnnotationError(f"labels must be distinct; repeated: {dupes}")
    return out


def _index(value: Any, what: str, where: str) -> int:
    if isinstance(value, bool):
        raise AnnotationError(f"{where}: {what} must be an integer, not {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return operator.index(value)
    except TypeError:
        raise AnnotationError(f"{where}: {what} must be an integer, not {value!r}") from None


def char_span(offsets: Sequence[Sequence[int]], start: int, end: int) -> tuple[int, int]:
    """Character span covered by tokens ``start..end-1``."""
    return min(offsets[k][0] for k in range(start, end)), max(offsets[k][1] for k in range(start, end))


def check_record(rec: Any, corpus: Corpus, labels: Sequence[str], where: str = "annotation") -> dict[str, Any]:
    """One record, checked against the texts and label set, with its derived fields recomputed."""
    if not isinstance(rec, Mapping):
        raise AnnotationError(f"{where} must be a dict with keys {list(RECORD_KEYS)}, not {type(rec).__name__}")
    missing = [k for k in RECORD_KEYS if k not in rec]
    unknown = [k for k in rec if k not in RECORD_KEYS + DERIVED_KEYS]
    if missing or unknown:
        raise AnnotationError(f"{where}: " + "; ".join(
            ([f"missing {missing}"] if missing else []) + ([f"unknown keys {unknown}"] if unknown else []))
            + f" (a record has {list(RECORD_KEYS + DERIVED_KEYS)})")
    label = rec["label"]
    if label not in labels:
        raise AnnotationError(f"{where}: label {label!r} is not one of the labels {list(labels)}")
    text = _index(rec["text"], "text", where)
    if not 0 <= text < len(corpus.texts):
        raise AnnotationError(f"{where}: text {text} is out of range (there are {len(corpus.texts)} texts)")
    start, end = _index(rec["start"], "start", where), _index(rec["end"], "end", where)
    n = len(corpus.tokens[text])
    if not 0 <= start < end <= n:
        raise AnnotationError(
            f"{where}: tokens {start}..{end} (end exclusive) are out of range for text {text}, which has {n} "
            f"tokens (need 0 <= start < end <= {n})")
    a, b = char_span(corpus.offsets[text], start, end)
    return {"text": text, "start": start, "end": end, "char_start": a, "char_end": b, "label": label,
            "tokens": list(corpus.tokens[text][start:end])}


def key(rec: Mapping[str, Any]) -> tuple[int, int, int, str]:
    return (int(rec["text"]), int(rec["start"]), int(rec["end"]), str(rec["label"]))


def check_records(records: Any, corpus: Corpus, labels: Sequence[str]) -> list[dict[str, Any]]:
    """Every record checked (the first bad one raises, naming it); exact duplicates dropped."""
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise AnnotationError(f"annotations must be a list of records, not {type(records).__name__}")
    out: list[dict[str, Any]] = []
    seen: set[tuple[int, int, int, str]] = set()
    for i, rec in enumerate(records):
        r = check_record(rec, corpus, labels, f"annotation {i}")
        if key(r) not in seen:
            seen.add(key(r))
            out.append(r)
    return out


def positions(records: Iterable[Mapping[str, Any]], label: str | None = None, text: int | None = None) -> list[int]:
    """Sorted token positions covered by records (of ``label``, in ``text``; None = any)."""
    pos: set[int] = set()
    for r in records:
        if (label is None or r["label"] == label) and (text is None or r["text"] == text):
            pos.update(range(int(r["start"]), int(r["end"])))
    return sorted(pos)


def token_labels(records: Iterable[Mapping[str, Any]], lengths: Sequence[int]) -> list[list[set[str]]]:
    """For each text and token, the set of labels on it."""
    out: list[list[set[str]]] = [[set() for _ in range(n)] for n in lengths]
    for r in records:
        for k in range(int(r["start"]), int(r["end"])):
            out[int(r["text"])][k].add(str(r["label"]))
    return out


def check_corpus(texts: Any, tokens: Any, offsets: Any, where: str) -> None:
    """Texts, their tokens and each token's ``[start, end)`` in its text: same lengths, in range."""
    for name, value in (("texts", texts), ("tokens", tokens), ("offsets", offsets)):
        if not isinstance(value, list):
            raise AnnotationError(f"{where}: {name!r} must be a list")
    if not (len(texts) == len(tokens) == len(offsets)) or not texts:
        raise AnnotationError(f"{where}: texts, tokens and offsets must be non-empty lists of the same length")
    for i, (text, toks, offs) in enumerate(zip(texts, tokens, offsets, strict=True)):
        ok = (isinstance(text, str) and isinstance(toks, list) and isinstance(offs, list) and len(toks) == len(offs)
              and len(toks) > 0 and all(isinstance(t, str) for t in toks)
              and all(isinstance(o, list) and len(o) == 2 and all(type(x) is int for x in o)
                      and 0 <= o[0] <= o[1] <= len(text) for o in offs))
        if not ok:
            raise AnnotationError(f"{where}: text {i} has malformed tokens or offsets")


def check_colors(colors: Any, labels: Sequence[str], where: str) -> list[str]:
    """One CSS colour per label; none given (empty) means the default palette."""
    if not isinstance(colors, list) or not all(isinstance(c, str) for c in colors):
        raise AnnotationError(f"{where}: label_colors must be a list of CSS colours")
    if not colors:
        return default_colors(labels)
    if len(colors) != len(labels):
        raise AnnotationError(f"{where}: {len(colors)} colours for {len(labels)} labels")
    return list(colors)


def default_colors(labels: Sequence[str]) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(len(labels))]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class AnnotationData(Data):
    """Texts, their tokens and character offsets, the label set and the label records: everything
    an annotator shows and a file holds (no tokenizer: the tokens are in it).

    Checked in full when made: the corpus, the labels (distinct, non-empty), one colour per label
    (none given: the default palette) and every record (derived fields recomputed, exact duplicates
    dropped). ``data.save(path)`` writes the common result file; :func:`read_file` reads it or the
    annotation JSON file of ``AnnotatorView.save``.
    """

    texts: list[str]
    tokens: list[list[str]]
    offsets: list[list[list[int]]]
    labels: list[str]
    label_colors: list[str] = dataclasses.field(default_factory=list)
    annotations: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        records = self.annotations
        if isinstance(records, Iterable) and not isinstance(records, (str, bytes, Mapping, list, tuple)):
            object.__setattr__(self, "annotations", list(records))  # a generator of records
        super().__post_init__()
        where = type(self).__name__
        check_corpus(self.texts, self.tokens, self.offsets, where)
        labels = check_labels(self.labels)
        object.__setattr__(self, "label_colors", check_colors(self.label_colors, labels, where))
        object.__setattr__(self, "annotations", check_records(self.annotations, self.corpus, labels))

    @property
    def corpus(self) -> Corpus:
        return Corpus(self.texts, self.tokens, self.offsets)

    @property
    def lengths(self) -> list[int]:
        return [len(t) for t in self.tokens]

    def positions(self, label: str | None = None, text: int | None = None) -> list[int]:
        """Sorted token positions carrying ``label`` (in ``text``; None = any)."""
        if label is not None and label not in self.labels:
            raise AnnotationError(f"label {label!r} is not one of the labels {list(self.labels)}")
        return positions(self.annotations, label, text)

    def token_labels(self) -> list[list[set[str]]]:
        """For each text, each token's set of labels."""
        return token_labels(self.annotations, self.lengths)

    def to_json(self) -> dict[str, Any]:
        """The annotation file's JSON object (``FORMAT``/``VERSION``)."""
        return {"format": FORMAT, "version": VERSION, "labels": list(self.labels),
                "label_colors": list(self.label_colors), "texts": list(self.texts), "tokens": self.tokens,
                "offsets": self.offsets, "annotations": [dict(r) for r in self.annotations]}

    @classmethod
    def from_json(cls, obj: Any, where: str = "annotations") -> AnnotationData:
        """The inverse of :meth:`to_json`, checked in full (format, version, texts, labels, records)."""
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise AnnotationError(f"{where} is not an interplay annotation file (no \"format\": {FORMAT!r})")
        if obj.get("version") != VERSION:
            raise AnnotationError(f"{where} has version {obj.get('version')!r}; this interplay reads version {VERSION}")
        for field in ("labels", "texts", "tokens", "offsets", "annotations"):
            if not isinstance(obj.get(field), list):
                raise AnnotationError(f"{where}: {field!r} must be a list")
        check_corpus(obj["texts"], obj["tokens"], obj["offsets"], where)
        labels = check_labels(obj["labels"])
        colors = check_colors(obj.get("label_colors") or [], labels, where)
        return cls(texts=obj["texts"], tokens=obj["tokens"], offsets=obj["offsets"], labels=labels,
                   label_colors=colors, annotations=obj["annotations"])


def read_file(path: str | os.PathLike[str]) -> AnnotationData:
    """An annotation file, checked in full: the JSON file ``AnnotatorView.save`` writes, or a
    result file of ``AnnotationData.save``."""
    p = Path(path)
    if not p.is_file():
        raise AnnotationError(f"{p}: no such file" if not p.exists() else f"{p} is not a file")
    if zipfile.is_zipfile(p):
        return AnnotationData.load(p)
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AnnotationError(f"{path} is not JSON ({e})") from None
    return AnnotationData.from_json(obj, str(path))


def where_records(tokens: Sequence[Sequence[str]], label: str, predicate: Callable[[str], Any],
                  texts: Iterable[int]) -> list[dict[str, Any]]:
    """One single-token record of ``label`` for every token (of ``texts``) that satisfies ``predicate``."""
    return [{"text": t, "start": k, "end": k + 1, "label": label}
            for t in texts for k, tok in enumerate(tokens[t]) if predicate(tok)]


def token_values(values: Any, lengths: Sequence[int]) -> npt.NDArray[np.float32]:
    """Per-token values as [n_texts, max_tokens] float32 (NaN past each text's end): from a list of
    per-text arrays or one [n_texts, >= max_tokens] array (numpy or torch)."""
    values = to_numpy(values) if hasattr(values, "detach") else values
    if isinstance(values, np.ndarray) and values.ndim == 2:
        arr = values.astype(np.float32)
    else:
        seq = list(values)
        if len(seq) != len(lengths):
            raise ShapeError(f"values has {len(seq)} rows but there are {len(lengths)} texts")
        arr = np.full((len(lengths), max(lengths)), np.nan, dtype=np.float32)
        for i, row in enumerate(seq):
            r = np.asarray(to_numpy(row), dtype=np.float32).reshape(-1)
            if r.size != lengths[i]:
                raise ShapeError(f"values for text {i} has {r.size} entries but the text has {lengths[i]} tokens")
            arr[i, : r.size] = r
    if arr.shape[0] != len(lengths) or arr.shape[1] < max(lengths):
        raise ShapeError(f"values has shape {list(arr.shape)}; expected [{len(lengths)}, >= {max(lengths)}] "
                         "(texts x tokens)")
    return arr
