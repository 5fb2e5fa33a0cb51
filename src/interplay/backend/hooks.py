"""Scoped hooks: capture and intervene at canonical names, removed on every exit path.

:func:`hooked` registers PyTorch hooks on exactly the modules that the requested names need, runs
the body, and removes them in a ``finally`` (with the attention implementation switched back), so
after any exception, one raised by a user's hook included, the model has no hook of ours left and
gives bit-identical outputs to before.

An intervention is ``fn(activation, name) -> new_activation | None`` (``None`` keeps it). It sees the
activation in the canonical layout (see :mod:`interplay.backend.names`) and must return the same
shape. A captured value is the one the model went on with, after interventions.

:func:`module_hooks` is the one place hooks are registered and removed: :func:`hooked` builds its
registrations from canonical names, and methods that need module-level hooks of their own (the
circuit graph pass) hand theirs to :meth:`Model.forward`, which holds them in the same scope.
"""

from __future__ import annotations

import contextlib
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from interplay.backend.attention import AttentionHook, attention_internals
from interplay.backend.layout import Layout
from interplay.backend.names import split_name
from interplay.errors import InterplayError, ShapeError

Intervention = Callable[[torch.Tensor, str], "torch.Tensor | None"]


@dataclass
class _Plan:
    capture: set[str]
    interventions: Mapping[str, Sequence[Intervention]]
    detach: bool
    store: dict[str, torch.Tensor] = field(default_factory=dict)

    def wanted(self, name: str) -> bool:
        return name in self.capture or name in self.interventions

    def apply(self, name: str, act: torch.Tensor) -> torch.Tensor:
        for fn in self.interventions.get(name, ()):
            try:
                new = fn(act, name)
            except Exception as exc:
                if hasattr(exc, "add_note"):
                    exc.add_note(f"(raised by the intervention on {name!r}; all hooks were removed)")
                raise
            if new is None:
                continue
            act = replacement(name, new, act)
        if name in self.capture:
            self.store[name] = act.detach() if self.detach else act
        return act


def replacement(name: str, new: Any, act: torch.Tensor, error: type[InterplayError] = ShapeError) -> torch.Tensor:
    """What an intervention on ``name`` returned, checked and cast to the activation's dtype and device:
    a real floating-point tensor of the activation's shape (a bool or integer tensor is refused, not
    turned into 0/1 or truncated values)."""
    want = f"a floating-point tensor of the activation's shape {tuple(act.shape)} (or None to keep it)"
    if not isinstance(new, torch.Tensor):
        raise error(f"the intervention on {name!r} returned {new!r:.60} (a {type(new).__name__}); accepted: {want}")
    if new.shape != act.shape:
        raise error(f"the intervention on {name!r} returned shape {tuple(new.shape)}; accepted: {want}")
    if not new.dtype.is_floating_point:
        hint = " (a comparison such as act > 0 gives bools: multiply instead, act * (act > 0))" \
            if new.dtype == torch.bool else ""
        raise error(f"the intervention on {name!r} returned a {str(new.dtype).removeprefix('torch.')} tensor; "
                    f"accepted: {want}{hint}")
    if new.is_meta:
        raise error(f"the intervention on {name!r} returned a tensor on the meta device (it holds no values); "
                    f"accepted: {want}")
    return new.to(dtype=act.dtype, device=act.device)


def check_intervention(key: Any, fn: Any) -> Intervention:
    """An intervention is a function callable as ``fn(activation, name)``."""
    if not callable(fn):
        raise InterplayError(f"the intervention for {key!r} is {fn!r:.60} (a {type(fn).__name__}), not a function; "
                             "accepted: fn(activation, name) returning a tensor or None")
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin or C function: nothing to check
        return fn  # type: ignore[no-any-return]
    try:
        sig.bind(None, None)
    except TypeError:
        raise InterplayError(f"the intervention for {key!r} has the signature {getattr(fn, '__name__', 'fn')}{sig}; "
                             "accepted: a function called as fn(activation, name) (two arguments), e.g. "
                             "lambda act, name: act * 0") from None
    return fn  # type: ignore[no-any-return]


def _first(output: Any) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else output  # type: ignore[no-any-return]


def _replace_first(output: Any, new: torch.Tensor) -> Any:
    if isinstance(output, tuple):
        return (new, *output[1:])
    return new


def _input_hook(names: list[str], plan: _Plan, reshape: Callable[[torch.Tensor], torch.Tensor] | None = None,
                unshape: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Callable[..., Any]:
    def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if args:
            x = args[0]
        elif "hidden_states" in kwargs:
            x = kwargs["hidden_states"]
        else:
            x = next(v for v in kwargs.values() if isinstance(v, torch.Tensor))
        orig = x
        y = reshape(x) if reshape else x
        for name in names:
            y = plan.apply(name, y)
        x = unshape(y) if unshape else y
        if x is orig:
            return None
        if args:
            return (x, *args[1:]), kwargs
        key = "hidden_states" if "hidden_states" in kwargs else next(k for k, v in kwargs.items() if v is orig)
        return args, {**kwargs, key: x}

    return hook


def _output_hook(names: list[str], plan: _Plan) -> Callable[..., Any]:
    def hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> Any:
        x = _first(output)
        y = x
        for name in names:
            y = plan.apply(name, y)
        return None if y is x else _replace_first(output, y)

    return hook


@dataclass(frozen=True)
class Registration:
    """One PyTorch hook to hold for the duration of a run: on ``module``'s input (``"pre"``, with
    keyword arguments) or output (``"post"``)."""

    module: nn.Module
    when: Literal["pre", "post"]
    fn: Callable[..., Any]


@dataclass(frozen=True)
class AttentionRoute:
    """Route the attention modules ``sites`` (module -> layer) through ``hook`` for the duration of a
    run (q, k, v and the pattern, see :mod:`interplay.backend.attention`): the one way a method reads
    or replaces attention internals with a hook of its own."""

    sites: Mapping[nn.Module, int]
    hook: AttentionHook


@contextlib.contextmanager
def module_hooks(registrations: Sequence[Registration | AttentionRoute], model: nn.Module | None = None
                 ) -> Iterator[None]:
    """The one place hooks are put on a model: registered on entry, removed in a ``finally`` on
    every exit path (a user's hook raising included). An :class:`AttentionRoute` (at most one) also
    switches ``model``'s attention implementation for the duration, and back."""
    handles: list[torch.utils.hooks.RemovableHandle] = []
    routes = [r for r in registrations if isinstance(r, AttentionRoute)]
    if len(routes) > 1 or (routes and model is None):
        raise ValueError("module_hooks: at most one AttentionRoute, and the model it belongs to")
    ctx = attention_internals(model, dict(routes[0].sites), routes[0].hook) if routes and model is not None \
        else contextlib.nullcontext()
    try:
        for r in registrations:
            if isinstance(r, AttentionRoute):
                continue
            if r.when == "pre":
                handles.append(r.module.register_forward_pre_hook(r.fn, with_kwargs=True))
            else:
                handles.append(r.module.register_forward_hook(r.fn))
        with ctx:
            yield
    finally:
        for h in handles:
            h.remove()


@contextlib.contextmanager
def hooked(
    layout: Layout,
    names: set[str],
    capture: set[str],
    interventions: Mapping[str, Sequence[Intervention]],
    *,
    detach: bool = True,
) -> Iterator[dict[str, torch.Tensor]]:
    """Hook ``names`` (full canonical names, already resolved) for one ``with`` block.

    Yields the dict that captured activations are written into.
    """
    plan = _Plan(capture=capture, interventions=interventions, detach=detach)
    by_site: dict[tuple[int, str], list[str]] = defaultdict(list)
    attn_sites: dict[nn.Module, int] = {}
    o_proj_layers: set[int] = set()
    mid_delta_layers: set[int] = set()
    for name in sorted(names, key=layout.order):
        layer, suffix = split_name(name)
        if suffix in ("attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_pattern"):
            assert layer is not None
            attn_sites[layout.attention_module(layer)] = layer
        elif suffix in ("attn.hook_z", "attn.hook_result"):
            assert layer is not None
            o_proj_layers.add(layer)
        elif suffix == "hook_resid_mid" and name in interventions and layout.resid_mid_by_delta:
            assert layer is not None
            mid_delta_layers.add(layer)
        else:
            module, where = layout.site(name)
            by_site[(id(module), where)].append(name)
    regs: list[Registration] = []
    for site_names in by_site.values():
        module, where = layout.site(site_names[0])
        if where == "in":
            regs.append(Registration(module, "pre", _input_hook(site_names, plan)))
        else:
            regs.append(Registration(module, "post", _output_hook(site_names, plan)))
    for layer in sorted(o_proj_layers):
        regs.extend(_o_proj_hooks(layout, layer, plan))
    for layer in sorted(mid_delta_layers):
        regs.extend(_resid_mid_delta_hooks(layout, layer, plan))

    def attn_hook(layer: int, which: str, t: torch.Tensor) -> torch.Tensor:
        name = f"blocks.{layer}.attn.hook_{which}"
        return plan.apply(name, t) if plan.wanted(name) else t

    route = [AttentionRoute(attn_sites, attn_hook)] if attn_sites else []
    with module_hooks([*regs, *route], layout.model):
        yield plan.store


def _o_proj_hooks(layout: Layout, layer: int, plan: _Plan) -> list[Registration]:
    """hook_z on the output projection's input; hook_result (per-head writes) on its output."""
    o_proj = layout.o_proj(layer)
    n_heads, d_head = layout.cfg.n_heads, layout.cfg.d_head
    z_name, r_name = f"blocks.{layer}.attn.hook_z", f"blocks.{layer}.attn.hook_result"
    regs = []
    if plan.wanted(z_name):
        regs.append(Registration(o_proj, "pre", _input_hook(
            [z_name], plan, reshape=lambda x: x.view(*x.shape[:-1], n_heads, d_head),
            unshape=lambda y: y.reshape(*y.shape[:-2], n_heads * d_head))))
    if plan.wanted(r_name):
        w_o = layout.w_o(layer)  # [head, d_head, d_model]

        def result_hook(module: nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> Any:
            z = args[0].view(*args[0].shape[:-1], n_heads, d_head)
            result = torch.einsum("bphd,hdm->bphm", z, w_o.to(z.dtype))
            new = plan.apply(r_name, result)
            return None if new is result else output + (new - result).sum(dim=-2)

        regs.append(Registration(o_proj, "post", result_hook))
    return regs


def _resid_mid_delta_hooks(layout: Layout, layer: int, plan: _Plan) -> list[Registration]:
    """Intervene on resid_mid in a pre-LN block by shifting the attention's write by the difference."""
    name = f"blocks.{layer}.hook_resid_mid"
    saved: dict[str, torch.Tensor] = {}
    block = layout.block(layer)
    attn_out, _ = layout.site(f"blocks.{layer}.hook_attn_out")

    def save_pre(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        saved["pre"] = args[0] if args else kwargs["hidden_states"]

    def shift(module: nn.Module, args: tuple[Any, ...], output: Any) -> Any:
        out = _first(output)
        mid = saved.pop("pre") + out
        new = plan.apply(name, mid)
        return None if new is mid else _replace_first(output, out + (new - mid))

    return [Registration(block, "pre", save_pre), Registration(attn_out, "post", shift)]
