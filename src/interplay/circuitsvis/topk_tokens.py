"""``circuitsvis.topk_tokens`` for interplay: every neuron's activation on every token, as token heatmaps.

CircuitsVis tabulates, per neuron, the ``max_k`` tokens with the highest and lowest activations. We
show the activations themselves: one :class:`~interplay.TokenHeatmapView` row per (layer, neuron)
(labelled with ``first_dimension_name``/``first_dimension_labels`` and ``third_dimension_name``),
every token's exact value on hover, the extremes standing out by colour. ``max_k`` therefore has no
effect (every token is shown; it must still be a positive integer). Several samples give an
``ipywidgets.VBox`` of one view per sample, titled by ``sample_labels``. At most 8 MiB of values per
sample (2M numbers) travel in one view: slice the neurons for more.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from interplay.circuitsvis import _convert
from interplay.circuitsvis._neurons import row_labels, sample_view, stack
from interplay.errors import ShapeError, ViewError

__all__ = ["topk_tokens"]

SHAPE = "[n_layers, n_tokens, n_neurons]"


def topk_tokens(
    tokens: list[list[str]],
    activations: list[Any],
    max_k: int = 10,
    first_dimension_name: str = "Layer",
    third_dimension_name: str = "Neuron",
    sample_labels: list[str] | None = None,
    first_dimension_labels: list[str] | None = None,
) -> Any:
    """``tokens`` one list of strings per sample; ``activations`` one array per sample, each
    [n_layers, n_tokens, n_neurons] (torch or numpy). A TokenHeatmapView (a VBox of them for
    several samples) with one row per (layer, neuron)."""
    if isinstance(max_k, bool) or not isinstance(max_k, (int, np.integer)) or max_k < 1:
        raise ViewError(f"max_k must be a positive integer; got {max_k!r}")
    if isinstance(tokens, str) or not isinstance(tokens, (list, tuple)) or not tokens \
            or not all(isinstance(t, (list, tuple)) for t in tokens):
        raise ViewError("tokens must be a list with one list of token strings per sample (e.g. [['A', ' person']]); "
                        f"got {type(tokens).__name__}")
    if not isinstance(activations, (list, tuple)):
        raise ViewError(f"activations must be a list with one array {SHAPE} per sample; got "
                        f"{type(activations).__name__} (wrap one sample's array in a list)")
    if len(tokens) != len(activations):
        raise ShapeError(f"tokens has {len(tokens)} samples but activations has {len(activations)} (one array "
                         f"{SHAPE} per sample)")
    titles = _convert.labels(sample_labels, "sample_labels", len(tokens), "sample")
    views = []
    for i, (toks, act) in enumerate(zip(tokens, activations, strict=True)):
        toks = _convert.tokens(toks, f"tokens[{i}]")
        arr = _convert.numbers(act, f"activations[{i}]", SHAPE, 3)
        _convert.same_length(len(toks), arr.shape[1], f"activations[{i}]", SHAPE)
        firsts = _convert.labels(first_dimension_labels, "first_dimension_labels", arr.shape[0],
                                 f"{first_dimension_name.lower()} (first dimension)")
        labels = row_labels(arr.shape[0], arr.shape[2], first_dimension_name, third_dimension_name, firsts, None)
        title = titles[i] if titles is not None else (f"Sample {i}" if len(tokens) > 1 else "")
        views.append(sample_view(toks, arr.transpose(0, 2, 1), labels, title, "activation"))
    return stack(views)
