"""``circuitsvis.topk_samples`` has no interplay equivalent: it lists, per (layer, neuron), whole
samples (each with its own tokens) ranked by their largest activation. Our token views show one
sequence of tokens per view, so this raises a :class:`~interplay.errors.ViewError` that names the
closest views: ``interplay.TokenHeatmapView.from_arrays(sample_tokens, sample_activations)`` for
one sample, ``cv.activations.text_neuron_activations`` for several samples at once."""

from __future__ import annotations

from typing import Any

from interplay.errors import ViewError

__all__ = ["topk_samples"]


def topk_samples(
    tokens: list[list[list[list[str]]]],
    activations: list[list[list[list[float]]]],
    zeroth_dimension_name: str | None = "Layer",
    first_dimension_name: str | None = "Neuron",
    zeroth_dimension_labels: list[str] | None = None,
    first_dimension_labels: list[str] | None = None,
) -> Any:
    """Not supported (see the module): raises a ViewError naming the closest views."""
    raise ViewError(
        "circuitsvis.topk_samples has no interplay view: it ranks whole samples (each with its own tokens) per "
        f"{zeroth_dimension_name or 'layer'} and {first_dimension_name or 'neuron'}. Closest: "
        "interplay.TokenHeatmapView.from_arrays(tokens[l][n][s], activations[l][n][s]) shows one sample's tokens "
        "coloured by activation; interplay.circuitsvis.activations.text_neuron_activations(samples, [array "
        "[n_tokens, n_layers, n_neurons] per sample]) shows several samples, one heatmap each")
