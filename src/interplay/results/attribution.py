"""AttributionResult: the scores of every source token per target (``data``), and the live model that
explains another token or recomputes the rows with other settings on demand."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from interplay.data.attribution import AttributionData
from interplay.errors import InterplayError
from interplay.results.base import Result
from interplay.widgets.attribution import AttributionSource, AttributionView, Progress


class LiveAttribution(AttributionSource, Protocol):
    """The view's source, plus what a result asks: the method's parameters, and the session of a
    result it computed."""

    def explain(self, target_pos: int, method: str, score: str, contrast: str | int | None,
                progress: bool | Progress, **params: Any) -> AttributionData: ...

    def rerun(self, method: str, score: str, contrast: str | int | None, progress: bool | Progress,
              **params: Any) -> AttributionData: ...

    def derive(self, data: AttributionData) -> LiveAttribution: ...


class AttributionResult(Result[AttributionData, LiveAttribution]):
    """Scores of every source token for each target: ``scores[target, source]`` (``data``, an
    :class:`~interplay.data.attribution.AttributionData`; its fields read as attributes: ``n_prompt``,
    ``target_labels``, ``target_values``, ``delta``...). ``tokens``/``token_ids`` are the model's
    input (one per column of ``scores``), ``sequence`` the line the view shows.
    ``explain()`` and ``rerun()`` need the live model."""

    DATA = AttributionData
    RECOMPUTE = "interplay.attribute(model, prompt, target=...)"

    @property
    def values(self) -> npt.NDArray[np.float32]:
        """The scores of the one target (``scores[0]``); for several targets use ``scores``."""
        if self.data.n_targets != 1:
            raise InterplayError(f"this result has {self.data.n_targets} targets: use .scores[target]")
        row: npt.NDArray[np.float32] = self.data.scores[0]
        return row

    @property
    def tokens(self) -> list[str]:
        """The model's input tokens: one per column of ``scores`` (``data.tokens[:n_input]``)."""
        return list(self.data.tokens[: self.data.n_input])

    @property
    def token_ids(self) -> list[int]:
        """Their ids (``data.token_ids[:n_input]``)."""
        return self.data.input_ids

    @property
    def sequence(self) -> list[str]:
        """The line the view shows: the input, plus the explained token when the last target reads
        the last position (``data.tokens``)."""
        return list(self.data.tokens)

    @property
    def sequence_ids(self) -> list[int]:
        """Ids of :attr:`sequence` (``data.token_ids``)."""
        return [int(i) for i in self.data.token_ids]

    def _score(self, score: str | None) -> str:
        return score or (self.data.score_kinds[-1] if self.data.score_kinds else "logit")

    def explain(self, index: int, method: str | None = None, *, score: str | None = None,
                contrast: str | int | None = None, progress: Any = False, **params: Any) -> AttributionResult:
        """Attribute the token at ``sequence[index]`` (``index >= 1``) to the tokens before it, with this
        result's method and settings unless given."""
        index = self.data.check_explainable(index)
        session = self._live(f"explaining the token {self.data.tokens[index]!r}")
        data = session.explain(index, method or self.data.method, self._score(score), contrast, progress, **params)
        return AttributionResult(data, session.derive(data))

    def rerun(self, method: str | None = None, *, score: str | None = None, contrast: str | int | None = None,
              progress: Any = False, **params: Any) -> AttributionResult:
        """Every target again, with another method, score or contrast token."""
        session = self._live("recomputing the attribution")
        data = session.rerun(method or self.data.method, self._score(score), contrast, progress, **params)
        return AttributionResult(data, session.derive(data))

    def show(self, **kwargs: Any) -> AttributionView:
        """The :class:`~interplay.widgets.attribution.AttributionView` of this result."""
        return AttributionView(self.data, self.session, **kwargs)

    def to_dataframe(self) -> Any:
        """Long format: one row per (target, source) with a score."""
        import pandas as pd

        d = self.data
        rows = [{"target": d.target_labels[r], "target_position": int(d.target_positions[r]), "source_position": i,
                 "source_token": d.tokens[i], "score": float(d.scores[r, i]), "method": d.method}
                for r in range(d.n_targets) for i in range(d.n_input) if np.isfinite(d.scores[r, i])]
        return pd.DataFrame(rows, columns=["target", "target_position", "source_position", "source_token", "score",
                                           "method"])

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: bars over the source tokens (one target) or a [target, source] heatmap."""
        import matplotlib.pyplot as plt

        d = self.data
        labels = [repr(t)[1:-1] for t in d.tokens[: d.n_input]]
        r, n = d.scores.shape
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.45 * n), 2.5 if r == 1 else 1 + 0.35 * r))
        if r == 1:
            v = np.nan_to_num(d.scores[0])
            ax.bar(range(n), v, color=["#b2182b" if x >= 0 else "#2166ac" for x in v])
            ax.set_ylabel(d.method)
        else:
            lim = float(np.nanmax(np.abs(d.scores))) or 1.0
            im = ax.imshow(d.scores, aspect="auto", cmap="RdBu_r" if d.signed else "viridis",
                           vmin=-lim if d.signed else 0.0, vmax=lim)
            ax.set_yticks(range(r), d.target_labels)
            ax.figure.colorbar(im, ax=ax, label=d.method)
        ax.set_xticks(range(n), labels, rotation=90)
        ax.set_title(d.target_labels[0] if r == 1 else f"{d.method}: {r} targets")
        return ax
