"""AttributionView: prompt and generated tokens in one line; click an output token to see what drove it.

The result's own rows travel with the view (so a saved notebook still shows them). Anything else (another
token, method, score or contrast) is one request to Python, answered with one float32 row; the view and
Python both cache answers. Integrated gradients reports its progress through the ``progress`` trait.
Nothing here imports torch: the methods are imported when a request needs them.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import traitlets

from interplay.errors import InterplayError
from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets._serialize import color_limits, encode_array

SCORES = ("logit", "logprob", "prob")


def _float(x: Any) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _limits(row: np.ndarray, signed: bool) -> list[float | None]:
    lo, hi = color_limits(row, center=0.0 if signed else None)
    if not signed and lo is not None and lo >= 0:
        lo = 0.0
    return [lo, hi]


class AttributionView(BaseWidget, RequestHandlers):
    """Show an :class:`~interplay.methods.attribution.AttributionResult`: ``interplay.attribute(...).show()``.

    Click an output token (any token after the first): Python attributes it to the tokens before it with
    the method, score and contrast chosen in the view (``method``, ``score``, ``contrast`` traits; the view
    sets them). ``selected`` is the index (in ``tokens``) of the token being explained. A generation shows
    its [generated x source] matrix too (``matrix``).
    """

    _esm = bundle("attribution")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    n_prompt = traitlets.Int(0).tag(sync=True)
    methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    signed_methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    method = traitlets.Unicode("").tag(sync=True)
    score = traitlets.Unicode("logit").tag(sync=True)
    contrast = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.Dict().tag(sync=True)
    row_targets = traitlets.List(traitlets.Int()).tag(sync=True)
    row_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    row_deltas: traitlets.List[float | None] = traitlets.List().tag(sync=True)
    row_gaps: traitlets.List[float | None] = traitlets.List().tag(sync=True)
    row_limits: traitlets.List[list[float | None]] = traitlets.List().tag(sync=True)
    row_settings = traitlets.Dict().tag(sync=True)
    selected = traitlets.Int(allow_none=True, default_value=None).tag(sync=True)
    matrix = traitlets.Bool(False).tag(sync=True)
    progress = traitlets.Float(allow_none=True, default_value=None).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, result: Any, *, title: str = "", **kwargs: Any) -> None:
        from interplay.methods.attribution import get_method, list_methods

        self.result = result
        names = list_methods()
        first = result.targets[0]
        settings = {"method": result.method, "score": first.score if first.fn is None else "logit",
                    "contrast": self._contrast_text(first)}
        super().__init__(tokens=result.sequence, n_prompt=int(result.n_prompt), methods=names,
                         signed_methods=[n for n in names if get_method(n).signed], title=title,
                         method=settings["method"], score=settings["score"], contrast=settings["contrast"],
                         matrix=len(result.targets) > 1, **kwargs)
        self._init_rpc({"attribute": self._attribute, "matrix": self._matrix})
        self._set_rows(result, settings)
        if self.selected is None:
            self.selected = self.row_targets[-1] if self.row_targets else None
        self._last_push = 0.0

    def _contrast_text(self, target: Any) -> str:
        if target.contrast_id is None:
            return ""
        from interplay.methods.attribution import token_label

        return str(token_label(self.result.model, int(target.contrast_id)))

    def _set_rows(self, result: Any, settings: dict[str, str]) -> None:
        n = len(self.tokens)
        scores = np.full((len(result.targets), n), np.nan, dtype=np.float32)
        scores[:, : result.scores.shape[1]] = result.scores
        gaps = result.target_values - result.baseline_values if result.baseline_values is not None else None
        with self.hold_sync():
            self.rows = encode_array(scores, ["target", "source"], center=0.0 if result.signed else None)
            self.row_targets = [int(t.position) + 1 for t in result.targets]
            self.row_labels = list(result.target_labels)
            self.row_deltas = [_float(d) for d in result.delta] if result.delta is not None else [None] * len(scores)
            self.row_gaps = [_float(g) for g in gaps] if gaps is not None else [None] * len(scores)
            self.row_limits = [_limits(r, result.signed) for r in scores]
            self.row_settings = dict(settings)
            self.notes = list(result.notes)

    def _on_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_push > 0.1:
            self._last_push = now
            self.progress = done / max(1, total)

    def _check(self, method: str, score: str) -> None:
        if method not in self.methods:
            raise InterplayError(f"unknown method {method!r}; this view offers {self.methods}")
        if score not in SCORES:
            raise InterplayError(f"score must be one of {SCORES}, got {score!r}")

    def _attribute(self, target_pos: int, method: str, score: str = "logit", contrast: str = "") -> dict[str, Any]:
        """One row: the token at ``tokens[target_pos]`` attributed to every token before it."""
        self._check(method, score)
        n = len(self.tokens)
        if not isinstance(target_pos, int) or not 1 <= target_pos < n:
            raise InterplayError(f"target_pos {target_pos!r} is out of range: tokens 1..{n - 1} can be explained")
        self.progress = 0.0
        try:
            res = self.result.explain(target_pos, method, score=score, contrast=contrast or None,
                                      progress=self._on_progress)
        finally:
            self.progress = None
        row = np.full(n, np.nan, dtype=np.float32)
        row[: res.scores.shape[1]] = res.scores[0]
        return {"scores": encode_array(row, ["source"], center=0.0 if res.signed else None),
                "limits": _limits(row, res.signed), "label": res.target_labels[0], "signed": res.signed,
                "delta": _float(res.delta[0]) if res.delta is not None else None,
                "gap": _float(res.target_values[0] - res.baseline_values[0]) if res.baseline_values is not None else None,
                "notes": list(res.notes)}

    def _matrix(self, method: str, score: str = "logit", contrast: str = "") -> dict[str, Any]:
        """Every row of the result again with other settings (the generation matrix)."""
        self._check(method, score)
        self.progress = 0.0
        try:
            res = self.result.rerun(method, score=score, contrast=contrast or None, progress=self._on_progress)
        finally:
            self.progress = None
        n = len(self.tokens)
        scores = np.full((len(res.targets), n), np.nan, dtype=np.float32)
        scores[:, : res.scores.shape[1]] = res.scores
        gaps = res.target_values - res.baseline_values if res.baseline_values is not None else None
        return {"scores": encode_array(scores, ["target", "source"], center=0.0 if res.signed else None),
                "limits": [_limits(r, res.signed) for r in scores], "labels": list(res.target_labels),
                "signed": res.signed, "deltas": [_float(d) for d in res.delta] if res.delta is not None else None,
                "gaps": [_float(g) for g in gaps] if gaps is not None else None, "notes": list(res.notes)}
