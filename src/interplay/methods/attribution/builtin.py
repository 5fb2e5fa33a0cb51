"""The gradient methods that come registered: saliency, gradient x input and integrated gradients
(their papers are cited in :mod:`interplay.methods.attribution`), with IG's quadratures and baselines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay.errors import InterplayError, ShapeError
from interplay.methods._common import single_token_id
from interplay.methods.attribution.engine import (
    AttributionContext,
    MethodOutput,
    embed,
    register_method,
    values_at,
)
from interplay.methods.attribution.rollout import rollout_method

if TYPE_CHECKING:
    from interplay.backend.model import Model

QUADRATURES = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")
NORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "l2": lambda t: torch.linalg.vector_norm(t, dim=-1), "l1": lambda t: t.abs().sum(-1), "sum": lambda t: t.sum(-1)}


def _reducer(norm: str) -> Callable[[torch.Tensor], torch.Tensor]:
    if norm in NORMS:
        return NORMS[norm]
    raise InterplayError(f"norm must be 'l2', 'l1' or 'sum', got {norm!r}")


def _plain_grads(ctx: AttributionContext, batch: int | None, desc: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
    """(x [pos, d], gradients [target, pos, d], f(x) [target], batch size) at the input itself."""
    x = ctx.embeddings()
    out = torch.zeros(len(ctx.targets), *x.shape)
    values = torch.zeros(len(ctx.targets))

    def fill(start: int, stop: int, g: torch.Tensor, v: torch.Tensor) -> None:
        out[start:stop] = g.cpu()
        values[start:stop] = v.cpu()

    size = ctx.grads(len(ctx.targets), lambda a, b: x.expand(b - a, *x.shape), lambda i: ctx.targets[i],
                     fill, batch, desc)
    return x.cpu(), out, values, size


def saliency(ctx: AttributionContext, *, norm: str = "l2", internal_batch_size: int | None = None) -> MethodOutput:
    """Saliency: the norm of the gradient over each token's embedding (Simonyan et al. 2014)."""
    reduce = _reducer(norm)
    _, g, f_x, size = _plain_grads(ctx, internal_batch_size, "saliency")
    return MethodOutput(scores=reduce(g), target_values=f_x, params={"norm": norm, "internal_batch_size": size})


def input_x_gradient(ctx: AttributionContext, *, internal_batch_size: int | None = None) -> MethodOutput:
    """Gradient × input, summed over the embedding (Shrikumar et al. 2016)."""
    x, g, f_x, size = _plain_grads(ctx, internal_batch_size, "gradient x input")
    return MethodOutput(scores=(g * x).sum(-1), target_values=f_x, params={"internal_batch_size": size})


def quadrature(method: str, n_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(alphas, weights) of ``n_steps`` points on [0, 1], as Captum's ``approximation_parameters``."""
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps <= 0:
        raise InterplayError(f"n_steps must be a positive integer, got {n_steps!r}")
    n = n_steps
    if method == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(n)
        return torch.tensor(0.5 * (1 + x)), torch.tensor(0.5 * w)
    if method.startswith("riemann_"):
        if method == "riemann_trapezoid":
            if n < 2:
                raise InterplayError("riemann_trapezoid needs n_steps >= 2")
            w = np.full(n, 1 / (n - 1))
            w[[0, -1]] = 1 / (2 * (n - 1))
            return torch.linspace(0, 1, n, dtype=torch.float64), torch.tensor(w)
        shift = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}.get(method)
        if shift is not None:
            return (torch.arange(n, dtype=torch.float64) + shift) / n, torch.full((n,), 1 / n, dtype=torch.float64)
    raise InterplayError(f"unknown integration method {method!r}; use one of {QUADRATURES}")


def resolve_baseline(model: Model, baseline: Any, x: torch.Tensor) -> tuple[torch.Tensor, str]:
    """The baseline embeddings [pos, d] for ``baseline``: "zero", "pad", "unk", a token, or a tensor."""
    n, d = x.shape
    if isinstance(baseline, str) and baseline in ("zero", "pad", "unk"):
        if baseline == "zero":
            return torch.zeros_like(x), "zero embedding"
        tok = model.tokenizer
        order = ("pad_token_id", "unk_token_id", "eos_token_id") if baseline == "pad" else \
            ("unk_token_id", "pad_token_id", "eos_token_id")
        for attr in order:
            tid = getattr(tok, attr, None)
            if tid is not None:
                e = embed(model, torch.tensor([int(tid)]))
                return e.expand(n, d).clone(), f"{attr.removesuffix('_id').replace('_', ' ')} {int(tid)} at every position"
        return torch.zeros_like(x), "zero embedding (the tokenizer has no pad, unknown or end-of-text token)"
    if isinstance(baseline, (str, int)) and not isinstance(baseline, bool):
        tid = single_token_id(model, baseline, "baseline")
        return embed(model, torch.tensor([tid])).expand(n, d).clone(), f"token {baseline!r} at every position"
    if isinstance(baseline, (torch.Tensor, np.ndarray)):
        t = torch.as_tensor(baseline, dtype=torch.float32).to(x.device)
        if tuple(t.shape) in ((d,), (1, d)):
            return t.reshape(1, d).expand(n, d).clone(), "given vector at every position"
        if tuple(t.shape) in ((n, d), (1, n, d)):
            return t.reshape(n, d).clone(), "given tensor"
        raise ShapeError(f"baseline has shape {tuple(t.shape)}, but the prompt's token embeddings are [{n}, {d}] "
                         f"(pos, d_model): pass a [{n}, {d}] tensor or one [{d}] vector for every position")
    raise InterplayError(f"baseline must be 'zero', 'pad', 'unk', a token (string or id) or a tensor, got {baseline!r}")


def integrated_gradients(ctx: AttributionContext, *, n_steps: int = 50, integration: str = "gausslegendre",
                         baseline: Any = "pad", internal_batch_size: int | None = None) -> MethodOutput:
    """Integrated gradients over the token embeddings (Sundararajan et al. 2017)."""
    alphas, weights = quadrature(integration, n_steps)
    x = ctx.embeddings()
    base, what = resolve_baseline(ctx.model, baseline, x)
    diff = x - base
    n_t, steps = len(ctx.targets), len(alphas)
    acc = torch.zeros(n_t, *x.shape, dtype=torch.float64)
    a32, w64 = alphas.float().to(x.device), weights

    def embeds_for(start: int, stop: int) -> torch.Tensor:
        s = torch.arange(start, stop) % steps
        return base + a32[s.to(x.device)][:, None, None] * diff

    def consume(start: int, stop: int, g: torch.Tensor, _: torch.Tensor) -> None:
        rows = torch.arange(start, stop)
        acc.index_add_(0, rows // steps, g.cpu().double() * w64[rows % steps][:, None, None])

    size = ctx.grads(n_t * steps, embeds_for, lambda i: ctx.targets[i // steps], consume,
                     internal_batch_size, "integrated gradients")
    scores = (acc * diff.cpu().double()).sum(-1).float()
    f_x, f_base = values_at(ctx.model, ctx.ids, torch.stack([x, base]), ctx.targets)
    params = {"n_steps": n_steps, "integration": integration,
              "baseline": baseline if isinstance(baseline, (str, int)) else "tensor", "internal_batch_size": size}
    notes = [f"baseline: {what}; {n_steps} steps ({integration})"]
    if not bool(base.any()) and not ctx.model.layout.adapter.pos_embed:
        notes.append("the baseline embedding is zero and the model has no absolute positions: the residual stream "
                     "is zero there, where the norms are singular; expect a large delta (use a token baseline)")
    if internal_batch_size is not None and size < internal_batch_size:
        notes.append(f"ran out of memory: internal_batch_size backed off to {size}")
    return MethodOutput(scores=scores, baseline_values=f_base, target_values=f_x, notes=tuple(notes), params=params)


register_method("saliency", saliency, signed=False, aliases=("gradient",))
register_method("input_x_gradient", input_x_gradient, signed=True, aliases=("grad_x_input", "gradient_x_input"))
register_method("integrated_gradients", integrated_gradients, signed=True, aliases=("ig",))
register_method("attention_rollout", rollout_method, signed=False, aliases=("rollout",))
