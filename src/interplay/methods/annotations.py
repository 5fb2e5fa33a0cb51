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

Pure Python (no torch): :class:`interplay.Annotator` and :func:`interplay.probe` both use it.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interplay.errors import InterplayError

FORMAT = "interplay.annotations"
VERSION = 1
RECORD_KEYS = ("text", "start", "end", "label")
DERIVED_KEYS = ("char_start", "char_end", "tokens")
#: Okabe-Ito, colour-blind safe; label i gets PALETTE[i % len(PALETTE)].
PALETTE = ("#e69f00", "#56b4e9", "#009e73", "#d55e00", "#cc79a7", "#0072b2", "#f0e442", "#999999", "#000000")
_WORDS = re.compile(r"\s*\w+|\s*[^\w\s]+|\s+")


class AnnotationError(InterplayError):
    """A label record, a label set or an annotation file that cannot be used (the message says why)."""


@dataclass(frozen=True)
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
    from interplay.backend.tokens import token_strings

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


def to_json(corpus: Corpus, labels: Sequence[str], records: Sequence[Mapping[str, Any]],
            colors: Sequence[str] = ()) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "labels": list(labels), "label_colors": list(colors),
            "texts": corpus.texts, "tokens": corpus.tokens, "offsets": corpus.offsets,
            "annotations": [dict(r) for r in records]}


def read_file(path: str | Path) -> dict[str, Any]:
    """An annotation file, checked in full (shape, version, texts, labels, records)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise AnnotationError(f"{path} is not JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AnnotationError(f"{path} is not an interplay annotation file (no \"format\": {FORMAT!r})")
    if data.get("version") != VERSION:
        raise AnnotationError(f"{path} has version {data.get('version')!r}; this interplay reads version {VERSION}")
    for field in ("labels", "texts", "tokens", "offsets", "annotations"):
        if not isinstance(data.get(field), list):
            raise AnnotationError(f"{path}: {field!r} must be a list")
    texts, tokens, offsets = data["texts"], data["tokens"], data["offsets"]
    if not (len(texts) == len(tokens) == len(offsets)) or not texts:
        raise AnnotationError(f"{path}: texts, tokens and offsets must be non-empty lists of the same length")
    for i, (text, toks, offs) in enumerate(zip(texts, tokens, offsets, strict=True)):
        ok = (isinstance(text, str) and isinstance(toks, list) and isinstance(offs, list) and len(toks) == len(offs)
              and len(toks) > 0 and all(isinstance(t, str) for t in toks)
              and all(isinstance(o, list) and len(o) == 2 and all(type(x) is int for x in o)
                      and 0 <= o[0] <= o[1] <= len(text) for o in offs))
        if not ok:
            raise AnnotationError(f"{path}: text {i} has malformed tokens or offsets")
    labels = check_labels(data["labels"])
    corpus = Corpus(list(texts), [list(t) for t in tokens], [[list(o) for o in offs] for offs in offsets])
    colors = data.get("label_colors") or []
    if not isinstance(colors, list) or not all(isinstance(c, str) for c in colors):
        raise AnnotationError(f"{path}: label_colors must be a list of CSS colours")
    return {"corpus": corpus, "labels": labels, "colors": colors,
            "annotations": check_records(data["annotations"], corpus, labels)}


def default_colors(labels: Sequence[str]) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
