"""Annotator: label tokens (or spans of tokens) by hand, and get the labels back in Python."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import traitlets

from interplay.methods import annotations as ann
from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._serialize import Payload, encode_array
from interplay.widgets.token_heatmap import scale_spec


class Annotator(BaseWidget):
    """Label tokens interactively: one text at a time, tokens as the tokenizer splits them.

    ``Annotator(texts, labels=["subject", "object"], model=model)`` (or ``tokenizer=``; without
    either, texts are split at spaces and punctuation; lists of token strings and traces are taken
    as they are). Click a token, drag or shift-click a span, then press 1..9 or a label's button;
    arrows move, Backspace removes, ``z``/Ctrl+Z undoes, Ctrl+Shift+Z redoes, PageUp/PageDown (or
    ``[``/``]``) change text. ``values`` (one array per text, or [n_texts, n_tokens]) colour the
    tokens as a heatmap.

    ``widget.annotations`` is the list of records ``{text, start, end (exclusive), char_start,
    char_end, label, tokens}``, synced both ways and kept in the notebook's widget state. Every record
    is checked: a bad one from Python raises (and changes nothing); a bad edit from the view is
    refused, the last good labels are restored, and ``error`` says why.
    """

    _esm = bundle("annotator")

    texts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    tokens = traitlets.List(traitlets.List(traitlets.Unicode())).tag(sync=True)
    offsets = traitlets.List(traitlets.List(traitlets.List(traitlets.Int()))).tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    label_colors = traitlets.List(traitlets.Unicode()).tag(sync=True)
    annotations: traitlets.List[Any] = traitlets.List().tag(sync=True)  # checked by _validate_annotations
    index = traitlets.Int(0).tag(sync=True)
    values = traitlets.Dict().tag(sync=True)
    scale = traitlets.Dict().tag(sync=True)
    value_label = traitlets.Unicode("value").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        texts_or_traces: Any,
        labels: Sequence[str] = ("label",),
        model: Any = None,
        *,
        tokenizer: Any = None,
        values: Any = None,
        colors: Sequence[str] | None = None,
        annotations: Iterable[Mapping[str, Any]] = (),
        cmap: str = "auto",
        center: float | None = None,
        value_label: str = "value",
        title: str = "",
        **kwargs: Any,
    ) -> None:
        if tokenizer is None and model is not None:
            tokenizer = getattr(model, "tokenizer", None)
            if tokenizer is None:
                raise ann.AnnotationError("model has no tokenizer: pass an interplay Model or tokenizer=")
        corpus = ann.build_corpus(texts_or_traces, tokenizer)
        self._init(corpus, labels, colors, annotations, title=title, value_label=value_label, **kwargs)
        self._cmap, self._center = cmap, center
        if values is not None:
            self.set_values(values)

    def _init(self, corpus: ann.Corpus, labels: Sequence[str], colors: Sequence[str] | None,
              annotations: Iterable[Mapping[str, Any]], **kwargs: Any) -> None:
        self._corpus = corpus
        labels = ann.check_labels(labels)
        self._cmap, self._center = "auto", None
        super().__init__(
            texts=corpus.texts, tokens=corpus.tokens, offsets=corpus.offsets, labels=labels,
            label_colors=_colors(labels, colors), annotations=[], **kwargs)
        self.annotations = list(annotations)

    # -- records -----------------------------------------------------------------------------

    @traitlets.validate("annotations")
    def _validate_annotations(self, proposal: Any) -> list[dict[str, Any]]:
        return ann.check_records(proposal["value"], self._corpus, self.labels)

    @traitlets.validate("index")
    def _validate_index(self, proposal: Any) -> int:
        i = int(proposal["value"])
        if not 0 <= i < len(self.texts):
            raise ann.AnnotationError(f"index {i} is out of range: there are {len(self.texts)} texts")
        return i

    @traitlets.validate("labels")
    def _validate_labels(self, proposal: Any) -> list[str]:
        labels = ann.check_labels(proposal["value"])
        used = {r["label"] for r in getattr(self, "annotations", [])} - set(labels)
        if used:
            raise ann.AnnotationError(f"labels {sorted(used)} are in use: clear them before removing the label")
        return labels

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Edits from the view: a bad one is refused, the good value is sent back, ``error`` says why."""
        checks: dict[str, Callable[[Any], Any]] = {
            "annotations": lambda v: ann.check_records(v, self._corpus, self.labels),
            "index": lambda v: self._validate_index({"value": v}),
        }
        refused = []
        for name, check in checks.items():
            if name in sync_data:
                try:
                    check(sync_data[name])
                except (ValueError, TypeError) as e:
                    refused.append(name)
                    self.error = f"edit refused: {e}"
        good = {k: v for k, v in sync_data.items() if k not in refused}
        if "annotations" in good:
            self.error = ""
        if good:
            super().set_state(good)
        for name in refused:
            self.send_state(name)

    def add(self, label: str, start: int, end: int | None = None, *, text: int | None = None) -> dict[str, Any]:
        """Label tokens ``start..end-1`` (default: the one token ``start``) of ``text`` (default: the
        text on screen). Returns the record; the view updates."""
        rec = {"text": self.index if text is None else text, "start": start,
               "end": start + 1 if end is None else end, "label": label}
        checked = ann.check_record(rec, self._corpus, self.labels)
        self.annotations = [*self.annotations, checked]
        return checked

    def extend(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Add many records at once (one message to the view); all are checked first."""
        self.annotations = [*self.annotations, *records]

    def add_where(self, label: str, predicate: Any, *, text: int | None = None) -> int:
        """Label every token (of ``text``, default all texts) whose string satisfies
        ``predicate(token)``, e.g. ``lambda t: t.strip() in NAMES``. Returns how many were added."""
        texts = range(len(self.texts)) if text is None else [text]
        recs = [{"text": t, "start": k, "end": k + 1, "label": label}
                for t in texts for k, tok in enumerate(self.tokens[t]) if predicate(tok)]
        before = len(self.annotations)
        self.extend(recs)
        return len(self.annotations) - before

    def clear(self, label: str | None = None, *, text: int | None = None) -> None:
        """Remove the records of ``label`` (default: every label) in ``text`` (default: every text)."""
        if label is not None and label not in self.labels:
            raise ann.AnnotationError(f"label {label!r} is not one of the labels {list(self.labels)}")
        self.annotations = [r for r in self.annotations
                            if not ((label is None or r["label"] == label) and (text is None or r["text"] == text))]

    def positions(self, label: str | None = None, text: int | None = None) -> list[int]:
        """Sorted token positions carrying ``label`` (in ``text``; None = all texts), for
        ``interplay.patch(..., positions=...)`` (positions index each prompt's tokens)."""
        if label is not None and label not in self.labels:
            raise ann.AnnotationError(f"label {label!r} is not one of the labels {list(self.labels)}")
        return ann.positions(self.annotations, label, text)

    def token_labels(self) -> list[list[set[str]]]:
        """For each text, each token's set of labels."""
        return ann.token_labels(self.annotations, self._corpus.lengths)

    def to_dataframe(self) -> Any:
        """The records as a pandas DataFrame (one row per record, with the text's string)."""
        import pandas as pd

        cols = ["text", "start", "end", "char_start", "char_end", "label", "tokens", "span"]
        rows = [{**r, "span": self.texts[r["text"]][r["char_start"]:r["char_end"]]} for r in self.annotations]
        return pd.DataFrame(rows, columns=cols)

    # -- files -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return ann.to_json(self._corpus, self.labels, self.annotations, self.label_colors)

    def save(self, path: str | Path) -> None:
        """Write texts, tokens, offsets, labels and records as JSON (with a format version)."""
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> Annotator:
        """An Annotator from a file written by :meth:`save` (no model needed: the tokens are in it)."""
        data = ann.read_file(path)
        widget = cls.__new__(cls)
        widget._init(data["corpus"], data["labels"], data["colors"] or None, data["annotations"], **kwargs)
        return widget

    def load_annotations(self, path: str | Path) -> None:
        """Replace the records by a file's (same texts required); on any problem nothing changes."""
        data = ann.read_file(path)
        if data["corpus"].texts != self.texts or data["corpus"].tokens != self.tokens:
            raise ann.AnnotationError(f"{path} annotates other texts or tokens than this Annotator's")
        missing = sorted({r["label"] for r in data["annotations"]} - set(self.labels))
        if missing:
            raise ann.AnnotationError(f"{path} uses labels {missing} that this Annotator does not have")
        self.annotations = data["annotations"]

    # -- heatmap -----------------------------------------------------------------------------

    def set_values(self, values: Any, *, cmap: str | None = None, center: float | None = None) -> None:
        """Colour tokens by ``values``: a list of per-token arrays (one per text) or an array
        [n_texts, max_tokens] (NaN = uncoloured). ``None`` removes the colouring."""
        if values is None:
            self.values, self.scale = {}, {}
            return
        if cmap is not None:
            self._cmap = cmap
        if center is not None:
            self._center = center
        arr = _rows(values, self._corpus.lengths)
        scale = scale_spec(arr, self._cmap, self._center)
        with self.hold_sync():
            self.scale = scale
            self.values = _encode(arr, scale)


def _colors(labels: Sequence[str], colors: Sequence[str] | None) -> list[str]:
    if colors is None:
        return ann.default_colors(labels)
    colors = [str(c) for c in colors]
    if len(colors) != len(labels):
        raise ann.AnnotationError(f"{len(colors)} colours for {len(labels)} labels")
    return colors


def _rows(values: Any, lengths: Sequence[int]) -> npt.NDArray[np.float32]:
    if hasattr(values, "detach"):
        values = values.detach().float().cpu().numpy()
    if isinstance(values, np.ndarray) and values.ndim == 2:
        arr = values.astype(np.float32)
    else:
        seq = list(values)
        if len(seq) != len(lengths):
            raise ValueError(f"values has {len(seq)} rows but there are {len(lengths)} texts")
        arr = np.full((len(lengths), max(lengths)), np.nan, dtype=np.float32)
        for i, row in enumerate(seq):
            if hasattr(row, "detach"):
                row = row.detach().float().cpu().numpy()
            r = np.asarray(row, dtype=np.float32).reshape(-1)
            if r.size != lengths[i]:
                raise ValueError(f"values for text {i} has {r.size} entries but the text has {lengths[i]} tokens")
            arr[i, : r.size] = r
    if arr.shape[0] != len(lengths) or arr.shape[1] < max(lengths):
        raise ValueError(f"values has shape {arr.shape}; expected [{len(lengths)}, >= {max(lengths)}] (texts x tokens)")
    return arr


def _encode(arr: npt.NDArray[np.float32], scale: dict[str, Any]) -> Payload:
    return encode_array(arr, ["text", "pos"], center=scale["center"])
