"""DLAView: direct logit attribution as a layer x head heatmap plus per-component bars."""

from __future__ import annotations

from typing import Any

import traitlets

from interplay.widgets._base import BaseWidget, bundle
from interplay.widgets._serialize import encode_array


class DLAView(BaseWidget):
    """Show a :class:`~interplay.methods.dla.DLAResult`. Clicking a head sets ``selected``
    (``{"layer", "head"}``), which ``DLAResult.show()`` links to an AttentionView in the browser."""

    _esm = bundle("dla")

    heads = traitlets.Dict().tag(sync=True)
    components = traitlets.Dict().tag(sync=True)
    component_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    target_label = traitlets.Unicode("").tag(sync=True)
    total = traitlets.Float(0.0).tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, result: Any, **kwargs: Any) -> None:
        self.result = result
        super().__init__(
            heads=encode_array(result.heads, ["layer", "head"], center=0.0),
            components=encode_array(result.components, ["component"], center=0.0),
            component_labels=list(result.component_labels),
            target_label=result.target_label,
            total=result.total if result.total == result.total else 0.0,
            notes=list(result.notes),
            **kwargs,
        )
