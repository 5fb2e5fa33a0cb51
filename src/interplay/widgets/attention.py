"""AttentionView: every head at a glance (thumbnails + scores), one head in detail, on demand.

The view shows an :class:`~interplay.data.attention.AttentionData`. Only thumbnails and scores travel
with it. A head's pattern travels when it is selected, as one binary reply (uint8, quantised: only
colour is needed), in windows the view asks for as it zooms, so a 4,096-token pattern never goes in
one message. The patterns come from the data when it holds them, else from its source
(:class:`AttentionSource`, the live model behind the result); without either, the detail pane says
that they need a live model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import traitlets

from interplay import checks
from interplay.data.attention import AttentionData
from interplay.errors import InterplayError, ViewError
from interplay.widgets._attention_summary import build, max_pool, score_frame
from interplay.widgets._base import BaseWidget, bundle, needs_model, view_input
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets._serialize import encode_array
from interplay.widgets.traits import Array, Index, Selection, SelectionError

MAX_SIDE = 1024
#: bytes of head patterns a to_html file embeds by default (as stored: gzip + base64)
HTML_HEAD_BYTES = 3_500_000
_HINT = "Recompute it with the model: interplay.attention(model, prompt).show()"


class AttentionSource(Protocol):
    """What an AttentionView may ask the live model (numpy in and out)."""

    def layer(self, batch_index: int, layer: int) -> npt.NDArray[np.float32]:
        """The patterns of one layer of sequence ``batch_index``: float32 [head, query, key]."""
        ...

    def sequence(self, batch_index: int) -> AttentionData:
        """The summaries (and patterns, when they fit) of another sequence of the batch."""
        ...


class AttentionView(BaseWidget, RequestHandlers):
    """``AttentionView(data, source=None)``; usually ``interplay.attention(model, prompt).show()``,
    or :meth:`from_arrays` for patterns you hold.

    All heads as thumbnails with sortable scores; the selected head's full pattern and a token view.
    ``selected = {"layer": l, "head": h}`` (synced both ways; ``jslink``-able with a DLAView).
    """

    _esm = bundle("attention")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sequences = traitlets.List(traitlets.Unicode()).tag(sync=True)
    batch_index = traitlets.Int(0).tag(sync=True)
    n_layers = traitlets.Int(0).tag(sync=True)
    n_heads = traitlets.Int(0).tag(sync=True)
    causal = traitlets.Bool(True).tag(sync=True)
    thumbnails = Array(("layer", "head", "query", "key"), np.float32, encoding="u8-linear", vmin=0.0, vmax=1.0)
    thumb_stride = traitlets.Int(1).tag(sync=True)
    scores = Array(("score", "layer", "head"), np.float32)
    score_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = Selection({"layer": lambda w: w.n_layers, "head": lambda w: w.n_heads})
    query = Index(lambda w: len(w.tokens))
    title = traitlets.Unicode("").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, data: AttentionData, source: AttentionSource | None = None, *,
                 selected: dict[str, int] | None = None, title: str = "", **kwargs: Any) -> None:
        data, src = view_input(data, source, AttentionData, "AttentionView",
                               "use interplay.attention(model, prompt).show() or AttentionView.from_arrays(...)")
        self.source: AttentionSource | None = src
        super().__init__(title=title, **kwargs)
        self._init_rpc({"pattern": self._pattern, "row": self._row, "column": self._column})
        self._set_data(data)
        if selected is not None:
            self.selected = selected
        self.observe(self._on_batch_index, names="batch_index")

    @classmethod
    def from_arrays(cls, tokens: Sequence[str], patterns: Any, *, token_ids: Any = None, causal: bool | None = None,
                    **view_kwargs: Any) -> AttentionView:
        """From raw softmaxed ``patterns`` [layer, head, query, key] (numpy, torch or anything with
        ``__array__``) and their ``tokens``; ``token_ids`` [pos] (optional: else equal strings are
        the same token), ``causal`` (None: read from the patterns). Numpy only."""
        return cls(build(tokens, patterns, token_ids=token_ids, causal=causal), **view_kwargs)

    def _set_data(self, data: AttentionData) -> None:
        self.data = data
        self.clear_cache()
        notes = list(data.notes)
        if self.source is None and len(data.sequences) > 1:
            notes.append(f"only sequence {data.batch_index} is held here: the others need a live model")
        with self.hold_sync():
            self.query = None
            self.sequences, self.batch_index = list(data.sequences), data.batch_index
            self.tokens = list(data.tokens)
            self.n_layers, self.n_heads, self.causal = data.n_layers, data.n_heads, data.causal
            self.thumbnails, self.thumb_stride = data.thumbnails, data.thumb_stride
            self.score_names, self.scores = list(data.score_names), data.scores
            self.notes = notes

    @traitlets.validate("batch_index")
    def _validate_batch_index(self, proposal: Any) -> int:
        index = proposal["value"]
        if not 0 <= index < len(self.sequences):
            raise SelectionError(f"batch_index {index} is out of range (0..{len(self.sequences) - 1})")
        if self.source is None and hasattr(self, "data") and index != self.data.batch_index:
            raise needs_model(f"showing sequence {index} ({self.sequences[index]!r})",
                              "Recompute it with the model: interplay.attention(model, prompts, "
                              f"batch={index}).show()")
        return int(index)

    def _on_batch_index(self, change: dict[str, Any]) -> None:
        if self.source is None or change["new"] == self.data.batch_index:
            return
        try:
            data = self.source.sequence(int(change["new"]))
        except Exception:
            self.batch_index = self.data.batch_index  # the view keeps showing what it has
            raise
        self._set_data(data)

    def score_table(self) -> Any:
        """Every head's scores as a pandas DataFrame (layer, head, one column per score)."""
        return score_frame(self.data)

    def _head(self, layer: int, head: int) -> npt.NDArray[np.floating]:
        layer = checks.count("layer", layer, high=self.n_layers - 1, error=ViewError)
        head = checks.count("head", head, high=self.n_heads - 1, error=ViewError)
        if self.data.patterns is not None:
            held: npt.NDArray[np.floating] = self.data.patterns[layer, head]
            return held
        if self.source is None:
            raise needs_model(f"the pattern of layer {layer}, head {head}", _HINT)
        live: npt.NDArray[np.float32] = self.source.layer(self.data.batch_index, layer)[head]
        return live

    def _pattern(self, layer: int, head: int, q0: int = 0, q1: int | None = None, k0: int = 0, k1: int | None = None,
                 max_side: int = MAX_SIDE) -> dict[str, Any]:
        n = len(self.tokens)
        q0, k0 = checks.count("q0", q0, error=ViewError), checks.count("k0", k0, error=ViewError)
        q1 = n if q1 is None else checks.count("q1", q1, error=ViewError)
        k1 = n if k1 is None else checks.count("k1", k1, error=ViewError)
        if not (0 <= q0 < q1 <= n and 0 <= k0 < k1 <= n):
            raise ViewError(f"window q[{q0}:{q1}] k[{k0}:{k1}] is outside the {n} x {n} pattern "
                            f"(it needs 0 <= q0 < q1 <= {n} and 0 <= k0 < k1 <= {n})")
        side = min(checks.count("max_side", max_side, low=1, error=ViewError), MAX_SIDE)
        stride = max(1, math.ceil(max(q1 - q0, k1 - k0) / side))
        window = max_pool(self._head(layer, head)[q0:q1, k0:k1], stride)
        return {"pattern": encode_array(window, ["query", "key"], vmin=0.0, vmax=1.0, encoding="u8-linear"),
                "q0": q0, "k0": k0, "stride": stride}

    def _row(self, layer: int, head: int, query: int) -> dict[str, Any]:
        pattern = self._head(layer, head)
        query = checks.count("query", query, high=pattern.shape[0] - 1, error=ViewError)
        return {"values": encode_array(pattern[query], ["key"], vmin=0.0, vmax=1.0)}

    def _column(self, layer: int, head: int, key: int) -> dict[str, Any]:
        pattern = self._head(layer, head)
        key = checks.count("key", key, high=pattern.shape[1] - 1, error=ViewError)
        return {"values": encode_array(pattern[:, key], ["query"], vmin=0.0, vmax=1.0)}

    def _html_embed(self, *, heads: Any = "auto", max_bytes: int = HTML_HEAD_BYTES) -> Any:  # type: ignore[override]
        """What ``to_html`` embeds: the full patterns (u8) of some heads, so that they open in the
        detail pane of the file; the others show their thumbnails and scores only.

        ``heads``: "auto" (the selected head, then the heads with the highest score, while the
        embedded bytes stay under ``max_bytes``), "all", a number of heads (in that order), or a
        list of ``(layer, head)`` pairs."""
        from interplay.widgets._html import Embed, encode_buffer
        from interplay.widgets._serialize import quantize_u8

        order = self._head_order()
        if isinstance(heads, str) and heads in ("auto", "all"):
            chosen, budget = order, (None if heads == "all" else max_bytes)
        elif isinstance(heads, (int, np.integer)) and not isinstance(heads, bool) and heads >= 0:
            chosen, budget = order[: int(heads)], None
        elif isinstance(heads, (list, tuple)) and all(
                isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(i, (int, np.integer)) for i in p)
                for p in heads):
            chosen, budget = [(int(a), int(b)) for a, b in heads], None
            for layer, head in chosen:
                if not (0 <= layer < self.n_layers and 0 <= head < self.n_heads):
                    raise InterplayError(f"to_html: head ({layer}, {head}) is out of range: layers 0..{self.n_layers - 1}, "
                                         f"heads 0..{self.n_heads - 1}")
        else:
            raise InterplayError(f"to_html: heads={heads!r} is not one of 'auto', 'all', a number of heads, or a list "
                                 "of (layer, head) pairs")
        if not isinstance(max_bytes, (int, np.integer)) or isinstance(max_bytes, bool) or max_bytes < 0:
            raise InterplayError(f"to_html: max_bytes={max_bytes!r} must be a non-negative number of bytes")
        embedded: dict[tuple[int, int], dict[str, Any]] = {}
        used = 0
        for layer, head in chosen:
            try:
                codes = quantize_u8(self._head(layer, head), 0.0, 1.0)
            except InterplayError:
                break  # no patterns held and no model: none to embed
            stored = encode_buffer(codes.tobytes())
            size = len(stored["b64"])
            if budget is not None and used + size > budget:
                break
            embedded[(layer, head)] = stored
            used += size
        total = self.n_layers * self.n_heads
        if embedded:
            note = (f"{len(embedded)} of {total} heads are embedded in full in this file; the others show "
                    "their thumbnail and scores (to embed more: view.to_html(path, heads='all') or heads=N). "
                    "Pattern values here are rounded to 1/254.")
        else:
            note = f"No head pattern is embedded in this file: thumbnails and scores of all {total} heads only."
        return Embed(heads=embedded, n=len(self.tokens), note=note)

    def _head_order(self) -> list[tuple[int, int]]:
        """Every head: the selected one first, then as the view's table first lists them (by the
        first score, highest first; NaN last)."""
        pairs = [(layer, head) for layer in range(self.n_layers) for head in range(self.n_heads)]
        scores = np.asarray(self.data.scores, dtype=np.float64)
        if scores.size:
            first = np.nan_to_num(scores[0].reshape(-1), nan=-np.inf)
            pairs = [pairs[i] for i in np.argsort(-first, kind="stable")]
        if self.selected is not None:
            first = (int(self.selected["layer"]), int(self.selected["head"]))
            pairs = [first, *[p for p in pairs if p != first]]
        return pairs
