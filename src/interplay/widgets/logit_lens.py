"""LogitLensView: the logit lens as a layer x position grid of top-1 tokens, with a typed target.

The view shows a :class:`~interplay.data.logit_lens.LogitLensData`. Typing a target token or
toggling "apply final norm" asks its source (:class:`LogitLensSource`, the live model behind the
result); without one, the view says that these need a live model.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import traitlets

from interplay import checks
from interplay.data.logit_lens import LogitLensData
from interplay.errors import InterplayError, ViewError
from interplay.widgets._base import BaseWidget, bundle, needs_model, view_input
from interplay.widgets.traits import Array, Selection

MODES = ("top1_prob", "target_prob", "target_rank", "kl")
_HINT = "Recompute the lens with the model: interplay.logit_lens(model, prompt).show()"


class LogitLensSource(Protocol):
    """What a LogitLensView may ask the live model (numpy in and out)."""

    def target(self, token: str, apply_ln: bool) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
        """Probability and rank (0 = top) of ``token`` at every (layer, position), decoded with
        (``apply_ln``) or without the final norm."""
        ...

    def relens(self, apply_ln: bool) -> LogitLensData:
        """The same residual streams decoded with or without the final norm."""
        ...


class LogitLensView(BaseWidget):
    """``LogitLensView(data, source=None)``; usually ``interplay.logit_lens(model, prompt).show()``.

    Rows are layers (the last on top), columns positions; each cell names the top prediction.
    ``mode`` colours by top-1 probability, the target's probability or rank, or KL to the final layer.
    """

    _esm = bundle("logit_lens")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    layer_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    token_table = traitlets.List(traitlets.Unicode()).tag(sync=True)
    top_ids = Array(("layer", "pos", "k"), np.int32)
    top_probs = Array(("layer", "pos", "k"), np.float32, vmin=0.0, vmax=1.0)
    color = Array(("layer", "pos"), np.float32, limits=lambda w, a: (0.0, w._color_max))
    scale = traitlets.Dict().tag(sync=True)
    mode = traitlets.Unicode("top1_prob").tag(sync=True)
    target = traitlets.Unicode("").tag(sync=True)
    target_error = traitlets.Unicode("").tag(sync=True)
    target_probs = Array(("layer", "pos"), np.float32, vmin=0.0, vmax=1.0)
    target_ranks = Array(("layer", "pos"), np.int32)
    apply_ln = traitlets.Bool(True).tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    computing = traitlets.Bool(False).tag(sync=True)
    selected = Selection({"layer": lambda w: len(w.layer_labels), "pos": lambda w: len(w.tokens)})

    def __init__(self, data: LogitLensData, source: LogitLensSource | None = None, *, target: str = "",
                 **kwargs: Any) -> None:
        data, src = view_input(data, source, LogitLensData, "LogitLensView",
                               "use interplay.logit_lens(model, prompt).show()")
        self.source: LogitLensSource | None = src
        self._target: tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]] | None = None
        self._color_max: float | None = 1.0
        super().__init__(apply_ln=data.apply_ln, **kwargs)
        self._set_data(data)
        self.observe(self._on_mode, names="mode")
        self.observe(self._on_target, names="target")
        self.observe(self._on_apply_ln, names="apply_ln")
        if target:
            self.target = target

    def _set_data(self, data: LogitLensData) -> None:
        self.data = data
        with self.hold_sync():
            self.tokens = list(data.tokens)
            self.layer_labels = list(data.layer_labels)[::-1]  # top row = last layer
            self.token_table = list(data.token_table)
            self.top_ids = data.top_index[::-1].astype(np.int32)
            self.top_probs = data.top_probs[::-1]
            self.notes = list(data.notes)
            self._update_color()

    def _update_color(self) -> None:
        mode = self.mode
        if mode in ("target_prob", "target_rank") and self._target is None:
            mode = "top1_prob"
        if mode == "top1_prob":
            values, cmap, self._color_max = self.data.top_probs[:, :, 0], "viridis", 1.0
        elif mode == "kl":
            values, cmap, self._color_max = self.data.kl, "magma", None
        elif mode == "target_prob":
            assert self._target is not None
            values, cmap, self._color_max = self._target[0], "viridis", 1.0
        else:
            assert self._target is not None
            values, cmap, self._color_max = np.log10(1.0 + self._target[1].astype(np.float32)), "cividis", None
        with self.hold_sync():
            self.scale = {"kind": "sequential", "cmap": cmap + ("_r" if mode == "target_rank" else ""), "center": None}
            self.color = np.asarray(values, np.float32)[::-1]

    @traitlets.validate("mode")
    def _check_mode(self, proposal: dict[str, Any]) -> str:
        mode: str = checks.choice("LogitLensView.mode", proposal["value"], MODES, error=ViewError)
        return mode

    def _on_mode(self, change: dict[str, Any]) -> None:
        self._update_color()

    def _on_target(self, change: dict[str, Any]) -> None:
        text = change["new"]
        if not text:
            self._target = None
            with self.hold_sync():
                self.target_error = ""
                self.target_probs, self.target_ranks = None, None
                self._update_color()
            return
        self.computing = True
        try:
            if self.source is None:
                raise needs_model(f"the target {text!r}", _HINT)
            probs, ranks = self.source.target(text, self.data.apply_ln)
        except InterplayError as exc:
            with self.hold_sync():
                self.target_error = str(exc)
                self.computing = False
            return
        self._target = (probs, ranks)
        with self.hold_sync():
            self.target_error = ""
            self.target_probs = probs[::-1]
            self.target_ranks = ranks[::-1]
            if self.mode == "top1_prob":
                self.mode = "target_prob"
            self._update_color()
            self.computing = False

    def _on_apply_ln(self, change: dict[str, Any]) -> None:
        if bool(change["new"]) == self.data.apply_ln:
            return
        if self.source is None:
            self.target_error = str(needs_model("switching the final norm", _HINT))
            self.apply_ln = self.data.apply_ln
            return
        self.computing = True
        try:
            self._set_data(self.source.relens(bool(change["new"])))
            if self.target:
                self._on_target({"new": self.target})
        finally:
            self.computing = False
