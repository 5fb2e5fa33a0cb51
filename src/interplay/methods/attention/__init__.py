"""Attention patterns, summarised: every head's thumbnail and scores, for any length of context.

A head's pattern ``A[q, k]`` is the softmaxed weight that query position q puts on key k. Reading
heads by their summaries is how induction and previous-token heads were found (Olsson et al. 2022,
"In-context learning and induction heads"; Elhage et al. 2021, "A Mathematical Framework for
Transformer Circuits"): per head, ``previous_token`` (mean ``A[q, q-1]``), ``induction`` (attention to
the token right after an earlier occurrence of the current one), ``duplicate_token`` (attention to
those earlier occurrences), ``bos`` (attention parked on the first token), ``self`` and ``entropy``
(definitions: :mod:`interplay.widgets._attention_summary`).

    >>> att = interplay.attention(model, "When Mary and John went to the store, John gave a drink to")
    >>> att.show()                                   # all heads; click one for its pattern
    >>> att.to_dataframe().sort_values("induction")  # the score table
    >>> interplay.attention(trace, batch=1)          # a trace: its captured patterns, or the model's

The model runs once, and every layer is summarised as it passes (an observing intervention), so a
4,096-token, 12 x 12 model never needs all its patterns at once. The patterns are kept in the result
when they fit in ``keep_bytes`` (float32, else float16; a saved result then keeps them too);
otherwise a layer's patterns are recomputed when the view asks, by a forward pass that stops right
after that layer, and the ``cache_layers`` most recent layers are kept. Patterns you already hold go
straight to ``interplay.AttentionView.from_arrays(tokens, patterns)`` (numpy only).

Package shape (as every method family): this entry point, the result
(:class:`interplay.results.attention.AttentionResult`, numpy only) and the engine (:mod:`.engine`,
torch: the forward passes and the live session behind the view).
"""

from __future__ import annotations

from interplay.methods.attention.engine import AttentionSession, attention
from interplay.results.attention import AttentionResult

__all__ = ["AttentionResult", "AttentionSession", "attention"]
