"""Clean/corrupted prompt pairs for the intervention methods: tokenised once, validated with errors
that say which pair and which tokens differ."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from interplay.data.tokens import token_strings
from interplay.errors import PromptError, PromptLengthError

if TYPE_CHECKING:
    from interplay.backend.hooks import AttentionRoute, Intervention, Registration
    from interplay.backend.model import Model


@dataclass(frozen=True)
class Prompts:
    """A right-padded batch of prompts, on the model's device."""

    texts: list[str]
    ids: torch.Tensor  #: [n, pos]
    mask: torch.Tensor  #: [n, pos]
    lengths: list[int]
    tokens: list[list[str]]  #: unpadded token strings per prompt

    @property
    def n(self) -> int:
        return len(self.texts)

    @property
    def last(self) -> torch.Tensor:
        """Index of each prompt's last real token, [n] (long, on the device)."""
        return torch.tensor([n - 1 for n in self.lengths], device=self.ids.device)

    def last_logits(self, model: Model, interventions: Mapping[str, Sequence[Intervention]] | None = None,
                    capture: Iterable[str] = (), *, grad: bool = False, repeat: int = 1,
                    hooks: Sequence[Registration | AttentionRoute] = ()) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """One :meth:`Model.forward` of these prompts (stacked ``repeat`` times along the batch):
        logits at each row's last real token ([rows, vocab]) and the captured activations (in the
        autograd graph with ``grad=True``)."""
        ids, mask, last = self.ids, self.mask, self.last
        if repeat > 1:
            ids, mask, last = ids.repeat(repeat, 1), mask.repeat(repeat, 1), last.repeat(repeat)
        out = model.forward(ids, mask, keep_positions=last[:, None], capture=capture, interventions=interventions or {},
                            grad=grad, hooks=hooks)
        assert out.logits is not None
        return out.logits[:, 0], out.activations

    def rows(self, rows: slice) -> Prompts:
        """Prompts ``rows`` (cut to their longest length)."""
        width = max(self.lengths[rows])
        return Prompts(self.texts[rows], self.ids[rows, :width], self.mask[rows, :width], self.lengths[rows],
                       self.tokens[rows])


@dataclass(frozen=True)
class Pair:
    """Clean and corrupted prompts of pairwise equal token length (and the dataset, if one was given)."""

    clean: Prompts
    corrupted: Prompts
    dataset: Any = None

    @property
    def differing(self) -> list[int]:
        """Positions where any clean prompt differs from its corrupted twin."""
        diff = (self.clean.ids != self.corrupted.ids) & self.clean.mask.bool()
        return [int(p) for p in torch.nonzero(diff.any(0)).flatten()]


def _as_list(prompts: str | Sequence[str], what: str) -> list[str]:
    if isinstance(prompts, str):
        return [prompts]
    if not isinstance(prompts, Sequence) or not all(isinstance(p, str) for p in prompts):
        raise PromptError(f"{what} must be a prompt string, a list of strings, or a task dataset; got {prompts!r:.80} "
                          f"(a {type(prompts).__name__})")
    if not prompts:
        raise PromptError(f"{what} is an empty list of prompts")
    return list(prompts)


def tokenize(model: Model, prompts: str | Sequence[str], what: str = "prompts") -> Prompts:
    texts = _as_list(prompts, what)
    batch = model.tokenize(texts)
    dev = model.device
    tokens = [token_strings(model.tokenizer, batch.token_ids[i, :n].tolist()) for i, n in enumerate(batch.lengths)]
    return Prompts(texts, batch.token_ids.to(dev), batch.attention_mask.to(dev), list(batch.lengths), tokens)


def is_dataset(x: Any) -> bool:
    return all(hasattr(x, a) for a in ("clean", "corrupted", "answer", "wrong"))


def prepare_pair(model: Model, clean: Any, corrupted: Any) -> Pair:
    """Tokenise ``clean`` and ``corrupted`` (strings, lists, or a task dataset in place of either)."""
    dataset = None
    if is_dataset(clean):
        dataset = clean
        if corrupted is None:
            corrupted = list(clean.corrupted)
        clean = list(clean.clean)
    elif is_dataset(corrupted):
        dataset = corrupted
        corrupted = list(corrupted.corrupted)
    if corrupted is None:
        raise PromptError("corrupted prompts are missing: pass corrupted=..., or a task dataset as clean")
    c, x = tokenize(model, clean, "clean"), tokenize(model, corrupted, "corrupted")
    if c.n != x.n:
        raise PromptError(f"{c.n} clean prompts but {x.n} corrupted prompts: patching needs one corrupted twin per clean prompt")
    for i, (a, b) in enumerate(zip(c.tokens, x.tokens, strict=True)):
        if len(a) != len(b):
            raise PromptLengthError(_length_message(i, a, b, c.n))
    return Pair(c, x, dataset)


def _length_message(i: int, a: list[str], b: list[str], n: int) -> str:
    which = f"pair {i}: " if n > 1 else ""
    parts = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op != "equal":
            parts.append(f"clean positions {a0}..{a1 - 1} {a[a0:a1]} vs corrupted {b[b0:b1]}")
    return (f"{which}the clean prompt has {len(a)} tokens but the corrupted prompt has {len(b)}; patching needs "
            f"equal token lengths so positions line up. Differences: {'; '.join(parts[:4]) or 'none'}")
