"""PatchingExplorer: a patching sweep as a heatmap; click a cell to run that one patched forward.

numpy only at import: the methods (torch) are imported when the user switches component, metric or
method in the view, which re-runs the sweep in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from interplay.errors import InterplayError
from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets._serialize import encode_array

METHODS = ("exact", "attribution")


class PatchingExplorer(RequestHandlers, BaseWidget):
    """Show a :class:`~interplay.methods.patching_result.PatchingResult` (``interplay.patch(...).show()``).

    Click a cell (or Enter on it): Python runs that single patched forward and the view lists the
    top-k next tokens of the clean, corrupted and patched runs side by side. Switching component,
    metric or exact/attribution in the view re-runs the sweep; once both methods have been computed
    for the same settings, a scatter compares them.
    """

    _esm = bundle("patching")

    values = traitlets.Dict().tag(sync=True)
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
    compare = traitlets.Dict().tag(sync=True)
    compare_r = traitlets.Float(None, allow_none=True).tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    computing = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    top_k = traitlets.Int(10).tag(sync=True)
    selected = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, result: Any, **kwargs: Any) -> None:
        self.result = result
        self._results: dict[tuple[str, str, str, str], Any] = {}
        super().__init__(**kwargs)
        self._init_rpc({"cell": self._cell})
        self._metric_objects: dict[str, Any] = {}
        if result.setup is not None:
            self._metric_objects[result.metric_label] = result.setup.metric
        self._remember(result, result.metric_label)
        with self.hold_sync():
            self.metric = result.metric_label
            self.metrics = self._metric_options(result)
            self.components = self._component_options(result)
            self._show(result)
        self.observe(self._on_settings, names=["component", "method", "metric"])

    # ------------------------------------------------------------------------------------ state
    def _key(self, component: str, by: str, method: str, metric: str) -> tuple[str, str, str, str]:
        return (component, by, method, metric)

    def _remember(self, result: Any, metric: str) -> None:
        self._results[self._key(result.component, "_".join(result.axes), result.method, metric)] = result

    def _metric_options(self, result: Any) -> list[str]:
        opts = [result.metric_label]
        if result.setup is not None and not result.direction.startswith("ablation"):
            opts.append("KL(clean || patched)")
        return list(dict.fromkeys(opts))

    def _component_options(self, result: Any) -> list[str]:
        if result.setup is None:
            return [result.component]
        names = set(result.setup.model.hook_names)
        from_names = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out", "z", "q", "k", "v", "pattern"]
        opts = [c for c in from_names if any(n.endswith(_SUFFIX[c]) for n in names)]
        return opts if result.component in opts else [result.component, *opts]

    def _show(self, result: Any) -> None:
        grid, rows, cols, row_axis, col_axis = result.grid()
        self.result = result
        self.values = encode_array(np.asarray(grid, np.float32), ["row", "col"], center=0.0)
        self.row_labels, self.col_labels = list(rows), list(cols)
        self.row_axis, self.col_axis = row_axis, col_axis
        self.tokens, self.corrupted_tokens = list(result.tokens), list(result.corrupted_tokens)
        self.differing = [int(p) for p in result.differing]
        self.component, self.by, self.method = result.component, "_".join(result.axes), result.method
        self.direction, self.value_label = result.direction, result.value_label
        self.title = f"{result.component} by {' × '.join(result.axes)} · {result.direction} · {result.method}"
        self.notes = list(result.notes)
        self.set_trait("selected", None)
        self.error = ""
        self.clear_cache()
        self._update_compare()

    def _update_compare(self) -> None:
        r = self.result
        key = (r.component, "_".join(r.axes), self.metric)
        exact = self._results.get((*key[:2], "exact", key[2]))
        atp = self._results.get((*key[:2], "attribution", key[2]))
        if exact is None or atp is None:
            self.compare, self.compare_r = {}, None
            return
        pair = np.stack([exact.values.ravel(), atp.values.ravel()]).astype(np.float32)
        self.compare = encode_array(pair, ["method", "cell"])
        ok = np.isfinite(pair).all(0)
        std = pair[:, ok].std(1) if ok.any() else np.zeros(2)
        self.compare_r = float(np.asarray(np.corrcoef(pair[:, ok]))[0, 1]) if ok.sum() > 1 and (std > 0).all() else None

    def _on_settings(self, change: dict[str, Any]) -> None:
        r = self.result
        if r.setup is None:
            self.error = "this result has no model attached: it cannot be recomputed"
            return
        if self.metric not in self._metric_objects and self.metric == "KL(clean || patched)":
            from interplay.methods.metrics import kl_div

            self._metric_objects[self.metric] = kl_div()
        by = "_".join(r.axes) if change["name"] != "component" else None
        self.recompute(component=self.component, method=self.method, metric=self.metric, by=by)

    def recompute(self, *, component: str, method: str, metric: str, by: str | None = None) -> Any:
        """Show the sweep for these settings (computed once, then cached)."""
        from interplay.methods._sweep import GRANULARITY, component_name
        from interplay.methods.patching import run_patch

        r = self.result
        try:
            if method not in METHODS:
                raise InterplayError(f"unknown method {method!r}; use {METHODS}")
            comp = component_name(component)
            if by is None or tuple(by.split("_")) not in GRANULARITY[comp]:
                by = "_".join(GRANULARITY[comp][0])
            key = self._key(comp, by, method, metric)
            if key not in self._results:
                self.computing = True
                setup = r.setup.with_metric(self._metric_objects[metric])
                opts = {k: v for k, v in r.setup.options.items() if k in ("layers", "positions", "layer", "batch_size")}
                if r.direction.startswith("ablation"):
                    raise InterplayError("switching settings is for patching results; call interplay.ablate again")
                self._results[key] = run_patch(setup, method=method, component=comp, by=by, **opts)
            with self.hold_sync():
                self._show(self._results[key])
                self.computing = False
            return self._results[key]
        except InterplayError as exc:
            with self.hold_sync():
                self.error = str(exc)
                self.computing = False
            return None

    # --------------------------------------------------------------------------------- requests
    def _cell(self, row: int, col: int, k: int | None = None) -> dict[str, Any]:
        r = self.result
        shape = r.shape
        if len(shape) == 1:
            cell: tuple[int, ...] = (int(row),)
        elif len(shape) == 2:
            cell = (int(row), int(col))
        else:
            cell = (int(row) // shape[1], int(row) % shape[1], int(col))
        out: dict[str, Any] = r.top_k(cell, k=int(k or self.top_k))
        out["value"] = float(r.values[cell])
        out["clean_value"], out["corrupted_value"] = r.clean_value, r.corrupted_value
        return out


_SUFFIX = {"resid_pre": "hook_resid_pre", "resid_mid": "hook_resid_mid", "resid_post": "hook_resid_post",
           "attn_out": "hook_attn_out", "mlp_out": "hook_mlp_out", "z": "attn.hook_z", "q": "attn.hook_q",
           "k": "attn.hook_k", "v": "attn.hook_v", "pattern": "attn.hook_pattern"}
