"""Attention patterns, summarised: thumbnails and head scores, for any length of context.

A head's pattern ``A[q, k]`` is the softmaxed weight that query position q puts on key k. Reading
heads by their summaries is how induction and previous-token heads were found (Olsson et al. 2022,
"In-context learning and induction heads"; Elhage et al. 2021, "A Mathematical Framework for
Transformer Circuits"). Per head we compute, over the real (non-padding) queries:

* ``previous_token``: mean ``A[q, q-1]``;
* ``induction``: mean attention to the token right *after* an earlier occurrence of the current
  token (queries with no earlier occurrence are skipped; NaN if the text repeats nothing);
* ``duplicate_token``: mean attention to earlier occurrences of the current token;
* ``bos``: mean ``A[q, 0]`` (attention parked on the first token);
* ``self``: mean ``A[q, q]``;
* ``entropy``: mean ``-sum_k A[q, k] log A[q, k]`` in nats.

Everything here works one layer at a time ([head, query, key]), so a 4,096-token, 12 x 12 model never
needs all its patterns in memory at once: :class:`ModelPatterns` recomputes a layer on demand.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.errors import InterplayError, ShapeError

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

SCORE_NAMES = ("previous_token", "induction", "duplicate_token", "bos", "self", "entropy")
THUMB_SIZE = 32


def head_scores(pattern: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
    """Every score of :data:`SCORE_NAMES` for one layer: pattern [head, q, k], ids [q] -> [score, head]."""
    n = pattern.shape[-1]
    p = pattern.float()
    ids = token_ids.to(p.device)
    pos = torch.arange(n, device=p.device)
    earlier = pos[None, :] < pos[:, None]  # key strictly before query
    same = (ids[:, None] == ids[None, :]) & earlier  # [q, k]: an earlier occurrence of my token
    after_same = torch.zeros_like(same)
    after_same[:, 1:] = same[:, :-1]  # key k follows an earlier occurrence (k-1) of my token
    after_same &= pos[None, :] <= pos[:, None]

    def masked_mean(mass: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:  # mass [head, q]
        if not bool(rows.any()):
            return torch.full((p.shape[0],), float("nan"), device=p.device)
        return mass[:, rows].mean(-1)

    all_rows = torch.ones(n, dtype=torch.bool, device=p.device)
    prev = masked_mean(torch.diagonal(p, offset=-1, dim1=-2, dim2=-1), all_rows[1:]) if n > 1 else \
        torch.full((p.shape[0],), float("nan"), device=p.device)
    induction = masked_mean((p * after_same).sum(-1), after_same.any(-1))
    duplicate = masked_mean((p * same).sum(-1), same.any(-1))
    bos = p[:, :, 0].mean(-1)
    self_ = torch.diagonal(p, dim1=-2, dim2=-1).mean(-1)
    entropy = -(p * torch.log(p.clamp_min(1e-30))).sum(-1).mean(-1)
    return torch.stack([prev, induction, duplicate, bos, self_, entropy])


def max_pool(pattern: npt.NDArray[np.float32], stride: int) -> npt.NDArray[np.float32]:
    """Max-pool the last two axes by ``stride`` (edges padded with 0; NaN propagates, so it shows)."""
    if stride <= 1:
        return pattern
    *lead, q, k = pattern.shape
    qq, kk = math.ceil(q / stride) * stride, math.ceil(k / stride) * stride
    padded = np.zeros((*lead, qq, kk), dtype=np.float32)
    padded[..., :q, :k] = pattern
    blocks = padded.reshape(*lead, qq // stride, stride, kk // stride, stride)
    return np.asarray(blocks.max(axis=(-3, -1)), dtype=np.float32)


def thumbnail(pattern: npt.NDArray[np.float32], size: int = THUMB_SIZE) -> tuple[npt.NDArray[np.float32], int]:
    """[..., n, n] -> ([..., T, T], stride) with T <= size."""
    n = pattern.shape[-1]
    stride = max(1, math.ceil(n / size))
    return max_pool(pattern, stride), stride


def check_patterns(patterns: Any, n_tokens: int | None = None) -> npt.NDArray[np.float32]:
    """Validate raw patterns [layer, head, query, key] (torch or numpy): clear errors, NaN allowed."""
    if hasattr(patterns, "detach"):
        patterns = patterns.detach().float().cpu().numpy()
    arr = np.asarray(patterns, dtype=np.float32)
    if arr.ndim != 4:
        raise ShapeError(f"patterns must have shape [layer, head, query, key]; got {arr.ndim} axes {list(arr.shape)}")
    if arr.shape[2] != arr.shape[3]:
        raise ShapeError(f"patterns must be square in query x key; got {arr.shape[2]} x {arr.shape[3]}")
    if n_tokens is not None and arr.shape[2] != n_tokens:
        raise ShapeError(f"{n_tokens} tokens but the patterns cover {arr.shape[2]} positions (shape {list(arr.shape)})")
    if np.nanmin(arr, initial=0.0) < -1e-6:
        raise InterplayError("patterns have negative weights: pass softmaxed attention patterns")
    rows = arr.sum(-1)
    finite = np.isfinite(rows)
    bad = finite & (np.abs(rows - 1) > 1e-3)
    if bad.any():
        layer, head, q = (int(i) for i in np.argwhere(bad)[0])
        raise InterplayError(
            f"attention rows must sum to 1: layer {layer}, head {head}, query {q} sums to {rows[layer, head, q]:.4f} "
            "(pass softmaxed patterns, not scores)"
        )
    return arr


@dataclass
class AttentionData:
    """What an AttentionView needs: tokens, summaries, and a way to get any layer's patterns."""

    tokens: list[str]
    token_ids: torch.Tensor | None
    n_layers: int
    n_heads: int
    causal: bool
    scores: npt.NDArray[np.float32]  #: [score, layer, head]
    thumbnails: npt.NDArray[np.float32]  #: [layer, head, T, T]
    thumb_stride: int
    notes: list[str] = field(default_factory=list)
    _layer: Any = None  #: callable layer -> np.float32 [head, n, n]

    def layer(self, layer: int) -> npt.NDArray[np.float32]:
        if not 0 <= layer < self.n_layers:
            raise InterplayError(f"layer {layer} is out of range (0..{self.n_layers - 1})")
        out: npt.NDArray[np.float32] = self._layer(layer)
        return out


def _summaries(layers: Sequence[torch.Tensor], ids: torch.Tensor | None) -> tuple[np.ndarray, np.ndarray, int]:
    scores, thumbs, stride = [], [], 1
    for p in layers:
        if ids is not None:
            scores.append(head_scores(p, ids).cpu().numpy())
        else:  # no token ids: induction / duplicate are undefined
            s = head_scores(p, torch.arange(p.shape[-1])).cpu().numpy()
            s[1:3] = np.nan
            scores.append(s)
        t, stride = thumbnail(p.float().cpu().numpy())
        thumbs.append(t)
    return np.stack(scores, axis=1).astype(np.float32), np.stack(thumbs).astype(np.float32), stride


def from_arrays(tokens: Sequence[str], patterns: Any, token_ids: Any = None, *, causal: bool | None = None) -> AttentionData:
    """AttentionData from raw patterns [layer, head, query, key] and their tokens."""
    arr = check_patterns(patterns, len(tokens))
    ids = None if token_ids is None else torch.as_tensor(np.asarray(token_ids))
    if ids is not None and ids.shape[-1] != len(tokens):
        raise ShapeError(f"{len(tokens)} tokens but {ids.shape[-1]} token ids")
    if ids is None:  # equal strings are equal tokens
        vocab: dict[str, int] = {}
        ids = torch.tensor([vocab.setdefault(t, len(vocab)) for t in tokens])
    scores, thumbs, stride = _summaries([torch.from_numpy(a) for a in arr], ids)
    is_causal = bool(np.all(np.nan_to_num(np.triu(arr, k=1)) == 0)) if causal is None else causal
    notes = []
    if np.isnan(arr).any():
        notes.append(f"{int(np.isnan(arr).sum())} NaN attention weights (hatched)")
    return AttentionData(list(tokens), ids, arr.shape[0], arr.shape[1], is_causal, scores, thumbs, stride, notes,
                         lambda layer: arr[layer])


def from_trace(trace: Trace, batch: int = 0) -> AttentionData:
    """AttentionData from a trace: its captured patterns, or the model recomputes them per layer."""
    if not 0 <= batch < len(trace.prompts):
        raise InterplayError(f"batch={batch} is out of range: the trace has {len(trace.prompts)} prompts")
    model, n = trace.model, trace.lengths[batch]
    names = [f"blocks.{i}.attn.hook_pattern" for i in range(model.cfg.n_layers)]
    if all(name in trace.activations for name in names):
        layers = [trace.activations[name][batch, :, :n, :n].float().cpu() for name in names]
        data = from_arrays(trace.str_tokens[batch], torch.stack(layers), trace.token_ids[batch, :n],
                           causal=model.cfg.causal)
    else:
        data = from_model(model, trace.prompts[batch])
    if len(trace.prompts) > 1:
        data.notes.append(f"sequence {batch} of {len(trace.prompts)}")
    return data


class _Stop(Exception):
    """Raised by a hook to end a forward pass early (hooks are removed on the way out)."""


def from_model(model: Model, prompt: str, *, cache_layers: int = 4, keep_bytes: int = 512 * 2**20) -> AttentionData:
    """Summarise every head in one forward pass. Patterns are kept (float16) when all layers fit in
    ``keep_bytes``; otherwise a layer's patterns are recomputed on demand by a forward pass that stops
    right after that layer, and the ``cache_layers`` most recent layers are kept."""
    cfg = model.cfg
    seen: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    kept: dict[int, np.ndarray] = {}
    ids = model.tokenize(prompt).token_ids[0]
    n = int(ids.shape[0])
    keep = cfg.n_layers * cfg.n_heads * n * n * 2 <= keep_bytes
    stride_box = [1]

    def observe(pattern: torch.Tensor, name: str) -> None:
        layer = int(name.split(".")[1])
        scores, thumbs, stride = _summaries([pattern[0].detach()], ids)
        seen[layer] = (scores[:, 0], thumbs[0])
        stride_box[0] = stride
        if keep:
            kept[layer] = pattern[0].detach().to(torch.float16).cpu().numpy()

    trace = model.run(prompt, interventions=[("pattern", observe)])
    scores = np.stack([seen[i][0] for i in range(cfg.n_layers)], axis=1)
    thumbs = np.stack([seen[i][1] for i in range(cfg.n_layers)])
    cache: OrderedDict[int, np.ndarray] = OrderedDict()

    def recompute(i: int) -> np.ndarray:
        box: dict[str, np.ndarray] = {}

        def grab(pattern: torch.Tensor, name: str) -> None:
            box["p"] = pattern[0].detach().float().cpu().numpy()
            raise _Stop

        with contextlib.suppress(_Stop):
            model.run(prompt, interventions=[(("pattern", i), grab)])
        return box["p"]

    def layer(i: int) -> npt.NDArray[np.float32]:
        if keep:
            return kept[i].astype(np.float32)
        if i not in cache:
            cache[i] = recompute(i)
            while len(cache) > cache_layers:
                cache.popitem(last=False)
        cache.move_to_end(i)
        return cache[i]

    notes = [] if keep else [f"patterns recomputed per layer on demand ({n} tokens)"]
    return AttentionData(trace.str_tokens[0], ids, cfg.n_layers, cfg.n_heads, cfg.causal, scores.astype(np.float32),
                         thumbs, stride_box[0], notes, layer)
