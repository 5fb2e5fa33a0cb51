"""Small helpers shared by the methods: token lookup, the unembedding, and the final norm."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from interplay.errors import InterplayError

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace


def single_token_id(model: Model, token: str | int) -> int:
    """The id of ``token`` (a string that must be exactly one token, or an id)."""
    if isinstance(token, int) and not isinstance(token, bool):
        if not 0 <= token < model.cfg.d_vocab:
            raise InterplayError(f"token id {token} is outside the vocabulary (0..{model.cfg.d_vocab - 1})")
        return token
    if not isinstance(token, str) or not token:
        raise InterplayError(f"a target token must be a non-empty string or an id, got {token!r}")
    ids = model.tokenizer(token, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        pieces = model.tokenizer.convert_ids_to_tokens(ids)
        hint = f" (' {token}' with a leading space?)" if not token.startswith(" ") else ""
        raise InterplayError(f"{token!r} is not a single token: it splits into {len(ids)} tokens {pieces}{hint}")
    return int(ids[0])


def unembed(model: Model, x: torch.Tensor) -> torch.Tensor:
    """Logits from (normalised) residual vectors, with the family's softcapping if it has one."""
    module = model.layout.unembed()
    if module is None:
        raise InterplayError(f"{model.cfg.model_type} has no unembedding (an encoder without an LM head)")
    logits: torch.Tensor = module(x.to(model.dtype))
    cap = getattr(model.hf_model.config, "final_logit_softcapping", None)
    if cap:
        logits = cap * torch.tanh(logits / cap)
    return logits


def final_norm(model: Model) -> Any:
    path = model.layout.adapter.final_norm
    if path is None:
        raise InterplayError(f"{model.cfg.model_type} has no final norm")
    return model.layout.base.get_submodule(path)


def ensure_captured(trace: Trace, names: list[str]) -> Trace:
    """``trace`` if it holds ``names``, else a new run of the same prompts that captures them."""
    if all(n in trace.activations for n in names):
        return trace
    return trace.model.run(trace.prompts if trace.batched else trace.prompts[0], capture=names)
