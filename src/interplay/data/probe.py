"""What a probe gives: per-layer held-out accuracies, the control task's, and the probes' weights."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.errors import ShapeError

F64 = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ProbeData(Data):
    """One logistic-regression probe per layer in ``layers`` (every per-layer array is in that order).

    ``accuracy`` is measured on held-out texts, ``train_accuracy`` on the training texts; the
    ``control_*`` pair is the same probe trained on the control task (NaN when it was not run).
    ``majority``: the held-out accuracy of always answering the training set's commonest class.
    ``weights`` [layer, class, d] and ``biases`` [layer, class] live in the activations' own space
    (the standardisation is folded in): class scores are ``act @ weights[i].T + biases[i]``.
    """

    layers: list[int]
    component: str
    classes: list[str]
    majority: float
    n_train: int
    n_test: int
    n_train_texts: int
    n_test_texts: int
    accuracy: F64 = array(("layer",), np.float64)
    train_accuracy: F64 = array(("layer",), np.float64)
    control_accuracy: F64 = array(("layer",), np.float64)
    control_train_accuracy: F64 = array(("layer",), np.float64)
    weights: F64 = array(("layer", "class", "d"), np.float64)
    biases: F64 = array(("layer", "class"), np.float64)
    notes: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        n, c = len(self.layers), len(self.classes)
        if len(set(self.layers)) != n or not all(isinstance(x, int) for x in self.layers):
            raise ShapeError(f"ProbeData: layers must be distinct integers, got {self.layers}")
        if c < 2 or len(set(self.classes)) != c:
            raise ShapeError(f"ProbeData: classes must be at least two distinct names, got {self.classes}")
        for name in ("accuracy", "train_accuracy", "control_accuracy", "control_train_accuracy"):
            if getattr(self, name).shape != (n,):
                raise ShapeError(f"ProbeData: {name} has shape {list(getattr(self, name).shape)}; "
                                 f"expected [{n}] (one per layer)")
        if self.weights.shape[:2] != (n, c) or self.biases.shape != (n, c):
            raise ShapeError(f"ProbeData: weights {list(self.weights.shape)} and biases {list(self.biases.shape)} "
                             f"must be [{n}, {c}, d] and [{n}, {c}] (layer, class)")
