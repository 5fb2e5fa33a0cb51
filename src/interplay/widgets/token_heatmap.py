"""TokenHeatmap: values over tokens (one row, or one row per layer/head), coloured on a canvas."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import traitlets

from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._serialize import Payload, encode_array

SEQUENTIAL = ("viridis", "cividis", "magma", "blues")
DIVERGING = ("rdbu", "puor")


class TokenHeatmap(BaseWidget):
    """Colour each token by a value: ``values`` of shape [n_tokens] or [n_rows, n_tokens].

    Signed values get a diverging scale centred on 0 (or on ``center``), others a sequential one;
    both colour-blind safe. Hover shows token, position and exact value; a click (or Enter) sets
    ``selected = {"row": r, "pos": p}``, and setting ``selected`` from Python moves the outline.
    Assign ``widget.values = new_array`` to redraw.
    """

    _esm = bundle("token_heatmap")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    values = traitlets.Dict().tag(sync=True)
    row_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    scale = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    value_label = traitlets.Unicode("value").tag(sync=True)
    selected = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(
        self,
        tokens: Sequence[str],
        values: npt.ArrayLike,
        *,
        labels: Sequence[str] | None = None,
        cmap: str = "auto",
        center: float | None = None,
        title: str = "",
        value_label: str = "value",
        **kwargs: Any,
    ) -> None:
        self._cmap, self._center = cmap, center
        toks = _check_tokens(tokens)
        arr = _as_rows(values, len(toks))
        super().__init__(
            tokens=toks,
            values=_encode(arr, self._scale(arr)),
            row_labels=_check_labels(labels, arr.shape[0]),
            scale=self._scale(arr),
            title=title,
            value_label=value_label,
            **kwargs,
        )

    def set_values(self, values: npt.ArrayLike, *, labels: Sequence[str] | None = None,
                   tokens: Sequence[str] | None = None) -> None:
        """Replace the values (and optionally labels/tokens) in one message; the view redraws."""
        toks = _check_tokens(tokens) if tokens is not None else list(self.tokens)
        arr = _as_rows(values, len(toks))
        if labels is None and arr.shape[0] != len(self.row_labels):
            labels = [str(i) for i in range(arr.shape[0])] if arr.shape[0] > 1 else [""]
        scale = self._scale(arr)
        with self.hold_sync():
            self.tokens = toks
            self.scale = scale
            self.values = _encode(arr, scale)
            if labels is not None:
                self.row_labels = _check_labels(labels, arr.shape[0])

    @property
    def array(self) -> npt.NDArray[np.float32]:
        """The values as a [n_rows, n_tokens] float32 array."""
        from interplay.widgets._serialize import decode_array

        return decode_array(self.values).astype(np.float32)

    def _scale(self, arr: npt.NDArray[np.float32]) -> dict[str, Any]:
        return scale_spec(arr, self._cmap, self._center)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "values" and not isinstance(value, dict):  # widget.values = ndarray
            self.set_values(value)
            return
        super().__setattr__(name, value)

    @traitlets.validate("selected")
    def _validate_selected(self, proposal: Any) -> Any:
        sel = proposal["value"]
        if sel is None:
            return None
        n_rows, n_tokens = self.values["shape"]
        try:
            row, pos = int(sel["row"]), int(sel["pos"])
        except (KeyError, TypeError, ValueError):
            raise traitlets.TraitError(f"selected must be {{'row': int, 'pos': int}} or None, got {sel!r}") from None
        if not (0 <= row < n_rows and 0 <= pos < n_tokens):
            raise traitlets.TraitError(f"selected {sel!r} is outside the {n_rows} x {n_tokens} heatmap")
        return {"row": row, "pos": pos}


def scale_spec(arr: npt.NDArray[np.float32], cmap: str = "auto", center: float | None = None) -> dict[str, Any]:
    """The ``scale`` trait for values ``arr``: diverging (centred) for signed values or a given
    ``center``, else sequential; ``cmap`` "auto" or one of SEQUENTIAL/DIVERGING."""
    finite = arr[np.isfinite(arr)]
    signed = finite.size > 0 and finite.min() < 0 < finite.max()
    name = cmap.lower()
    if name not in ("auto", *SEQUENTIAL, *DIVERGING):
        raise ValueError(f"unknown cmap {cmap!r}: use 'auto' or one of {SEQUENTIAL + DIVERGING}")
    if name == "auto":
        kind = "diverging" if (signed or center is not None) else "sequential"
        name = "rdbu" if kind == "diverging" else "viridis"
    else:
        kind = "diverging" if name in DIVERGING else "sequential"
    mid = (0.0 if center is None else float(center)) if kind == "diverging" else None
    return {"kind": kind, "cmap": name, "center": mid}


def _check_tokens(tokens: Sequence[str]) -> list[str]:
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise TypeError("tokens must be a list of strings (one per token), e.g. trace.tokens")
    if len(tokens) == 0:
        raise ValueError("tokens is empty: a heatmap needs at least one token")
    return list(tokens)


def _as_rows(values: npt.ArrayLike, n_tokens: int) -> npt.NDArray[np.float32]:
    if hasattr(values, "detach"):  # a torch tensor, without importing torch
        values = values.detach().float().cpu().numpy()  # type: ignore[union-attr]
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"values must have shape [n_tokens] or [n_rows, n_tokens]; got shape {arr.shape}")
    if arr.shape[1] != n_tokens:
        raise ValueError(
            f"values has {arr.shape[1]} columns but there are {n_tokens} tokens "
            f"(values shape {arr.shape}: expected [n_rows, {n_tokens}])"
        )
    return arr


def _check_labels(labels: Sequence[str] | None, n_rows: int) -> list[str]:
    if labels is None:
        return [""] if n_rows == 1 else [str(i) for i in range(n_rows)]
    labels = [str(x) for x in labels]
    if len(labels) != n_rows:
        raise ValueError(f"{len(labels)} labels for {n_rows} rows of values")
    return labels


def _encode(arr: npt.NDArray[np.float32], scale: dict[str, Any]) -> Payload:
    return encode_array(arr, ["row", "pos"], center=scale["center"])
