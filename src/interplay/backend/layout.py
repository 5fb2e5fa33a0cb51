"""An adapter bound to one model: module lookup, dimensions, and the names that exist."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from interplay.backend.adapters.base import Adapter, Where
from interplay.backend.names import BLOCK_SUFFIXES, all_names, split_name
from interplay.errors import HookNameError, UnsupportedArchitectureError


@dataclass(frozen=True)
class ModelConfig:
    """The dimensions a method needs, read from the HF config."""

    model_type: str
    n_layers: int
    n_heads: int
    n_kv_heads: int
    d_model: int
    d_head: int
    d_mlp: int | None
    d_vocab: int
    n_ctx: int | None
    causal: bool

    @classmethod
    def from_hf(cls, config: Any, adapter: Adapter) -> ModelConfig:
        cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
        n_heads = int(cfg.num_attention_heads)
        d_model = int(cfg.hidden_size)
        head_dim = getattr(cfg, "head_dim", None) or d_model // n_heads
        n_ctx = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
        return cls(
            model_type=str(cfg.model_type),
            n_layers=int(cfg.num_hidden_layers),
            n_heads=n_heads,
            n_kv_heads=int(getattr(cfg, "num_key_value_heads", None) or n_heads),
            d_model=d_model,
            d_head=int(head_dim),
            d_mlp=getattr(cfg, "intermediate_size", None) or getattr(cfg, "n_inner", None) or 4 * d_model,
            d_vocab=int(cfg.vocab_size),
            n_ctx=int(n_ctx) if n_ctx else None,
            causal=adapter.causal,
        )


def _get(root: nn.Module, path: str, what: str) -> nn.Module:
    if not path:
        return root
    try:
        return root.get_submodule(path)
    except AttributeError:
        raise UnsupportedArchitectureError(
            f"the adapter says {what} is at {path!r}, but {type(root).__name__} has no such module; "
            "the adapter does not match this model"
        ) from None


class Layout:
    """Where every canonical activation of one model lives."""

    def __init__(self, model: nn.Module, adapter: Adapter) -> None:
        self.model = model
        self.adapter = adapter
        self.cfg = ModelConfig.from_hf(model.config, adapter)
        base = getattr(model, "base_model", model)
        self.base = base
        blocks = _get(base, adapter.blocks, "the list of blocks")
        self.blocks: list[nn.Module] = list(blocks)  # type: ignore[call-overload]
        if len(self.blocks) != self.cfg.n_layers:
            raise UnsupportedArchitectureError(
                f"{adapter.blocks!r} has {len(self.blocks)} blocks but the config says {self.cfg.n_layers} layers"
            )
        self._globals: dict[str, tuple[nn.Module, Where]] = {"hook_embed": (_get(base, adapter.embed, "embed"), "out")}
        if adapter.pos_embed:
            self._globals["hook_pos_embed"] = (_get(base, adapter.pos_embed, "pos_embed"), "out")
        if adapter.final_norm:
            self._globals["ln_final.hook_normalized"] = (_get(base, adapter.final_norm, "final_norm"), "out")
        parallel = bool(adapter.parallel_residual_attr and getattr(model.config, adapter.parallel_residual_attr, False))
        self.has_resid_mid = adapter.resid_mid is not None and not parallel
        self.resid_mid_by_delta = self.has_resid_mid and adapter.resid_mid is not None and adapter.resid_mid[1] == "in"
        absent = {"hook_resid_mid"} if not self.has_resid_mid else set()
        if adapter.mlp_in is None:
            absent.add("ln2.hook_normalized")
        suffixes = [s for s in BLOCK_SUFFIXES.values() if s not in absent]
        self.names = all_names(self.cfg.n_layers, suffixes, list(self._globals))
        self._index = {n: i for i, n in enumerate(self.names)}
        for layer in range(self.cfg.n_layers):  # fail at load time, not at the first run
            for suffix in ("attention", "o_proj", "attn_out", "mlp_out", "mlp_down", "attn_norm", "mlp_in"):
                if getattr(adapter, suffix) is not None:
                    _get(self.blocks[layer], getattr(adapter, suffix), suffix)
        self.parallel = parallel
        # what the model's forward accepts, read once here (never cached on the user's model)
        params = _parameters(model)
        self.keeps_logits = "logits_to_keep" in params
        self.accepts_use_cache = "use_cache" in params
        cap = getattr(model.config, adapter.logit_softcap, None) if adapter.logit_softcap else None
        self.logit_softcap: float | None = float(cap) if cap else None

    def order(self, name: str) -> int:
        return self._index.get(name, len(self._index))

    def block(self, layer: int) -> nn.Module:
        return self.blocks[layer]

    def attention_module(self, layer: int) -> nn.Module:
        return _get(self.blocks[layer], self.adapter.attention, "attention")

    def o_proj(self, layer: int) -> nn.Module:
        return _get(self.blocks[layer], self.adapter.o_proj, "o_proj")

    def w_o(self, layer: int) -> torch.Tensor:
        """The output projection as [head, d_head, d_model] (Conv1D and Linear layouts handled)."""
        proj = self.o_proj(layer)
        weight = proj.weight
        assert isinstance(weight, torch.Tensor)
        n_in = self.cfg.n_heads * self.cfg.d_head
        w = weight if tuple(weight.size()) == (n_in, self.cfg.d_model) and type(proj).__name__ == "Conv1D" else weight.T
        return w.reshape(self.cfg.n_heads, self.cfg.d_head, self.cfg.d_model)

    def site(self, name: str) -> tuple[nn.Module, Where]:
        """The module and side ('in' = its input, 'out' = its output) where ``name`` is read."""
        if name in self._globals:
            return self._globals[name]
        layer, suffix = split_name(name)
        if layer is None or name not in self._index:
            raise HookNameError(f"{name!r} is not an activation of this model")
        block, a = self.blocks[layer], self.adapter
        table: dict[str, tuple[str, Where]] = {
            "hook_resid_pre": ("", "in"),
            "hook_resid_post": ("", "out"),
            "hook_attn_out": (a.attn_out, "out"),
            "hook_mlp_out": (a.mlp_out, "out"),
            "mlp.hook_post": (a.mlp_down, "in"),
        }
        if a.mlp_in is not None:
            table["ln2.hook_normalized"] = (a.mlp_in, "in")
        if a.resid_mid is not None:
            table["hook_resid_mid"] = a.resid_mid
        if suffix not in table:
            raise HookNameError(f"{name!r} is not read at a module boundary")
        path, where = table[suffix]
        return _get(block, path, suffix), where

    def final_norm(self) -> nn.Module | None:
        return _get(self.base, self.adapter.final_norm, "final_norm") if self.adapter.final_norm else None

    def attn_norm(self, layer: int) -> nn.Module | None:
        """The norm in front of layer ``layer``'s attention (None in post-LN blocks)."""
        return _get(self.blocks[layer], self.adapter.attn_norm, "attn_norm") if self.adapter.attn_norm else None

    def mlp(self, layer: int) -> nn.Module:
        return _get(self.blocks[layer], self.adapter.mlp_out, "mlp_out")

    def mlp_norm(self, layer: int) -> nn.Module | None:
        """The norm in front of layer ``layer``'s MLP (the module whose input is resid_mid), if any."""
        mid = self.adapter.resid_mid
        return _get(self.blocks[layer], mid[0], "resid_mid") if mid is not None and mid[1] == "in" else None

    def unembed(self) -> nn.Module | None:
        """The unembedding (``adapter.unembed``, else the model's own output embeddings)."""
        if self.adapter.unembed:
            return _get(self.model, self.adapter.unembed, "unembed")
        get = getattr(self.model, "get_output_embeddings", None)
        return get() if callable(get) else None


def _parameters(model: nn.Module) -> set[str]:
    try:
        return set(inspect.signature(model.forward).parameters)
    except (TypeError, ValueError):  # pragma: no cover - a forward without a signature
        return set()
