"""How good a sparse dictionary is: sparsity, reconstruction, and what splicing it in costs the model.

:func:`dictionary_metrics` streams a dataset once (:func:`~interplay.methods.features.stream.iter_batches`)
and measures an SAE or a transcoder on it, with the conventions of SAELens's evaluations
(Bloom et al. 2024) and Gao et al. 2024 ("Scaling and evaluating sparse autoencoders"):

* **L0**: mean number of active latents (activation > 0) per token.
* **Variance explained**: ``1 - sum ||y - y_hat||^2 / sum ||y - mean(y)||^2``, sums over every
  counted token and dimension, ``y`` the activation at the dictionary's output hook (an SAE's input,
  a transcoder's target), ``mean(y)`` its mean over the counted tokens (one vector): the share of the
  activation's total variance the reconstruction accounts for.
* **CE loss recovered**: ``(CE_zero - CE_spliced) / (CE_zero - CE_clean)``, next-token
  cross-entropy of the clean model, of the model with the output hook's activation replaced by the
  reconstruction (the splice, without the error term), and with it replaced by zeros
  (zero-ablation, as SAELens's ``ce_loss_score``). 1 means splicing the dictionary in costs nothing,
  0 that it is as bad as deleting the activation.
* **Dead latents**: the fraction of latents never active on any counted token of the dataset;
  **dense latents**: those active on more than ``dense_threshold`` (10 %) of the counted tokens.

Counted tokens are the real (unpadded) tokens that are not the tokenizer's BOS token. BOS positions
are also left as they are when splicing or ablating (the activation at a sequence's first BOS is
the same constant in every sequence, and dictionaries are trained without it), and the loss of the
prediction made at a BOS position is not counted. The reconstruction spliced in at a position is
the one of that position's clean input: with one dictionary spliced, nothing upstream of its
output hook changes, so this is exactly the spliced model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt
import torch

from interplay.errors import DictionaryError, TaskError
from interplay.methods._common import require_model
from interplay.methods.features.stream import iter_batches

if TYPE_CHECKING:
    from interplay.backend.dictionaries import Dictionary
    from interplay.backend.model import Model

DENSE_THRESHOLD = 0.1


@dataclass(frozen=True)
class DictionaryMetrics:
    """What :func:`dictionary_metrics` measured (see the module docstring for each convention)."""

    n_tokens: int  #: counted tokens (real, not BOS)
    l0: float
    variance_explained: float
    mse: float  #: mean over counted tokens of ||y - y_hat||^2
    ce_clean: float
    ce_spliced: float
    ce_zero_ablation: float
    ce_loss_recovered: float
    dead_fraction: float
    dense_fraction: float
    firing_rate: npt.NDArray[np.float64] = field(repr=False)  #: [d_sae] share of counted tokens each latent fires on

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers (no firing rates), for a card or a table."""
        out = asdict(self)
        out.pop("firing_rate")
        return out


def counted_mask(model: Model, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """[batch, pos] bool: real tokens that are not BOS (the tokens every dictionary statistic counts)."""
    keep = mask.bool()
    bos = getattr(model.tokenizer, "bos_token_id", None)
    if bos is not None:
        keep = keep & (ids != int(bos))
    return keep


@overload
def dictionary_metrics(model: Model, dictionary: Dictionary, dataset: Any, *, batch_size: int = ...,
                       seq_len: int | None = ..., max_tokens: int | None = ...,
                       dense_threshold: float = ...) -> DictionaryMetrics: ...
@overload
def dictionary_metrics(model: Model, dictionary: Mapping[str, Dictionary], dataset: Any, *, batch_size: int = ...,
                       seq_len: int | None = ..., max_tokens: int | None = ...,
                       dense_threshold: float = ...) -> dict[str, DictionaryMetrics]: ...
@overload
def dictionary_metrics(model: Model, dictionary: Sequence[Dictionary], dataset: Any, *, batch_size: int = ...,
                       seq_len: int | None = ..., max_tokens: int | None = ...,
                       dense_threshold: float = ...) -> list[DictionaryMetrics]: ...
def dictionary_metrics(model: Model, dictionary: Any, dataset: Any, *, batch_size: int = 32,
                       seq_len: int | None = None, max_tokens: int | None = None,
                       dense_threshold: float = DENSE_THRESHOLD) -> Any:
    """L0, variance explained, CE loss recovered, dead and dense latents of ``dictionary`` on ``dataset``.

    ``dictionary``: one SAE or transcoder (gives a :class:`DictionaryMetrics`), or several, as a
    list (a list back) or a ``{name: dictionary}`` dict (a dict back): they share the clean pass
    and, where they write the same hook, its zero-ablated pass. ``dataset``: anything
    :func:`~interplay.methods.features.stream.iter_batches` takes (texts, a task dataset, a
    ``datasets.Dataset``, token ids). ``max_tokens``: stop after the batch that reaches this many
    counted tokens (None: the whole dataset). Forward passes per batch: one clean, one spliced per
    dictionary and one zero-ablated per output hook.
    """
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise TaskError(f"max_tokens must be a positive integer or None; got {max_tokens!r}")
    model = require_model(model, "dictionary_metrics")
    if isinstance(dense_threshold, bool) or not isinstance(dense_threshold, (int, float)) or not 0 < dense_threshold < 1:
        raise TaskError(f"dense_threshold must be a fraction between 0 and 1; got {dense_threshold!r}")
    if isinstance(dictionary, Mapping):
        names, dicts = list(dictionary), list(dictionary.values())
    elif isinstance(dictionary, (list, tuple)):
        names, dicts = None, list(dictionary)
    else:
        names, dicts = None, [dictionary]
    if not dicts:
        raise DictionaryError("dictionary: pass an SAE or a Transcoder (or a non-empty list or dict of them)")
    stats = [_Stats(model, d) for d in dicts]
    capture = list(dict.fromkeys(h for st in stats for h in (st.hook_in, st.hook_out)))
    zero_hooks = list(dict.fromkeys(st.hook_out for st in stats))
    clean_ce = 0.0
    zero_ce = dict.fromkeys(zero_hooks, 0.0)
    n = n_pred = 0
    with torch.no_grad():
        for batch in iter_batches(model, dataset, batch_size=batch_size, seq_len=seq_len):
            ids, mask = batch.ids.to(model.device), batch.mask.to(model.device)
            sel = counted_mask(model, ids, mask)
            targets = ids[:, 1:]
            predict = sel[:, :-1] & mask[:, 1:].bool()
            clean = model.forward(ids, mask, capture=capture)
            clean_ce += _summed_ce(clean.logits, targets, predict)
            for hook in zero_hooks:
                zero_ce[hook] += _summed_ce(
                    model.forward(ids, mask, interventions={hook: _replace(sel, None)}).logits, targets, predict)
            for st in stats:
                st.add(model, ids, mask, sel, clean.activations, targets, predict)
            n += int(sel.sum())
            n_pred += int(predict.sum())
            if max_tokens is not None and n >= max_tokens:
                break
    if n == 0:
        raise TaskError("dataset has no token to measure on (every token is padding or BOS)")
    out = [st.result(n, clean_ce / max(n_pred, 1), zero_ce[st.hook_out] / max(n_pred, 1), n_pred, dense_threshold)
           for st in stats]
    if names is not None:
        return dict(zip(names, out, strict=True))
    return out if isinstance(dictionary, (list, tuple)) else out[0]


class _Stats:
    """One dictionary's running sums over the counted tokens."""

    def __init__(self, model: Model, d: Any) -> None:
        self.d = d
        self.hook_in, self.hook_out = _hooks(model, d)
        self.fires = torch.zeros(d.d_sae, dtype=torch.float64)
        self.active = self.sq_err = self.total_sq = self.spliced_ce = 0.0
        self.total = torch.zeros(d.d_out, dtype=torch.float64)

    def add(self, model: Model, ids: torch.Tensor, mask: torch.Tensor, sel: torch.Tensor,
            acts_at: dict[str, torch.Tensor], targets: torch.Tensor, predict: torch.Tensor) -> None:
        x, y = acts_at[self.hook_in], acts_at[self.hook_out]
        acts = self.d.encode(x)  # on the dictionary's device and dtype
        recon = self.d.decode(acts, x).to(device=y.device, dtype=y.dtype)
        on = acts.to(y.device)[sel] > 0
        yk, rk = y[sel].double(), recon[sel].double()
        self.fires += on.sum(0).double().cpu()
        self.active += float(on.sum())
        self.sq_err += float(((yk - rk) ** 2).sum())
        self.total += yk.sum(0).cpu()
        self.total_sq += float((yk ** 2).sum())
        spliced = model.forward(ids, mask, interventions={self.hook_out: _replace(sel, recon)})
        self.spliced_ce += _summed_ce(spliced.logits, targets, predict)

    def result(self, n: int, clean_ce: float, zero_ce: float, n_pred: int, dense: float) -> DictionaryMetrics:
        mean = self.total / n
        variance = self.total_sq - n * float((mean ** 2).sum())
        spliced_ce = self.spliced_ce / max(n_pred, 1)
        gap = zero_ce - clean_ce
        rate = (self.fires / n).numpy()
        return DictionaryMetrics(
            n_tokens=n,
            l0=self.active / n,
            variance_explained=1.0 - self.sq_err / variance if variance > 0 else float("nan"),
            mse=self.sq_err / n,
            ce_clean=clean_ce,
            ce_spliced=spliced_ce,
            ce_zero_ablation=zero_ce,
            ce_loss_recovered=(zero_ce - spliced_ce) / gap if gap != 0 else float("nan"),
            dead_fraction=float((rate == 0).mean()),
            dense_fraction=float((rate > dense).mean()),
            firing_rate=rate,
        )


def _replace(where: torch.Tensor, new: torch.Tensor | None) -> Any:
    """An intervention putting ``new`` (None: zeros) at the ``where`` [batch, pos] positions."""
    def fn(act: torch.Tensor, name: str) -> torch.Tensor:
        return torch.where(where[..., None], torch.zeros_like(act) if new is None else new, act)
    return fn


def _summed_ce(logits: torch.Tensor | None, targets: torch.Tensor, where: torch.Tensor) -> float:
    """Summed next-token cross-entropy of the predictions at ``where`` [batch, pos - 1]."""
    assert logits is not None
    logp = torch.log_softmax(logits[:, :-1].double(), dim=-1)
    nll = -logp.gather(-1, targets[..., None]).squeeze(-1)
    return float(nll[where].sum())


def _hooks(model: Model, dictionary: Any) -> tuple[str, str]:
    for attr in ("hook_in", "hook_out", "encode", "decode", "d_sae", "d_out"):
        if not hasattr(dictionary, attr):
            raise DictionaryError(f"dictionary must be an interplay SAE or Transcoder (it has no {attr!r}); "
                                  f"got {type(dictionary).__name__}")
    hook_in = model.resolve(dictionary.hook_in)
    hook_out = model.resolve(dictionary.hook_out)
    if len(hook_in) != 1 or len(hook_out) != 1:
        raise DictionaryError(f"a dictionary reads one hook and writes one; got hook_in={dictionary.hook_in!r}, "
                              f"hook_out={dictionary.hook_out!r}")
    return hook_in[0], hook_out[0]


def latent_auroc(acts: Any, labels: Any) -> npt.NDArray[np.float64]:
    """Each latent's AUROC as a detector of ``labels``: [d_sae], from activations [n, d_sae] and 0/1 labels [n].

    The area under the ROC curve of the latent's activation as a score for the positive class: the
    probability that a random positive token's activation exceeds a random negative one's, ties
    counting one half (the Mann-Whitney U statistic over the number of pairs). 1: the latent
    separates the classes perfectly; 0.5: no better than chance; below 0.5: it fires on the negatives.
    """
    a = np.asarray(acts.detach().cpu() if hasattr(acts, "detach") else acts, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    if a.ndim != 2 or y.shape != (a.shape[0],):
        raise TaskError(f"latent_auroc needs acts [n, d_sae] and labels [n]; got {list(a.shape)} and {list(y.shape)}")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise TaskError(f"labels need both classes to give an AUROC; got {n_pos} positive and {n_neg} negative")
    out = np.empty(a.shape[1])
    for j in range(a.shape[1]):
        col = a[:, j]
        ordered = np.sort(col)
        # mean rank (1-based) of each value, ties sharing their average rank
        ranks = (np.searchsorted(ordered, col, "left") + np.searchsorted(ordered, col, "right") + 1) / 2
        out[j] = (ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return out
