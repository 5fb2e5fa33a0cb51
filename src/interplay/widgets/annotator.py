"""AnnotatorView: label tokens (or spans of tokens) by hand, and get the labels back in Python.

The view shows an :class:`~interplay.data.annotations.AnnotationData` (texts, tokens, offsets,
labels, records) and edits its records; ``view.data`` is the current state as data again. Nothing
here needs a model: :meth:`AnnotatorView.from_texts` tokenises with a tokenizer (a model is only
asked for its ``.tokenizer``), so labelling texts never imports torch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import traitlets

from interplay.data import annotations as ann
from interplay.data.annotations import AnnotationData
from interplay.data.label_store import LabelStore
from interplay.errors import AnnotationError
from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._scale import scale_spec
from interplay.widgets._serialize import color_limits
from interplay.widgets.traits import Array

V = TypeVar("V", bound="AnnotatorView")


def data_from_texts(texts_or_traces: Any, labels: Sequence[str] = ("label",), *, model: Any = None,
                    tokenizer: Any = None, colors: Sequence[str] | None = None,
                    annotations: Iterable[Mapping[str, Any]] = (), **view_options: Any
                    ) -> tuple[AnnotationData, dict[str, Any]]:
    """(data, view options) for texts: what :meth:`AnnotatorView.from_texts` shows. ``model`` is
    only asked for its ``.tokenizer``; every other keyword is a view option."""
    if tokenizer is None and model is not None:
        tokenizer = getattr(model, "tokenizer", None)
        if tokenizer is None:
            raise AnnotationError("model has no tokenizer: pass an interplay Model or tokenizer=")
    corpus = ann.build_corpus(texts_or_traces, tokenizer)
    data = AnnotationData(texts=corpus.texts, tokens=corpus.tokens, offsets=corpus.offsets,
                          labels=ann.check_labels(labels), label_colors=[] if colors is None else [str(c) for c in colors],
                          annotations=annotations)  # type: ignore[arg-type]  # any iterable of records
    return data, view_options


class AnnotatorView(BaseWidget):
    """Label tokens interactively: one text at a time, tokens as the tokenizer splits them.

    ``AnnotatorView.from_texts(texts, labels=["subject", "object"], model=model)`` (or
    ``tokenizer=``; without either, texts are split at spaces and punctuation; lists of token
    strings and traces are taken as they are), or ``AnnotatorView(data)`` for an AnnotationData.
    Click a token, drag or shift-click a span, then press 1..9 or a label's button; arrows move,
    Backspace removes, ``z``/Ctrl+Z undoes, Ctrl+Shift+Z redoes, PageUp/PageDown (or ``[``/``]``)
    change text. ``values`` (one array per text, or [n_texts, n_tokens]) colour the tokens.

    ``view.annotations`` is the list of records ``{text, start, end (exclusive), char_start,
    char_end, label, tokens}``, synced both ways and kept in the notebook's widget state. Every record
    is checked: a bad one from Python raises (and changes nothing); a bad edit from the view is
    refused, the last good labels are restored, and ``error`` says why.

    ``path="labels.jsonl"`` keeps the labels in a file as well (:mod:`interplay.data.label_store`):
    every edit, from the page or from Python, is on disk before it is accepted, and a view made again
    with the same path (after a kernel crash, or a notebook saved without widget state) resumes
    with every label. A file made for other texts, or damaged, raises AnnotationError and is left
    as it is; when the file cannot be written the edit is refused (``error`` says why).
    """

    _esm = bundle("annotator")

    texts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    tokens = traitlets.List(traitlets.List(traitlets.Unicode())).tag(sync=True)
    offsets = traitlets.List(traitlets.List(traitlets.List(traitlets.Int()))).tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    label_colors = traitlets.List(traitlets.Unicode()).tag(sync=True)
    annotations: traitlets.List[Any] = traitlets.List().tag(sync=True)  # checked by _check_annotations
    index = traitlets.Int(0).tag(sync=True)
    values = Array(("text", "pos"), np.float32, limits=lambda w, a: color_limits(a, center=w.scale.get("center")))
    scale = traitlets.Dict().tag(sync=True)
    value_label = traitlets.Unicode("value").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    saved_to = traitlets.Unicode("").tag(sync=True)  # the labels file (shown in the view), "" for none

    def __init__(self, data: AnnotationData, *, path: str | os.PathLike[str] | None = None, values: Any = None,
                 cmap: str = "auto", center: float | None = None, **kwargs: Any) -> None:
        if not isinstance(data, AnnotationData):
            raise AnnotationError(f"AnnotatorView shows an AnnotationData, not a {type(data).__name__}; for texts use "
                                  "AnnotatorView.from_texts(texts, labels, model=model)")
        self._corpus, self._cmap, self._center = data.corpus, cmap, center
        self._store: LabelStore | None = None
        self._edit_source = "python"
        scale_spec(np.zeros((1, 1), np.float32), cmap, center)  # a bad cmap fails here, values or not
        store = None if path is None else LabelStore.open(path, data.corpus, data.labels, seed=data.annotations)
        super().__init__(texts=data.texts, tokens=data.tokens, offsets=data.offsets, labels=data.labels,
                         label_colors=data.label_colors, annotations=[], **kwargs)
        self._store = store
        self.annotations = list(data.annotations) if store is None else store.records
        self.saved_to = "" if store is None else str(path)
        if values is not None:
            self.set_values(values)

    @classmethod
    def from_texts(cls: type[V], texts_or_traces: Any, labels: Sequence[str] = ("label",), *, model: Any = None,
                   tokenizer: Any = None, values: Any = None, colors: Sequence[str] | None = None,
                   annotations: Iterable[Mapping[str, Any]] = (), path: str | os.PathLike[str] | None = None,
                   cmap: str = "auto", center: float | None = None, value_label: str = "value", title: str = "",
                   **view_kwargs: Any) -> V:
        """Tokenise texts (or take traces / token lists) and show them for labelling. With ``path``,
        every edit is kept in that file and a view made again with it resumes (``annotations`` then
        only start a new file)."""
        data, options = data_from_texts(texts_or_traces, labels, model=model, tokenizer=tokenizer, colors=colors,
                                        annotations=annotations, values=values, cmap=cmap, center=center,
                                        value_label=value_label, title=title, path=path, **view_kwargs)
        return cls._make(data, **options)

    data_from_texts = staticmethod(data_from_texts)

    @classmethod
    def _make(cls: type[V], data: AnnotationData, **options: Any) -> V:
        view = cls.__new__(cls)  # subclasses (the deprecated Annotator) take other arguments
        AnnotatorView.__init__(view, data, **options)
        return view

    @property
    def path(self) -> Path | None:
        """The labels file every edit is written to (``path=``), or None."""
        return None if self._store is None else self._store.path

    @property
    def data(self) -> AnnotationData:
        """The texts, labels and current records, as data (for files and :func:`interplay.probe`)."""
        return AnnotationData(texts=self.texts, tokens=self.tokens, offsets=self.offsets, labels=self.labels,
                              label_colors=self.label_colors, annotations=self.annotations)

    # -- records -----------------------------------------------------------------------------

    @traitlets.validate("annotations")
    def _check_annotations(self, proposal: Any) -> list[dict[str, Any]]:
        """Every record checked; with a labels file, the new records are on disk before they are
        accepted (a write that fails refuses the edit)."""
        records = ann.check_records(proposal["value"], self._corpus, self.labels)
        if self._store is not None:
            self._store.write(records, self._edit_source)
        return records

    @traitlets.validate("index")
    def _check_index(self, proposal: Any) -> int:
        i = int(proposal["value"])
        if not 0 <= i < len(self.texts):
            raise AnnotationError(f"index {i} is out of range: there are {len(self.texts)} texts")
        return i

    @traitlets.validate("labels")
    def _check_labels(self, proposal: Any) -> list[str]:
        labels = ann.check_labels(proposal["value"])
        used = {r["label"] for r in getattr(self, "annotations", [])} - set(labels)
        if used:
            raise AnnotationError(f"labels {sorted(used)} are in use: clear them before removing the label")
        return labels

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Edits from the view (refused by the base widget when bad); a message carrying records
        clears the last refusal's ``error`` unless it is refused too."""
        if "annotations" in sync_data and self.error:
            self.error = ""
        self._edit_source = "view"  # (the labels file notes where each edit came from)
        try:
            super().set_state(sync_data)
        finally:
            self._edit_source = "python"

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

    def add_where(self, label: str, predicate: Callable[[str], Any], *, text: int | None = None) -> int:
        """Label every token (of ``text``, default all texts) whose string satisfies
        ``predicate(token)``, e.g. ``lambda t: t.strip() in NAMES``. Returns how many were added."""
        before = len(self.annotations)
        self.extend(ann.where_records(self.tokens, label, predicate, range(len(self.texts)) if text is None else [text]))
        return len(self.annotations) - before

    def clear(self, label: str | None = None, *, text: int | None = None) -> None:
        """Remove the records of ``label`` (default: every label) in ``text`` (default: every text)."""
        self._known(label)
        self.annotations = [r for r in self.annotations
                            if not ((label is None or r["label"] == label) and (text is None or r["text"] == text))]

    def positions(self, label: str | None = None, text: int | None = None) -> list[int]:
        """Sorted token positions carrying ``label`` (in ``text``; None = all texts), for
        ``interplay.patch(..., positions=...)`` (positions index each prompt's tokens)."""
        self._known(label)
        return ann.positions(self.annotations, label, text)

    def _known(self, label: str | None) -> None:
        if label is not None and label not in self.labels:
            raise AnnotationError(f"label {label!r} is not one of the labels {list(self.labels)}")

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
        return self.data.to_json()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write texts, tokens, offsets, labels and records as JSON (``"format":
        "interplay.annotations"``, a version); ``view.data.save(path)`` writes a result file."""
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls: type[V], file: str | os.PathLike[str], /, **kwargs: Any) -> V:
        """A view of a file written by :meth:`save` or ``data.save`` (no model: the tokens are in it);
        ``path=`` keeps its edits in a labels file, as for a new view."""
        return cls._make(ann.read_file(file), **kwargs)

    def load_annotations(self, path: str | os.PathLike[str]) -> None:
        """Replace the records by a file's (same texts required); on any problem nothing changes."""
        data = ann.read_file(path)
        if data.texts != self.texts or data.tokens != self.tokens:
            raise AnnotationError(f"{path} annotates other texts or tokens than this view's")
        missing = sorted({r["label"] for r in data.annotations} - set(self.labels))
        if missing:
            raise AnnotationError(f"{path} uses labels {missing} that this view does not have")
        self.annotations = data.annotations

    # -- heatmap -----------------------------------------------------------------------------

    def set_values(self, values: Any, *, cmap: str | None = None, center: float | None = None) -> None:
        """Colour tokens by ``values``: a list of per-token arrays (one per text) or an array
        [n_texts, max_tokens] (NaN = uncoloured). ``None`` removes the colouring."""
        if values is None:
            with self.hold_sync():
                self.values, self.scale = None, {}
            return
        arr = ann.token_values(values, self._corpus.lengths)
        cmap, center = self._cmap if cmap is None else cmap, self._center if center is None else center
        scale = scale_spec(arr, cmap, center)
        self._cmap, self._center = cmap, center
        with self.hold_sync():
            self.scale = scale
            self.values = arr

    def _html_embed(self) -> Any:  # type: ignore[override]
        """What ``to_html`` embeds: the labels as they are; edits made in the file stay in the page."""
        from interplay.widgets._html import Embed

        return Embed(state={"saved_to": ""}, note="Labels changed in this file stay in this page: they are not "
                                                  "saved anywhere (label in the notebook to keep them).")
