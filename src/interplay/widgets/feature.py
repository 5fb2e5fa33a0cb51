"""FeatureView: a feature dashboard in the notebook (what SAEDashboard / sae_vis draw as a static
file, here a live view that asks for more on demand).

The view shows a :class:`~interplay.data.features.TopActivationsData`: for one feature (``feature``;
arrow keys step through them) or several side by side (``shown``), a header (label, density, max
activation, active tokens), the activation histogram, its top examples as token rows coloured by
the feature's value with the max token centred and marked, examples from quantile buckets of its
range, its logit effects, and a free-text label that returns to Python (``labels``; with
``path=`` kept in a file, :mod:`interplay.data.feature_labels`). Only the first page of examples
is synced; scrolling to the bottom asks for the next page (``examples`` request), answered from
the data, past its ``k`` from the source (:class:`FeatureSource`) or with "needs a re-run with
larger k". A steering panel asks the source to steer the feature (``steer`` request) and shows the
two generations and the largest next-token probability changes; without a source it says that
steering needs a live model.
"""

from __future__ import annotations

import math
import os
from typing import Any, Protocol

import traitlets

from interplay.data.feature_labels import FeatureLabelStore, check_labels
from interplay.data.features import STEER_MODES, FeatureSteeringData, TopActivationsData
from interplay.errors import InterplayError, NeedsModelError, ViewError
from interplay.widgets import _feature_cards as cards_
from interplay.widgets._base import BaseWidget, bundle, needs_model, view_input
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets.traits import SelectionError

MAX_SHOWN = 8
MAX_PAGE = 200
_HINT = ("Show a result computed with the model in this kernel (not one loaded from a file), whose session can "
         "steer, to steer from the view.")


class FeatureSource(Protocol):
    """What a FeatureView may ask the live model (numpy, data and plain dicts in and out).

    ``more_examples(feature, start, count) -> dict`` is optional: top examples past the data's
    ``k`` (``{"tokens": [[str | None] * n_ctx], "values": [n, n_ctx], "acts": [n], "where": [n, 2]}``,
    the max token at column ``context[0]``, ``None``/NaN outside the sequence)."""

    def steer(self, feature: int, prompt: str, mode: str, value: float, keep_error: bool) -> FeatureSteeringData:
        """Greedy generation from ``prompt`` without and with feature ``feature`` steered (``mode`` one
        of ``STEER_MODES``; ``keep_error``: keep the dictionary's error term)."""
        ...


class TopActivationsSource:
    """A source of numpy data alone: more top examples from a run with a larger ``k`` over the same
    features (e.g. ``FeatureView(small_k_data, TopActivationsSource(large_k_data))``); steering
    needs a live model."""

    def __init__(self, data: TopActivationsData) -> None:
        if not isinstance(data, TopActivationsData):
            raise ViewError(f"TopActivationsSource takes a TopActivationsData, not a {type(data).__name__}")
        self.data = data

    def more_examples(self, feature: int, start: int, count: int) -> dict[str, Any]:
        d = self.data
        stop = min(start + count, cards_.n_examples(d, feature))
        rows = range(start, max(start, stop))
        ctx = d.ctx_tokens[feature]
        return {"tokens": [[d.token_table[i] if i >= 0 else None for i in ctx[r].tolist()] for r in rows],
                "values": d.ctx_values[feature, start:max(start, stop)], "acts": d.acts[feature, start:max(start, stop)],
                "where": d.where[feature, start:max(start, stop)]}

    def steer(self, feature: int, prompt: str, mode: str, value: float, keep_error: bool) -> FeatureSteeringData:
        raise needs_model("Steering a feature", _HINT)


def _index(value: Any, n: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SelectionError(f"{what} must be an integer feature index, got {value!r}")
    if not 0 <= value < n:
        raise SelectionError(f"{what} = {value} is out of range: 0..{n - 1} ({n} features)")
    return int(value)


class _FeatureIndex(traitlets.Int):  # type: ignore[type-arg]
    """A feature index of the view's data (a bad one raises SelectionError, a ViewError)."""

    def validate(self, obj: Any, value: Any) -> int:
        return _index(value, obj.data.n_features, f"FeatureView.{self.name}")


class FeatureView(RequestHandlers, BaseWidget):
    """``FeatureView(data, source=None, *, feature=0, page_size=8, path=None)``; usually
    ``interplay.top_activations(model, feature, dataset).show()``.

    ``view.feature = 12`` shows feature 12 (Left/Right arrows in the view step through them);
    ``view.shown = [3, 7, 12]`` shows several side by side. ``view.labels`` is ``{str(index): label}``
    as typed in the view; with ``path="labels.json"`` every label is on disk before it is accepted
    and a view made again with that path resumes with them.
    """

    _esm = bundle("feature")

    feature = _FeatureIndex(0).tag(sync=True)
    shown: traitlets.List[Any] = traitlets.List().tag(sync=True)  # checked by _check_shown
    n_features = traitlets.Int(0).tag(sync=True)
    feature_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    cards = traitlets.Dict().tag(sync=True)  # str(feature) -> card (_feature_cards.card) of the features on screen
    labels = traitlets.Dict().tag(sync=True)
    page_size = traitlets.Int(8).tag(sync=True)
    context = traitlets.List(traitlets.Int()).tag(sync=True)
    logit_note = traitlets.Unicode("").tag(sync=True)
    feature_kind = traitlets.Unicode("").tag(sync=True)
    live = traitlets.Bool(False).tag(sync=True)  # a source that can steer / page past k
    more_source = traitlets.Bool(False).tag(sync=True)
    steering = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    saved_to = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, data: TopActivationsData, source: FeatureSource | None = None, *, feature: int = 0,
                 page_size: int = 8, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        data, src = view_input(data, source, TopActivationsData, "FeatureView",
                               "use interplay.top_activations(model, feature, dataset).show()")
        self.data: TopActivationsData = data
        self.source: FeatureSource | None = src
        n = data.n_features
        if n == 0:
            raise ViewError("FeatureView: the data holds no features")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE:
            raise ViewError(f"page_size={page_size!r}: examples per page must be an integer in 1..{MAX_PAGE}")
        _index(feature, n, "FeatureView.feature")
        self._store = None if path is None else FeatureLabelStore.open(path, data.features, seed=data.labels)
        super().__init__(**kwargs)
        self._init_rpc({"card": self._card, "examples": self._examples, "steer": self._steer})
        meta = data.feature_meta or {}
        with self.hold_sync():
            self.n_features = n
            self.feature_names = list(data.features)
            self.page_size = page_size
            self.context = [int(c) for c in data.context]
            self.logit_note = data.logit_note
            self.feature_kind = str(meta.get("kind", ""))
            self.live = callable(getattr(src, "steer", None)) and not isinstance(src, TopActivationsSource)
            self.more_source = callable(getattr(src, "more_examples", None))
            hook = meta.get("hook", "")
            self.title = f"{n} feature{'s' if n != 1 else ''}" + (f" · {meta.get('kind')}" if meta.get("kind") else "") + \
                (f" at {hook}" if hook else "") + f" · top {data.k} of {data.n_tokens:,} tokens"
            self.notes = list(data.notes)
            self.labels = dict(self._store.labels) if self._store is not None else dict(data.labels)
            self.saved_to = "" if path is None else str(path)
            self.feature = feature
            self._update_cards()
        self.observe(lambda _c: self._update_cards(), names=["feature", "shown"])

    # ------------------------------------------------------------------------------ validation
    @traitlets.validate("shown")
    def _check_shown(self, proposal: dict[str, Any]) -> list[int]:
        value = list(proposal["value"])
        if len(value) > MAX_SHOWN:
            raise SelectionError(f"FeatureView.shown lists {len(value)} features; at most {MAX_SHOWN} side by side")
        out = [_index(v, self.data.n_features, "FeatureView.shown[]") for v in value]
        if len(set(out)) != len(out):
            raise SelectionError(f"FeatureView.shown = {out} lists a feature twice")
        return out

    @traitlets.validate("labels")
    def _check_labels(self, proposal: dict[str, Any]) -> dict[str, str]:
        """Every label checked; with a labels file, on disk before it is accepted."""
        labels = check_labels(proposal["value"], self.data.n_features, where="FeatureView.labels")
        if getattr(self, "_store", None) is not None:
            assert self._store is not None
            self._store.write(labels)
        return labels

    def set_state(self, sync_data: dict[str, Any]) -> None:
        if self.error and any(k in sync_data for k in ("labels", "feature", "shown")):
            self.error = ""
        super().set_state(sync_data)

    # ------------------------------------------------------------------------------ state
    def displayed(self) -> list[int]:
        """The features on screen, left to right: ``shown`` (and ``feature`` after them when not among them)."""
        shown = list(self.shown)
        return shown + ([self.feature] if self.feature not in shown else []) if shown else [self.feature]

    def _update_cards(self) -> None:
        old = self.cards
        self.cards = {str(f): old.get(str(f)) or self._card(f) for f in self.displayed()}

    @property
    def path(self) -> Any:
        """The labels file (``path=``), or None."""
        return None if self._store is None else self._store.path

    def label(self, feature: int, text: str) -> None:
        """Set (or with ``""`` clear) the label of ``feature``; the view updates."""
        _index(feature, self.data.n_features, "feature")
        self.labels = {**self.labels, str(feature): text}

    # ------------------------------------------------------------------------------ requests
    def _card(self, feature: int) -> dict[str, Any]:
        f = _index(feature, self.data.n_features, "card request: feature")
        out = cards_.card(self.data, f, self.page_size)
        out["examples"]["more"] = self._more(f, out["examples"]["n"])
        return out

    def _examples(self, feature: int, start: int, count: int) -> dict[str, Any]:
        """Top examples ``start .. start+count-1``: from the data, past its k from the source."""
        d = self.data
        f = _index(feature, d.n_features, "examples request: feature")
        for name, v, low in (("start", start, 0), ("count", count, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < low or (name == "count" and v > MAX_PAGE):
                raise ViewError(f"examples request: {name}={v!r} must be an integer >= {low}"
                                + (f" and <= {MAX_PAGE}" if name == "count" else ""))
        held = cards_.n_examples(d, f)
        out: dict[str, Any] = {"feature": f, "start": start, "count": count, "n_examples": held, "note": ""}
        if start < held or held < d.k:  # from the data (past what the dataset gave: nothing more)
            rows = cards_.top_rows(d, f, start, count)
            return {**out, **rows, "more": self._more(f, start + rows["n"])}
        more = getattr(self.source, "more_examples", None)
        if not callable(more):
            raise NeedsModelError(f"examples past the top {d.k} of feature {f} need a re-run with larger k "
                                  f"(this view's data holds the top {d.k}): interplay.top_activations(model, "
                                  f"feature, dataset, k={max(2 * d.k, start + count)}).show()")
        rows = cards_.source_rows(d, f, more(f, start, count))
        return {**out, **rows, "more": "source" if rows["n"] >= count else "none"}

    def _more(self, f: int, next_start: int) -> str:
        """Where the examples after ``next_start`` come from: ``data``, ``source``, ``rerun`` (a run
        with larger k) or ``none`` (the dataset gave no more)."""
        held = cards_.n_examples(self.data, f)
        if next_start < held:
            return "data"
        if held < self.data.k:
            return "none"
        return "source" if callable(getattr(self.source, "more_examples", None)) else "rerun"

    def _steer(self, feature: int, prompt: str, mode: str = "scale", value: float = 0.0,
               keep_error: bool = True) -> dict[str, Any]:
        f = _index(feature, self.data.n_features, "steer request: feature")
        if not isinstance(prompt, str) or prompt == "":
            raise ViewError("steer request: prompt must be a non-empty string (the text to continue)")
        if mode not in STEER_MODES:
            raise ViewError(f"steer request: mode={mode!r}; accepted: {', '.join(STEER_MODES)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ViewError(f"steer request: value={value!r} must be a finite number")
        if not isinstance(keep_error, bool):
            raise ViewError(f"steer request: keep_error={keep_error!r} must be true or false")
        if self.source is None or not self.live:
            raise needs_model(f"Steering feature {f} ({self.data.features[f]})", _HINT)
        result = self.source.steer(f, prompt, mode, float(value), keep_error)
        if not isinstance(result, FeatureSteeringData):
            raise InterplayError(f"the source's steer returned a {type(result).__name__}, not a FeatureSteeringData")
        out = {"index": f, **cards_.steering_dict(result)}
        self.steering = out  # survives a saved notebook
        return out

    def _html_embed(self, *, max_features: int = 128, max_bytes: int = 4_000_000) -> Any:  # type: ignore[override]
        """What ``to_html`` embeds: the card of every feature (the ones on screen first, then from
        feature 0, at most ``max_features`` of them and about ``max_bytes`` of answers) and every page
        of top examples the data holds for them, so stepping through features and scrolling work in
        the file; steering and examples past k need a live model. (A notebook's saved view embeds
        less: ``_fallback`` passes a smaller ``max_bytes``.)"""
        from interplay.widgets._html import Embed

        for name, v, low in (("max_features", max_features, 1), ("max_bytes", max_bytes, 0)):
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ViewError(f"to_html: {name}={v!r} must be a whole number >= {low}")
        source, self.source = self.source, None  # what the saved data answers, with or without a model
        answered: list[tuple[str, dict[str, Any], Any]] = []
        size, embedded = 0, 0
        try:
            order = list(dict.fromkeys([*self.displayed(), *range(self.data.n_features)]))
            for f in order:
                if embedded >= max_features:
                    break
                mine = [("card", {"feature": f}, self._card(f))]
                for start in range(self.page_size, cards_.n_examples(self.data, f), self.page_size):
                    params = {"feature": f, "start": start, "count": self.page_size}
                    mine.append(("examples", params, self._examples(**params)))
                cost = sum(_wire_size(a) for *_, a in mine)
                if embedded and size + cost > max_bytes:
                    break
                answered += mine
                size, embedded = size + cost, embedded + 1
        finally:
            self.source = source
        note = ("Steering and examples past the data's top k need a live model; labels typed here stay in this page."
                + (f" This file holds {embedded} of the {self.data.n_features} features; the others need the "
                   "notebook." if embedded < self.data.n_features else ""))
        return Embed(requests=answered, note=note, state={"saved_to": "", "live": False, "more_source": False},
                     page_traits=["feature", "shown"])


def _wire_size(answer: Any) -> int:
    """About how many bytes an answer takes in a file (JSON plus base64 buffers)."""
    import json

    from interplay.widgets._rpc import _remove_buffers

    clean, _, buffers = _remove_buffers(answer)
    return len(json.dumps(clean, ensure_ascii=False)) + sum(4 * b.nbytes // 3 for b in buffers)
