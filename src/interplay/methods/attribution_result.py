"""The result of an input attribution: scores per target and source token, with what produced them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from interplay.errors import InterplayError

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.methods._gradients import Target


@dataclass(frozen=True)
class AttributionResult:
    """Scores of every source token for each target: ``scores[target, source]``.

    ``tokens`` / ``token_ids``: the input (the first ``n_prompt`` are the prompt, the rest were
    generated). A causal model's score is NaN for a source after its target's position. ``delta``
    (integrated gradients): ``scores.sum() - (target_values - baseline_values)`` per target.
    """

    model: Model = field(repr=False)
    tokens: list[str]
    token_ids: list[int]
    n_prompt: int
    scores: npt.NDArray[np.float32]  #: [target, source]
    targets: tuple[Target, ...] = field(repr=False)
    method: str
    params: Mapping[str, Any]
    signed: bool  #: scores can be negative
    target_values: npt.NDArray[np.float32]  #: f(x) per target
    baseline_values: npt.NDArray[np.float32] | None = None  #: f(baseline) per target (integrated gradients)
    delta: npt.NDArray[np.float32] | None = None  #: convergence delta per target (integrated gradients)
    notes: list[str] = field(default_factory=list)

    @property
    def target_labels(self) -> list[str]:
        return [t.label for t in self.targets]

    @property
    def target_positions(self) -> list[int]:
        return [t.position for t in self.targets]

    @property
    def values(self) -> npt.NDArray[np.float32]:
        """The scores of the one target (``scores[0]``); for several targets use ``scores``."""
        if self.scores.shape[0] != 1:
            raise InterplayError(f"this result has {self.scores.shape[0]} targets: use .scores[target]")
        row: npt.NDArray[np.float32] = self.scores[0]
        return row

    @property
    def sequence_ids(self) -> list[int]:
        """The input ids, plus the explained token when the last target reads the last position."""
        last = self.targets[-1]
        if last.position == len(self.token_ids) - 1 and last.token_id is not None:
            return [*self.token_ids, last.token_id]
        return list(self.token_ids)

    @property
    def sequence(self) -> list[str]:
        """Token strings of :attr:`sequence_ids` (what the view shows in one line)."""
        from interplay.backend.tokens import token_strings

        extra = self.sequence_ids[len(self.token_ids):]
        return [*self.tokens, *token_strings(self.model.tokenizer, extra)]

    def explain(self, index: int, method: str | None = None, *, score: str | None = None,
                contrast: str | int | None = None, progress: Any = False, **params: Any) -> AttributionResult:
        """Attribute the token at ``sequence[index]`` (``index >= 1``) to the tokens before it,
        with this result's method and settings unless given."""
        import torch

        from interplay.methods.attribution import make_target, run_method

        seq = self.sequence_ids
        if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index < len(seq):
            raise InterplayError(f"index {index!r} is out of range: tokens 1..{len(seq) - 1} can be explained "
                                 "(token 0 has nothing before it)")
        if not self.model.cfg.causal:
            raise InterplayError("explain() reads the next-token prediction: it needs a causal model")
        method, params = self._settings(method, params)
        target = seq[index] if contrast in (None, "") else (seq[index], contrast)  # type: ignore[assignment]
        t = make_target(self.model, target, index - 1, score=score or self._score())
        return run_method(self.model, torch.tensor(seq[:index]), [t], method, progress=progress,
                          n_prompt=min(self.n_prompt, index), **params)

    def rerun(self, method: str | None = None, *, score: str | None = None, contrast: str | int | None = None,
              progress: Any = False, **params: Any) -> AttributionResult:
        """Every target again, with another method, score or contrast token."""
        import torch

        from interplay.methods.attribution import make_target, run_method

        method, params = self._settings(method, params)
        targets = [t if t.fn is not None or t.token_id is None else
                   make_target(self.model, t.token_id if contrast in (None, "") else (t.token_id, contrast),  # type: ignore[arg-type]
                               t.position, score=score or t.score)
                   for t in self.targets]
        return run_method(self.model, torch.tensor(self.token_ids), targets, method, progress=progress,
                          n_prompt=self.n_prompt, **params)

    def _score(self) -> str:
        return self.targets[-1].score if self.targets[-1].fn is None else "logit"

    def _settings(self, method: str | None, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        from interplay.methods.attribution import get_method

        name = get_method(method).name if method is not None else self.method
        if name != self.method:
            return name, params
        kept = {k: v for k, v in self.params.items() if not (k == "baseline" and v == "tensor")}
        return name, {**kept, **params}

    def to_dataframe(self) -> Any:
        """Long format: one row per (target, source) with a score."""
        import pandas as pd

        rows = []
        for r, t in enumerate(self.targets):
            for i, tok in enumerate(self.tokens):
                v = float(self.scores[r, i])
                if v == v:
                    rows.append({"target": t.label, "target_position": t.position, "source_position": i,
                                 "source_token": tok, "score": v, "method": self.method})
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: bars over the source tokens (one target) or a [target, source] heatmap."""
        import matplotlib.pyplot as plt

        labels = [repr(t)[1:-1] for t in self.tokens]
        r, n = self.scores.shape
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.45 * n), 2.5 if r == 1 else 1 + 0.35 * r))
        if r == 1:
            v = np.nan_to_num(self.scores[0])
            ax.bar(range(n), v, color=["#b2182b" if x >= 0 else "#2166ac" for x in v])
            ax.set_ylabel(self.method)
        else:
            lim = float(np.nanmax(np.abs(self.scores))) or 1.0
            im = ax.imshow(self.scores, aspect="auto", cmap="RdBu_r" if self.signed else "viridis",
                           vmin=-lim if self.signed else 0.0, vmax=lim)
            ax.set_yticks(range(r), [t.label for t in self.targets])
            ax.figure.colorbar(im, ax=ax, label=self.method)
        ax.set_xticks(range(n), labels, rotation=90)
        ax.set_title(self.targets[0].label if r == 1 else f"{self.method}: {r} targets")
        return ax

    def show(self, **kwargs: Any) -> Any:
        """The :class:`~interplay.AttributionView` of this result."""
        from interplay.widgets.attribution import AttributionView

        return AttributionView(self, **kwargs)
