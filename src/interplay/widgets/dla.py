"""DLAView: direct logit attribution as a layer x head heatmap plus per-component bars.

The view shows a :class:`~interplay.data.dla.DLAData` and needs nothing else (it is static).
``interplay.direct_logit_attribution(model, prompt, target=...).show()`` puts it above an
AttentionView of the same prompt, linked in the browser: clicking a head selects it there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import traitlets

from interplay.data.dla import DLAData
from interplay.widgets._base import BaseWidget, bundle, view_input
from interplay.widgets.traits import Array, Selection


class DLAView(BaseWidget):
    """``DLAView(data)``; usually ``interplay.direct_logit_attribution(...).show()``.

    Blue is against the target, red for it (both scales centred on 0). Clicking a head sets
    ``selected = {"layer": l, "head": h}``; setting it from Python moves the outline.
    """

    _esm = bundle("dla")

    heads = Array(("layer", "head"), np.float32, center=0.0)
    components = Array(("component",), np.float32, center=0.0)
    component_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    target_label = traitlets.Unicode("").tag(sync=True)
    total = traitlets.Float(None, allow_none=True).tag(sync=True)  #: None where the model gave no logits
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = Selection({"layer": lambda w: w._shape[0], "head": lambda w: w._shape[1]})

    def __init__(self, data: DLAData, **kwargs: Any) -> None:
        data, _ = view_input(data, None, DLAData, "DLAView",
                             "use interplay.direct_logit_attribution(model, prompt, target=...).show()")
        self.data = data
        self._shape: tuple[int, int] = (int(data.heads.shape[0]), int(data.heads.shape[1]))
        selected = kwargs.pop("selected", None)
        notes = kwargs.pop("notes", data.notes)
        super().__init__(
            heads=data.heads,
            components=data.components,
            component_labels=list(data.component_labels),
            target_label=data.target_label,
            total=data.total if math.isfinite(data.total) else None,
            notes=list(notes),
            **kwargs,
        )
        self.selected = selected
