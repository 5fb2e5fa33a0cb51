"""PatchingView: a patching sweep as a heatmap; click a cell to see that one patched run's top tokens.

The view shows a :class:`~interplay.data.patching.PatchingData`. Clicking a cell (the ``cell``
request) and switching component, metric or exact/attribution ask its source
(:class:`PatchingSource`, the live model behind the result); without one, the cell answers that it
needs a live model and the settings go back, with ``error`` saying why. Once both methods have been
computed for the same settings, a scatter compares them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import traitlets

from interplay import checks
from interplay.data.patching import PatchingData
from interplay.errors import InterplayError, ViewError
from interplay.widgets._base import BaseWidget, bundle, needs_model, view_input
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets.traits import Array, Selection

METHODS = ("exact", "attribution")
log = logging.getLogger("interplay")


def _hint(d: PatchingData) -> str:
    if d.direction.startswith("ablation"):
        return "Recompute the sweep with the model: interplay.ablate(model, prompts, ...).show()"
    return "Recompute the sweep with the model: interplay.patch(model, clean, corrupted, ...).show()"
Key = tuple[str, str, str, str]


class PatchingSource(Protocol):
    """What a PatchingView may ask the live model (numpy, data and plain dicts out)."""

    def components(self) -> list[str]:
        """The components the view offers (those this architecture has)."""
        ...

    def metrics(self) -> list[str]:
        """The metric labels the view offers (the sweep's own first)."""
        ...

    def recompute(self, component: str, method: str, metric: str, by: str | None = None) -> PatchingData:
        """The sweep with these settings (``by`` None: the component's default granularity)."""
        ...

    def cell(self, data: PatchingData, cell: Sequence[int], k: int = 10, prompt: int = 0) -> dict[str, Any]:
        """One exact patched run of ``cell`` of ``data``: ``{"label", "metric", "prompt", "clean",
        "corrupted", "patched"}``, each of the last three ``{"tokens", "ids", "probs"}`` (top ``k``)."""
        ...


def _key(d: PatchingData) -> Key:
    return (d.component, d.by, d.method, d.metric_label)


class PatchingView(RequestHandlers, BaseWidget):
    """``PatchingView(data, source=None)``; usually ``interplay.patch(...).show()``.

    Rows and columns are the sweep's axes (layer x position, layer x head, ...; a third axis is
    folded into the rows), coloured on a diverging scale centred at 0.
    """

    _esm = bundle("patching")

    values = Array(("row", "col"), np.float32, center=0.0)
    row_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    col_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    row_axis = traitlets.Unicode("").tag(sync=True)
    col_axis = traitlets.Unicode("").tag(sync=True)
    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    corrupted_tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    differing = traitlets.List(traitlets.Int()).tag(sync=True)
    component = traitlets.Unicode("").tag(sync=True)
    components = traitlets.List(traitlets.Unicode()).tag(sync=True)
    by = traitlets.Unicode("").tag(sync=True)
    method = traitlets.Unicode("exact").tag(sync=True)
    metric = traitlets.Unicode("").tag(sync=True)
    metrics = traitlets.List(traitlets.Unicode()).tag(sync=True)
    direction = traitlets.Unicode("").tag(sync=True)
    value_label = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    compare = Array(("method", "cell"), np.float32)
    compare_r = traitlets.Float(None, allow_none=True).tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    computing = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    top_k = traitlets.Int(10).tag(sync=True)
    selected = Selection({"row": lambda w: len(w.row_labels), "col": lambda w: len(w.col_labels)})

    def __init__(self, data: PatchingData, source: PatchingSource | None = None, **kwargs: Any) -> None:
        data, src = view_input(data, source, PatchingData, "PatchingView",
                               "use interplay.patch(model, clean, corrupted).show()")
        self.source: PatchingSource | None = src
        self._seen: dict[Key, PatchingData] = {}
        self._applying = False
        super().__init__(**kwargs)
        self._init_rpc({"cell": self._cell})
        components = source.components() if source is not None else list(data.components)
        metrics = source.metrics() if source is not None else list(data.metrics)
        with self.hold_sync():
            self.metrics = metrics if data.metric_label in metrics else [data.metric_label, *metrics]
            self.components = components if data.component in components else [data.component, *components]
            self._show(data)
        self.observe(self._on_settings, names=["component", "method", "metric"])

    @traitlets.validate("top_k")
    def _check_top_k(self, proposal: dict[str, Any]) -> int:
        top_k: int = checks.count("PatchingView.top_k", proposal["value"], low=1, error=ViewError)
        return top_k

    def _show(self, data: PatchingData) -> None:
        grid, rows, cols, row_axis, col_axis = data.grid()
        self.data = data
        self._seen[_key(data)] = data
        self._applying = True
        try:
            with self.hold_sync():
                self.set_trait("selected", None)
                self.values = grid
                self.row_labels, self.col_labels, self.row_axis, self.col_axis = rows, cols, row_axis, col_axis
                self.tokens, self.corrupted_tokens = list(data.tokens), list(data.corrupted_tokens)
                self.differing = [int(p) for p in data.differing]
                self.component, self.by, self.method, self.metric = data.component, data.by, data.method, \
                    data.metric_label
                self.direction, self.value_label, self.title = data.direction, data.value_label, data.title
                self.notes = list(data.notes)
                self.error = ""
                self.clear_cache()
                self._update_compare()
        finally:
            self._applying = False

    def _update_compare(self) -> None:
        d = self.data
        exact = self._seen.get((d.component, d.by, "exact", d.metric_label))
        atp = self._seen.get((d.component, d.by, "attribution", d.metric_label))
        if exact is None or atp is None:
            self.compare, self.compare_r = None, None
            return
        pair = np.stack([exact.values.ravel(), atp.values.ravel()]).astype(np.float32)
        self.compare = pair
        ok = np.isfinite(pair).all(0)
        std = pair[:, ok].std(1) if ok.any() else np.zeros(2)
        self.compare_r = float(np.asarray(np.corrcoef(pair[:, ok]))[0, 1]) if ok.sum() > 1 and (std > 0).all() else None

    def _refuse(self, message: str) -> None:
        """Say why in ``error`` and put the settings back to those of the sweep shown."""
        d = self.data
        self._applying = True
        try:
            with self.hold_sync():
                self.error = message
                self.component, self.method, self.metric = d.component, d.method, d.metric_label
                self.computing = False
        finally:
            self._applying = False

    def _on_settings(self, change: dict[str, Any]) -> None:
        if self._applying:
            return
        by = None if change["name"] == "component" else self.data.by
        self.recompute(component=self.component, method=self.method, metric=self.metric, by=by)

    def recompute(self, *, component: str, method: str, metric: str, by: str | None = None) -> PatchingData | None:
        """Show the sweep for these settings (the source computes each once); None when it cannot."""
        if self.source is None:
            self._refuse(str(needs_model(f"switching to {component} / {method} / {metric}", _hint(self.data))))
            return None
        self.computing = True
        try:
            data = self.source.recompute(component, method, metric, by)
        except InterplayError as exc:
            self._refuse(str(exc))
            return None
        except Exception as exc:  # a bug (or out of memory): say it in the view, log the traceback
            log.exception("interplay: recomputing the patching sweep failed")
            self._refuse(f"{type(exc).__name__}: {exc}")
            return None
        with self.hold_sync():
            self._show(data)
            self.computing = False
        return data

    # --------------------------------------------------------------------------------- requests
    def _cell(self, row: int, col: int, k: int | None = None, prompt: int = 0) -> dict[str, Any]:
        d = self.data
        for name, v, n in (("row", row, len(self.row_labels)), ("col", col, len(self.col_labels))):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < n:
                raise ViewError(f"cell request: {name}={v!r} is out of range (0..{n - 1})")
        cell = d.grid_cell(row, col)
        if self.source is None:
            raise needs_model(f"running the patch of {d.cell_label(cell)}", _hint(d))
        out = dict(self.source.cell(d, cell, k=int(k or self.top_k), prompt=prompt))
        out["value"] = float(d.values[cell])
        out["clean_value"], out["corrupted_value"] = d.clean_value, d.corrupted_value
        return out
