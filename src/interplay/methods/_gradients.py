"""The gradient engine under :mod:`interplay.methods.attribution`: targets, batched forward and
backward passes through the token embeddings, and backing off when memory runs out.

Every pass goes through the backend's scoped hooks (:func:`interplay.backend.hooks.hooked`): the
token embeddings (``hook_embed``) are replaced by a leaf tensor we hold, so gradients arrive with
respect to exactly what the attribution is about, and no hook outlives the pass. Logits are computed
only at the positions a target reads (``logits_to_keep``), which is most of the speed-up over
computing every position's logits: the unembedding of a 50k vocabulary is as costly as several
layers.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from interplay.backend.hooks import hooked
from interplay.errors import InterplayError, ShapeError

if TYPE_CHECKING:
    from interplay.backend.model import Model

log = logging.getLogger("interplay")

SCORES = ("logit", "logprob", "prob")
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


def _supports_keep(model: Model) -> bool:
    cached = getattr(model, "_interplay_keeps_logits", None)
    if cached is None:
        cached = "logits_to_keep" in inspect.signature(model.hf_model.forward).parameters
        model._interplay_keeps_logits = cached  # type: ignore[attr-defined]
    return bool(cached)


def forward(model: Model, ids: torch.Tensor, embeds: torch.Tensor | None, keep: list[int] | None,
            capture: Sequence[str] = ()) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Logits ([batch, kept, vocab]) of ``ids`` ([pos]) with the token embeddings replaced by ``embeds``
    ([batch, pos, d_model]; None keeps the model's own, batch 1). Grad mode is the caller's."""
    batch = 1 if embeds is None else embeds.shape[0]
    batch_ids = ids.to(model.device).unsqueeze(0).expand(batch, -1)
    interventions: dict[str, list[Any]] = {}
    if embeds is not None:
        def put(act: torch.Tensor, name: str) -> torch.Tensor:
            return embeds

        interventions["hook_embed"] = [put]
    names = set(interventions) | set(capture)
    kwargs: dict[str, Any] = {}
    if keep is not None and _supports_keep(model):
        kwargs["logits_to_keep"] = torch.tensor(keep, device=model.device)
    with hooked(model.layout, names, set(capture), interventions, detach=True) as store:
        out = model.hf_model(input_ids=batch_ids, **kwargs)
    logits = getattr(out, "logits", None)
    if logits is None:
        raise InterplayError(f"{type(model.hf_model).__name__} returns no logits: attribution needs an LM head")
    if keep is not None and "logits_to_keep" not in kwargs:
        logits = logits[:, keep]
    return logits, dict(store)


def embed(model: Model, ids: torch.Tensor) -> torch.Tensor:
    """The token embeddings (``hook_embed``) of ``ids`` ([pos]) as [pos, d_model], float32."""
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
    with torch.no_grad():
        logits, _ = forward(model, ids, e, keep)
        out = torch.stack([target_values(rows, row.expand(len(rows), *row.shape), keep) for row in logits])
    return out[0].float().cpu() if single else out.float().cpu()


def gradients(model: Model, ids: torch.Tensor, embeds: torch.Tensor, rows: Sequence[Target]) -> tuple[torch.Tensor, torch.Tensor]:
    """d(target of row r)/d(embeds[r]) for a batch: embeds [batch, pos, d] -> (grads float32, values [batch])."""
    keep = keep_positions(rows)
    leaf = embeds.to(model.device, model.dtype).detach().requires_grad_(True)
    with torch.enable_grad():
        logits, _ = forward(model, ids, leaf, keep)
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
    if batch_size < 1:
        raise InterplayError(f"internal_batch_size must be a positive integer, got {batch_size}")
    bar = _bar(total, desc) if progress is True else None
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


def _bar(total: int, desc: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with transformers
        return None
    return tqdm(total=total, desc=desc, leave=False)
