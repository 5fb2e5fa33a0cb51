"""AttentionResult: every head's summaries (and the patterns, when they fit), and the live model
that recomputes a layer's patterns or another sequence on demand."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.attention import AttentionData
from interplay.errors import InterplayError
from interplay.results.base import Result
from interplay.widgets._attention_summary import score_frame
from interplay.widgets.attention import AttentionSource, AttentionView


class AttentionResult(Result[AttentionData, AttentionSource]):
    """Head scores and thumbnails of one sequence (``data``, an :class:`AttentionData`); full
    patterns from ``data.patterns`` when held, else from the live model."""

    DATA = AttentionData
    RECOMPUTE = "interplay.attention(model, prompt)"

    def layer(self, layer: int) -> npt.NDArray[np.float32]:
        """The patterns of one layer, float32 [head, query, key]."""
        d = self.data
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < d.n_layers:
            raise InterplayError(f"layer {layer!r} is out of range (0..{d.n_layers - 1})")
        if d.patterns is not None:
            held: npt.NDArray[np.float32] = d.patterns[int(layer)].astype(np.float32, copy=False)
            return held
        return self._live(f"the patterns of layer {layer}").layer(d.batch_index, int(layer))

    def sequence(self, batch: int) -> AttentionResult:
        """The same analysis of another sequence of the batch (``data.sequences``)."""
        if isinstance(batch, bool) or not isinstance(batch, int) or not 0 <= batch < len(self.data.sequences):
            raise InterplayError(f"batch={batch!r} is out of range (0..{len(self.data.sequences) - 1})")
        if batch == self.data.batch_index:
            return self
        return AttentionResult(self._live(f"sequence {batch}").sequence(batch), self.session)

    def show(self, **kwargs: Any) -> AttentionView:
        return AttentionView(self.data, self.session, **kwargs)

    def to_dataframe(self) -> Any:
        """The score table: one row per head (layer, head), one column per score."""
        return score_frame(self.data)

    def plot(self, ax: Any = None, *, score: str = "induction") -> Any:
        """Matplotlib: one score (``data.score_names``) as a heatmap over layer x head."""
        import matplotlib.pyplot as plt

        d = self.data
        values = d.score(score)
        if ax is None:
            _, ax = plt.subplots(figsize=(1.5 + 0.45 * d.n_heads, 1 + 0.4 * d.n_layers))
        finite = values[np.isfinite(values)]
        vmax = None if score == "entropy" else 1.0
        im = ax.imshow(values, aspect="auto", cmap="viridis", vmin=0.0, vmax=vmax if finite.size else None,
                       origin="lower")
        ax.set_xlabel("head")
        ax.set_ylabel("layer")
        ax.set_xticks(range(d.n_heads))
        ax.set_yticks(range(d.n_layers))
        ax.set_title(score.replace("_", " ") + (" (nats)" if score == "entropy" else ""))
        ax.figure.colorbar(im, ax=ax, label=score)
        return ax
