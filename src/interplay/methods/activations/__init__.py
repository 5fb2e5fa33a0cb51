"""Activation heatmaps: one number per token and layer (or head), to see where something happens.

An activation is a vector per token (the residual stream after a block, a head's output, the MLP's
neurons). Reducing each vector to one number (its L2 norm by default, or its mean or maximum) gives a
[layer, token] picture: a token whose residual norm jumps at some layer, a head that writes a lot at
one position, the first token whose residual norm dwarfs every other's from an early layer on (Sun
et al. 2024, "Massive Activations in Large Language Models"). It is a first look, not an
explanation: a large norm says that something is written, not what.

    >>> trace = model.run("When Mary and John went to the store", capture="resid_post")
    >>> interplay.heatmap(trace, "resid_post").show()        # one row per layer
    >>> interplay.heatmap(model, "When Mary", key=("z", 0))  # one row per head of layer 0
    >>> interplay.heatmap(trace, "mlp_out", reduce="max").to_dataframe()

Package shape (as every method family): this entry point, the result
(:class:`interplay.results.heatmap.HeatmapResult`, numpy only; its view is the static
:class:`~interplay.widgets.token_heatmap.TokenHeatmapView`) and the engine (:mod:`.engine`, torch).
"""

from __future__ import annotations

from interplay.methods.activations.engine import REDUCE, heatmap
from interplay.results.heatmap import HeatmapResult

__all__ = ["REDUCE", "HeatmapResult", "heatmap"]
