"""AttributionView: prompt and generated tokens in one line; click an output token to see what drove it.

The view shows an :class:`~interplay.data.attribution.AttributionData`; its own rows travel with the
view (so a saved notebook, or a result loaded from a file, still shows them). Anything else (another
token, method, score or contrast) is one request to its source (:class:`AttributionSource`, the live
model behind the result), answered with one float32 row; the view and Python both cache answers.
Without a source, such a request answers that it needs a live model (the view shows it as an
error). Integrated gradients reports its progress through the ``progress`` trait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import traitlets

from interplay import _deprecation
from interplay.data.attribution import SCORES, AttributionData
from interplay.errors import InterplayError, ViewError
from interplay.widgets._attribution_rows import attribute_reply, matrix_reply, on_line, per_row, rows_limits
from interplay.widgets._base import BaseWidget, bundle, needs_model
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets.traits import Array, Index

Progress = Callable[[int, int], None]
_HINT = "Recompute it with the model: interplay.attribute(model, prompt, target=...).show()"


class AttributionSource(Protocol):
    """What an AttributionView may ask the live model (numpy data out)."""

    def methods(self) -> list[tuple[str, bool]]:
        """Every method the view may offer, with whether its scores are signed."""
        ...

    def explain(self, target_pos: int, method: str, score: str, contrast: str | int | None,
                progress: bool | Progress) -> AttributionData:
        """``tokens[target_pos]`` attributed to the tokens before it (``contrast``: a token whose
        score is subtracted; None or "" for none)."""
        ...

    def rerun(self, method: str, score: str, contrast: str | int | None, progress: bool | Progress) -> AttributionData:
        """Every target of the data again, with these settings."""
        ...


class AttributionView(BaseWidget, RequestHandlers):
    """``AttributionView(data, source=None, *, title="")``; usually ``interplay.attribute(...).show()``.

    Click an output token (any token after the first): the source attributes it to the tokens before it
    with the method, score and contrast chosen in the view (``method``, ``score``, ``contrast`` traits; the
    view sets them). ``selected`` is the index (in ``tokens``) of the token being explained. A generation
    shows its [generated x source] matrix too (``matrix``).
    """

    _esm = bundle("attribution")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    n_prompt = traitlets.Int(0).tag(sync=True)
    methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    signed_methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    method = traitlets.Unicode("").tag(sync=True)
    score = traitlets.Unicode("logit").tag(sync=True)
    contrast = traitlets.Unicode("").tag(sync=True)
    rows = Array(("target", "source"), np.float32, limits=lambda w, a: rows_limits(a, w.data.signed))
    row_targets = traitlets.List(traitlets.Int()).tag(sync=True)
    row_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    row_deltas: traitlets.List[float | None] = traitlets.List().tag(sync=True)
    row_gaps: traitlets.List[float | None] = traitlets.List().tag(sync=True)
    row_limits: traitlets.List[list[float | None]] = traitlets.List().tag(sync=True)
    row_settings = traitlets.Dict().tag(sync=True)
    selected = Index(lambda w: len(w.tokens), low=1)
    matrix = traitlets.Bool(False).tag(sync=True)
    progress = traitlets.Float(allow_none=True, default_value=None).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, data: AttributionData, source: AttributionSource | None = None, *, title: str = "",
                 **kwargs: Any) -> None:
        old: Any = data
        if hasattr(old, "data") and hasattr(old, "session") and source is None:
            _deprecation.warn("AttributionView(result)", "result.show() or AttributionView(result.data, result.session)")
            data, source = old.data, old.session
        if not isinstance(data, AttributionData):
            raise ViewError(f"AttributionView shows an AttributionData (result.data), not a {type(data).__name__}; "
                                 "use interplay.attribute(model, prompt).show()")
        self.data, self.source = data, source
        offered = source.methods() if source is not None else [(data.method, data.signed)]
        super().__init__(tokens=list(data.tokens), n_prompt=int(data.n_prompt), methods=[m for m, _ in offered],
                         signed_methods=[m for m, signed in offered if signed], title=title, matrix=data.n_targets > 1,
                         **{**data.settings, **kwargs})
        self._init_rpc({"attribute": self._attribute, "matrix": self._matrix})
        self._last_push = 0.0
        scores = on_line(data, len(self.tokens))
        rows = per_row(data, scores)
        with self.hold_sync():
            self.rows = scores
            self.row_targets = data.row_targets
            self.row_labels, self.row_limits = rows["labels"], rows["limits"]
            self.row_deltas, self.row_gaps = rows["deltas"], rows["gaps"]
            self.row_settings = dict(data.settings)
            self.notes = list(data.notes)
            if self.selected is None and self.row_targets and self.row_targets[-1] < len(self.tokens):
                self.selected = self.row_targets[-1]

    def _on_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_push > 0.1:
            self._last_push = now
            self.progress = done / max(1, total)

    def _source(self, method: str, score: str, what: str) -> AttributionSource:
        """The source, once the settings are known good (else an error the view shows)."""
        if method not in self.methods:
            raise InterplayError(f"unknown method {method!r}; this view offers {self.methods}")
        if score not in SCORES:
            raise InterplayError(f"score must be one of {SCORES}, got {score!r}")
        if self.source is None:
            raise needs_model(what, _HINT)
        return self.source

    def _attribute(self, target_pos: int, method: str, score: str = "logit", contrast: str = "") -> dict[str, Any]:
        """One row: the token at ``tokens[target_pos]`` attributed to every token before it."""
        target_pos = self.data.check_explainable(target_pos, "target_pos")
        source = self._source(method, score, f"explaining the token {self.tokens[target_pos]!r} (position {target_pos})")
        self.progress = 0.0
        try:
            data = source.explain(target_pos, method, score, contrast or None, self._on_progress)
        finally:
            self.progress = None
        return attribute_reply(data, len(self.tokens))

    def _matrix(self, method: str, score: str = "logit", contrast: str = "") -> dict[str, Any]:
        """Every row of the data again with other settings (the generation matrix)."""
        source = self._source(method, score, f"recomputing the matrix with {method} ({score})")
        self.progress = 0.0
        try:
            data = source.rerun(method, score, contrast or None, self._on_progress)
        finally:
            self.progress = None
        return matrix_reply(data, len(self.tokens))
