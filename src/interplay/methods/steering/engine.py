"""Steering's engine: contrastive mean differences, and greedy generation with and without the
vector, every step one pass of the backend's forward engine (:meth:`Model.forward`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay.data.steering import SteeringData
from interplay.data.tokens import token_strings
from interplay.errors import InterplayError, PromptError
from interplay.methods._common import require_model
from interplay.methods._inputs import tokenize
from interplay.methods.interventions import Spec, steer_spec
from interplay.results.steering import SteeringResult

if TYPE_CHECKING:
    from interplay.backend.model import Model

RESIDUAL = ("resid_pre", "resid_mid", "resid_post")


def _check_site(model: Model, component: str, layer: Any, fn: str) -> int:
    if component not in RESIDUAL:
        raise InterplayError(f"{fn}: component={component!r}; steering vectors live in the residual stream: "
                             f"use one of {RESIDUAL}")
    n = model.cfg.n_layers
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -n <= int(layer) < n:
        raise InterplayError(f"{fn}: layer={layer!r} must be an integer layer of the model (0..{n - 1})")
    return int(layer) % n


def steering_vector(model: Model, positive: str | Sequence[str], negative: str | Sequence[str], *, layer: int,
                    component: str = "resid_pre", position: int | str = -1) -> torch.Tensor:
    """Mean activation on ``positive`` minus mean on ``negative`` ([d_model], float32, on the CPU).

    ``position``: ``-1`` (each prompt's last token, default), another index, or ``"mean"`` (the mean
    over each prompt's tokens).
    """
    model = require_model(model, "steering_vector")
    layer = _check_site(model, component, layer, "steering_vector")
    if position != "mean" and (isinstance(position, bool) or not isinstance(position, int)):
        raise InterplayError(f"steering_vector: position={position!r}; use a token index (-1: the last) or 'mean'")
    name = model.resolve((component, layer))[0]
    means = []
    for prompts, what in ((positive, "positive"), (negative, "negative")):
        p = tokenize(model, prompts, what)
        _, store = p.last_logits(model, capture=[name])
        act = store[name].float()
        rows = []
        for i, n in enumerate(p.lengths):
            if position == "mean":
                rows.append(act[i, :n].mean(0))
            elif isinstance(position, int) and -n <= position < n:
                rows.append(act[i, position % n])
            else:
                raise InterplayError(f"position {position!r} is not a token of {what} prompt {i} ({n} tokens)")
        means.append(torch.stack(rows).mean(0))
    return (means[0] - means[1]).cpu()


def _as_vector(vector: Any, d_model: int) -> torch.Tensor:
    """A [d_model] float32 CPU tensor from a tensor, a numpy array or a list."""
    try:
        if isinstance(vector, torch.Tensor):
            vec = vector.detach().float().cpu().flatten()
        else:
            vec = torch.from_numpy(np.array(vector, dtype=np.float32)).flatten()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InterplayError(f"the steering vector must be a [d_model] array or tensor (or (positive, negative) "
                             f"prompts); got {type(vector).__name__}: {exc}") from None
    if vec.shape[0] != d_model:
        raise InterplayError(f"the steering vector has {vec.shape[0]} dimensions; the model's d_model is {d_model}")
    if not bool(torch.isfinite(vec).all()):
        raise InterplayError("the steering vector has NaN or infinite entries")
    return vec


def greedy_generate(model: Model, ids: list[int], specs: Sequence[Spec], steps: int, **forward: Any
                    ) -> tuple[list[int], torch.Tensor]:
    """Greedy continuation of ``ids`` (``steps`` tokens at most, stopping at EOS or the context's end)
    with ``specs`` on every pass, and the first step's logits (the prompt's next-token logits).
    ``forward``: more options of every :meth:`Model.forward` (e.g. ``dictionaries=``, ``include_error=``)."""
    first: torch.Tensor | None = None
    eos = model.tokenizer.eos_token_id
    limit = model.cfg.n_ctx or 10**9
    new: list[int] = []
    while True:
        t = torch.tensor([ids + new], device=model.device)
        out = model.forward(t, keep_positions=[t.shape[1] - 1], interventions=specs, **forward)
        assert out.logits is not None
        logits = out.logits[0, 0].float()
        if first is None:
            first = logits
        if len(new) >= steps:
            break
        nxt = int(logits.argmax())
        new.append(nxt)
        if nxt == eos or t.shape[1] + 1 >= limit or len(new) >= steps:
            break
    return new, first


def next_token_changes(tokenizer: Any, base_logits: torch.Tensor, steered_logits: torch.Tensor, k: int
                       ) -> tuple[float, list[list[Any]], dict[str, dict[str, list[Any]]]]:
    """How a next-token distribution moved: KL(baseline || steered) in nats, the ``k`` tokens whose
    probability changed most (``[token, p_before, p_after]``, largest change first) and the top ``k``
    next tokens of each run (``{"baseline": {"tokens", "probs"}, "steered": ...}``)."""
    lp, lq = base_logits.float().log_softmax(-1), steered_logits.float().log_softmax(-1)
    kl = max(0.0, float((lp.exp() * (lp - lq)).sum()))
    prob, qrob = lp.exp(), lq.exp()
    k = min(int(k), prob.shape[0])
    moved = [int(i) for i in (qrob - prob).abs().topk(k).indices.tolist()]
    nexts: dict[str, dict[str, list[Any]]] = {}
    for key, probs in (("baseline", prob), ("steered", qrob)):
        pv, iv = probs.topk(k)
        nexts[key] = {"tokens": token_strings(tokenizer, [int(i) for i in iv.tolist()]),
                      "probs": [float(x) for x in pv]}
    changes: list[list[Any]] = [[t, float(prob[i]), float(qrob[i])]
                                for t, i in zip(token_strings(tokenizer, moved), moved, strict=True)]
    return kl, changes, nexts


def steer(model: Model, prompt: str, vector: Any, *, layer: int, coeff: float = 1.0,
          positions: Sequence[int] | int | None = None, component: str = "resid_pre", max_new_tokens: int = 20,
          top_k: int = 10) -> SteeringResult:
    """Generate from ``prompt`` greedily with and without ``coeff * vector`` added at ``layer``.

    ``vector``: a [d_model] tensor or numpy array (a probe's direction), or ``(positive_prompts,
    negative_prompts)`` to build one with :func:`steering_vector`. ``positions``: where to add it
    (default: every position, generated ones included; negative indices count from the end at each
    step). ``max_new_tokens``: tokens to generate (0: only the next-token change); ``top_k``: next
    tokens listed before and after.
    """
    model = require_model(model, "steer", causal=True)
    if not isinstance(prompt, str) or not prompt:
        raise PromptError(f"steer() takes one non-empty prompt string, not {prompt!r}"[:200])
    layer = _check_site(model, component, layer, "steer")
    if isinstance(coeff, bool) or not isinstance(coeff, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(coeff)):
        raise InterplayError(f"steer: coeff={coeff!r} must be a finite number (the vector's scale)")
    for name, value, low in (("max_new_tokens", max_new_tokens, 0), ("top_k", top_k, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InterplayError(f"steer: {name}={value!r} must be an integer >= {low}")
    if isinstance(vector, tuple) and len(vector) == 2 and not isinstance(vector[0], (int, float)):
        vector = steering_vector(model, vector[0], vector[1], layer=layer, component=component)
    vec = _as_vector(vector, model.cfg.d_model)
    spec = steer_spec(layer, vec, coeff=float(coeff), positions=positions, component=component)
    p = tokenize(model, prompt, "prompt")
    ids = [int(i) for i in p.ids[0, : p.lengths[0]].tolist()]
    base_ids, base_first = greedy_generate(model, ids, [], int(max_new_tokens))
    steer_ids, steer_first = greedy_generate(model, ids, [spec], int(max_new_tokens))
    tok = model.tokenizer
    kl, changes, nexts = next_token_changes(tok, base_first, steer_first, int(top_k))
    data = SteeringData(
        prompt=prompt, layer=layer, coeff=float(coeff), baseline_text=tok.decode(base_ids),
        steered_text=tok.decode(steer_ids), baseline_tokens=token_strings(tok, base_ids),
        steered_tokens=token_strings(tok, steer_ids), next_tokens=nexts, kl=kl, changes=changes, component=component)
    return SteeringResult(data)
