"""``circuitsvis.activations`` for interplay: neuron activations over a text, as token heatmaps.

``text_neuron_activations(tokens, activations [n_tokens, n_layers, n_neurons])``: CircuitsVis
picks one (layer, neuron) at a time from drop-downs; we show one :class:`~interplay.TokenHeatmapView`
row per (layer, neuron) (labelled with the dimension names, or the labels given), all at once.
Several samples (lists of tokens and of arrays) give an ``ipywidgets.VBox`` of one view per sample.
"""

from __future__ import annotations

from typing import Any

from interplay.circuitsvis import _convert
from interplay.circuitsvis._neurons import row_labels, sample_view, stack
from interplay.errors import ShapeError, ViewError

__all__ = ["text_neuron_activations"]

SHAPE = "[n_tokens, n_layers, n_neurons]"


def text_neuron_activations(
    tokens: list[str] | list[list[str]],
    activations: Any,
    first_dimension_name: str | None = "Layer",
    second_dimension_name: str | None = "Neuron",
    first_dimension_labels: list[str] | None = None,
    second_dimension_labels: list[str] | None = None,
) -> Any:
    """``tokens`` (one list of strings, or one per sample) and ``activations`` [n_tokens, n_layers,
    n_neurons] (or a list of them, one per sample; torch or numpy)."""
    for name, value in (("first_dimension_name", first_dimension_name), ("second_dimension_name", second_dimension_name)):
        if value is not None and not isinstance(value, str):
            raise ViewError(f"{name} must be a string (e.g. 'Layer') or None; got {value!r} (a {type(value).__name__})")
    single = isinstance(tokens, (list, tuple)) and bool(tokens) and all(isinstance(t, str) for t in tokens)
    samples: list[Any]
    acts: list[Any]
    if single:
        samples, acts = [tokens], [activations]
    elif isinstance(tokens, (list, tuple)) and tokens and all(isinstance(t, (list, tuple)) for t in tokens):
        if not isinstance(activations, (list, tuple)):
            raise ViewError(f"activations must be a list of arrays {SHAPE}, one per sample, when tokens is a list "
                            f"of samples; got {type(activations).__name__}")
        if len(tokens) != len(activations):
            raise ShapeError(f"tokens has {len(tokens)} samples but activations has {len(activations)}")
        samples, acts = list(tokens), list(activations)
    else:
        raise ViewError("tokens must be a list of token strings, or a list of such lists (one per sample); got "
                        f"{type(tokens).__name__}")
    views = []
    for i, (toks, act) in enumerate(zip(samples, acts, strict=True)):
        where = "" if single else f"[{i}]"
        toks = _convert.tokens(toks, f"tokens{where}")
        arr = _convert.numbers(act, f"activations{where}", SHAPE, 3)
        _convert.same_length(len(toks), arr.shape[0], f"activations{where}", SHAPE)
        firsts = _convert.labels(first_dimension_labels, "first_dimension_labels", arr.shape[1], "layer")
        seconds = _convert.labels(second_dimension_labels, "second_dimension_labels", arr.shape[2], "neuron")
        labels = row_labels(arr.shape[1], arr.shape[2], first_dimension_name, second_dimension_name, firsts, seconds)
        views.append(sample_view(toks, arr.transpose(1, 2, 0), labels, "" if single else f"Sample {i}", "activation"))
    return stack(views)
