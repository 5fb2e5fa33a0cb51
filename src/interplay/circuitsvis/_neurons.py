"""Activations over (layer, neuron) and tokens as token heatmaps: one row per (layer, neuron), one
view per sample (an ``ipywidgets.VBox`` of views when there are several samples)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.circuitsvis._views import heatmap
from interplay.widgets.token_heatmap import TokenHeatmapView


def row_labels(n_first: int, n_second: int, first_name: str | None, second_name: str | None,
               first_labels: Sequence[str] | None, second_labels: Sequence[str] | None) -> list[str]:
    """``"Layer 0 Neuron 3"`` (CircuitsVis's dimension names, or its labels) for every (first, second)."""
    def label(i: int, name: str | None, given: Sequence[str] | None) -> str:
        return given[i] if given is not None else f"{name or ''} {i}".strip()
    return [f"{label(a, first_name, first_labels)} {label(b, second_name, second_labels)}"
            for a in range(n_first) for b in range(n_second)]


def sample_view(tokens: list[str], acts: npt.NDArray[np.float32], labels: list[str], title: str,
                value_label: str) -> TokenHeatmapView:
    """``acts`` [n_first, n_second, n_tokens] as rows over ``tokens``."""
    rows = np.ascontiguousarray(acts.reshape(-1, acts.shape[-1]))
    return heatmap(tokens, rows, labels, title=title, value_label=value_label)


def stack(views: list[TokenHeatmapView]) -> Any:
    """One view, or a VBox of the views of several samples."""
    if len(views) == 1:
        return views[0]
    import ipywidgets

    return ipywidgets.VBox(views)
