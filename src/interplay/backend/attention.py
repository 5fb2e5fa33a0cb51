"""Attention internals (q, k, v, pattern) through transformers' attention interface.

HF models compute attention through ``ALL_ATTENTION_FUNCTIONS[config._attn_implementation]``. We
register an implementation named ``"interplay"`` that calls the model family's own
``eager_attention_forward`` (so the numbers are the family's, softcapping and scaling included) and
lets the active hooks read or replace q, k, v and the softmaxed pattern. While a run needs attention
internals, :func:`attention_internals` switches the model's configs to ``"interplay"`` and switches
them back on exit, whatever raised. Modules that are not being watched are computed unchanged.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

#: called with (layer, which, tensor [batch, pos, head, d] or pattern [batch, head, q, k]) -> tensor
AttentionHook = Callable[[int, str, torch.Tensor], torch.Tensor]

_SITES: dict[int, tuple[int, AttentionHook]] = {}
_REGISTERED = False
NAME = "interplay"


def _family_eager(module: nn.Module) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    fn = getattr(sys.modules.get(type(module).__module__), "eager_attention_forward", None)
    return fn if callable(fn) else _generic_eager


def _generic_eager(
    module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
    attention_mask: torch.Tensor | None, scaling: float | None = None, dropout: float = 0.0, **_: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    key, value = _repeat_kv(key, query.shape[1]), _repeat_kv(value, query.shape[1])
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    scores = torch.matmul(query, key.transpose(2, 3)) * scale
    if attention_mask is not None:
        scores = scores + attention_mask[:, :, :, : key.shape[-2]]
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights


def _repeat_kv(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    rep = n_heads // x.shape[1]
    return x if rep == 1 else x.repeat_interleave(rep, dim=1)


def _interplay_attention(
    module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
    attention_mask: torch.Tensor | None, **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    eager = _family_eager(module)
    site = _SITES.get(id(module))
    if site is None:
        return eager(module, query, key, value, attention_mask, **kwargs)
    layer, hook = site
    # [batch, head, pos, d] inside HF; [batch, pos, head, d] on our side (TransformerLens layout)
    query = hook(layer, "q", query.transpose(1, 2)).transpose(1, 2)
    key = hook(layer, "k", key.transpose(1, 2)).transpose(1, 2)
    value = hook(layer, "v", value.transpose(1, 2)).transpose(1, 2)
    out, weights = eager(module, query, key, value, attention_mask, **kwargs)
    new_weights = hook(layer, "pattern", weights)
    if new_weights is not weights:
        out = torch.matmul(new_weights.to(value.dtype), _repeat_kv(value, new_weights.shape[1]))
        out = out.transpose(1, 2).contiguous()
    return out, new_weights


def register() -> None:
    """Register the ``"interplay"`` attention (and its mask, the eager one) with transformers, once."""
    global _REGISTERED
    if _REGISTERED:
        return
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(NAME, _interplay_attention)
    AttentionMaskInterface.register(NAME, eager_mask)
    _REGISTERED = True


def _configs(modules: list[nn.Module]) -> list[Any]:
    seen: dict[int, Any] = {}
    for m in modules:
        cfg = getattr(m, "config", None)
        if cfg is not None:
            seen[id(cfg)] = cfg
    return list(seen.values())


@contextlib.contextmanager
def attention_internals(model: nn.Module, sites: dict[nn.Module, int], hook: AttentionHook) -> Iterator[None]:
    """Route the given attention modules (module -> layer) through ``hook`` for the duration."""
    register()
    configs = _configs([model, *sites])
    previous = [cfg._attn_implementation for cfg in configs]
    try:
        for cfg in configs:
            cfg._attn_implementation = NAME
        for module, layer in sites.items():
            _SITES[id(module)] = (layer, hook)
        yield
    finally:
        for module in sites:
            _SITES.pop(id(module), None)
        for cfg, prev in zip(configs, previous, strict=True):
            cfg._attn_implementation = prev
