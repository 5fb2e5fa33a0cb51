"""``circuitsvis.tokens`` for interplay: tokens coloured by values, as a TokenHeatmapView.

* ``colored_tokens(tokens, values)``: one row. ``min_value``/``max_value`` fix the colour limits
  (values beyond them saturate; the one not given is the values' minimum or maximum, as in
  CircuitsVis); limits on both sides of 0 centre the scale on 0, where CircuitsVis draws white.
* ``negative_color``/``positive_color`` pick one of our colour-blind-safe maps when their hues match
  it (negative blue + positive red: ``rdbu``; purple + orange: ``puor``; positive blue alone, values
  >= 0: ``blues``); other colours are refused (``interplay.circuitsvis._colors``). Neither: our
  default (``rdbu`` centred on 0 for signed values, ``viridis`` otherwise), whereas CircuitsVis
  draws positive blue and negative red.
* ``colored_tokens_multi(tokens, values [n_tokens, K], labels)``: K rows, one per kind of value
  (CircuitsVis shows one at a time, each on its own scale; ours shows all K on one shared scale).
* ``visualize_model_performance(tokens, str_tokens, logits)``: the logit, log prob and probability
  of each next token, computed in numpy, as three rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from interplay.circuitsvis import _convert
from interplay.circuitsvis._views import heatmap
from interplay.errors import ShapeError
from interplay.widgets.token_heatmap import TokenHeatmapView

__all__ = ["colored_tokens", "colored_tokens_multi", "visualize_model_performance"]


def colored_tokens(
    tokens: list[str],
    values: Any,
    min_value: float | None = None,
    max_value: float | None = None,
    negative_color: str | None = None,
    positive_color: str | None = None,
) -> TokenHeatmapView:
    """``tokens`` coloured by ``values`` (one per token: [n_tokens], torch, numpy or a list)."""
    toks = _convert.tokens(tokens)
    vals = _convert.numbers(values, "values", "[n_tokens]", 1)
    _convert.same_length(len(toks), vals.shape[0], "values", "[n_tokens]")
    return heatmap(toks, vals[None], [""], min_value=min_value, max_value=max_value,
                   negative_color=negative_color, positive_color=positive_color)


def colored_tokens_multi(
    tokens: list[str],
    values: Any,
    labels: list[str] | None = None,
) -> TokenHeatmapView:
    """``tokens`` coloured by K kinds of value, ``values`` [n_tokens, K]; ``labels`` one per kind
    (default ``"0"``..``"K-1"``, as CircuitsVis). One row per kind."""
    toks = _convert.tokens(tokens)
    vals = _convert.numbers(values, "values", "[n_tokens, K]", 2)
    _convert.same_length(len(toks), vals.shape[0], "values", "[n_tokens, K]")
    names = _convert.labels(labels, "labels", vals.shape[1], "column of values [n_tokens, K]") if labels else None
    return heatmap(toks, np.ascontiguousarray(vals.T), names or [str(i) for i in range(vals.shape[1])])


def visualize_model_performance(
    tokens: Any,
    str_tokens: list[str],
    logits: Any,
) -> TokenHeatmapView:
    """How well the model predicts each token: ``tokens`` ids [n_tokens] (or [1, n_tokens]),
    ``str_tokens`` their strings, ``logits`` [n_tokens, d_vocab] (or [1, n_tokens, d_vocab]). Rows
    ``logits``, ``log_probs``, ``probs`` of each token from 1 on, predicted from the tokens before."""
    ids = _convert.integers(tokens, "tokens", "[n_tokens] or [1, n_tokens]")
    lg = _convert.numbers(logits, "logits", "[n_tokens, d_vocab] or [1, n_tokens, d_vocab]", (2, 3))
    if lg.ndim == 3:
        if lg.shape[0] != 1:
            raise ShapeError(f"logits must be [n_tokens, d_vocab] or [1, n_tokens, d_vocab]; got {list(lg.shape)}")
        lg = lg[0]
    toks = _convert.tokens(str_tokens, "str_tokens")
    if len(toks) != len(ids):
        raise ShapeError(f"str_tokens has {len(toks)} strings but tokens has {len(ids)} ids (one string per token)")
    _convert.same_length(len(ids), lg.shape[0], "logits", "[n_tokens, d_vocab]")
    if len(ids) < 2:
        raise ShapeError("tokens must hold at least 2 tokens: each token from the second on is predicted")
    if ids.min() < 0 or ids.max() >= lg.shape[1]:
        raise ShapeError(f"tokens holds ids outside the vocabulary of logits (d_vocab = {lg.shape[1]}): "
                         f"{int(ids.min())}..{int(ids.max())}")
    pred = lg[:-1].astype(np.float64)
    log_probs = pred - pred.max(-1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
    rows = np.arange(len(ids) - 1)
    picked = np.stack([pred[rows, ids[1:]], log_probs[rows, ids[1:]], np.exp(log_probs[rows, ids[1:]])])
    return heatmap(toks[1:], picked.astype(np.float32), ["logits", "log_probs", "probs"])
