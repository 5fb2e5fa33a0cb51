"""What a token heatmap shows: one value per (row, token), e.g. an activation's norm per layer."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.errors import ShapeError

KINDS = ("sequential", "diverging")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class TokenHeatmapData(Data):
    """``values[row, pos]`` (float32, NaN allowed: drawn as "no value") over ``tokens``, one
    ``row_labels`` entry per row.

    ``scale`` is the colour scale as plain values, ``{"kind": "sequential" | "diverging", "cmap":
    name, "center": float | None}`` (made by :func:`interplay.widgets._scale.scale_spec`);
    ``title`` heads the view and ``value_label`` names the values in the legend and tooltips.
    """

    tokens: list[str]
    values: npt.NDArray[np.float32] = array(("row", "pos"), np.float32)
    row_labels: list[str] = dataclasses.field(default_factory=list)
    scale: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {"kind": "sequential", "cmap": "viridis", "center": None})
    title: str = ""
    value_label: str = "value"

    def __post_init__(self) -> None:
        super().__post_init__()
        n_rows, n_pos = self.values.shape
        if not all(isinstance(t, str) for t in self.tokens):
            raise ShapeError("TokenHeatmapData.tokens must be a list of strings (one per token)")
        if len(self.tokens) != n_pos:
            raise ShapeError(f"TokenHeatmapData: {len(self.tokens)} tokens for values of shape [row, pos] = "
                             f"{list(self.values.shape)}")
        if len(self.row_labels) != n_rows:
            raise ShapeError(f"TokenHeatmapData: {len(self.row_labels)} row labels for values of shape "
                             f"[row, pos] = {list(self.values.shape)}")
        if set(self.scale) != {"kind", "cmap", "center"} or self.scale["kind"] not in KINDS:
            raise ShapeError(f"TokenHeatmapData.scale must be {{'kind': one of {KINDS}, 'cmap': str, "
                             f"'center': float or None}}; got {self.scale!r}")
