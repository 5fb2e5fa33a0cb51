"""Activation steering: add a direction to the residual stream and watch the output change.

Activation addition (Turner et al. 2023, "Steering Language Models With Activation Engineering")
adds ``coeff * v`` to the residual stream at one layer while the model runs. Contrastive activation
addition (Rimsky et al. 2023, "Steering Llama 2 via Contrastive Activation Addition") takes ``v``
as the mean difference of the activations on contrast pairs (prompts with and without the
property): :func:`steering_vector`. If the model represents the property linearly at that layer,
adding the direction makes the model act as if the prompt had it.

:func:`steer` generates greedily with and without the vector and reports both texts and the change
in the next-token distribution (KL and the tokens whose probability moved most), so a claim like
"this direction encodes sentiment" can be checked on the output, not only on a probe.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay.backend.tokens import token_strings
from interplay.errors import InterplayError, PromptError
from interplay.methods._inputs import tokenize
from interplay.methods._sweep import last_logits
from interplay.methods.interventions import steer_spec

if TYPE_CHECKING:
    from interplay.backend.model import Model

RESIDUAL = ("resid_pre", "resid_mid", "resid_post")


def steering_vector(model: Model, positive: str | Sequence[str], negative: str | Sequence[str], *, layer: int,
                    component: str = "resid_pre", position: int | str = -1) -> torch.Tensor:
    """Mean activation on ``positive`` minus mean on ``negative`` ([d_model], float32, on the CPU).

    ``position``: ``-1`` (each prompt's last token, default), another index, or ``"mean"`` (the mean
    over each prompt's tokens).
    """
    if component not in RESIDUAL:
        raise InterplayError(f"steering vectors live in the residual stream: component is one of {RESIDUAL}")
    means = []
    for prompts, what in ((positive, "positive"), (negative, "negative")):
        p = tokenize(model, prompts, what)
        name = model.resolve((component, layer))[0]
        with torch.no_grad():
            _, store = last_logits(model, p.ids, p.mask, p.last, capture=[name])
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


@dataclass(frozen=True)
class SteeringResult:
    prompt: str
    layer: int
    coeff: float
    baseline_text: str  #: the greedy continuation without steering
    steered_text: str
    baseline_tokens: list[str]
    steered_tokens: list[str]
    next_tokens: dict[str, Any]  #: top-k next tokens before and after: {"baseline": {...}, "steered": {...}}
    kl: float  #: KL(baseline || steered) of the next-token distribution, nats
    changes: list[tuple[str, float, float]]  #: (token, p before, p after), largest |change| first

    def to_dataframe(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.changes, columns=["token", "p_baseline", "p_steered"]).assign(
            change=lambda d: d.p_steered - d.p_baseline)

    def _repr_html_(self) -> str:
        def col(title: str, text: str) -> str:
            return (f"<div style='flex:1;min-width:0'><b>{html.escape(title)}</b><pre style='white-space:pre-wrap'>"
                    f"<span style='opacity:.6'>{html.escape(self.prompt)}</span>{html.escape(text)}</pre></div>")

        return (f"<div class='interplay-steering' style='display:flex;gap:1em'>{col('without steering', self.baseline_text)}"
                f"{col(f'steered (layer {self.layer}, coeff {self.coeff:g})', self.steered_text)}</div>"
                f"<div>next-token KL(baseline || steered) = {self.kl:.4g} nats</div>{self._changes_html()}")

    def _changes_html(self, k: int = 8) -> str:
        """The ``k`` next tokens whose probability steering changed most (token text escaped)."""
        rows = "".join(
            f"<tr><td><code>{html.escape(repr(tok))}</code></td><td>{before:.3f}</td><td>{after:.3f}</td>"
            f"<td style='color:{'#1a7f37' if after >= before else '#cf222e'}'>{after - before:+.3f}</td></tr>"
            for tok, before, after in self.changes[:k]
        )
        return ("<table class='interplay-steering-changes'><thead><tr><th>next token</th><th>p before</th>"
                f"<th>p steered</th><th>change</th></tr></thead><tbody>{rows}</tbody></table>")

    def show(self) -> Any:
        """The two generations side by side (an ipywidgets.HTML)."""
        import ipywidgets

        return ipywidgets.HTML(self._repr_html_())


def _generate(model: Model, prompt: str, interventions: dict[str, list[Any]], steps: int) -> tuple[list[int], torch.Tensor]:
    p = tokenize(model, prompt, "prompt")
    ids = p.ids[0, : p.lengths[0]].tolist()
    first: torch.Tensor | None = None
    eos = model.tokenizer.eos_token_id
    limit = model.cfg.n_ctx or 10**9
    new: list[int] = []
    for _ in range(max(steps, 1)):
        t = torch.tensor([ids + new], device=model.device)
        with torch.no_grad():
            logits, _ = last_logits(model, t, torch.ones_like(t), torch.tensor([t.shape[1] - 1], device=t.device),
                                    interventions)
        if first is None:
            first = logits[0].float()
        nxt = int(logits[0].argmax())
        if steps == 0:
            break
        new.append(nxt)
        if nxt == eos or t.shape[1] + 1 >= limit or len(new) >= steps:
            break
    assert first is not None
    return new, first


def steer(model: Model, prompt: str, vector: Any, *, layer: int, coeff: float = 1.0,
          positions: Sequence[int] | int | None = None, component: str = "resid_pre", max_new_tokens: int = 20,
          top_k: int = 10) -> SteeringResult:
    """Generate from ``prompt`` greedily with and without ``coeff * vector`` added at ``layer``.

    ``vector``: a [d_model] tensor or array, or ``(positive_prompts, negative_prompts)`` to build one
    with :func:`steering_vector`. ``positions``: where to add it (default: every position,
    generated ones included; negative indices count from the end at each step).
    """
    if not isinstance(prompt, str) or not prompt:
        raise PromptError("steer() takes one non-empty prompt string")
    if component not in RESIDUAL:
        raise InterplayError(f"steer adds to the residual stream: component is one of {RESIDUAL}")
    if isinstance(vector, tuple) and len(vector) == 2 and not isinstance(vector[0], (int, float)):
        vector = steering_vector(model, vector[0], vector[1], layer=layer, component=component)
    vec = torch.as_tensor(np.asarray(vector) if not isinstance(vector, torch.Tensor) else vector).float().flatten()
    if vec.shape[0] != model.cfg.d_model:
        raise InterplayError(f"the steering vector has {vec.shape[0]} dimensions; the model's d_model is {model.cfg.d_model}")
    spec = steer_spec(layer, vec, coeff=coeff, positions=positions, component=component)
    name = model.resolve(spec.name)[0]
    base_ids, base_first = _generate(model, prompt, {}, max_new_tokens)
    steer_ids, steer_first = _generate(model, prompt, {name: [spec.fn]}, max_new_tokens)
    tok = model.tokenizer
    lp, lq = base_first.log_softmax(-1), steer_first.log_softmax(-1)
    kl = float((lp.exp() * (lp - lq)).sum())
    p, q = lp.exp(), lq.exp()
    moved = (q - p).abs().topk(min(top_k, p.shape[0])).indices.tolist()
    names = token_strings(tok, moved)
    nexts = {}
    for key, probs in (("baseline", p), ("steered", q)):
        pv, iv = probs.topk(min(top_k, probs.shape[0]))
        nexts[key] = {"tokens": token_strings(tok, iv.tolist()), "probs": [float(x) for x in pv]}
    return SteeringResult(
        prompt=prompt, layer=layer, coeff=float(coeff),
        baseline_text=tok.decode(base_ids), steered_text=tok.decode(steer_ids),
        baseline_tokens=token_strings(tok, base_ids), steered_tokens=token_strings(tok, steer_ids),
        next_tokens=nexts, kl=kl, changes=[(t, float(p[i]), float(q[i])) for t, i in zip(names, moved, strict=True)],
    )
