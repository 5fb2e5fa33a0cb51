"""AttentionView: every head at a glance (thumbnails + scores), one head in detail, on demand.

Only thumbnails and scores travel with the view. A head's pattern travels when it is selected, as
one binary reply (uint8, quantised: only colour is needed), in windows the view asks for as it
zooms, so a 4,096-token pattern never goes in one message.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import traitlets

from interplay.errors import InterplayError
from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._rpc import RequestHandlers
from interplay.widgets._serialize import encode_array

MAX_SIDE = 1024


class AttentionView(BaseWidget, RequestHandlers):
    """All heads as thumbnails with sortable scores; the selected head's full pattern and a token view.

    Build it with :meth:`from_trace`, :meth:`from_arrays` or ``model.attention(prompt)``.
    ``selected = {"layer": l, "head": h}`` (synced both ways; ``jslink``-able with a DLAView).
    """

    _esm = bundle("attention")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sequences = traitlets.List(traitlets.Unicode()).tag(sync=True)
    batch_index = traitlets.Int(0).tag(sync=True)
    n_layers = traitlets.Int(0).tag(sync=True)
    n_heads = traitlets.Int(0).tag(sync=True)
    causal = traitlets.Bool(True).tag(sync=True)
    thumbnails = traitlets.Dict().tag(sync=True)
    thumb_stride = traitlets.Int(1).tag(sync=True)
    scores = traitlets.Dict().tag(sync=True)
    score_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    query = traitlets.Int(allow_none=True, default_value=None).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, load: Callable[[int], Any], *, sequences: Sequence[str] = ("",), title: str = "",
                 selected: dict[str, int] | None = None, **kwargs: Any) -> None:
        self._load = load
        self._data: Any = None
        super().__init__(sequences=list(sequences), title=title, **kwargs)
        self._init_rpc({"pattern": self._pattern, "row": self._row, "column": self._column})
        self._show(0)
        if selected is not None:
            self.selected = selected
        self.observe(lambda ch: self._show(int(ch["new"])), names="batch_index")

    @classmethod
    def from_trace(cls, trace: Any, *, batch: int = 0, **kwargs: Any) -> AttentionView:
        """From a :class:`~interplay.Trace` (captured patterns, or recomputed per layer by the model)."""
        from interplay.methods.attention import from_trace

        labels = [_preview(p) for p in trace.prompts]
        view = cls(lambda i: from_trace(trace, i), sequences=labels, **kwargs)
        if batch:
            view.batch_index = batch
        return view

    @classmethod
    def from_arrays(cls, tokens: Sequence[str], patterns: Any, *, token_ids: Any = None, **kwargs: Any) -> AttentionView:
        """From raw ``patterns`` [layer, head, query, key] (softmaxed) and their ``tokens``."""
        from interplay.methods.attention import from_arrays

        data = from_arrays(list(tokens), patterns, token_ids)
        return cls(lambda i: data, **kwargs)

    def _show(self, index: int) -> None:
        if not 0 <= index < len(self.sequences):
            raise InterplayError(f"batch_index {index} is out of range (0..{len(self.sequences) - 1})")
        data = self._load(index)
        self._data = data
        self.clear_cache()
        with self.hold_sync():
            self.tokens = data.tokens
            self.n_layers, self.n_heads, self.causal = data.n_layers, data.n_heads, data.causal
            self.thumbnails = encode_array(data.thumbnails, ["layer", "head", "query", "key"], vmin=0.0, vmax=1.0,
                                           encoding="u8-linear")
            self.thumb_stride = data.thumb_stride
            from interplay.methods.attention import SCORE_NAMES

            self.score_names = list(SCORE_NAMES)
            self.scores = encode_array(data.scores, ["score", "layer", "head"])
            self.notes = list(data.notes)
            self.query = None

    def score_table(self) -> Any:
        """Every head's scores as a pandas DataFrame (layer, head, one column per score)."""
        import pandas as pd

        s = self._data.scores
        rows = [{"layer": layer, "head": head, **{n: float(s[i, layer, head]) for i, n in enumerate(self.score_names)}}
                for layer in range(self.n_layers) for head in range(self.n_heads)]
        return pd.DataFrame(rows)

    def _head(self, layer: int, head: int) -> np.ndarray:
        if not 0 <= head < self.n_heads:
            raise InterplayError(f"head {head} is out of range (0..{self.n_heads - 1})")
        out: np.ndarray = self._data.layer(int(layer))[int(head)]
        return out

    def _pattern(self, layer: int, head: int, q0: int = 0, q1: int | None = None, k0: int = 0, k1: int | None = None,
                 max_side: int = MAX_SIDE) -> dict[str, Any]:
        from interplay.methods.attention import max_pool

        n = len(self.tokens)
        q1, k1 = n if q1 is None else int(q1), n if k1 is None else int(k1)
        q0, k0 = int(q0), int(k0)
        if not (0 <= q0 < q1 <= n and 0 <= k0 < k1 <= n):
            raise InterplayError(f"window q[{q0}:{q1}] k[{k0}:{k1}] is outside the {n} x {n} pattern")
        side = max(1, min(int(max_side), MAX_SIDE))
        stride = max(1, math.ceil(max(q1 - q0, k1 - k0) / side))
        window = max_pool(self._head(layer, head)[q0:q1, k0:k1], stride)
        return {"pattern": encode_array(window, ["query", "key"], vmin=0.0, vmax=1.0, encoding="u8-linear"),
                "q0": q0, "k0": k0, "stride": stride}

    def _row(self, layer: int, head: int, query: int) -> dict[str, Any]:
        pattern = self._head(layer, head)
        if not 0 <= int(query) < pattern.shape[0]:
            raise InterplayError(f"query {query} is out of range (0..{pattern.shape[0] - 1})")
        return {"values": encode_array(pattern[int(query)], ["key"], vmin=0.0, vmax=1.0)}

    def _column(self, layer: int, head: int, key: int) -> dict[str, Any]:
        pattern = self._head(layer, head)
        if not 0 <= int(key) < pattern.shape[1]:
            raise InterplayError(f"key {key} is out of range (0..{pattern.shape[1] - 1})")
        return {"values": encode_array(pattern[:, int(key)], ["query"], vmin=0.0, vmax=1.0)}

    @traitlets.validate("selected")
    def _validate_selected(self, proposal: Any) -> Any:
        sel = proposal["value"]
        if sel is None:
            return None
        try:
            layer, head = int(sel["layer"]), int(sel["head"])
        except (KeyError, TypeError, ValueError):
            raise traitlets.TraitError(f"selected must be {{'layer': int, 'head': int}} or None, got {sel!r}") from None
        if not (0 <= layer < self.n_layers and 0 <= head < self.n_heads):
            raise traitlets.TraitError(f"selected {sel!r} is outside the {self.n_layers} x {self.n_heads} heads")
        return {"layer": layer, "head": head}


def _preview(prompt: str, n: int = 40) -> str:
    return prompt if len(prompt) <= n else prompt[: n - 1] + "…"
