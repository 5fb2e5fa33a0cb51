"""Input attribution: which input tokens drove an output, scored per source token.

Every method here explains one scalar ``f`` read from the logits (a token's logit, log-probability
or probability at a position, a logit difference between two tokens, or any function of the logits)
in terms of the *token embeddings* ``x`` (``hook_embed``: the embedding table's output, before
positional embeddings or any scaling, the same layer Captum's ``LayerIntegratedGradients`` is given
in our agreement tests). A token's score sums (or takes the norm of) its ``d_model`` entries.

* **Saliency** (Simonyan et al. 2014, "Deep Inside Convolutional Networks"): ``‖∂f/∂x_i‖``, the
  L2 norm (``norm="l2"``, default), the L1 norm (``"l1"``) or the signed sum (``"sum"``) over the
  embedding. How sensitive ``f`` is to each token; never says in which direction.
* **Gradient × input** (Shrikumar et al. 2016, "Not Just a Black Box"): ``Σ_d x_i · ∂f/∂x_i``, a
  first-order Taylor estimate of each token's contribution (exact for a model linear in ``x``).
* **Integrated gradients** (Sundararajan et al. 2017, "Axiomatic Attribution for Deep Networks"):
  ``(x - x') · ∫₀¹ ∂f/∂x (x' + α(x - x')) dα``, summed over the embedding, from a baseline ``x'``:
  ``"pad"`` (default: the pad token's embedding at every position, else the unknown or end-of-text
  token's), ``"unk"``, ``"zero"``, any token, or a tensor you give. (A zero baseline in a model
  without absolute positions sends the whole residual stream to zero, where RMS/LayerNorm is
  singular: nearly all of the path's change happens at tiny α and the quadrature misses it; the
  delta shows it.) It is
  *complete*: the scores sum to ``f(x) - f(x')``. The integral is a quadrature over ``n_steps``
  points (``integration="gausslegendre"`` by default, as in Captum, or ``"riemann_left"``, ``_right``,
  ``_middle``, ``_trapezoid``), run
  ``internal_batch_size`` interpolations per forward pass, halving the batch instead of failing when
  memory runs out. Every result reports the **convergence delta**
  ``Σ scores - (f(x) - f(x'))``: large means too few steps.
* **Attention rollout** (Abnar & Zuidema 2020, see :mod:`interplay.methods.rollout`): attention
  multiplied through the layers with the residual connection; a flow of attention, not of gradient.

Methods live in a registry: ``register_method(name, fn, signed=...)`` adds one, where
``fn(ctx: AttributionContext, **params) -> MethodOutput`` returns ``scores`` [target, pos].

    >>> res = interplay.attribute(model, "When Mary and John went to the store, John gave a drink to",
    ...                           target=" Mary", method="integrated_gradients", n_steps=64)
    >>> res.delta, res.to_dataframe(), res.show()
    >>> gen = interplay.attribute_generation(model, "The capital of France is", max_new_tokens=8)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay.errors import InterplayError, ShapeError
from interplay.methods import _gradients as G
from interplay.methods._common import single_token_id
from interplay.methods._gradients import Progress, Target
from interplay.methods.attribution_result import AttributionResult
from interplay.methods.rollout import rollout_method

if TYPE_CHECKING:
    from interplay.backend.model import Model

__all__ = ["AttributionContext", "AttributionResult", "MethodOutput", "Target", "attribute",
           "attribute_generation", "list_methods", "register_method"]

TargetLike = str | int | tuple[str | int, str | int] | Callable[[torch.Tensor], torch.Tensor] | None
QUADRATURES = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")


@dataclass(frozen=True)
class MethodOutput:
    """What a method returns: ``scores`` [target, pos]; IG adds the f(baseline) values for the delta."""

    scores: torch.Tensor
    baseline_values: torch.Tensor | None = None
    target_values: torch.Tensor | None = None  #: f(x) per target, if the method computed it
    notes: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttributionContext:
    """What a method gets: the model, the input ids [pos] and the targets (one row each)."""

    model: Model
    ids: torch.Tensor
    targets: tuple[Target, ...]
    progress: bool | Progress = False

    def embeddings(self) -> torch.Tensor:
        """The token embeddings [pos, d_model] (float32)."""
        return G.embed(self.model, self.ids)

    def default_batch(self, total: int) -> int:
        per_batch = (16384 if self.model.device.type == "cuda" else 4096) // max(1, int(self.ids.shape[0]))
        return max(1, min(total, per_batch))

    def grads(self, total: int, embeds_for: Callable[[int, int], torch.Tensor], target_of: Callable[[int], Target],
              consume: Callable[[int, int, torch.Tensor, torch.Tensor], None], batch_size: int | None,
              desc: str) -> int:
        """Gradients for rows ``0..total-1`` in batches: ``consume(start, stop, grads [b, pos, d], values [b])``."""
        def step(start: int, stop: int) -> None:
            g, v = G.gradients(self.model, self.ids, embeds_for(start, stop), [target_of(i) for i in range(start, stop)])
            consume(start, stop, g, v)

        size = self.default_batch(total) if batch_size is None else int(batch_size)
        return G.run_batched(total, size, step, progress=self.progress, desc=desc)


MethodFn = Callable[..., MethodOutput]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fn: MethodFn
    signed: bool  #: scores can be negative (a diverging colour scale)
    description: str


_METHODS: dict[str, MethodSpec] = {}
_ALIASES: dict[str, str] = {}


def register_method(name: str, fn: MethodFn, *, signed: bool, description: str = "",
                    aliases: Sequence[str] = (), overwrite: bool = False) -> MethodSpec:
    """Add an attribution method: ``fn(ctx: AttributionContext, **params) -> MethodOutput``."""
    if name in _METHODS and not overwrite:
        raise InterplayError(f"an attribution method {name!r} exists; pass overwrite=True to replace it")
    spec = MethodSpec(name, fn, signed, description or (fn.__doc__ or "").strip().split("\n")[0])
    _METHODS[name] = spec
    for a in aliases:
        _ALIASES[a] = name
    return spec


def list_methods() -> list[str]:
    return list(_METHODS)


def get_method(name: str) -> MethodSpec:
    key = _ALIASES.get(name, name)
    if key not in _METHODS:
        raise InterplayError(f"unknown attribution method {name!r}; known: {', '.join(_METHODS)} "
                             f"(aliases: {', '.join(sorted(_ALIASES))})")
    return _METHODS[key]


def _reduce(a: torch.Tensor, norm: str) -> torch.Tensor:
    reducers: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
        "l2": lambda t: torch.linalg.vector_norm(t, dim=-1), "l1": lambda t: t.abs().sum(-1), "sum": lambda t: t.sum(-1)}
    if norm in reducers:
        return reducers[norm](a)
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
    _reduce(torch.zeros(1, 1), norm)
    _, g, f_x, size = _plain_grads(ctx, internal_batch_size, "saliency")
    return MethodOutput(scores=_reduce(g, norm), target_values=f_x, params={"norm": norm, "internal_batch_size": size})


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
                e = G.embed(model, torch.tensor([int(tid)]))
                return e.expand(n, d).clone(), f"{attr.removesuffix('_id').replace('_', ' ')} {int(tid)} at every position"
        return torch.zeros_like(x), "zero embedding (the tokenizer has no pad, unknown or end-of-text token)"
    if isinstance(baseline, (str, int)) and not isinstance(baseline, bool):
        tid = single_token_id(model, baseline)
        return G.embed(model, torch.tensor([tid])).expand(n, d).clone(), f"token {baseline!r} at every position"
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
    f_x, f_base = G.values_at(ctx.model, ctx.ids, torch.stack([x, base]), ctx.targets)
    params = {"n_steps": n_steps, "integration": integration, "baseline": baseline if isinstance(baseline, (str, int)) else "tensor",
              "internal_batch_size": size}
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


# --------------------------------------------------------------------------------------------------
# targets and the public functions


def token_label(model: Model, tid: int) -> str:
    from interplay.backend.tokens import token_strings

    return token_strings(model.tokenizer, [tid])[0]


def make_target(model: Model, target: TargetLike, position: int, *, score: str = "logit",
                predicted: int | None = None) -> Target:
    """A :class:`Target` from the user's ``target`` (None: ``predicted``, the model's own top token)."""
    if score not in G.SCORES:
        raise InterplayError(f"score must be one of {G.SCORES}, got {score!r}")
    if callable(target):
        name = getattr(target, "__name__", "f")
        return Target(position=position, label=f"{'f' if name == '<lambda>' else name}(logits)", fn=target)
    contrast: int | None = None
    if isinstance(target, (tuple, list)):
        if len(target) != 2:
            raise InterplayError(f"a logit-difference target is (token, other_token), got {len(target)} items")
        target, other = target
        contrast = single_token_id(model, other)
    if target is None:
        if predicted is None:
            raise InterplayError("target=None needs the model's prediction")
        tid = predicted
    else:
        tid = single_token_id(model, target)
    label = f"{score}({token_label(model, tid)!r})"
    if contrast is not None:
        label += f" - {score}({token_label(model, contrast)!r})"
    return Target(position=position, label=f"{label} at pos {position}", token_id=tid, contrast_id=contrast, score=score)


def run_method(model: Model, ids: torch.Tensor, targets: Sequence[Target], method: str, *,
               progress: bool | Progress = False, n_prompt: int | None = None, **params: Any) -> AttributionResult:
    """Run a registered method on token ids [pos] for ``targets``; the result covers every id."""
    spec = get_method(method)
    sig = inspect.signature(spec.fn)
    if "steps" in params and "n_steps" in sig.parameters:
        params["n_steps"] = params.pop("steps")
    unknown = [k for k in params if k not in sig.parameters or k == "ctx"]
    if unknown:
        allowed = [k for k in sig.parameters if k != "ctx"]
        raise InterplayError(f"{spec.name} got unexpected parameter(s) {unknown}; it takes {allowed}")
    n = int(ids.shape[0])
    for t in targets:
        if not 0 <= t.position < n:
            raise InterplayError(f"position {t.position} is out of range for {n} tokens")
    # causal: positions after the last target cannot influence it; do not compute them
    cut = n if not model.cfg.causal or any(t.fn is not None for t in targets) else max(t.position for t in targets) + 1
    ctx = AttributionContext(model=model, ids=ids[:cut].cpu(), targets=tuple(targets), progress=progress)
    out = spec.fn(ctx, **params)
    scores = np.full((len(targets), n), np.nan, dtype=np.float32)
    s = out.scores.detach().float().cpu().numpy()
    if s.shape != (len(targets), cut):
        raise ShapeError(f"method {spec.name!r} returned scores of shape {s.shape}, expected {(len(targets), cut)}")
    for r, t in enumerate(targets):
        last = cut if not model.cfg.causal or t.fn is not None else t.position + 1
        scores[r, :last] = s[r, :last]
    f_x = (out.target_values if out.target_values is not None else G.values_at(model, ctx.ids, None, ctx.targets)).numpy()
    f_b = out.baseline_values.numpy() if out.baseline_values is not None else None
    delta = (np.nansum(scores, axis=1) - (f_x - f_b)).astype(np.float32) if f_b is not None else None
    from interplay.backend.tokens import token_strings

    id_list = [int(i) for i in ids.tolist()]
    return AttributionResult(
        model=model, tokens=token_strings(model.tokenizer, id_list), token_ids=id_list,
        n_prompt=n if n_prompt is None else n_prompt, scores=scores, targets=tuple(targets),
        method=spec.name, params=dict(out.params), signed=spec.signed, target_values=f_x.astype(np.float32),
        baseline_values=None if f_b is None else f_b.astype(np.float32), delta=delta, notes=list(out.notes),
    )


def _ids(model: Model, prompt: str, prepend_bos: bool | None) -> torch.Tensor:
    return model.tokenize(prompt, prepend_bos=prepend_bos).token_ids[0]


def attribute(model: Model, prompt: str, target: TargetLike = None, method: str = "integrated_gradients", *,
              position: int = -1, score: str = "logit", progress: bool | Progress = True,
              prepend_bos: bool | None = None, **params: Any) -> AttributionResult:
    """Attribute one output to the prompt's tokens.

    ``target``: a token (string or id) read at ``position`` (default the last token, whose logits
    predict the next one); ``None``: the model's own top prediction there; ``(token, other)``: the
    logit difference; a callable: any function of the logits ([batch, pos, vocab] -> [batch]).
    ``score``: ``"logit"`` (default), ``"logprob"`` or ``"prob"`` of the token(s). ``method``: see
    :func:`list_methods`; its parameters follow (``n_steps``, ``baseline``, ``internal_batch_size``...).
    """
    ids = _ids(model, prompt, prepend_bos)
    n = int(ids.shape[0])
    if isinstance(position, bool) or not isinstance(position, int) or not -n <= position < n:
        raise InterplayError(f"position {position!r} is out of range: the prompt has {n} tokens "
                             f"(positions 0..{n - 1}, or -{n}..-1 from the end)")
    pos = position % n
    predicted = None
    if target is None:
        with torch.no_grad():
            logits, _ = G.forward(model, ids[: pos + 1] if model.cfg.causal else ids, None, [pos])
        predicted = int(logits[0, 0].argmax())
    t = make_target(model, target, pos, score=score, predicted=predicted)
    return run_method(model, ids, [t], method, progress=progress, **params)


def attribute_generation(model: Model, prompt: str, max_new_tokens: int = 10, method: str = "integrated_gradients", *,
                         score: str = "logit", stop_at_eos: bool = True, progress: bool | Progress = True,
                         prepend_bos: bool | None = None, **params: Any) -> AttributionResult:
    """Greedily generate up to ``max_new_tokens`` and attribute each generated token to every token
    before it: ``scores`` is a [generated, all tokens] matrix (NaN where a source comes after)."""
    if not model.cfg.causal:
        raise InterplayError("attribute_generation needs a causal language model")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise InterplayError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    ids = _ids(model, prompt, prepend_bos)
    n_prompt = int(ids.shape[0])
    if model.cfg.n_ctx is not None and n_prompt + max_new_tokens > model.cfg.n_ctx:
        raise InterplayError(f"{n_prompt} prompt tokens + max_new_tokens={max_new_tokens} exceed the model's "
                             f"context of {model.cfg.n_ctx} tokens")
    eos = getattr(model.tokenizer, "eos_token_id", None)
    for _ in range(max_new_tokens):
        with torch.no_grad():
            logits, _ = G.forward(model, ids, None, [int(ids.shape[0]) - 1])
        nxt = int(logits[0, -1].argmax())
        ids = torch.cat([ids, torch.tensor([nxt])])
        if stop_at_eos and eos is not None and nxt == eos:
            break
    targets = [make_target(model, int(ids[j]), j - 1, score=score) for j in range(n_prompt, int(ids.shape[0]))]
    return run_method(model, ids, targets, method, progress=progress, n_prompt=n_prompt, **params)
