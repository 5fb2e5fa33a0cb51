"""The logit lens: decode every layer's residual stream with the model's own unembedding.

nostalgebraist (2020), "interpreting GPT: the logit lens": apply the final norm and the unembedding
to the residual stream after each layer, as if the model stopped there, and read the distribution
over the next token. Where the top prediction settles on the final answer tells you at which depth a
prediction forms. The final norm is applied by default (``apply_ln=True``), which is what the model
itself does to the last layer; switching it off shows the raw projection (recorded in ``notes``).
The last row equals the model's own logits. KL is ``KL(final || layer)`` in nats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.errors import InterplayError
from interplay.methods._common import ensure_captured, final_norm, single_token_id, unembed

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

CHUNK = 512


@dataclass(frozen=True)
class LogitLensResult:
    """Top-k predictions per (layer, position); rows are ``embed``, then each layer's resid_post."""

    model: Model = field(repr=False)
    tokens: list[str]
    layer_labels: list[str]
    top_ids: npt.NDArray[np.int64]  #: [layer, pos, k]
    top_probs: npt.NDArray[np.float32]  #: [layer, pos, k]
    kl: npt.NDArray[np.float32]  #: [layer, pos], KL(final || layer)
    apply_ln: bool
    notes: list[str]
    resid: torch.Tensor = field(repr=False)  #: [layer, pos, d_model], the decoded residual streams

    @property
    def top_tokens(self) -> list[list[list[str]]]:
        from interplay.backend.tokens import token_strings

        flat = token_strings(self.model.tokenizer, self.top_ids.reshape(-1).tolist())
        k, n = self.top_ids.shape[2], self.top_ids.shape[1]
        return [[flat[(layer * n + p) * k:(layer * n + p + 1) * k] for p in range(n)] for layer in range(self.top_ids.shape[0])]

    def target(self, token: str | int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
        """Probability and rank (0 = top) of ``token`` at every (layer, position)."""
        tid = single_token_id(self.model, token)
        probs, ranks = [], []
        for logits in _layer_logits(self.model, self.resid, self.apply_ln):
            logp = logits.float().log_softmax(-1)
            t = logp[:, tid]
            probs.append(t.exp())
            ranks.append((logp > t[:, None]).sum(-1))
        return (torch.stack(probs).reshape(self.kl.shape).numpy().astype(np.float32),
                torch.stack(ranks).reshape(self.kl.shape).numpy().astype(np.int32))

    def to_dataframe(self) -> Any:
        """Long format: layer, pos, token, rank, prediction, prob (one row per top-k entry)."""
        import pandas as pd

        tops = self.top_tokens
        rows = [{"layer": label, "pos": p, "token": self.tokens[p], "rank": r, "prediction": tops[li][p][r],
                 "prob": float(self.top_probs[li, p, r])}
                for li, label in enumerate(self.layer_labels) for p in range(len(self.tokens))
                for r in range(self.top_ids.shape[2])]
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: top-1 probability per layer and position, with the top-1 token written in."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(max(4, 0.7 * len(self.tokens)), 0.45 * len(self.layer_labels) + 1))
        im = ax.imshow(self.top_probs[:, :, 0], aspect="auto", cmap="viridis", vmin=0, vmax=1, origin="lower")
        tops = self.top_tokens
        for li in range(len(self.layer_labels)):
            for p in range(len(self.tokens)):
                ax.text(p, li, repr(tops[li][p][0])[1:-1], ha="center", va="center", fontsize=7,
                        color="white" if self.top_probs[li, p, 0] < 0.5 else "black")
        ax.set_xticks(range(len(self.tokens)), [repr(t)[1:-1] for t in self.tokens], rotation=90)
        ax.set_yticks(range(len(self.layer_labels)), self.layer_labels)
        ax.figure.colorbar(im, ax=ax, label="top-1 probability")
        return ax

    def show(self, **kwargs: Any) -> Any:
        from interplay.widgets.logit_lens import LogitLensView

        return LogitLensView(self, **kwargs)


def _layer_logits(model: Model, resid: torch.Tensor, apply_ln: bool) -> Any:
    norm = final_norm(model) if apply_ln else None
    for layer in resid:
        chunks = []
        for start in range(0, layer.shape[0], CHUNK):
            x = layer[start:start + CHUNK].to(model.device)
            with torch.no_grad():
                chunks.append(unembed(model, norm(x) if norm is not None else x).float().cpu())
        yield torch.cat(chunks)


def logit_lens(
    source: Trace | Model, prompt: str | None = None, *, k: int = 5, apply_ln: bool = True, batch: int = 0
) -> LogitLensResult:
    """Decode every layer's residual stream: ``logit_lens(trace)`` or ``logit_lens(model, prompt)``."""
    from interplay.backend.model import Model

    if isinstance(source, Model):
        if prompt is None:
            raise InterplayError("logit_lens(model, prompt): the prompt is missing")
        trace = source.run(prompt)
    else:
        trace = source
    model = trace.model
    if not model.cfg.causal:
        raise InterplayError("the logit lens needs a causal language model")
    if not 1 <= k <= model.cfg.d_vocab:
        raise InterplayError(f"k={k} must be between 1 and the vocabulary size {model.cfg.d_vocab}")
    if not 0 <= batch < len(trace.prompts):
        raise InterplayError(f"batch={batch} is out of range: the trace has {len(trace.prompts)} prompts")
    n_layers = model.cfg.n_layers
    names = ["blocks.0.hook_resid_pre", *[f"blocks.{i}.hook_resid_post" for i in range(n_layers)]]
    trace = ensure_captured(trace, names)
    n = trace.lengths[batch]
    resid = torch.stack([trace.activations[name][batch, :n].detach().float().cpu() for name in names])
    return _lens(model, trace.str_tokens[batch], resid, k=k, apply_ln=apply_ln)


def relens(result: LogitLensResult, *, apply_ln: bool) -> LogitLensResult:
    """The same residual streams decoded again, with or without the final norm."""
    return _lens(result.model, result.tokens, result.resid, k=result.top_ids.shape[2], apply_ln=apply_ln)


def _lens(model: Model, tokens: list[str], resid: torch.Tensor, *, k: int, apply_ln: bool) -> LogitLensResult:
    n_layers = resid.shape[0] - 1
    top_ids, top_probs, logps = [], [], []
    for logits in _layer_logits(model, resid, apply_ln):
        logp = logits.log_softmax(-1)
        v, i = logp.topk(k, dim=-1)
        top_ids.append(i)
        top_probs.append(v.exp())
        logps.append(logp)
    final = logps[-1]
    kl = torch.stack([(final.exp() * (final - lp)).sum(-1).clamp_min(0) for lp in logps])
    notes = ["final norm applied to every row before unembedding" if apply_ln else
             "raw residual stream unembedded (no final norm): scales differ from the model's own logits"]
    if getattr(model.hf_model.config, "final_logit_softcapping", None):
        notes.append("logits softcapped as in the model")
    return LogitLensResult(
        model=model, tokens=tokens, layer_labels=["embed", *[f"L{i}" for i in range(n_layers)]],
        top_ids=torch.stack(top_ids).numpy(), top_probs=torch.stack(top_probs).numpy().astype(np.float32),
        kl=kl.numpy().astype(np.float32), apply_ln=apply_ln, notes=notes, resid=resid,
    )
