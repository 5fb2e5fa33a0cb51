"""Our views as CircuitsVis's functions make them: token heatmaps with CircuitsVis's colour options
(``min_value``/``max_value`` fix the colour limits, ``negative_color``/``positive_color`` pick a map),
and an attention view of one layer of heads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.circuitsvis._colors import cmap_for
from interplay.errors import InterplayError, ShapeError, ViewError
from interplay.widgets._serialize import MAX_MESSAGE_BYTES
from interplay.widgets.attention import AttentionView
from interplay.widgets.token_heatmap import TokenHeatmapView
from interplay.widgets.traits import Array


class BoundedTokenHeatmapView(TokenHeatmapView):
    """A :class:`TokenHeatmapView` whose colour limits are fixed (``color_range = (vmin, vmax)``),
    as CircuitsVis's ``min_value``/``max_value`` fix its colours: values beyond them saturate. The
    legend shows these limits; hover still shows every exact value."""

    values = Array(("row", "pos"), np.float32, limits=lambda w, a: w.color_range)

    def __init__(self, data: Any, *, color_range: tuple[float, float], **kwargs: Any) -> None:
        self.color_range = (float(color_range[0]), float(color_range[1]))  # before the first sync
        super().__init__(data, **kwargs)


def _bound(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)):
        raise ViewError(f"{name} must be a finite number or None; got {value!r}")
    return float(value)


def heatmap(tokens: Sequence[str], rows: npt.NDArray[np.float32], labels: Sequence[str], *, min_value: Any = None,
            max_value: Any = None, negative_color: str | None = None, positive_color: str | None = None,
            title: str = "", value_label: str = "value") -> TokenHeatmapView:
    """A token heatmap of ``rows`` [n_rows, n_tokens] with CircuitsVis's colour options."""
    if rows.nbytes > MAX_MESSAGE_BYTES:
        raise ViewError(f"{rows.shape[0]} rows x {rows.shape[1]} tokens of values ({rows.nbytes / 2**20:.1f} MiB) "
                        f"exceed the 8 MiB a view sends at once: show fewer rows (e.g. a slice of the neurons)")
    lo, hi = _bound(min_value, "min_value"), _bound(max_value, "max_value")
    finite = rows[np.isfinite(rows)]
    fixed = lo is not None or hi is not None
    if fixed:
        lo = lo if lo is not None else (float(finite.min()) if finite.size else 0.0)
        hi = hi if hi is not None else (float(finite.max()) if finite.size else 1.0)
        if not lo < hi:
            raise ViewError(f"min_value ({lo:g}) must be below max_value ({hi:g}) (the missing one is the values' "
                            "own minimum or maximum, as in CircuitsVis)")
        has_negative = lo < 0
    else:
        has_negative = bool(finite.size and finite.min() < 0)
    cmap = cmap_for(negative_color, positive_color, has_negative=has_negative)
    # CircuitsVis colours from white at 0: a scale whose limits straddle 0 is centred there
    center = 0.0 if fixed and lo is not None and hi is not None and lo < 0 < hi else None
    options: dict[str, Any] = {"labels": list(labels), "cmap": cmap, "center": center, "title": title,
                               "value_label": value_label}
    if fixed:
        assert lo is not None and hi is not None
        return BoundedTokenHeatmapView.from_arrays(tokens, rows, color_range=(lo, hi), **options)
    return TokenHeatmapView.from_arrays(tokens, rows, **options)


def attention_view(tokens: list[str], heads: npt.NDArray[np.float32], *, names: list[str] | None,
                   max_value: Any, positive_color: str | None, mask_upper_tri: bool | None,
                   function: str, attention_shape: str, dtype: str | None = None) -> AttentionView:
    """An AttentionView of ``heads`` [n_heads, dest, src] as layer 0; head 0 selected (CircuitsVis
    opens on head 0 too)."""
    if heads.shape[1] != heads.shape[2]:
        raise ShapeError(f"attention must have shape {attention_shape} with dest_tokens = src_tokens; got "
                         f"{list(heads.shape)}")
    if heads.shape[1] != len(tokens):
        raise ShapeError(f"attention covers {heads.shape[1]} tokens (shape {list(heads.shape)}) but tokens has "
                         f"{len(tokens)} (expected attention of shape {attention_shape} with dest_tokens = src_tokens "
                         f"= len(tokens) = {len(tokens)})")
    top = _bound(max_value, "max_value")
    if top is not None and top != 1.0:
        raise ViewError(f"max_value={max_value!r} cannot be honoured: the AttentionView draws softmaxed patterns on a "
                        "fixed 0..1 scale (CircuitsVis's default max_value=1); leave max_value None or 1")
    if positive_color is not None:
        raise ViewError(f"positive_color={positive_color!r} cannot be honoured: the AttentionView draws patterns "
                        "with its own colour map (viridis, 0..1); leave positive_color None")
    if mask_upper_tri is not None and not isinstance(mask_upper_tri, (bool, np.bool_)):
        raise ViewError(f"mask_upper_tri must be True, False or None; got {mask_upper_tri!r}")
    try:
        view = AttentionView.from_arrays(tokens, heads[None], causal=None if mask_upper_tri is None
                                         else bool(mask_upper_tri), selected={"layer": 0, "head": 0})
    except InterplayError as exc:
        half = (f" attention is {dtype}, whose rounding alone moves a row's sum by more than 1e-3: compute the "
                "pattern in float32 (e.g. run the model in float32)." if dtype else "")
        raise ViewError(f"{function}: attention cannot be drawn: {exc}.{half} The heads are shown as layer 0 of an "
                        "AttentionView, which draws softmaxed patterns (rows summing to 1, no negative weights); for "
                        "other values (e.g. a difference of patterns) use interplay.TokenHeatmapView.from_arrays("
                        "tokens, attention[head], labels=tokens)") from None
    if names is not None:
        with view.hold_sync():
            view.notes = [*view.notes, "heads: " + ", ".join(f"{i} = {n}" for i, n in enumerate(names))]
    return view
