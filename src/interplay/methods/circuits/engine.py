"""One forward pass over the graph: every node's output captured, every node's input rebuilt.

Hooks (on the modules the architecture adapter names) do three things:

* capture each node's output (the input node: block 0's input; a head: ``z_h @ W_O[h]``, its write
  to the residual stream without the output bias; an MLP: its output) into one buffer
  ``[n_sources, batch, pos, d_model]``;
* give every head its own input. HF attention computes all heads from one normed input, so the
  attention's output is recomputed from per-head inputs ``[heads, batch, pos, d_model]`` (or, with
  separate q/k/v inputs, ``[3 * heads, ...]``): the heads' inputs are stacked along the batch, the
  attention's own norm and module run once on that batch, and head ``h`` keeps its output from the
  ``h``-th slice (the query input's slice, with the key and value states of the key and value
  inputs substituted through the attention interface). This is the reference implementation's
  split of the input per head (TransformerLens ``use_split_qkv_input``) without re-implementing
  attention per family;
* either expose the node inputs for gradients (``grad=True``: each input is its own autograd node,
  so ``d metric / d input`` flows through that node only), or rebuild them for edge patching: the
  input of node ``v`` is the residual stream it reads plus, for each removed edge ``u -> v``, the
  difference ``reference_u - current_u`` (the reference being the corrupted run, or a mean).

The pass is one :meth:`Model.forward <interplay.backend.model.Model.forward>`: the hooks are
:class:`~interplay.backend.hooks.Registration` objects that the backend holds for that pass only,
and the modules come from the architecture's layout (``attn_norm``, ``mlp_norm``, ``mlp``,
``o_proj``, ``final_norm``), plus one :class:`~interplay.backend.hooks.AttentionRoute` that routes
every attention module through interplay's attention implementation (the family's eager attention,
so the mask is an explicit tensor that the per-head batch can repeat, and the key and value states
can be swapped in); the backend removes all of it on every exit path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from interplay.backend.hooks import AttentionRoute, Registration
from interplay.data.graph import Graph
from interplay.errors import UnsupportedArchitectureError

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.methods._inputs import Prompts

_CACHE_KWARGS = ("cache", "past_key_values", "layer_past", "past_key_value")


@dataclass
class GraphPass:
    """The outcome of one pass: last-token logits, node outputs, and (grad) the node inputs."""

    logits: torch.Tensor  #: [batch, vocab]
    acts: torch.Tensor  #: [n_sources, batch, pos, d_model], detached
    #: (destination indices, input tensor [len(indices), batch, pos, d_model], or [batch, pos, d_model] for one
    #: destination) per group, for autograd
    inputs: list[tuple[list[int], torch.Tensor]] = field(default_factory=list)


def _first(output: Any) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else output  # type: ignore[no-any-return]


def _tile(x: Any, reps: int, batch: int) -> Any:
    """Repeat every per-row tensor of an attention call's arguments ``reps`` times along the batch."""
    if isinstance(x, torch.Tensor):
        return x.repeat(reps, *([1] * (x.ndim - 1))) if x.ndim >= 2 and x.shape[0] == batch else x
    if isinstance(x, tuple):
        return tuple(_tile(v, reps, batch) for v in x)
    if isinstance(x, list):
        return [_tile(v, reps, batch) for v in x]
    if isinstance(x, dict):
        return {k: (None if k in _CACHE_KWARGS else _tile(v, reps, batch)) for k, v in x.items()}
    return x


class _Runner:
    def __init__(self, model: Model, graph: Graph, *, grad: bool, input_value: torch.Tensor | None,
                 removed: torch.Tensor | None, reference: torch.Tensor | None) -> None:
        self.model, self.g, self.grad = model, graph, grad
        self.input_value, self.removed, self.reference = input_value, removed, reference
        lay = model.layout
        layers = range(graph.n_layers)
        self.blocks = lay.blocks
        self.attn = [lay.attention_module(i) for i in layers]
        self.attn_norm = [_required(lay.attn_norm(i), "a norm in front of the attention", model) for i in layers]
        self.mlp_norm = [_required(lay.mlp_norm(i), "a norm in front of the MLP", model) for i in layers]
        self.mlp = [lay.mlp(i) for i in layers]
        self.o_proj = [lay.o_proj(i) for i in layers]
        self.w_o = [lay.w_o(i) for i in layers]
        self.final_norm = _required(lay.final_norm(), "a final norm (the logits node's input)", model)
        self.acts: torch.Tensor | None = None
        self.inputs: list[tuple[list[int], torch.Tensor]] = []
        self.block_in: dict[int, torch.Tensor] = {}
        self.attn_call: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        self.inner = False
        self.z: torch.Tensor | None = None
        self.qkv_mode: str | None = None
        self.stored: dict[str, torch.Tensor] = {}

    # ------------------------------------------------------------------------------ helpers
    def _buffer(self, like: torch.Tensor) -> torch.Tensor:
        if self.acts is None:
            self.acts = torch.zeros((len(self.g.sources), *like.shape), dtype=like.dtype, device=like.device)
        return self.acts

    def _delta(self, n_up: int, cols: slice | int, like: torch.Tensor) -> torch.Tensor | None:
        """Sum over removed edges into ``cols`` of (reference - current) source outputs, or None."""
        if self.removed is None or self.reference is None:
            return None
        rm = self.removed[:n_up, cols]
        if not bool(rm.any()):
            return None
        acts = self._buffer(like)
        diff = self.reference[:n_up].to(like.dtype) - acts[:n_up]
        if rm.ndim == 1:
            return torch.einsum("ubpd,u->bpd", diff, rm.to(like.dtype))
        return torch.einsum("ubpd,uv->vbpd", diff, rm.to(like.dtype))

    # --------------------------------------------------------------------------------- hooks
    def block_pre(self, layer: int) -> Callable[..., Any]:
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            x = args[0] if args else kwargs["hidden_states"]
            new = x
            if layer == 0:
                if self.input_value is not None:
                    new = self.input_value.to(x.dtype)
                if self.grad:
                    new = new.detach().requires_grad_(True)
                self._buffer(new)[0] = new.detach()
            self.block_in[layer] = new
            if new is x:
                return None
            return ((new, *args[1:]), kwargs) if args else (args, {**kwargs, "hidden_states": new})

        return hook

    def attn_pre(self, layer: int) -> Callable[..., Any]:
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if not self.inner:
                rest = {k: v for k, v in kwargs.items() if k != "hidden_states"}
                self.attn_call[layer] = (args[1:] if args else (), rest)

        return hook

    def o_proj_pre(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.z = args[0] if args else next(v for v in kwargs.values() if isinstance(v, torch.Tensor))

    def attn_post(self, layer: int) -> Callable[..., Any]:
        def hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> Any:
            if self.inner:
                return None
            g = self.g
            x = self.block_in[layer]
            n_up = g.upstream(layer)
            heads = g.dst_heads(layer)
            xh: torch.Tensor | None
            if self.grad:
                xh = x.unsqueeze(0).repeat(g.n_heads * g.q, *([1] * x.ndim))
                self.inputs.append((list(range(heads.start, heads.stop)), xh))
            else:
                delta = self._delta(n_up, heads, x)
                xh = None if delta is None else x.unsqueeze(0) + delta
            if xh is None:  # nothing removed: the module's own output, per-head writes read from z
                assert self.z is not None
                z = self.z.view(*self.z.shape[:-1], g.n_heads, -1)
                results = torch.einsum("bphe,hem->hbpm", z, self.w_o[layer].to(z.dtype))
                new = None
            else:
                results = self._split(layer, xh)
                bias = getattr(self.o_proj[layer], "bias", None)
                out = results.sum(0)
                new = out + bias.to(out.dtype) if isinstance(bias, torch.Tensor) else out
            s = g.src_head(layer, 0)
            self._buffer(x)[s:s + g.n_heads] = results.detach()
            if new is None:
                return None
            return (new, *output[1:]) if isinstance(output, tuple) else new

        return hook

    def _split(self, layer: int, xh: torch.Tensor) -> torch.Tensor:
        """Per-head writes [head, batch, pos, d_model] of attention computed from per-head inputs."""
        g = self.g
        n_h = g.n_heads
        _, b, p, d = xh.shape
        args, kwargs = self.attn_call[layer]
        t_args, t_kwargs = _tile(args, n_h, b), _tile(kwargs, n_h, b)

        def call(x: torch.Tensor) -> torch.Tensor:
            self.z = None
            self.attn[layer](self.attn_norm[layer](x.reshape(n_h * b, p, d)), *t_args, **t_kwargs)
            assert self.z is not None
            return self.z

        self.inner = True
        try:
            if g.qkv:
                self.qkv_mode = "k"
                call(xh[n_h:2 * n_h])
                self.qkv_mode = "v"
                call(xh[2 * n_h:])
                self.qkv_mode = "q"
                z = call(xh[:n_h])
            else:
                z = call(xh)
        finally:
            self.inner, self.qkv_mode, self.stored = False, None, {}
        z = z.view(n_h, b, p, n_h, -1)
        idx = torch.arange(n_h, device=z.device)
        zd = z[idx, :, :, idx]  # [head, batch, pos, d_head]: slice h keeps head h
        return torch.einsum("hbpe,hem->hbpm", zd, self.w_o[layer].to(zd.dtype))

    def attention_hook(self, layer: int, which: str, t: torch.Tensor) -> torch.Tensor:
        mode = self.qkv_mode
        if mode is None or which == "pattern":
            return t
        if mode in ("k", "v"):
            if which == mode:
                self.stored[which] = t
            return t
        return self.stored.get(which, t) if which in ("k", "v") else t

    def mlp_pre(self, layer: int) -> Callable[..., Any]:
        g = self.g
        return self._input_hook([g.dst_mlp(layer)], g.upstream(layer, mlp=True))

    def _input_hook(self, dests: list[int], n_up: int) -> Callable[..., Any]:
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if self.inner:
                return None
            x = args[0] if args else kwargs["hidden_states"]
            if self.grad:
                new = x.clone()
                self.inputs.append((dests, new))
            else:
                delta = self._delta(n_up, dests[0], x)
                if delta is None:
                    return None
                new = x + delta
            return ((new, *args[1:]), kwargs) if args else (args, {**kwargs, "hidden_states": new})

        return hook

    def mlp_post(self, layer: int) -> Callable[..., Any]:
        def hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
            out = _first(output)
            self._buffer(out)[self.g.src_mlp(layer)] = out.detach()

        return hook

    def registrations(self) -> list[Registration]:
        """Every module hook of the pass, for :meth:`Model.forward`'s ``hooks=``."""
        g = self.g
        regs: list[Registration] = []
        for layer in range(g.n_layers):
            regs += [Registration(self.blocks[layer], "pre", self.block_pre(layer)),
                     Registration(self.attn[layer], "pre", self.attn_pre(layer)),
                     Registration(self.attn[layer], "post", self.attn_post(layer)),
                     Registration(self.o_proj[layer], "pre", self.o_proj_pre),
                     Registration(self.mlp_norm[layer], "pre", self.mlp_pre(layer)),
                     Registration(self.mlp[layer], "post", self.mlp_post(layer))]
        regs.append(Registration(self.final_norm, "pre", self._input_hook([g.dst_logits], len(g.sources))))
        return regs


def _required(module: nn.Module | None, what: str, model: Model) -> nn.Module:
    if module is None:
        raise UnsupportedArchitectureError(f"circuit discovery needs {what}; {model.cfg.model_type} has none")
    return module


def graph_pass(model: Model, graph: Graph, prompts: Prompts, *, grad: bool = False,
               input_value: torch.Tensor | None = None, removed: torch.Tensor | None = None,
               reference: torch.Tensor | None = None) -> GraphPass:
    """One forward pass of ``prompts`` with the graph's hooks (see the module docstring)."""
    r = _Runner(model, graph, grad=grad, input_value=input_value, removed=removed, reference=reference)
    route = AttentionRoute({r.attn[i]: i for i in range(graph.n_layers)}, r.attention_hook)
    logits, _ = prompts.last_logits(model, grad=grad, hooks=[*r.registrations(), route])
    assert r.acts is not None
    return GraphPass(logits, r.acts, r.inputs)
