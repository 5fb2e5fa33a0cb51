"""A drop-in for CircuitsVis: ``from interplay import circuitsvis as cv`` instead of
``import circuitsvis as cv``, and the same calls give interplay views.

Same modules, function names, argument names, order and defaults as CircuitsVis 1.43 (a test holds
them equal to the installed package): ``cv.attention.attention_heads`` / ``attention_patterns`` /
``attention_pattern`` give an :class:`~interplay.AttentionView`; ``cv.tokens.colored_tokens`` /
``colored_tokens_multi`` / ``visualize_model_performance``, ``cv.activations.text_neuron_activations``
and ``cv.topk_tokens.topk_tokens`` a :class:`~interplay.TokenHeatmapView` (a VBox of them for
several samples); ``cv.logits.token_log_probs`` a :class:`~interplay.LogitLensView`;
``cv.topk_samples.topk_samples`` raises a :class:`~interplay.errors.ViewError` naming the closest
views. Tensors are read by duck typing (``.detach().cpu().numpy()``): this package never imports
torch. What each argument becomes, and the values we refuse rather than draw wrongly, are in each
module's docstring.
"""

from __future__ import annotations

from interplay.circuitsvis import activations, attention, logits, tokens, topk_samples, topk_tokens

__all__ = ["activations", "attention", "logits", "tokens", "topk_samples", "topk_tokens"]
