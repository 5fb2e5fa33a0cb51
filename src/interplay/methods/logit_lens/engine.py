"""The logit lens's engine: each layer's residual stream through the final norm and the unembedding,
in chunks of positions; the session keeps the residual streams to decode a target on demand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import torch

from interplay import checks
from interplay.data.logit_lens import LogitLensData
from interplay.data.tokens import token_strings
from interplay.errors import InterplayError
from interplay.methods._common import as_trace, check_batch, ensure_captured, single_token_id
from interplay.results.logit_lens import LogitLensResult

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

CHUNK = 512


def logit_lens(model_or_trace: Model | Trace, prompt: str | None = None, *, k: int = 5, apply_ln: bool = True,
               batch: int = 0) -> LogitLensResult:
    """Decode every layer's residual stream: ``logit_lens(trace)`` or ``logit_lens(model, prompt)``.

    ``k``: predictions kept per cell; ``apply_ln``: the final norm before unembedding; ``batch``: which
    prompt of a batched trace.
    """
    trace = as_trace(model_or_trace, prompt, "logit_lens")
    model = trace.model
    if not model.cfg.causal:
        raise InterplayError("the logit lens needs a causal language model")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= model.cfg.d_vocab:
        raise InterplayError(f"k={k!r} must be an integer between 1 and the vocabulary size {model.cfg.d_vocab}")
    checks.flag("apply_ln", apply_ln)
    check_batch(trace, batch)
    n_layers = model.cfg.n_layers
    names = ["blocks.0.hook_resid_pre", *[f"blocks.{i}.hook_resid_post" for i in range(n_layers)]]
    trace = ensure_captured(trace, names)
    n = trace.lengths[batch]
    resid = torch.stack([trace.activations[name][batch, :n].detach().float().cpu() for name in names])
    session = LogitLensSession(model, list(trace.str_tokens[batch]), resid, k)
    return LogitLensResult(session.relens(apply_ln), session)


class LogitLensSession:
    """The live part of a logit lens: the decoded residual streams [layer, pos, d_model] and the
    model (implements :class:`interplay.widgets.logit_lens.LogitLensSource`)."""

    def __init__(self, model: Model, tokens: list[str], resid: torch.Tensor, k: int) -> None:
        self.model, self.tokens, self.resid, self.k = model, tokens, resid, k

    def _layer_logits(self, apply_ln: bool) -> Iterator[torch.Tensor]:
        norm = self.model.final_norm() if apply_ln else None
        for layer in self.resid:
            chunks = []
            for start in range(0, layer.shape[0], CHUNK):
                x = layer[start:start + CHUNK].to(self.model.device)
                with torch.no_grad():
                    chunks.append(self.model.unembed(norm(x) if norm is not None else x).float().cpu())
            yield torch.cat(chunks)

    def relens(self, apply_ln: bool) -> LogitLensData:
        model, n_layers = self.model, self.resid.shape[0] - 1
        top_ids, top_probs, logps = [], [], []
        for logits in self._layer_logits(apply_ln):
            logp = logits.log_softmax(-1)
            v, i = logp.topk(self.k, dim=-1)
            top_ids.append(i)
            top_probs.append(v.exp())
            logps.append(logp)
        final = logps[-1]
        kl = torch.stack([(final.exp() * (final - lp)).sum(-1).clamp_min(0) for lp in logps])
        notes = ["final norm applied to every row before unembedding" if apply_ln else
                 "raw residual stream unembedded (no final norm): scales differ from the model's own logits"]
        if model.layout.logit_softcap:
            notes.append("logits softcapped as in the model")
        ids = torch.stack(top_ids).numpy()
        table = np.unique(ids)
        return LogitLensData(
            tokens=self.tokens, layer_labels=["embed", *[f"L{i}" for i in range(n_layers)]], top_ids=ids,
            top_probs=torch.stack(top_probs).numpy(), kl=kl.numpy(), table_ids=table,
            token_table=token_strings(model.tokenizer, [int(i) for i in table]), apply_ln=apply_ln, notes=notes)

    def target(self, token: str | int, apply_ln: bool = True) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
        tid = single_token_id(self.model, token, "target")
        probs, ranks = [], []
        for logits in self._layer_logits(apply_ln):
            logp = logits.float().log_softmax(-1)
            t = logp[:, tid]
            probs.append(t.exp())
            ranks.append((logp > t[:, None]).sum(-1))
        return (torch.stack(probs).numpy().astype(np.float32), torch.stack(ranks).numpy().astype(np.int32))
