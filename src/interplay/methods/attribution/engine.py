"""The gradient engine under the attribution methods: targets, batched forward and backward passes
through the token embeddings, backing off when memory runs out, and the method registry.

Every pass is one :meth:`interplay.backend.model.Model.forward`: the token embeddings
(``hook_embed``) are replaced by a leaf tensor we hold (an intervention), so gradients arrive with
respect to exactly what the attribution is about, and no hook outlives the pass. Logits are computed
only at the positions a target reads (``keep_positions``: the model's ``logits_to_keep`` where the
layout says it has one), which is most of the speed-up over computing every position's logits: the
unembedding of a 50k vocabulary is as costly as several layers.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from interplay.data.attribution import SCORES
from interplay.errors import InterplayError, MetricError, ShapeError
from interplay.methods._progress import progress_bar

if TYPE_CHECKING:
    from interplay.backend.hooks import Intervention
    from interplay.backend.model import Model

log = logging.getLogger("interplay")

__all__ = ["SCORES", "AttributionContext", "MethodOutput", "MethodSpec", "Target", "get_method", "list_methods",
           "register_method"]

#: a function of the logits: [batch, pos, vocab] -> [batch] (one scalar per batch row)
LogitFn = Callable[[torch.Tensor], torch.Tensor]
Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class Target:
    """One scalar to explain: read from the logits at ``position`` (which predict the token after it).

    ``token_id`` (minus ``contrast_id``, a logit difference) as a ``score`` of ``"logit"``,
    ``"logprob"`` or ``"prob"``; or ``fn``, any function of the whole logits tensor.
    """

    position: int
    label: str
    token_id: int | None = None
    contrast_id: int | None = None
    score: str = "logit"
    fn: LogitFn | None = None

    def value(self, logits: torch.Tensor, column: int | None) -> torch.Tensor:
        """[batch] values from ``logits`` ([batch, kept positions, vocab]; ``column`` indexes ours)."""
        if self.fn is not None:
            out = self.fn(logits)
            if not isinstance(out, torch.Tensor) or tuple(out.shape) not in ((logits.shape[0],), (logits.shape[0], 1)):
                got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                raise ShapeError(
                    f"the target function must return one scalar per batch row, shape ({logits.shape[0]},); "
                    f"it returned {got} for logits of shape {tuple(logits.shape)}"
                )
            if not bool(torch.isfinite(out.detach()).all()):
                bad = out.detach().reshape(-1)[~torch.isfinite(out.detach().reshape(-1))][0].item()
                raise MetricError(f"the target function returned {bad} for some batch row; it must return finite "
                                  "numbers, one per batch row")
            return out.reshape(-1).float()
        assert column is not None and self.token_id is not None
        x = logits[:, column, :].float()
        if self.score == "logprob":
            x = x.log_softmax(-1)
        elif self.score == "prob":
            x = x.softmax(-1)
        v = x[:, self.token_id]
        return v - x[:, self.contrast_id] if self.contrast_id is not None else v


def keep_positions(targets: Sequence[Target]) -> list[int] | None:
    """The logit positions the targets read (None: a function target needs them all)."""
    if any(t.fn is not None for t in targets):
        return None
    return sorted({t.position for t in targets})


def target_values(rows: Sequence[Target], logits: torch.Tensor, keep: list[int] | None) -> torch.Tensor:
    """Each row's target evaluated on its row of ``logits`` (rows sharing a target go together)."""
    out = torch.empty(len(rows), device=logits.device)
    groups: dict[int, list[int]] = {}
    by_id: dict[int, Target] = {}
    for i, t in enumerate(rows):
        groups.setdefault(id(t), []).append(i)
        by_id[id(t)] = t
    for key, idx in groups.items():
        t = by_id[key]
        column = None if keep is None or t.fn is not None else keep.index(t.position)
        sel = torch.tensor(idx, device=logits.device)
        out[sel] = t.value(logits[sel], column)
    return out


# --------------------------------------------------------------------------------------------------
# passes


def forward(model: Model, ids: torch.Tensor, embeds: torch.Tensor | None, keep: list[int] | None, *,
            capture: Sequence[str] = (), grad: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Logits ([batch, kept, vocab]) of ``ids`` ([pos]) with the token embeddings replaced by ``embeds``
    ([batch, pos, d_model]; None keeps the model's own, batch 1): one :meth:`Model.forward`."""
    batch = 1 if embeds is None else embeds.shape[0]
    batch_ids = ids.unsqueeze(0).expand(batch, -1)
    interventions: list[tuple[str, Intervention]] = []
    if embeds is not None:
        replacement = embeds

        def put(act: torch.Tensor, name: str) -> torch.Tensor:
            return replacement

        interventions.append(("hook_embed", put))
    out = model.forward(batch_ids, None, keep_positions=keep, capture=capture, interventions=interventions, grad=grad)
    if out.logits is None:
        raise InterplayError(f"{type(model.hf_model).__name__} returns no logits: attribution needs an LM head")
    return out.logits, out.activations


def embed(model: Model, ids: torch.Tensor) -> torch.Tensor:
    """The token embeddings (``hook_embed``, the embedding table's output) of ``ids`` ([pos]) as
    [pos, d_model], float32: a table lookup, not a forward pass."""
    module, _ = model.layout.site("hook_embed")
    with torch.no_grad():
        out: torch.Tensor = module(ids.to(model.device).unsqueeze(0))
    return out[0].float()


def values_at(model: Model, ids: torch.Tensor, embeds: torch.Tensor | None, targets: Sequence[Target]) -> torch.Tensor:
    """Every target's value for one input ([target]), or for several ([k, target]) when ``embeds`` is
    [k, pos, d]: one forward pass, no gradients."""
    keep = keep_positions(targets)
    single = embeds is None or embeds.ndim == 2
    e = None if embeds is None else (embeds.unsqueeze(0) if single else embeds).to(model.device, model.dtype)
    rows = list(targets)
    logits, _ = forward(model, ids, e, keep)
    with torch.no_grad():
        out = torch.stack([target_values(rows, row.expand(len(rows), *row.shape), keep) for row in logits])
    return out[0].float().cpu() if single else out.float().cpu()


def gradients(model: Model, ids: torch.Tensor, embeds: torch.Tensor, rows: Sequence[Target]) -> tuple[torch.Tensor, torch.Tensor]:
    """d(target of row r)/d(embeds[r]) for a batch: embeds [batch, pos, d] -> (grads float32, values [batch])."""
    keep = keep_positions(rows)
    leaf = embeds.to(model.device, model.dtype).detach().requires_grad_(True)
    logits, _ = forward(model, ids, leaf, keep, grad=True)
    with torch.enable_grad():
        values = target_values(rows, logits, keep)
        (grad,) = torch.autograd.grad(values.sum(), leaf)
    return grad.float(), values.detach().float()


def is_out_of_memory(exc: BaseException) -> bool:
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def run_batched(total: int, batch_size: int, step: Callable[[int, int], None], *,
                progress: bool | Progress = False, desc: str = "attribution") -> int:
    """Call ``step(start, stop)`` over ``range(total)`` in batches; halve the batch when memory runs
    out (down to 1, then a clear error). Returns the batch size that finally worked."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise InterplayError(f"internal_batch_size must be a positive integer, got {batch_size!r}")
    batch_size = int(batch_size)
    bar = progress_bar(total, desc) if progress is True else None
    callback = progress if callable(progress) else None
    start, size = 0, batch_size
    try:
        while start < total:
            stop = min(total, start + size)
            try:
                step(start, stop)
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                if size == 1:
                    raise InterplayError(
                        "out of memory with internal_batch_size=1: shorten the prompt or use a smaller model"
                    ) from exc
                size = max(1, size // 2)
                log.warning("interplay: out of memory; retrying with internal_batch_size=%d", size)
                continue
            if bar is not None:
                bar.update(stop - start)
            if callback is not None:
                callback(stop, total)
            start = stop
    finally:
        if bar is not None:
            bar.close()
    return size


# --------------------------------------------------------------------------------------------------
# what a method gets and returns, and the registry


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
        return embed(self.model, self.ids)

    def default_batch(self, total: int) -> int:
        per_batch = (16384 if self.model.device.type == "cuda" else 4096) // max(1, int(self.ids.shape[0]))
        return max(1, min(total, per_batch))

    def grads(self, total: int, embeds_for: Callable[[int, int], torch.Tensor], target_of: Callable[[int], Target],
              consume: Callable[[int, int, torch.Tensor, torch.Tensor], None], batch_size: int | None,
              desc: str) -> int:
        """Gradients for rows ``0..total-1`` in batches: ``embeds_for(start, stop)`` gives their
        embeddings [b, pos, d], ``target_of(row)`` their targets, and ``consume(start, stop, grads
        [b, pos, d], values [b])`` takes the answer. Returns the batch size that worked."""
        def step(start: int, stop: int) -> None:
            g, v = gradients(self.model, self.ids, embeds_for(start, stop), [target_of(i) for i in range(start, stop)])
            consume(start, stop, g, v)

        size = self.default_batch(total) if batch_size is None else batch_size
        return run_batched(total, size, step, progress=self.progress, desc=desc)


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
    """The registered methods' names (aliases such as ``"ig"`` also work where a name is asked)."""
    return list(_METHODS)


def get_method(name: str) -> MethodSpec:
    key = _ALIASES.get(name, name)
    if key not in _METHODS:
        raise InterplayError(f"unknown attribution method {name!r}; known: {', '.join(_METHODS)} "
                             f"(aliases: {', '.join(sorted(_ALIASES))})")
    return _METHODS[key]
