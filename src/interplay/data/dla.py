"""What a direct logit attribution shows: each component's direct write into one logit (difference)."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.errors import ShapeError


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class DLAData(Data):
    """Direct contributions to ``target_label`` at ``position`` of prompt ``batch``.

    ``heads[layer, head]``: each head's write (without the output bias); ``components``, one per
    ``component_labels`` entry: the embeddings, each layer's attention (all heads plus the output
    bias) and MLP, and ``"bias"`` (the final norm's and the unembedding's biases). They sum to
    ``total``, the model's own logit (difference), because the final norm's scale is frozen at
    ``scale``, its value in this run. ``total`` is NaN where the model gave no logits.
    """

    heads: npt.NDArray[np.float32] = array(("layer", "head"), np.float32)
    components: npt.NDArray[np.float32] = array(("component",), np.float32)
    component_labels: list[str] = dataclasses.field(default_factory=list)
    total: float = float("nan")
    scale: float = float("nan")  #: the frozen final-norm scale
    target_label: str = ""
    position: int = 0
    tokens: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    batch: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.component_labels) != self.components.shape[0]:
            raise ShapeError(f"DLAData: {len(self.component_labels)} component labels for components of shape "
                             f"[component] = {list(self.components.shape)}")
        if self.tokens and not 0 <= self.position < len(self.tokens):
            raise ShapeError(f"DLAData: position {self.position} is outside the {len(self.tokens)} tokens")
        object.__setattr__(self, "total", float(self.total))
        object.__setattr__(self, "scale", float(self.scale))

    @property
    def head_labels(self) -> list[str]:
        """``"L{layer}.H{head}"`` for every head, in the order of ``heads.ravel()``."""
        n_layers, n_heads = self.heads.shape
        return [f"L{layer}.H{head}" for layer in range(n_layers) for head in range(n_heads)]

    def top_heads(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` heads with the largest direct effect in magnitude, as (label, value)."""
        flat = self.heads.ravel()
        order = np.argsort(-np.abs(np.nan_to_num(flat)), kind="stable")[:n]
        labels = self.head_labels
        return [(labels[i], float(flat[i])) for i in order]
