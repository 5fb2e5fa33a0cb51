"""Intervention specs that compose with :meth:`Model.run`: patch, ablate, steer.

A spec is a ``(name, fn)`` pair, so a list of them is exactly what ``model.run(...,
interventions=[...])`` takes; the hooks exist only during that run::

    clean = model.run(clean_prompt, capture=[("z", 9)])
    trace = model.run(corrupted_prompt, interventions=[
        interplay.patch_spec(("z", 9), clean, heads=[6]),          # clean head L9H6 into this run
        interplay.ablate_spec(("mlp_out", 0), how="zero"),          # knock out MLP 0
        interplay.steer_spec(4, vector, coeff=5.0),                 # add a steering vector at resid_pre 4
    ])

``positions`` and ``heads`` select what is replaced (default: everything) in the activation's
canonical layout (``[batch, pos, ...]``; ``[batch, pos, head, d_head]`` for q/k/v/z;
``[batch, head, query, key]`` for the pattern, where positions are query positions).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import torch

from interplay.backend.names import split_name
from interplay.errors import InterplayError, ShapeError

if TYPE_CHECKING:
    from interplay.backend.names import NameLike
    from interplay.backend.trace import Trace


class Spec(NamedTuple):
    """One intervention: ``name`` (any form :meth:`Model.run` accepts) and ``fn(activation, name)``."""

    name: NameLike
    fn: Callable[[torch.Tensor, str], torch.Tensor | None]


def _layout(full: str) -> tuple[str, ...]:
    suffix = split_name(full)[1]
    if suffix == "attn.hook_pattern":
        return ("head", "pos", "key")
    if suffix in ("attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_z", "attn.hook_result"):
        return ("pos", "head", "d")
    return ("pos", "d")


def _tensor(x: Any, what: str) -> torch.Tensor:
    """A tensor from a tensor, a numpy array or nested lists (numpy stays numpy until it is used)."""
    if isinstance(x, torch.Tensor):
        return x
    try:
        return torch.as_tensor(x)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InterplayError(f"{what} must be a tensor or an array, not {type(x).__name__} ({exc})") from None


def _integers(name: str, value: Any, accepted: str) -> list[int]:
    """One integer or a list of them (bools and strings refused), for ``positions=`` and ``heads=``."""
    raw = value.tolist() if hasattr(value, "tolist") else value  # a tensor or an array of indices
    raw = [raw] if isinstance(raw, numbers.Integral) else raw
    items = None if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable) else list(raw)
    if items is None or any(isinstance(i, bool) or not isinstance(i, numbers.Integral) for i in items):
        raise InterplayError(f"{name}={value!r} must be an integer or a list of integers: {accepted}")
    return [int(i) for i in items]


def _mask(act: torch.Tensor, full: str, positions: Sequence[int] | int | None,
          heads: Sequence[int] | int | None) -> torch.Tensor:
    """A boolean mask, broadcastable to ``act``, of what the selection covers."""
    layout = _layout(full)
    if len(layout) != act.ndim - 1:
        layout = ("pos",) + ("d",) * (act.ndim - 2)
    if heads is not None and "head" not in layout:
        raise InterplayError(f"heads= applies to per-head activations (q, k, v, z, result, pattern), not {full!r}")
    sel: dict[str, list[int]] = {}
    if positions is not None:
        width = act.shape[1 + layout.index("pos")]
        pos = _integers("positions", positions, f"token positions 0..{width - 1} (or -{width}..-1 from the end)")
        bad = [p for p in pos if not -width <= p < width]
        if bad:
            raise InterplayError(f"positions {bad} are out of range for {width} tokens")
        sel["pos"] = [p % width for p in pos]
    if heads is not None:
        n_heads = act.shape[1 + layout.index("head")]
        sel["head"] = _integers("heads", heads, f"head indices 0..{n_heads - 1}")
        if any(not 0 <= h < n_heads for h in sel["head"]):
            raise InterplayError(f"heads {sel['head']} are out of range: {full!r} has {n_heads} heads")
    m = torch.ones([1] * act.ndim, dtype=torch.bool, device=act.device)
    for i, axis in enumerate(layout):
        if axis in sel:
            keep = torch.zeros(act.shape[i + 1], dtype=torch.bool, device=act.device)
            keep[sel[axis]] = True
            shape = [1] * act.ndim
            shape[i + 1] = act.shape[i + 1]
            m = m & keep.view(shape)
    return m


def patch_spec(name: NameLike, source: Trace | torch.Tensor | Any, *, positions: Sequence[int] | int | None = None,
               heads: Sequence[int] | int | None = None) -> Spec:
    """Replace activation ``name`` (one layer) by ``source``'s at ``positions``/``heads``.

    ``source``: a :class:`Trace` that captured ``name`` (batch 1 broadcasts over the run's batch) or a
    tensor (or numpy array) in the canonical layout.
    """
    if isinstance(source, torch.Tensor) or hasattr(source, "__array__"):
        src = _tensor(source, "patch_spec: source")
    else:
        src = source[name]

    def fn(act: torch.Tensor, full: str) -> torch.Tensor:
        s = src.to(device=act.device, dtype=act.dtype)
        if s.shape[1:] != act.shape[1:] or s.shape[0] not in (1, act.shape[0]):
            raise ShapeError(f"patch source for {full!r} has shape {tuple(s.shape)}, the run's activation "
                             f"{tuple(act.shape)}: same prompts' token lengths are needed")
        return torch.where(_mask(act, full, positions, heads), s, act)

    return Spec(name, fn)


def ablate_spec(name: NameLike, *, how: str = "zero", value: torch.Tensor | Any = None,
                positions: Sequence[int] | int | None = None, heads: Sequence[int] | int | None = None) -> Spec:
    """Ablate ``name`` at ``positions``/``heads``: ``how="zero"``, or ``"mean"`` with ``value`` (the mean
    activation, a tensor or array broadcastable to the activation: e.g. the mean over prompts of
    ``model.run(prompts, capture=[name])[name]``)."""
    if how not in ("zero", "mean"):
        raise InterplayError(f"ablate_spec: how={how!r}; use 'zero' or 'mean' (resample: use patch_spec with a "
                             "trace of other prompts)")
    if how == "mean" and value is None:
        raise InterplayError("ablate_spec(how='mean') needs value= (the mean activation)")
    val = None if value is None else _tensor(value, "ablate_spec: value")

    def fn(act: torch.Tensor, full: str) -> torch.Tensor:
        repl = torch.zeros_like(act) if val is None else val.to(device=act.device, dtype=act.dtype).expand_as(act)
        return torch.where(_mask(act, full, positions, heads), repl, act)

    return Spec(name, fn)


def steer_spec(layer: int, vector: torch.Tensor | Any, *, coeff: float = 1.0,
               positions: Sequence[int] | int | None = None, component: str = "resid_pre") -> Spec:
    """Add ``coeff * vector`` ([d_model], a tensor or numpy array) to the residual stream
    ``component`` at ``layer`` (all positions by default; negative positions count from each run's
    end)."""
    vec = _tensor(vector, "steer_spec: vector").flatten()

    def fn(act: torch.Tensor, full: str) -> torch.Tensor:
        if vec.shape[0] != act.shape[-1]:
            raise ShapeError(f"the steering vector has {vec.shape[0]} dimensions but {full!r} has {act.shape[-1]}")
        add = (coeff * vec).to(device=act.device, dtype=act.dtype)
        return torch.where(_mask(act, full, positions, None), act + add, act)

    return Spec((component, layer), fn)
