"""DLAResult: each component's direct contribution to a logit, and the run's attention to show with it."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from interplay import checks
from interplay.data.dla import DLAData
from interplay.errors import ViewError
from interplay.results.base import Result
from interplay.widgets.dla import DLAView

_ATTENTION_NOTE = ("the linked attention view needs a live model, and this result has none (it was loaded from "
                   "a file or built from data): recompute it with interplay.direct_logit_attribution(model, prompt, "
                   "target=...) to see each head's pattern")


class DLASession(Protocol):
    """What a DLAResult may ask the live model."""

    def attention(self) -> Any:
        """The attention of the same prompt (an AttentionResult, whose ``show()`` is an AttentionView)."""
        ...


class DLAResult(Result[DLAData, DLASession]):
    """Direct contributions to a logit (difference) (``data``, a :class:`DLAData`); the linked
    attention view needs the live model."""

    DATA = DLAData
    RECOMPUTE = "interplay.direct_logit_attribution(model, prompt, target=..., baseline=...)"

    def attention(self) -> Any:
        """The attention of the same prompt and run (an AttentionResult)."""
        return self._live("the attention of this prompt").attention()

    def show(self, attention: bool = True, **kwargs: Any) -> Any:
        """The DLAView; with ``attention=True`` (and a live model), above an AttentionView of the same
        prompt linked to it in the browser (clicking a head selects it there, with no round trip to
        Python). Without a live model, the DLAView alone, with a note saying so."""
        checks.flag("attention", attention, error=ViewError)
        if not attention:
            return DLAView(self.data, **kwargs)
        if self.session is None:
            kwargs.setdefault("notes", [*self.data.notes, _ATTENTION_NOTE])
            return DLAView(self.data, **kwargs)
        import ipywidgets

        view = DLAView(self.data, **kwargs)
        attn = self.session.attention().show()
        ipywidgets.jslink((view, "selected"), (attn, "selected"))
        return ipywidgets.VBox([view, attn])

    def to_dataframe(self) -> Any:
        """One row per head (component ``"L{l}.H{h}"``, layer, head, value), then one per component
        (layer and head empty)."""
        import pandas as pd

        d = self.data
        rows: list[dict[str, Any]] = [
            {"component": f"L{layer}.H{head}", "layer": layer, "head": head, "value": float(d.heads[layer, head])}
            for layer in range(d.heads.shape[0]) for head in range(d.heads.shape[1])]
        rows += [{"component": label, "layer": None, "head": None, "value": float(v)}
                 for label, v in zip(d.component_labels, d.components, strict=True)]
        return pd.DataFrame(rows, columns=["component", "layer", "head", "value"])

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: each head's direct contribution, layer x head, centred on 0 (red for the target)."""
        import matplotlib.pyplot as plt

        d = self.data
        if ax is None:
            _, ax = plt.subplots(figsize=(1 + 0.5 * d.heads.shape[1], 1 + 0.4 * d.heads.shape[0]))
        finite = d.heads[np.isfinite(d.heads)]
        lim = float(np.abs(finite).max()) if finite.size else 1.0
        im = ax.imshow(d.heads, cmap="RdBu_r", vmin=-(lim or 1.0), vmax=lim or 1.0, aspect="auto")
        ax.set_xlabel("head")
        ax.set_ylabel("layer")
        ax.set_title(d.target_label)
        ax.figure.colorbar(im, ax=ax, label="direct contribution")
        return ax
