"""Direct logit attribution: how much each head, MLP and embedding writes straight into a logit.

The residual stream at the last layer is a sum of every component's output (embeddings, each head's
result, each attention bias, each MLP). The final norm is not linear, but with its scale frozen at the
value it had in this run it is (Elhage et al. 2021, "A Mathematical Framework for Transformer
Circuits"; used for IOI in Wang et al. 2022): LayerNorm maps ``x`` to ``(x - mean(x)) / s * w + b``, so
component ``c`` contributes ``((c - mean(c)) / s * w) . u`` to the logit along unembedding direction
``u`` (RMSNorm: ``c / s * w . u``). The contributions plus the bias term (``b . u`` + the unembedding's
bias) sum exactly to the logit (or logit difference, with a baseline token). The frozen scale ``s``
is recorded in the result, because it is what makes the decomposition exact only for this run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.errors import InterplayError
from interplay.methods._common import ensure_captured, final_norm, single_token_id

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace


@dataclass(frozen=True)
class DLAResult:
    heads: npt.NDArray[np.float32]  #: [layer, head]
    components: npt.NDArray[np.float32]  #: [component]
    component_labels: list[str]
    total: float  #: the logit (difference) in the run
    scale: float  #: the frozen final-norm scale
    target_label: str
    position: int
    tokens: list[str]
    notes: list[str]
    trace: Trace = field(repr=False)
    batch: int = 0

    def to_dataframe(self) -> Any:
        import pandas as pd

        rows = [{"component": f"L{layer}.H{head}", "layer": layer, "head": head, "value": float(self.heads[layer, head])}
                for layer in range(self.heads.shape[0]) for head in range(self.heads.shape[1])]
        rows += [{"component": label, "layer": None, "head": None, "value": float(v)}
                 for label, v in zip(self.component_labels, self.components, strict=True)]
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Any:
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(1 + 0.5 * self.heads.shape[1], 1 + 0.4 * self.heads.shape[0]))
        lim = float(np.abs(self.heads).max()) or 1.0
        im = ax.imshow(self.heads, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xlabel("head")
        ax.set_ylabel("layer")
        ax.set_title(self.target_label)
        ax.figure.colorbar(im, ax=ax, label="direct contribution")
        return ax

    def show(self, attention: bool = True, **kwargs: Any) -> Any:
        """The DLAView; with ``attention=True``, above an AttentionView linked to it in the browser
        (clicking a head selects it in the AttentionView, with no round trip to Python)."""
        from interplay.widgets.dla import DLAView

        view = DLAView(self, **kwargs)
        if not attention:
            return view
        import ipywidgets

        from interplay.widgets.attention import AttentionView

        attn = AttentionView.from_trace(self.trace, batch=self.batch)
        ipywidgets.jslink((view, "selected"), (attn, "selected"))
        return ipywidgets.VBox([view, attn])


def _frozen_norm(model: Model, resid: torch.Tensor) -> tuple[Any, float, torch.Tensor]:
    """(linear map c -> normalised c with the run's scale, that scale, the norm's bias vector)."""
    norm = final_norm(model)
    weight = getattr(norm, "weight", None)
    eps = float(getattr(norm, "eps", None) or getattr(norm, "variance_epsilon", None) or 1e-5)
    d = resid.shape[-1]
    w = torch.ones(d) if weight is None else weight.detach().float().cpu()
    if "gemma" in type(norm).__name__.lower():
        w = 1.0 + w  # Gemma's RMSNorm multiplies by (1 + weight)
    bias = getattr(norm, "bias", None)
    b = torch.zeros(d) if bias is None else bias.detach().float().cpu()
    if isinstance(norm, torch.nn.LayerNorm):
        scale = float(torch.sqrt(resid.var(unbiased=False) + eps))
        return (lambda c: (c - c.mean(-1, keepdim=True)) / scale * w), scale, b
    if "rmsnorm" in type(norm).__name__.lower():
        scale = float(torch.sqrt(resid.pow(2).mean() + eps))
        return (lambda c: c / scale * w), scale, b
    raise InterplayError(f"direct logit attribution does not know the final norm {type(norm).__name__}")


def direct_logit_attribution(
    source: Trace | Model, target: str | int | None = None, baseline: str | int | None = None, *,
    prompt: str | None = None, position: int = -1, batch: int = 0,
) -> DLAResult:
    """Each component's direct contribution to ``logit(target)`` (minus ``logit(baseline)``) at
    ``position`` (default: the last token). ``target=None`` uses the model's own top prediction."""
    from interplay.backend.model import Model

    if isinstance(source, Model):
        if prompt is None:
            raise InterplayError("direct_logit_attribution(model, ...) needs prompt=")
        trace = source.run(prompt)
    else:
        trace = source
    model = trace.model
    adapter = model.layout.adapter
    if adapter.attn_out != adapter.attention or not model.cfg.causal:
        raise InterplayError(
            f"per-head direct logit attribution needs heads that write linearly to the residual stream; "
            f"{model.cfg.model_type} normalises the attention output (or is an encoder)"
        )
    if not 0 <= batch < len(trace.prompts):
        raise InterplayError(f"batch={batch} is out of range: the trace has {len(trace.prompts)} prompts")
    n_layers = model.cfg.n_layers
    n = trace.lengths[batch]
    pos = position + n if position < 0 else position
    if not 0 <= pos < n:
        raise InterplayError(f"position {position} is out of range for a prompt of {n} tokens")
    names = ["blocks.0.hook_resid_pre", f"blocks.{n_layers - 1}.hook_resid_post",
             *[f"blocks.{i}.attn.hook_result" for i in range(n_layers)],
             *[f"blocks.{i}.hook_mlp_out" for i in range(n_layers)]]
    if model.layout.adapter.pos_embed:
        names.append("hook_pos_embed")
    trace = ensure_captured(trace, names)
    acts = {k: trace.activations[k][batch, pos].detach().float().cpu() for k in names}
    unembed = model.layout.unembed()
    assert unembed is not None
    w_u_param: Any = unembed.weight
    w_u = w_u_param.detach().float().cpu()  # [vocab, d_model]
    logits = trace.logits[batch, pos].float().cpu() if trace.logits is not None else None
    tid = single_token_id(model, target) if target is not None else int(logits.argmax()) if logits is not None else 0
    direction = w_u[tid].clone()
    label = f"logit({_show(model, tid)})"
    u_bias = getattr(unembed, "bias", None)
    bias_term = float(u_bias[tid]) if u_bias is not None else 0.0
    if baseline is not None:
        bid = single_token_id(model, baseline)
        direction -= w_u[bid]
        label = f"logit({_show(model, tid)}) - logit({_show(model, bid)})"
        bias_term -= float(u_bias[bid]) if u_bias is not None else 0.0
    label += f" at pos {pos} ({trace.str_tokens[batch][pos]!r})"
    resid = acts[f"blocks.{n_layers - 1}.hook_resid_post"]
    frozen, scale, norm_bias = _frozen_norm(model, resid)

    def contrib(c: torch.Tensor) -> float:
        return float(frozen(c) @ direction)

    heads = np.zeros((n_layers, model.cfg.n_heads), dtype=np.float32)
    comps: list[tuple[str, float]] = []
    embed = acts["blocks.0.hook_resid_pre"]
    if "hook_pos_embed" in acts:
        comps += [("embed", contrib(embed - acts["hook_pos_embed"])), ("pos_embed", contrib(acts["hook_pos_embed"]))]
    else:
        comps.append(("embed", contrib(embed)))
    for layer in range(n_layers):
        result = acts[f"blocks.{layer}.attn.hook_result"]  # [head, d_model]
        heads[layer] = [contrib(r) for r in result]
        o_bias: Any = model.layout.o_proj(layer).bias
        b_o = contrib(o_bias.detach().float().cpu()) if o_bias is not None else 0.0
        comps.append((f"L{layer}.attn", float(heads[layer].sum()) + b_o))
        comps.append((f"L{layer}.mlp", contrib(acts[f"blocks.{layer}.hook_mlp_out"])))
    comps.append(("bias", float(norm_bias @ direction) + bias_term))
    total = float(logits[tid] - (logits[single_token_id(model, baseline)] if baseline is not None else 0)) \
        if logits is not None else float("nan")
    notes = [f"final norm scale frozen at {scale:.4g} (this run's value at pos {pos})",
             f"sum of contributions {sum(v for _, v in comps):.4f}; the model's value {total:.4f}"]
    return DLAResult(heads=heads, components=np.array([v for _, v in comps], dtype=np.float32),
                     component_labels=[k for k, _ in comps], total=total, scale=scale, target_label=label,
                     position=pos, tokens=trace.str_tokens[batch], notes=notes, trace=trace, batch=batch)


def _show(model: Model, tid: int) -> str:
    return repr(model.tokenizer.decode([tid]))
