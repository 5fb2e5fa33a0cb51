"""What a steering run shows: two greedy continuations (without and with the vector) and the change
in the next-token distribution."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from interplay.data.base import Data
from interplay.errors import ShapeError


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SteeringData(Data):
    """``coeff * vector`` added to ``component`` at ``layer`` while generating from ``prompt``.

    ``baseline_text``/``steered_text``: the greedy continuations (decoded), ``*_tokens`` their
    tokens as text; ``next_tokens``: the top-k next tokens before and after,
    ``{"baseline": {"tokens": [...], "probs": [...]}, "steered": {...}}``; ``kl``:
    KL(baseline || steered) of the next-token distribution, in nats; ``changes``: ``[token,
    p_before, p_after]`` for the tokens whose probability moved most, largest change first.
    """

    prompt: str
    layer: int
    coeff: float
    baseline_text: str
    steered_text: str
    baseline_tokens: list[str]
    steered_tokens: list[str]
    next_tokens: dict[str, Any]
    kl: float
    changes: list[list[Any]]  #: [token, p_before, p_after] (tuples are stored as lists)
    component: str = "resid_pre"

    def __post_init__(self) -> None:
        super().__post_init__()
        for i, row in enumerate(self.changes):
            if (not isinstance(row, (list, tuple)) or len(row) != 3 or not isinstance(row[0], str)
                    or not all(isinstance(x, (int, float)) for x in row[1:])):
                raise ShapeError(f"SteeringData.changes[{i}] = {row!r}: each change is [token, p_before, p_after]")
        for key in ("baseline", "steered"):
            entry = self.next_tokens.get(key)
            if not isinstance(entry, dict) or len(entry.get("tokens", [])) != len(entry.get("probs", [None])):
                raise ShapeError(f"SteeringData.next_tokens[{key!r}] must be {{'tokens': [...], 'probs': [...]}} "
                                 "of equal length")
        if not isinstance(self.kl, (int, float)) or (math.isfinite(self.kl) and self.kl < -1e-6):
            raise ShapeError(f"SteeringData.kl = {self.kl!r} must be a number >= 0 (nats)")
