"""``circuitsvis.attention`` for interplay: the same functions and arguments, our AttentionView back.

``cv.attention.attention_heads(attention=cache["pattern", 0][0], tokens=model.to_str_tokens(prompt))``
shows the heads of one layer ([n_heads, dest_tokens, src_tokens], torch or numpy) as layer 0 of an
:class:`~interplay.AttentionView`: every head as a thumbnail with its scores, head 0 in the detail
pane, hover and zoom in the browser. Differences from CircuitsVis:

* ``max_value``: the view's scale is fixed at 0..1 (CircuitsVis's default); another value is refused.
* ``min_value``, ``negative_color``: CircuitsVis uses them only for negative values, which softmaxed
  patterns do not have (ours refuses negative weights): accepted, no effect, as in CircuitsVis.
* ``positive_color``: the view draws viridis; any colour is refused (leave it None).
* ``mask_upper_tri``: True/False set the view's ``causal`` (masked cells above the diagonal); None
  (CircuitsVis then masks) reads causality from the patterns, so a bidirectional model is not masked.
* ``attention_head_names``: listed in the view's notes (``heads: 0 = name, ...``); the thumbnails
  keep their ``L0 H<i>`` labels.
* ``show_axis_labels``: the pattern always labels its axes with the tokens; False is refused.
"""

from __future__ import annotations

from typing import Any

from interplay.circuitsvis import _convert
from interplay.circuitsvis._views import attention_view
from interplay.errors import ShapeError, ViewError
from interplay.widgets.attention import AttentionView

__all__ = ["attention_heads", "attention_pattern", "attention_patterns"]

HEADS = "[n_heads, dest_tokens, src_tokens]"
ONE = "[dest_tokens, src_tokens]"


def _heads(attention: Any) -> Any:
    arr = _convert.numbers(attention, "attention", HEADS, (2, 3, 4))
    if arr.ndim == 4:
        hint = " (one batch item, e.g. cache['pattern', 0][0])" if arr.shape[0] == 1 else ""
        raise ShapeError(f"attention must have shape {HEADS}; got 4 axes {list(arr.shape)}: pass one "
                                  f"layer of one prompt{hint}")
    if arr.ndim == 2:
        raise ShapeError(f"attention must have shape {HEADS}; got 2 axes {list(arr.shape)}: for one head "
                                  f"use attention_pattern, or pass attention[None]")
    return arr


def attention_heads(
    attention: Any,
    tokens: list[str],
    attention_head_names: list[str] | None = None,
    max_value: float | None = None,
    min_value: float | None = None,
    negative_color: str | None = None,
    positive_color: str | None = None,
    mask_upper_tri: bool | None = None,
) -> AttentionView:
    """Attention patterns of a group of heads, ``attention`` [n_heads, dest_tokens, src_tokens]
    (torch, numpy or nested lists; e.g. ``cache["pattern", layer][0]``), ``tokens`` one string per
    position. An :class:`~interplay.AttentionView` of one layer, head 0 selected."""
    del min_value, negative_color  # no effect on softmaxed patterns, as in CircuitsVis
    toks = _convert.tokens(tokens)
    heads = _heads(attention)
    names = _convert.labels(attention_head_names, "attention_head_names", heads.shape[0], "head")
    return attention_view(toks, heads, names=names, max_value=max_value, positive_color=positive_color,
                          mask_upper_tri=mask_upper_tri, function="attention_heads", attention_shape=HEADS,
                          dtype=_convert.half_precision(attention))


def attention_patterns(
    tokens: list[str],
    attention: Any,
) -> AttentionView:
    """CircuitsVis's deprecated spelling of :func:`attention_heads` (``attention`` [n_heads,
    dest_tokens, src_tokens])."""
    toks = _convert.tokens(tokens)
    return attention_view(toks, _heads(attention), names=None, max_value=None, positive_color=None,
                          mask_upper_tri=None, function="attention_patterns", attention_shape=HEADS,
                          dtype=_convert.half_precision(attention))


def attention_pattern(
    tokens: list[str],
    attention: Any,
    max_value: float | None = None,
    min_value: float | None = None,
    negative_color: str | None = None,
    show_axis_labels: bool | None = None,
    positive_color: str | None = None,
    mask_upper_tri: bool | None = None,
) -> AttentionView:
    """One head's pattern, ``attention`` [dest_tokens, src_tokens]: an AttentionView of one head."""
    del min_value, negative_color  # no effect on softmaxed patterns, as in CircuitsVis
    if show_axis_labels is not None and not show_axis_labels:
        raise ViewError("show_axis_labels=False cannot be honoured: the AttentionView always labels the pattern's "
                        "axes with the tokens; leave it None or True")
    toks = _convert.tokens(tokens)
    arr = _convert.numbers(attention, "attention", ONE, 2)
    return attention_view(toks, arr[None], names=None, max_value=max_value, positive_color=positive_color,
                          mask_upper_tri=mask_upper_tri, function="attention_pattern", attention_shape=ONE,
                          dtype=_convert.half_precision(attention))
