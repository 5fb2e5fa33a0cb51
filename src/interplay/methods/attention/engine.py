"""The attention family's engine: one forward pass that summarises every layer as it passes, and the
live session that hands the view a layer's patterns on demand (implements
:class:`interplay.widgets.attention.AttentionSource`).

Each layer's pattern goes to numpy once and is summarised there
(:func:`interplay.widgets._attention_summary.summarise_layer`, the same code ``from_arrays`` uses).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.data.attention import AttentionData
from interplay.data.tokens import token_strings
from interplay.errors import InterplayError, PromptError
from interplay.results.attention import AttentionResult
from interplay.widgets._attention_summary import (
    LayerSummary,
    Repeats,
    assemble,
    summarise_layer,
    thumb_stride,
)

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

F32 = npt.NDArray[np.float32]


def attention(model_or_trace: Model | Trace, prompt: str | Sequence[str] | None = None, *, batch: int = 0,
              keep_bytes: int = 512 * 2**20, cache_layers: int = 4) -> AttentionResult:
    """Every head of one sequence, summarised: ``attention(model, prompt)`` (a prompt or a list of
    them) or ``attention(trace)`` (its captured patterns when it has them, else the model's).

    ``batch``: which sequence to show first (the view switches to the others on demand);
    ``keep_bytes``: keep the patterns in the result when they fit (float32, else float16);
    ``cache_layers``: otherwise, how many recomputed layers to keep.
    """
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

    for name, value, low in (("keep_bytes", keep_bytes, 0), ("cache_layers", cache_layers, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InterplayError(f"{name}={value!r} must be an integer >= {low}")
    if isinstance(model_or_trace, Trace):
        if prompt is not None:
            raise InterplayError("attention(trace, prompt): a trace already holds its prompts; pass one or the other")
        session = AttentionSession.of_trace(model_or_trace, keep_bytes=keep_bytes, cache_layers=cache_layers)
    elif isinstance(model_or_trace, Model):
        if prompt is None:
            raise InterplayError("attention(model, prompt): the prompt is missing")
        session = AttentionSession.of_prompts(model_or_trace, prompt, keep_bytes=keep_bytes, cache_layers=cache_layers)
    else:
        raise InterplayError("attention takes an interplay Model (interplay.load(...)) or a Trace (model.run(...)) "
                             f"first, not a {type(model_or_trace).__name__}")
    session.check_batch(batch, "batch")
    return AttentionResult(session.sequence(batch), session)


class _Stop(Exception):
    """Raised by a hook to end a forward pass early (hooks are removed on the way out)."""


class AttentionSession:
    """The live part of an attention result: the model, each sequence's token ids, and (for a trace
    that captured them) the patterns; recomputed layers are cached, ``cache_layers`` at most."""

    def __init__(self, model: Model, prompts: list[str], ids: list[torch.Tensor], tokens: list[list[str]] | None,
                 captured: list[torch.Tensor] | None, *, keep_bytes: int, cache_layers: int) -> None:
        self.model, self.prompts, self.ids, self.captured = model, prompts, ids, captured
        self._tokens = tokens
        self.keep_bytes, self.cache_layers = keep_bytes, cache_layers
        self._cache: OrderedDict[tuple[int, int], F32] = OrderedDict()

    @classmethod
    def of_prompts(cls, model: Model, prompt: str | Sequence[str], **options: Any) -> AttentionSession:
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if not isinstance(prompts, Sequence) or not prompts or not all(isinstance(p, str) for p in prompts):
            raise PromptError(f"prompt must be a string or a non-empty list of strings, not {type(prompt).__name__}")
        batch = model.tokenize(list(prompts))
        ids = [batch.token_ids[i, :n] for i, n in enumerate(batch.lengths)]
        return cls(model, list(prompts), ids, None, None, **options)

    @classmethod
    def of_trace(cls, trace: Trace, **options: Any) -> AttentionSession:
        names = [f"blocks.{i}.attn.hook_pattern" for i in range(trace.model.cfg.n_layers)]
        captured = [trace.activations[n] for n in names] if all(n in trace.activations for n in names) else None
        ids = [trace.token_ids[i, :n] for i, n in enumerate(trace.lengths)]
        return cls(trace.model, list(trace.prompts), ids, [list(t) for t in trace.str_tokens], captured, **options)

    # ------------------------------------------------------------------------------ the source
    def check_batch(self, batch: Any, what: str = "batch_index") -> int:
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or not 0 <= batch < len(self.ids):
            raise InterplayError(f"{what}={batch!r} is out of range: there are {len(self.ids)} sequences "
                                 f"(0..{len(self.ids) - 1})")
        return int(batch)

    def tokens(self, batch: int) -> list[str]:
        if self._tokens is None:
            self._tokens = [token_strings(self.model.tokenizer, ids.tolist()) for ids in self.ids]
        return self._tokens[batch]

    def sequence(self, batch_index: int) -> AttentionData:
        """Summaries of sequence ``batch_index``: from the captured patterns, or one forward pass."""
        b = self.check_batch(batch_index)
        cfg, ids = self.model.cfg, self.ids[b]
        n = int(ids.shape[0])
        repeats, stride = Repeats.of(ids.cpu().numpy()), thumb_stride(n)
        size = cfg.n_layers * cfg.n_heads * n * n
        dtype = torch.float32 if 4 * size <= self.keep_bytes else torch.float16 if 2 * size <= self.keep_bytes else None
        # the kept patterns: a numpy view of a torch buffer (torch casts to float16 twice as fast)
        kept = None if dtype is None else torch.empty((cfg.n_layers, cfg.n_heads, n, n), dtype=dtype)
        summaries: dict[int, LayerSummary] = {}

        def take(layer: int, pattern: F32) -> None:
            summaries[layer] = summarise_layer(pattern, repeats, stride)
            if kept is not None:
                kept[layer].copy_(torch.from_numpy(pattern))

        if self.captured is not None:
            for layer in range(cfg.n_layers):
                take(layer, self._captured(b, layer))
        else:
            def observe(pattern: torch.Tensor, name: str) -> None:
                take(int(name.split(".")[1]), _numpy(pattern))

            self._forward(b, [("pattern", observe)])
        notes = [] if kept is not None or self.captured is not None else \
            [f"patterns recomputed per layer on demand ({n} tokens)"]
        if len(self.ids) > 1:
            notes.append(f"sequence {b} of {len(self.ids)}")
        return assemble(self.tokens(b), [summaries[i] for i in range(cfg.n_layers)], stride, causal=cfg.causal,
                        token_ids=ids.cpu().numpy().astype(np.int64), patterns=None if kept is None else kept.numpy(),
                        notes=notes,
                        sequences=[_preview(p) for p in self.prompts], batch_index=b)

    def layer(self, batch_index: int, layer: int) -> F32:
        """Patterns of one layer, float32 [head, query, key]: captured, cached, or recomputed by a
        forward pass that stops right after that layer."""
        b = self.check_batch(batch_index)
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < self.model.cfg.n_layers:
            raise InterplayError(f"layer {layer!r} is out of range (0..{self.model.cfg.n_layers - 1})")
        if self.captured is not None:
            return self._captured(b, int(layer))
        key = (b, int(layer))
        if key not in self._cache:
            box: dict[str, F32] = {}

            def grab(pattern: torch.Tensor, name: str) -> None:
                box["p"] = _numpy(pattern)
                raise _Stop

            with contextlib.suppress(_Stop):
                self._forward(b, [(("pattern", int(layer)), grab)])
            self._cache[key] = box["p"]
            while len(self._cache) > self.cache_layers:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]

    # ----------------------------------------------------------------------------- internals
    def _captured(self, b: int, layer: int) -> F32:
        assert self.captured is not None
        n = int(self.ids[b].shape[0])
        return np.asarray(self.captured[layer][b, :, :n, :n].detach().float().cpu().numpy(), dtype=np.float32)

    def _forward(self, b: int, interventions: list[tuple[Any, Any]]) -> None:
        ids = self.ids[b][None]
        self.model.forward(ids, None, keep_positions=[int(ids.shape[1]) - 1], interventions=interventions)


def _numpy(pattern: torch.Tensor) -> F32:
    """The first sequence's pattern [head, query, key] as float32 numpy (no copy on a CPU float32 run)."""
    return np.asarray(pattern[0].detach().float().cpu().numpy(), dtype=np.float32)


def _preview(prompt: str, n: int = 40) -> str:
    return prompt if len(prompt) <= n else prompt[: n - 1] + "…"
