"""What a logit lens shows: the top-k next tokens decoded from every layer's residual stream."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.errors import ShapeError


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LogitLensData(Data):
    """Top-k predictions per (layer, position); rows are ``embed``, then each layer's resid_post.

    ``top_ids`` are vocabulary ids; ``table_ids`` (sorted) and ``token_table`` give the text of
    every id that occurs in them, so the data shows its tokens without a tokenizer.
    """

    tokens: list[str]
    layer_labels: list[str]
    top_ids: npt.NDArray[np.int64] = array(("layer", "pos", "k"), np.int64)
    top_probs: npt.NDArray[np.float32] = array(("layer", "pos", "k"), np.float32)
    kl: npt.NDArray[np.float32] = array(("layer", "pos"), np.float32)  #: KL(final || layer), nats
    table_ids: npt.NDArray[np.int64] = array(("entry",), np.int64)
    token_table: list[str] = dataclasses.field(default_factory=list)
    apply_ln: bool = True
    notes: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        n_layers, n_pos, _ = self.top_ids.shape
        if self.top_probs.shape != self.top_ids.shape or self.kl.shape != (n_layers, n_pos):
            raise ShapeError(f"LogitLensData: top_ids {list(self.top_ids.shape)}, top_probs "
                             f"{list(self.top_probs.shape)} and kl {list(self.kl.shape)} disagree")
        if len(self.tokens) != n_pos or len(self.layer_labels) != n_layers:
            raise ShapeError(f"LogitLensData: {len(self.tokens)} tokens and {len(self.layer_labels)} layer labels for "
                             f"predictions of shape [layer, pos, k] = {list(self.top_ids.shape)}")
        if len(self.token_table) != len(self.table_ids):
            raise ShapeError(f"LogitLensData: {len(self.token_table)} token strings for {len(self.table_ids)} ids")

    @property
    def top_index(self) -> npt.NDArray[np.int64]:
        """Indices into ``token_table`` of every top-k id, [layer, pos, k]."""
        return np.searchsorted(self.table_ids, self.top_ids).astype(np.int64)

    @property
    def top_tokens(self) -> list[list[list[str]]]:
        """The text of every top-k prediction, [layer][pos][k]."""
        table = np.asarray(self.token_table, dtype=object)
        return table[self.top_index].tolist()  # type: ignore[no-any-return]
