"""HeatmapResult: one value per (row, token), e.g. the norm of every layer's residual stream."""

from __future__ import annotations

from typing import Any

import numpy as np

from interplay.data.heatmap import TokenHeatmapData
from interplay.results.base import Result
from interplay.widgets._scale import MATPLOTLIB
from interplay.widgets.token_heatmap import TokenHeatmapView


class HeatmapResult(Result[TokenHeatmapData, Any]):
    """Values per (row, token) (``data``, a :class:`TokenHeatmapData`). Static: everything it shows
    is in the data, so a loaded result works exactly like a fresh one."""

    DATA = TokenHeatmapData
    RECOMPUTE = "interplay.heatmap(trace, key)"

    def show(self, **kwargs: Any) -> TokenHeatmapView:
        """A :class:`TokenHeatmapView` (``cmap=``, ``center=``, ``title=`` and other view options)."""
        return TokenHeatmapView(self.data, **kwargs)

    def to_dataframe(self) -> Any:
        """Long format: row (its label, or its number where it has none), pos, token, value."""
        import pandas as pd

        d = self.data
        rows = [{"row": label or str(r), "pos": p, "token": tok, "value": float(d.values[r, p])}
                for r, label in enumerate(d.row_labels) for p, tok in enumerate(d.tokens)]
        return pd.DataFrame(rows, columns=["row", "pos", "token", "value"])

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: the values as an image (rows top to bottom, as in the view), tokens below."""
        import matplotlib.pyplot as plt

        d = self.data
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4, 0.5 * len(d.tokens)), 0.35 * len(d.row_labels) + 1.5))
        center = d.scale["center"]
        limits: dict[str, float] = {}
        finite = d.values[np.isfinite(d.values)]
        if center is not None and finite.size:
            half = float(abs(finite - center).max()) or 1.0
            limits = {"vmin": center - half, "vmax": center + half}
        im = ax.imshow(d.values, aspect="auto", cmap=MATPLOTLIB[d.scale["cmap"]], interpolation="nearest", **limits)
        ax.set_xticks(range(len(d.tokens)), [repr(t)[1:-1] for t in d.tokens], rotation=90)
        ax.set_yticks(range(len(d.row_labels)), d.row_labels)
        if d.title:
            ax.set_title(d.title)
        ax.figure.colorbar(im, ax=ax, label=d.value_label)
        return ax
