"""TokenHeatmapView: values over tokens (one row, or one row per layer/head), coloured on a canvas.

The view shows a :class:`~interplay.data.heatmap.TokenHeatmapData` and needs nothing else: it is
static (no model behind it). ``interplay.heatmap(trace, "resid_post").show()`` makes one from
activations; :meth:`TokenHeatmapView.from_arrays` from any values you hold (numpy or torch).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import traitlets

from interplay.data.arrays import to_numpy
from interplay.data.heatmap import TokenHeatmapData
from interplay.errors import ShapeError, ViewError
from interplay.widgets._base import BaseWidget, bundle, view_input
from interplay.widgets._scale import DIVERGING, SEQUENTIAL, scale_options, scale_spec
from interplay.widgets._serialize import color_limits
from interplay.widgets.traits import Array, Selection

__all__ = ["DIVERGING", "SEQUENTIAL", "TokenHeatmapView", "heatmap_data", "scale_spec"]


class TokenHeatmapView(BaseWidget):
    """``TokenHeatmapView(data)``: colour each token by a value, one row per label.

    Signed values get a diverging scale centred on 0 (or on ``center``), others a sequential one;
    both colour-blind safe. ``cmap``/``center`` restyle the data's scale (and style values set
    later). Hover shows token, position and exact value; a click (or Enter) sets ``selected =
    {"row": r, "pos": p}``, and setting ``selected`` from Python moves the outline. Assign
    ``widget.values = new_array`` (or call :meth:`set_values`) to redraw.
    """

    _esm = bundle("token_heatmap")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    values = Array(("row", "pos"), np.float32, limits=lambda w, a: color_limits(a, center=w.scale.get("center")))
    row_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    scale = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    value_label = traitlets.Unicode("value").tag(sync=True)
    selected = Selection({"row": lambda w: len(w.row_labels), "pos": lambda w: len(w.tokens)})

    def __init__(self, data: TokenHeatmapData, *, cmap: str | None = None, center: float | None = None,
                 **kwargs: Any) -> None:
        data, _ = view_input(data, None, TokenHeatmapData, "TokenHeatmapView",
                             "use TokenHeatmapView.from_arrays(tokens, values) for arrays you hold")
        default_cmap, default_center = scale_options(data.scale)
        self._cmap = default_cmap if cmap is None else cmap
        self._center = default_center if cmap is None and center is None else center
        if cmap is not None or center is not None:
            data = dataclasses.replace(data, scale=scale_spec(data.values, self._cmap, self._center))
        text = {k: kwargs.pop(k) for k in ("title", "value_label") if k in kwargs}
        if text:
            data = dataclasses.replace(data, **text)
        selected = kwargs.pop("selected", None)
        super().__init__(**kwargs)
        self._set_data(data)
        self.selected = selected

    @classmethod
    def from_arrays(cls, tokens: Sequence[str], values: Any, *, labels: Sequence[str] | None = None,
                    cmap: str = "auto", center: float | None = None, title: str = "", value_label: str = "value",
                    **view_kwargs: Any) -> TokenHeatmapView:
        """A view of ``values`` ([n_tokens] or [n_rows, n_tokens], numpy or torch) over ``tokens``."""
        data = heatmap_data(tokens, values, labels=labels, cmap=cmap, center=center, title=title,
                            value_label=value_label)
        return cls(data, cmap=cmap, center=center, **view_kwargs)

    def _set_data(self, data: TokenHeatmapData) -> None:
        self.data = data
        with self.hold_sync():
            sel = self.selected
            if sel is not None and not (sel["row"] < len(data.row_labels) and sel["pos"] < len(data.tokens)):
                self.set_trait("selected", None)
            self.tokens = list(data.tokens)
            self.row_labels = list(data.row_labels)
            self.scale = dict(data.scale)
            self.title, self.value_label = data.title, data.value_label
            super().__setattr__("values", data.values)

    def set_values(self, values: Any, *, labels: Sequence[str] | None = None,
                   tokens: Sequence[str] | None = None) -> None:
        """Replace the values (and optionally labels/tokens) in one message; the view redraws."""
        toks = list(self.data.tokens) if tokens is None else tokens
        arr = _as_rows(values, len(_check_tokens(toks)))
        if labels is None and arr.shape[0] == len(self.data.row_labels):
            labels = self.data.row_labels
        self._set_data(heatmap_data(toks, arr, labels=labels, cmap=self._cmap, center=self._center,
                                    title=self.data.title, value_label=self.data.value_label))

    @property
    def array(self) -> npt.NDArray[np.float32]:
        """The values as a [n_rows, n_tokens] float32 array."""
        return self.data.values

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "values" and value is not None and not isinstance(value, dict):  # widget.values = ndarray
            self.set_values(value)
            return
        super().__setattr__(name, value)


def heatmap_data(tokens: Sequence[str], values: Any, *, labels: Sequence[str] | None = None, cmap: str = "auto",
                 center: float | None = None, title: str = "", value_label: str = "value") -> TokenHeatmapData:
    """The data of a heatmap of ``values`` ([n_tokens] or [n_rows, n_tokens], numpy or torch) over
    ``tokens``; ``labels`` one per row (default: none for one row, row numbers for several)."""
    toks = _check_tokens(tokens)
    arr = _as_rows(values, len(toks))
    return TokenHeatmapData(tokens=toks, values=arr, row_labels=_check_labels(labels, arr.shape[0]),
                            scale=scale_spec(arr, cmap, center), title=str(title), value_label=str(value_label))


def _check_tokens(tokens: Sequence[str]) -> list[str]:
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise ViewError("tokens must be a list of strings (one per token), e.g. trace.tokens; "
                        f"got {type(tokens).__name__}")
    if len(tokens) == 0:
        raise ViewError("tokens is empty: a heatmap needs at least one token")
    return list(tokens)


def _as_rows(values: Any, n_tokens: int) -> npt.NDArray[np.float32]:
    try:
        arr = np.asarray(to_numpy(values), dtype=np.float32)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ShapeError(f"values must be numbers of shape [n_tokens] or [n_rows, n_tokens] (numpy, torch or "
                         f"nested lists); got {type(values).__name__}: {exc}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ShapeError(f"values must have shape [n_tokens] or [n_rows, n_tokens]; got shape {list(arr.shape)}")
    if arr.shape[1] != n_tokens:
        raise ShapeError(f"values has {arr.shape[1]} columns but there are {n_tokens} tokens "
                         f"(values shape {list(arr.shape)}: expected [n_rows, {n_tokens}])")
    return arr


def _check_labels(labels: Sequence[str] | None, n_rows: int) -> list[str]:
    if labels is None:
        return [""] if n_rows == 1 else [str(i) for i in range(n_rows)]
    if isinstance(labels, str):
        raise ViewError(f"labels must be a list of strings, one per row ({n_rows}); got the string {labels!r}")
    out = [str(x) for x in labels]
    if len(out) != n_rows:
        raise ShapeError(f"{len(out)} labels for {n_rows} rows of values (labels: one per row of values "
                         f"[n_rows, n_tokens])")
    return out
