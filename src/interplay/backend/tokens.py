"""Tokenising prompts into a right-padded batch (token display: :mod:`interplay.data.tokens`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from interplay.errors import PromptError


@dataclass(frozen=True)
class Batch:
    token_ids: torch.Tensor  #: [batch, pos], right-padded
    attention_mask: torch.Tensor  #: [batch, pos], 1 for real tokens
    lengths: list[int]


def tokenize(tokenizer: Any, prompts: list[str], n_ctx: int | None, prepend_bos: bool | None) -> Batch:
    """Tokenise ``prompts`` (``prepend_bos``: None = the tokenizer's own choice)."""
    if not prompts:
        raise PromptError("no prompts given: pass a string or a non-empty list of strings")
    rows: list[list[int]] = []
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    for i, p in enumerate(prompts):
        if not isinstance(p, str):
            raise PromptError(f"prompt {i} is a {type(p).__name__}, not a string")
        if not p:
            raise PromptError(f"prompt {i} is empty" if len(prompts) > 1 else "the prompt is empty")
        ids = list(tokenizer(p, add_special_tokens=True)["input_ids"])
        if prepend_bos is True and bos is not None and (not ids or ids[0] != bos):
            ids = [bos, *ids]
        elif prepend_bos is False and ids and ids[0] == bos:
            ids = ids[1:]
        if not ids:
            raise PromptError(f"prompt {i} ({p!r}) gives no tokens (prepend_bos=False removed the only one?); "
                              "accepted: a prompt of at least one token")
        if n_ctx is not None and len(ids) > n_ctx:
            raise PromptError(
                f"prompt {i} has {len(ids)} tokens, but the model's context is {n_ctx} tokens; accepted: at most "
                f"{n_ctx} tokens (shorten it)"
            )
        rows.append(ids)
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (bos if bos is not None else 0)
    token_ids = torch.full((len(rows), width), int(pad), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        token_ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    return Batch(token_ids=token_ids, attention_mask=mask, lengths=[len(r) for r in rows])
