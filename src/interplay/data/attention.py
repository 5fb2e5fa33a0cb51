"""What an attention view shows: every head summarised (scores and thumbnails), and optionally the
full patterns.

A head's pattern ``A[q, k]`` is the softmaxed weight query position q puts on key k. The summaries
are small whatever the context length (a 12 x 12 model at 4,096 tokens: 144 thumbnails of 32 x 32
and 6 x 144 scores); the full patterns ([layer, head, query, key], 2.4 GB in float32 at that length)
are held only when they fit (``patterns``), otherwise the live model recomputes a layer on demand.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.errors import InterplayError, ShapeError

#: The head scores, in the order of ``AttentionData.scores`` (definitions:
#: :mod:`interplay.widgets._attention_summary`).
SCORE_NAMES = ("previous_token", "induction", "duplicate_token", "bos", "self", "entropy")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class AttentionData(Data):
    """Summaries of every head for one sequence (``batch_index`` of ``sequences``).

    ``scores`` [score, layer, head] (NaN where undefined, e.g. induction on a text that repeats
    nothing); ``thumbnails`` [layer, head, T, T]: each pattern max-pooled by ``thumb_stride``
    positions per cell (T = ceil(n / thumb_stride) <= 32); ``token_ids`` the vocabulary ids when known
    (the scores then compare ids, else token strings); ``patterns`` [layer, head, query, key] in
    float16 or float32, or None when the live model recomputes them on demand.
    """

    tokens: list[str]
    n_layers: int
    n_heads: int
    causal: bool
    scores: npt.NDArray[np.float32] = array(("score", "layer", "head"), np.float32)
    thumbnails: npt.NDArray[np.float32] = array(("layer", "head", "query", "key"), np.float32)
    thumb_stride: int = 1
    score_names: list[str] = dataclasses.field(default_factory=lambda: list(SCORE_NAMES))
    token_ids: npt.NDArray[np.int64] | None = array(("pos",), np.int64, optional=True)
    patterns: npt.NDArray[np.floating] | None = array(("layer", "head", "query", "key"), optional=True)
    notes: list[str] = dataclasses.field(default_factory=list)
    sequences: list[str] = dataclasses.field(default_factory=lambda: [""])
    batch_index: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        n, layers, heads = len(self.tokens), self.n_layers, self.n_heads
        if self.scores.shape != (len(self.score_names), layers, heads):
            raise ShapeError(f"AttentionData: scores {list(self.scores.shape)} should be [score, layer, head] = "
                             f"[{len(self.score_names)}, {layers}, {heads}]")
        side = math.ceil(n / max(1, self.thumb_stride))
        if self.thumbnails.shape != (layers, heads, side, side):
            raise ShapeError(f"AttentionData: thumbnails {list(self.thumbnails.shape)} should be [layer, head, T, T] = "
                             f"[{layers}, {heads}, {side}, {side}] ({n} tokens at stride {self.thumb_stride})")
        if self.token_ids is not None and self.token_ids.shape != (n,):
            raise ShapeError(f"AttentionData: {n} tokens but {self.token_ids.shape[0]} token ids")
        if self.patterns is not None:
            if self.patterns.shape != (layers, heads, n, n):
                raise ShapeError(f"AttentionData: patterns {list(self.patterns.shape)} should be [layer, head, query, "
                                 f"key] = [{layers}, {heads}, {n}, {n}]")
            if self.patterns.dtype not in (np.float16, np.float32):
                object.__setattr__(self, "patterns", self.patterns.astype(np.float32))
        if not self.sequences or not 0 <= self.batch_index < len(self.sequences):
            raise ShapeError(f"AttentionData: batch_index {self.batch_index} is not one of the "
                             f"{len(self.sequences)} sequences")

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    def score(self, name: str) -> npt.NDArray[np.float32]:
        """One score over [layer, head]."""
        if name not in self.score_names:
            raise InterplayError(f"unknown score {name!r}; scores: {', '.join(self.score_names)}")
        out: npt.NDArray[np.float32] = self.scores[self.score_names.index(name)]
        return out
