"""PatchingResult: a patching or ablation sweep's data, and the live model that re-runs one cell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from interplay.data.patching import PatchingData
from interplay.results.base import Result
from interplay.widgets.patching import PatchingSource, PatchingView


class PatchingSession(PatchingSource, Protocol):
    """What a PatchingResult asks its live model, beyond what the view asks."""

    def patched_logits(self, data: PatchingData, cell: Sequence[int]) -> npt.NDArray[np.float32]:
        """Last-token logits [n_prompts, vocab] of the one exact patched run of ``cell``."""
        ...


class PatchingResult(Result[PatchingData, PatchingSession]):
    """Patching (or ablation) effects, one per cell (``data``, a :class:`PatchingData`: ``values``,
    ``raw``, ``axes``, ``labels``...); ``patched_logits`` and ``top_k`` need the live model."""

    DATA = PatchingData
    RECOMPUTE = "interplay.patch(model, clean, corrupted, ...) or interplay.ablate(model, prompts, ...)"

    def patched_logits(self, cell: Sequence[int]) -> npt.NDArray[np.float32]:
        """Last-token logits [n_prompts, vocab] of the one exact patched run of ``cell`` (a float32 array)."""
        return self._live(f"the patched run of {self.data.cell_label(cell)}").patched_logits(self.data, cell)

    def top_k(self, cell: Sequence[int], k: int = 10, prompt: int = 0) -> dict[str, Any]:
        """Top-k next tokens of the clean, corrupted and patched runs of ``prompt`` for one cell,
        and the metric of the patched run (one exact forward pass)."""
        return self._live(f"the patched run of {self.data.cell_label(cell)}").cell(self.data, cell, k, prompt)

    def grid(self) -> tuple[npt.NDArray[np.float32], list[str], list[str], str, str]:
        """(2-D values, row labels, column labels, row axis, column axis) for drawing."""
        return self.data.grid()

    @property
    def value_label(self) -> str:
        return self.data.value_label

    def show(self, **kwargs: Any) -> PatchingView:
        """The :class:`~interplay.widgets.patching.PatchingView`: click a cell for the patched run's
        top tokens; switch component, metric or method (these need the live model)."""
        return PatchingView(self.data, self.session, **kwargs)

    def to_dataframe(self) -> Any:
        """One row per cell: each axis's model index (and ``token`` for positions), ``value`` and
        the patched run's ``metric``."""
        import pandas as pd

        d = self.data
        rows = []
        for cell in np.ndindex(*d.shape):
            row: dict[str, Any] = {}
            for a, c in zip(d.axes, cell, strict=True):
                row[a] = d.ranges[a][c]
                if a == "pos":
                    row["token"] = d.labels[a][c]
            row["value"] = float(d.values[cell])
            row["metric"] = float(d.raw[cell])
            rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: the grid of values on a diverging scale centred at 0."""
        import matplotlib.pyplot as plt

        d = self.data
        grid, rows, cols, row_axis, col_axis = d.grid()
        if ax is None:
            _, ax = plt.subplots(figsize=(min(16, 2 + 0.45 * len(cols)), min(12, 1.5 + 0.3 * len(rows))))
        lim = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
        lim = lim if lim > 0 else 1.0
        im = ax.imshow(grid, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xticks(range(len(cols)), [repr(c)[1:-1] if col_axis == "pos" else c for c in cols], rotation=90)
        ax.set_xlabel(col_axis)
        ax.set_ylabel(row_axis)
        ax.set_title(f"{d.component} ({d.direction}, {d.method})")
        ax.figure.colorbar(im, ax=ax, label=d.value_label)
        return ax
