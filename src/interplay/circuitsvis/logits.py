"""``circuitsvis.logits`` for interplay: a model's predictions at each position, as a LogitLensView.

``token_log_probs(token_indices, log_probs, to_string, top_k=10)`` becomes a one-row
:class:`~interplay.LogitLensView` (row ``output``: the distribution whose log probs were given):
each cell names the top prediction after that token and shows the ``top_k`` predictions with their
probabilities on hover, coloured by the top-1 probability. As in CircuitsVis the last position is
dropped (its next token is unknown), so the columns are the input tokens ``0..N-2``, each predicting
the next. Not shown (unlike CircuitsVis, which colours each token by it): the log probability and
rank of the token that actually came next; it is visible in the tooltip when it ranks in the top k.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from interplay.circuitsvis import _convert
from interplay.data.logit_lens import LogitLensData
from interplay.errors import ShapeError, ViewError
from interplay.widgets.logit_lens import LogitLensView

__all__ = ["token_log_probs"]


def token_log_probs(
    token_indices: Any,
    log_probs: Any,
    to_string: Callable[[int], str],
    top_k: int = 10,
) -> LogitLensView:
    """``token_indices`` [N] (or [1, N]) token ids starting with BOS, ``log_probs`` [N, d_vocab] (or
    [1, N, d_vocab]) log probabilities of the next token, ``to_string`` id -> string."""
    ids = _convert.integers(token_indices, "token_indices", "[N] (or [1, N])")
    lp = _convert.numbers(log_probs, "log_probs", "[N, d_vocab] (or [1, N, d_vocab])", (2, 3))
    if lp.ndim == 3:
        if lp.shape[0] != 1:
            raise ShapeError(f"log_probs must be [N, d_vocab] or [1, N, d_vocab]; got {list(lp.shape)}")
        lp = lp[0]
    if lp.shape[0] != len(ids):
        raise ShapeError(f"log_probs has {lp.shape[0]} positions but token_indices has {len(ids)} (log_probs "
                         f"[N, d_vocab] with N = len(token_indices) = {len(ids)})")
    if len(ids) < 2:
        raise ShapeError("token_indices must hold at least 2 tokens (the last position predicts nothing shown)")
    if not callable(to_string):
        raise ViewError(f"to_string must be a function from a token id to its string; got {type(to_string).__name__}")
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or not 1 <= top_k <= lp.shape[1]:
        raise ViewError(f"top_k must be an integer in 1..d_vocab ({lp.shape[1]}); got {top_k!r}")
    pred = lp[:-1]
    top = np.argpartition(-pred, top_k - 1, axis=-1)[:, :top_k]
    order = np.argsort(-np.take_along_axis(pred, top, -1), axis=-1, kind="stable")
    top = np.take_along_axis(top, order, -1).astype(np.int64)
    probs = np.exp(np.take_along_axis(pred, top, -1).astype(np.float64)).astype(np.float32)
    table = np.unique(top)
    strings = [_string(to_string, int(i)) for i in table]
    data = LogitLensData(
        tokens=[_string(to_string, int(i)) for i in ids[:-1]], layer_labels=["output"], top_ids=top[None],
        top_probs=probs[None], kl=np.zeros((1, len(ids) - 1), np.float32), table_ids=table, token_table=strings,
        notes=["from circuitsvis.logits.token_log_probs: one row, the given log probs; each column predicts the "
               "next token"])
    return LogitLensView(data)


def _string(to_string: Callable[[int], str], index: int) -> str:
    text = to_string(index)
    if not isinstance(text, str):
        raise ViewError(f"to_string({index}) returned {type(text).__name__}, not a string")
    return text
