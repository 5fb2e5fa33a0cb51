"""Direct logit attribution's engine: every component's write at one position, through the final norm
with its scale frozen at this run's value, projected on the target's unembedding direction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay._deprecation import warn
from interplay.data.dla import DLAData
from interplay.errors import InterplayError
from interplay.methods._common import as_trace, check_batch, ensure_captured, single_token_id, token_label
from interplay.results.dla import DLAResult

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

Token = str | int | None
_GRAMMAR = "direct_logit_attribution(model_or_trace, prompt, target=..., baseline=...)"


def direct_logit_attribution(model_or_trace: Model | Trace, prompt: str | None = None, /, *old: Token,
                             target: Token = None, baseline: Token = None, position: int = -1, batch: int = 0,
                             **legacy: Any) -> DLAResult:
    """Each component's direct contribution to ``logit(target)`` (minus ``logit(baseline)``) at
    ``position`` (default: the last token): ``direct_logit_attribution(trace, target=" Mary")`` or
    ``direct_logit_attribution(model, prompt, target=" Mary", baseline=" John")``.

    ``target=None`` uses the model's own top prediction there; ``batch``: which prompt of a batched
    trace. The old call shapes ``(trace, target, baseline)`` and ``(model, target, baseline,
    prompt=...)`` still work for one release, with a DeprecationWarning.
    """
    prompt, target, baseline = _arguments(model_or_trace, prompt, old, target, baseline, legacy)
    trace, session_trace = _trace(model_or_trace, prompt, batch)
    data = decompose(trace, target, baseline, position, batch)
    return DLAResult(data, DLASession(session_trace, batch))


class DLASession:
    """The live part of a DLA: the run it decomposed (implements
    :class:`interplay.results.dla.DLASession`)."""

    def __init__(self, trace: Trace, batch: int) -> None:
        self.trace, self.batch = trace, batch

    def attention(self) -> Any:
        from interplay.methods.attention import attention

        return attention(self.trace, batch=self.batch)


def _arguments(first: Any, prompt: Any, old: tuple[Token, ...], target: Token, baseline: Token,
               legacy: dict[str, Any]) -> tuple[str | None, Token, Token]:
    """(prompt, target, baseline) from the new grammar or one of the deprecated call shapes."""
    from interplay.backend.trace import Trace

    kw_prompt = legacy.pop("prompt", None)
    if legacy:
        raise TypeError(f"direct_logit_attribution() got unexpected keyword argument(s) {sorted(legacy)}; "
                        f"it takes {_GRAMMAR}, position=, batch=")
    is_trace = isinstance(first, Trace)
    if kw_prompt is not None and prompt is None and not old:
        return kw_prompt, target, baseline  # the prompt as a keyword: the new grammar too
    if not old and (prompt is None or not (is_trace or kw_prompt is not None)):
        return prompt, target, baseline  # the new grammar
    if not is_trace and kw_prompt is None:
        raise TypeError(f"direct_logit_attribution takes the model and the prompt positionally, and every option "
                        f"as a keyword: {_GRAMMAR}")
    given = [prompt, *old]
    if len(given) > 2:
        raise TypeError(f"direct_logit_attribution takes at most target and baseline positionally (deprecated); "
                        f"use {_GRAMMAR}")
    old_target, old_baseline = given[0], given[1] if len(given) > 1 else None
    clash = [n for n, a, b in (("target", old_target, target), ("baseline", old_baseline, baseline))
             if a is not None and b is not None]
    if clash:
        raise TypeError(f"direct_logit_attribution got {clash} both positionally and as keywords")
    shape = "(trace, target, baseline)" if is_trace else "(model, target, baseline, prompt=...)"
    warn(f"direct_logit_attribution{shape}", _GRAMMAR, stacklevel=4)
    return kw_prompt, old_target if target is None else target, old_baseline if baseline is None else baseline


def _names(model: Model) -> list[str]:
    n_layers = model.cfg.n_layers
    names = ["blocks.0.hook_resid_pre", f"blocks.{n_layers - 1}.hook_resid_post",
             *[f"blocks.{i}.attn.hook_result" for i in range(n_layers)],
             *[f"blocks.{i}.hook_mlp_out" for i in range(n_layers)]]
    return [*names, "hook_pos_embed"] if model.layout.adapter.pos_embed else names


def _trace(first: Any, prompt: str | None, batch: int) -> tuple[Trace, Trace]:
    """(the run with every component captured, the run the session keeps: light, or the user's own)."""
    from interplay.backend.model import Model

    if isinstance(first, Model) and prompt is not None:
        _check_model(first)
        captured = first.run(prompt, capture=_names(first))
        check_batch(captured, batch)
        return captured, dataclasses.replace(captured, activations={})
    trace = as_trace(first, prompt, "direct_logit_attribution")
    _check_model(trace.model)
    check_batch(trace, batch)
    return ensure_captured(trace, _names(trace.model)), trace


def _check_model(model: Model) -> None:
    adapter = model.layout.adapter
    if adapter.attn_out != adapter.attention or not model.cfg.causal:
        raise InterplayError(
            f"per-head direct logit attribution needs heads that write linearly to the residual stream; "
            f"{model.cfg.model_type} normalises the attention output (or is an encoder)")


def frozen_norm(model: Model, resid: torch.Tensor) -> tuple[Callable[[torch.Tensor], torch.Tensor], float,
                                                             torch.Tensor, list[str]]:
    """(the final norm as a linear map, with its scale frozen at its value for ``resid``; that scale;
    the norm's bias vector; notes). The kind of norm and Gemma's ``1 + weight`` come from the adapter."""
    adapter = model.layout.adapter
    norm = model.final_norm()
    d = resid.shape[-1]
    weight, bias = getattr(norm, "weight", None), getattr(norm, "bias", None)
    w = torch.ones(d) if weight is None else weight.detach().float().cpu()
    b = torch.zeros(d) if bias is None else bias.detach().float().cpu()
    eps = getattr(norm, "eps", None) or getattr(norm, "variance_epsilon", None)
    notes = [] if eps is not None else ["the final norm has no eps attribute: assumed 1e-5"]
    eps = float(eps or 1e-5)
    if adapter.norm == "rmsnorm":
        w = adapter.norm_offset + w
        scale = float(torch.sqrt(resid.pow(2).mean() + eps))
        return (lambda c: c / scale * w), scale, b, notes
    scale = float(torch.sqrt(resid.var(unbiased=False) + eps))
    return (lambda c: (c - c.mean(-1, keepdim=True)) / scale * w), scale, b, notes


def decompose(trace: Trace, target: Token, baseline: Token, position: int, batch: int) -> DLAData:
    """The decomposition of one position of one prompt of ``trace`` (which holds every component)."""
    model = trace.model
    n_layers, n = model.cfg.n_layers, trace.lengths[batch]
    if isinstance(position, bool) or not isinstance(position, int):
        raise InterplayError(f"position must be an integer (a token index, negative from the end), got {position!r}")
    pos = position + n if position < 0 else position
    if not 0 <= pos < n:
        raise InterplayError(f"position {position} is out of range for a prompt of {n} tokens")
    # the position embedding may be captured once for the whole batch ([1, pos, d_model])
    acts = {k: trace.activations[k][min(batch, trace.activations[k].shape[0] - 1), pos].detach().float().cpu()
            for k in _names(model)}
    resid = acts[f"blocks.{n_layers - 1}.hook_resid_post"]
    logits, notes = _logits(model, trace, batch, pos, resid)
    tid = single_token_id(model, target, "target") if target is not None else int(logits.argmax())
    bid = single_token_id(model, baseline, "baseline") if baseline is not None else None
    direction, bias_term = _direction(model, tid, bid)
    label = f"logit({token_label(model, tid)!r})" + (f" - logit({token_label(model, bid)!r})" if bid is not None else "")
    tokens = list(trace.str_tokens[batch])
    label += f" at pos {pos} ({tokens[pos]!r})"
    frozen, scale, norm_bias, norm_notes = frozen_norm(model, resid)

    def contrib(c: torch.Tensor) -> torch.Tensor:
        return frozen(c) @ direction

    heads = torch.stack([contrib(acts[f"blocks.{layer}.attn.hook_result"]) for layer in range(n_layers)])
    comps: list[tuple[str, float]] = []
    embed = acts["blocks.0.hook_resid_pre"]
    if "hook_pos_embed" in acts:
        comps += [("embed", float(contrib(embed - acts["hook_pos_embed"]))),
                  ("pos_embed", float(contrib(acts["hook_pos_embed"])))]
    else:
        comps.append(("embed", float(contrib(embed))))
    for layer in range(n_layers):
        o_bias: Any = model.layout.o_proj(layer).bias
        b_o = float(contrib(o_bias.detach().float().cpu())) if o_bias is not None else 0.0
        comps.append((f"L{layer}.attn", float(heads[layer].sum()) + b_o))
        comps.append((f"L{layer}.mlp", float(contrib(acts[f"blocks.{layer}.hook_mlp_out"]))))
    comps.append(("bias", float(norm_bias @ direction) + bias_term))
    total = float(logits[tid] - (logits[bid] if bid is not None else 0.0))
    notes = [f"final norm scale frozen at {scale:.4g} (this run's value at pos {pos})",
             f"sum of contributions {sum(v for _, v in comps):.4f}; the model's value {total:.4f}",
             *notes, *norm_notes]
    return DLAData(heads=heads.numpy(), components=np.array([v for _, v in comps], np.float32), component_labels=[k for k, _ in comps],
                   total=total, scale=scale, target_label=label, position=pos, tokens=tokens, notes=notes,
                   batch=batch)


def _logits(model: Model, trace: Trace, batch: int, pos: int, resid: torch.Tensor) -> tuple[torch.Tensor, list[str]]:
    """The model's logits at ``pos`` before any softcap (the quantity the contributions add up to)."""
    if trace.logits is not None:
        logits = trace.logits[batch, pos].detach().float().cpu()
    else:
        with torch.no_grad():
            x = model.final_norm()(resid.to(model.device, model.dtype)[None])
            logits = model.unembed(x)[0].float().cpu()
    cap = model.layout.logit_softcap
    if not cap:
        return logits, []
    edge = 1.0 - 1e-7
    logits = cap * torch.atanh((logits / cap).clamp(-edge, edge))
    return logits, [f"logits are softcapped ({cap:g} * tanh(x / {cap:g})): the contributions add up to the logit "
                    "before the cap"]


def _direction(model: Model, tid: int, bid: int | None) -> tuple[torch.Tensor, float]:
    """(the unembedding direction of ``tid`` minus ``bid``'s, the unembedding bias's part)."""
    unembed = model.layout.unembed()
    if unembed is None:
        raise InterplayError(f"{model.cfg.model_type} has no unembedding (an encoder without an LM head)")
    weight: Any = unembed.weight
    u_bias: Any = getattr(unembed, "bias", None)
    direction = weight[tid].detach().float().cpu()
    bias_term = float(u_bias[tid]) if u_bias is not None else 0.0
    if bid is not None:
        direction = direction - weight[bid].detach().float().cpu()
        bias_term -= float(u_bias[bid]) if u_bias is not None else 0.0
    return direction, bias_term
