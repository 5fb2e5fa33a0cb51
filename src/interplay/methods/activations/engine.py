"""The activation heatmap's engine: resolve the names, capture what is missing, reduce each vector."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from interplay.backend.names import NameLike, split_name
from interplay.errors import InterplayError
from interplay.methods._common import as_trace, check_batch, ensure_captured
from interplay.results.heatmap import HeatmapResult
from interplay.widgets.token_heatmap import heatmap_data

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

REDUCE = ("norm", "mean", "max")


def heatmap(model_or_trace: Model | Trace, prompt: str | NameLike | None = None, *, key: NameLike | None = None,
            batch: int = 0, reduce: str = "norm") -> HeatmapResult:
    """One activation reduced to a number per token: ``heatmap(trace, "resid_post")`` or
    ``heatmap(model, prompt, key="resid_post")``.

    ``key`` (default ``"resid_post"``; with a trace, the second argument) is a short block name (one
    row per layer, e.g. ``"resid_post"``), ``(short, layer)`` or one full name (one row). A per-head
    activation (``z``, ``result``) gives one row per layer and head. ``reduce``: ``"norm"`` (L2),
    ``"mean"`` or ``"max"`` over each vector's last axis. ``batch``: which prompt of a batched trace.
    Activations the trace did not capture are captured by running its prompts again.
    """
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

    if isinstance(model_or_trace, Trace) and prompt is not None:  # heatmap(trace, key)
        if key is not None:
            raise InterplayError(f"heatmap(trace, {prompt!r}, key={key!r}): a trace already holds its prompts; "
                                 "name the activation once, e.g. heatmap(trace, 'resid_post')")
        prompt, key = None, prompt
    if prompt is not None and not isinstance(prompt, str):
        raise InterplayError(f"heatmap(model, prompt, key=...): the prompt must be a string, got {prompt!r}")
    key = "resid_post" if key is None else key
    if reduce not in REDUCE:
        raise InterplayError(f"reduce={reduce!r} is not one of 'norm', 'mean', 'max'")
    if not isinstance(model_or_trace, Trace) and (prompt is None or not isinstance(model_or_trace, Model)):
        as_trace(model_or_trace, prompt, "heatmap")  # raises: what the first two arguments must be
    model = model_or_trace.model if isinstance(model_or_trace, Trace) else model_or_trace
    names = model.resolve(key)
    if any(split_name(n)[1] == "attn.hook_pattern" for n in names):
        raise InterplayError("attention patterns are [head, query, key], not a vector per token: "
                             "use interplay.attention(model, prompt).show()")
    if isinstance(model_or_trace, Trace):
        check_batch(model_or_trace, batch)
        trace = ensure_captured(model_or_trace, names)
    else:
        trace = model.run(str(prompt), capture=names)
        check_batch(trace, batch)
    n = trace.lengths[batch]
    rows: list[torch.Tensor] = []
    labels: list[str] = []
    for name in names:
        act = trace.activations[name][batch, :n].float()
        if act.ndim == 1:
            raise InterplayError(f"{name!r} has no vector per token to reduce")
        red = _reduce(act, reduce)  # [pos] or [pos, head]
        layer, suffix = split_name(name)
        where = f"L{layer}" if layer is not None else suffix
        if red.ndim == 2:
            rows.extend(red.T)
            labels.extend(f"{where}.H{h}" for h in range(red.shape[1]))
        else:
            rows.append(red)
            labels.append(where)
    values = torch.stack(rows).detach().cpu().numpy()
    return HeatmapResult(heatmap_data(trace.str_tokens[batch], values, labels=labels, title=f"{reduce} of {key}",
                                      value_label=f"{reduce}({key})"))


def _reduce(act: torch.Tensor, how: str) -> torch.Tensor:
    if how == "norm":
        norm: torch.Tensor = torch.linalg.vector_norm(act, dim=-1)
        return norm
    if how == "mean":
        return act.mean(dim=-1)
    return act.amax(dim=-1)
