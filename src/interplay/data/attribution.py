"""What an input attribution shows: a score for every (explained target, source token) pair.

One line of tokens (``tokens``/``token_ids``): the prompt (the first ``n_prompt``), the generated
tokens, and, when the last target reads the last input position, the token it explains (the one
after ``n_input``). ``scores[target, source]`` covers the model's input (``n_input`` sources); a
causal model's score is NaN for a source after its target's position. Each target is one scalar read
from the logits at ``target_positions[t]`` (which predict the token after it): the ``score_kinds[t]``
(``"logit"``, ``"logprob"``, ``"prob"``) of ``target_ids[t]`` minus that of ``contrast_ids[t]``
(-1: none), or a function of the logits (``target_ids[t] == -1``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.errors import InterplayError, ShapeError

SCORES = ("logit", "logprob", "prob")


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class AttributionData(Data):
    """Scores of every source token for each target, with what produced them.

    ``target_values``: f(x) per target; ``baseline_values`` and ``delta`` (integrated gradients):
    f(baseline) and the convergence delta ``nansum(scores) - (f(x) - f(baseline))`` per target.
    ``params``: the method's settings (JSON; a tensor baseline is recorded as ``"tensor"``).
    """

    tokens: list[str]
    token_ids: npt.NDArray[np.int64] = array(("token",), np.int64)
    n_prompt: int
    n_input: int
    scores: npt.NDArray[np.float32] = array(("target", "source"), np.float32)
    target_labels: list[str] = dataclasses.field(default_factory=list)
    target_positions: npt.NDArray[np.int64] = array(("target",), np.int64)
    target_ids: npt.NDArray[np.int64] = array(("target",), np.int64)  #: -1: a function of the logits
    contrast_ids: npt.NDArray[np.int64] = array(("target",), np.int64)  #: -1: no contrast token
    contrast_tokens: list[str] = dataclasses.field(default_factory=list)  #: text of each contrast ("" none)
    score_kinds: list[str] = dataclasses.field(default_factory=list)
    method: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    signed: bool  #: scores can be negative (a diverging colour scale)
    target_values: npt.NDArray[np.float32] = array(("target",), np.float32)
    baseline_values: npt.NDArray[np.float32] | None = array(("target",), np.float32, optional=True)
    delta: npt.NDArray[np.float32] | None = array(("target",), np.float32, optional=True)
    notes: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        n, n_targets = len(self.tokens), self.scores.shape[0]
        where = "AttributionData"
        if len(self.token_ids) != n:
            raise ShapeError(f"{where}: {n} tokens but {len(self.token_ids)} token ids")
        if not 1 <= self.n_input <= n <= self.n_input + 1 or not 0 <= self.n_prompt <= self.n_input:
            raise ShapeError(f"{where}: n_prompt={self.n_prompt} <= n_input={self.n_input} <= {n} tokens <= n_input + 1 "
                             "(the line may end with the explained token) does not hold")
        if self.scores.shape[1] != self.n_input:
            raise ShapeError(f"{where}: scores [target, source] = {list(self.scores.shape)} must have one column per "
                             f"input token ({self.n_input})")
        per_target: dict[str, Any] = {
            "target_labels": self.target_labels, "target_positions": self.target_positions,
            "target_ids": self.target_ids, "contrast_ids": self.contrast_ids, "contrast_tokens": self.contrast_tokens,
            "score_kinds": self.score_kinds, "target_values": self.target_values,
            "baseline_values": self.baseline_values, "delta": self.delta}
        bad = [f"{k} ({len(v)})" for k, v in per_target.items() if v is not None and len(v) != n_targets]
        if bad:
            raise ShapeError(f"{where}: {n_targets} targets (rows of scores) but {', '.join(bad)}")
        if n_targets and not (self.target_positions.min() >= 0 and self.target_positions.max() < self.n_input):
            raise ShapeError(f"{where}: target positions {self.target_positions.tolist()} must be input positions "
                             f"0..{self.n_input - 1}")
        unknown = sorted(set(self.score_kinds) - set(SCORES))
        if unknown:
            raise ShapeError(f"{where}: score kinds {unknown} are not among {SCORES}")

    @property
    def n_targets(self) -> int:
        return int(self.scores.shape[0])

    @property
    def input_ids(self) -> list[int]:
        """The ids the model read (``token_ids[:n_input]``)."""
        return [int(i) for i in self.token_ids[: self.n_input]]

    @property
    def row_targets(self) -> list[int]:
        """Index in ``tokens`` of the token each target explains (its position + 1)."""
        return [int(p) + 1 for p in self.target_positions]

    @property
    def gaps(self) -> npt.NDArray[np.float32] | None:
        """``f(x) - f(baseline)`` per target, where the method has a baseline."""
        if self.baseline_values is None:
            return None
        return (self.target_values - self.baseline_values).astype(np.float32)

    @property
    def settings(self) -> dict[str, str]:
        """``{method, score, contrast}`` of the first target, as the view's controls show them."""
        return {"method": self.method, "score": self.score_kinds[0] if self.score_kinds else "logit",
                "contrast": self.contrast_tokens[0] if self.contrast_tokens else ""}

    def check_explainable(self, index: Any, what: str = "index") -> int:
        """``index`` if ``tokens[index]`` can be explained (it has tokens before it), else a clear error."""
        n = len(self.tokens)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise InterplayError(f"{what} {index!r} (a {type(index).__name__}) is not a token position: it must be "
                                 f"an integer in 1..{n - 1} (token 0 has nothing before it)")
        if not 1 <= index < n:
            raise InterplayError(f"{what} {index!r} is out of range: tokens 1..{n - 1} can be explained "
                                 "(token 0 has nothing before it)")
        return int(index)
