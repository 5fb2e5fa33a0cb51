"""LogitLensResult: the lens's data, and the live model that decodes a target on demand."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.logit_lens import LogitLensData
from interplay.results.base import Result
from interplay.widgets.logit_lens import LogitLensSource, LogitLensView


class LogitLensResult(Result[LogitLensData, LogitLensSource]):
    """Top-k predictions per (layer, position) (``data``, a :class:`LogitLensData`); ``target()``
    needs the live model."""

    DATA = LogitLensData
    RECOMPUTE = "interplay.logit_lens(model, prompt)"

    def target(self, token: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
        """Probability and rank (0 = top) of ``token`` at every (layer, position)."""
        return self._live(f"the target {token!r}").target(token, self.data.apply_ln)

    def relens(self, *, apply_ln: bool) -> LogitLensResult:
        """The same residual streams decoded again, with or without the final norm."""
        return LogitLensResult(self._live("switching the final norm").relens(apply_ln), self.session)

    def show(self, **kwargs: Any) -> LogitLensView:
        return LogitLensView(self.data, self.session, **kwargs)

    def to_dataframe(self) -> Any:
        """Long format: layer, pos, token, rank, prediction, prob (one row per top-k entry)."""
        import pandas as pd

        d = self.data
        tops = d.top_tokens
        rows = [{"layer": label, "pos": p, "token": d.tokens[p], "rank": r, "prediction": tops[li][p][r],
                 "prob": float(d.top_probs[li, p, r])}
                for li, label in enumerate(d.layer_labels) for p in range(len(d.tokens))
                for r in range(d.top_ids.shape[2])]
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: top-1 probability per layer and position, with the top-1 token written in."""
        import matplotlib.pyplot as plt

        d = self.data
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4, 0.7 * len(d.tokens)), 0.45 * len(d.layer_labels) + 1))
        im = ax.imshow(d.top_probs[:, :, 0], aspect="auto", cmap="viridis", vmin=0, vmax=1, origin="lower")
        tops = d.top_tokens
        for li in range(len(d.layer_labels)):
            for p in range(len(d.tokens)):
                ax.text(p, li, repr(tops[li][p][0])[1:-1], ha="center", va="center", fontsize=7,
                        color="white" if d.top_probs[li, p, 0] < 0.5 else "black")
        ax.set_xticks(range(len(d.tokens)), [repr(t)[1:-1] for t in d.tokens], rotation=90)
        ax.set_yticks(range(len(d.layer_labels)), d.layer_labels)
        ax.figure.colorbar(im, ax=ax, label="top-1 probability")
        return ax
