"""Trace: what one forward pass produced (tokens, logits, and the captured activations)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from interplay.backend.names import NameLike, resolve
from interplay.errors import HookNameError, InterplayError

if TYPE_CHECKING:
    from interplay.backend.model import Model


@dataclass
class Trace:
    """The result of :meth:`Model.run`.

    ``trace["resid_post", 3]`` / ``trace["blocks.3.hook_resid_post"]`` give an activation with its batch
    axis ([batch, pos, ...]); padded positions (``attention_mask == 0``) hold padding's activations.
    ``tokens`` is a list of strings for one prompt, a list of lists for a batch (unpadded).
    """

    model: Model
    prompts: list[str]
    token_ids: torch.Tensor
    attention_mask: torch.Tensor
    lengths: list[int]
    logits: torch.Tensor | None
    activations: dict[str, torch.Tensor] = field(default_factory=dict)
    batched: bool = False
    str_tokens: list[list[str]] = field(default_factory=list)

    @property
    def tokens(self) -> list[str] | list[list[str]]:
        return self.str_tokens if self.batched else self.str_tokens[0]

    def __getitem__(self, key: NameLike) -> torch.Tensor:
        names = self._resolve(key)
        if len(names) != 1:
            raise HookNameError(
                f"{key!r} names {len(names)} activations (one per layer); ask for one, e.g. ({key!r}, 0), "
                "or use trace.stack(name)"
            )
        return self.activations[names[0]]

    def _resolve(self, key: NameLike) -> list[str]:
        if isinstance(key, str) and key in self.activations:  # a dictionary's record, e.g. "...sae.acts"
            return [key]
        try:
            names = resolve(key, self.model.cfg.n_layers, self.model.layout.names)
        except HookNameError as exc:
            raise type(exc)(f"trace[{key!r:.60}]: {exc}") from None
        missing = [n for n in names if n not in self.activations]
        if missing:
            have = ", ".join(self.activations) or "nothing"
            raise HookNameError(
                f"{missing[0]!r} was not captured in this run (captured: {have}); "
                f"pass capture=[{key!r}] to model.run"
            )
        return names

    def stack(self, key: str) -> torch.Tensor:
        """Every layer's activation for a short block name, stacked: [layer, batch, pos, ...]."""
        return torch.stack([self.activations[n] for n in self._resolve(key)])

    def keys(self) -> list[str]:
        return list(self.activations)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str) and key in self.activations:
            return True
        try:
            return all(n in self.activations for n in resolve(key, self.model.cfg.n_layers, self.model.layout.names))  # type: ignore[arg-type]
        except InterplayError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.activations)

    def __len__(self) -> int:
        return len(self.activations)

    def __repr__(self) -> str:
        return (
            f"Trace(prompts={len(self.prompts)}, positions={self.token_ids.shape[1]}, "
            f"captured={len(self.activations)} activations)"
        )
