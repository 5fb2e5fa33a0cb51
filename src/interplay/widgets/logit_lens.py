"""LogitLensView: the logit lens as a layer x position grid of top-1 tokens, with a typed target."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from interplay.errors import InterplayError
from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._serialize import encode_array

MODES = ("top1_prob", "target_prob", "target_rank", "kl")


class LogitLensView(BaseWidget):
    """Show a :class:`~interplay.methods.logit_lens.LogitLensResult`; ``interplay.logit_lens(trace).show()``.

    Type a target token in the view: Python computes its probability and rank at every layer and
    position and sends them. Toggling "apply final norm" recomputes the lens.
    """

    _esm = bundle("logit_lens")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    layer_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    token_table = traitlets.List(traitlets.Unicode()).tag(sync=True)
    top_ids = traitlets.Dict().tag(sync=True)
    top_probs = traitlets.Dict().tag(sync=True)
    color = traitlets.Dict().tag(sync=True)
    scale = traitlets.Dict().tag(sync=True)
    mode = traitlets.Unicode("top1_prob").tag(sync=True)
    target = traitlets.Unicode("").tag(sync=True)
    target_error = traitlets.Unicode("").tag(sync=True)
    target_probs = traitlets.Dict().tag(sync=True)
    target_ranks = traitlets.Dict().tag(sync=True)
    apply_ln = traitlets.Bool(True).tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    computing = traitlets.Bool(False).tag(sync=True)
    selected = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, result: Any, *, target: str = "", **kwargs: Any) -> None:
        self.result = result
        self._target: tuple[np.ndarray, np.ndarray] | None = None
        super().__init__(apply_ln=result.apply_ln, **kwargs)
        self._set_result(result)
        self.observe(self._on_mode, names="mode")
        self.observe(self._on_target, names="target")
        self.observe(self._on_apply_ln, names="apply_ln")
        if target:
            self.target = target

    def _set_result(self, result: Any) -> None:
        ids = result.top_ids
        uniq, inverse = np.unique(ids, return_inverse=True)
        from interplay.backend.tokens import token_strings

        table = token_strings(result.model.tokenizer, [int(i) for i in uniq])
        with self.hold_sync():
            self.result = result
            self.tokens = list(result.tokens)
            self.layer_labels = list(result.layer_labels)[::-1]  # top row = last layer
            self.token_table = table
            self.top_ids = encode_array(inverse.reshape(ids.shape)[::-1].astype(np.int32), ["layer", "pos", "k"])
            self.top_probs = encode_array(result.top_probs[::-1], ["layer", "pos", "k"], vmin=0.0, vmax=1.0)
            self.notes = list(result.notes)
            self._update_color()

    def _update_color(self) -> None:
        mode = self.mode
        if mode in ("target_prob", "target_rank") and self._target is None:
            mode = "top1_prob"
        if mode == "top1_prob":
            values, scale, vmax = self.result.top_probs[:, :, 0], "viridis", 1.0
        elif mode == "kl":
            values, scale, vmax = self.result.kl, "magma", None
        elif mode == "target_prob":
            assert self._target is not None
            values, scale, vmax = self._target[0], "viridis", 1.0
        else:
            assert self._target is not None
            values, scale, vmax = np.log10(1.0 + self._target[1].astype(np.float32)), "cividis", None
        self.color = encode_array(np.asarray(values, np.float32)[::-1], ["layer", "pos"], vmin=0.0, vmax=vmax)
        self.scale = {"kind": "sequential", "cmap": scale + ("_r" if mode == "target_rank" else ""), "center": None}

    def _on_mode(self, change: dict[str, Any]) -> None:
        if change["new"] not in MODES:
            self.target_error = f"unknown mode {change['new']!r}"
            return
        self._update_color()

    def _on_target(self, change: dict[str, Any]) -> None:
        text = change["new"]
        if not text:
            self._target = None
            with self.hold_sync():
                self.target_error = ""
                self.target_probs, self.target_ranks = {}, {}
                self._update_color()
            return
        self.computing = True
        try:
            probs, ranks = self.result.target(text)
        except InterplayError as exc:
            with self.hold_sync():
                self.target_error = str(exc)
                self.computing = False
            return
        self._target = (probs, ranks)
        with self.hold_sync():
            self.target_error = ""
            self.target_probs = encode_array(probs[::-1], ["layer", "pos"], vmin=0.0, vmax=1.0)
            self.target_ranks = encode_array(ranks[::-1], ["layer", "pos"])
            if self.mode == "top1_prob":
                self.mode = "target_prob"
            self._update_color()
            self.computing = False

    def _on_apply_ln(self, change: dict[str, Any]) -> None:
        from interplay.methods.logit_lens import relens

        self.computing = True
        try:
            self._set_result(relens(self.result, apply_ln=bool(change["new"])))
            if self.target:
                self._on_target({"new": self.target})
        finally:
            self.computing = False
