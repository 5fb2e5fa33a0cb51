"""What a patching or ablation sweep shows: one effect per cell, on named and labelled axes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.errors import InterplayError, ShapeError

#: the axes a sweep may have, in the order they appear
AXES = ("layer", "head", "neuron", "pos")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class PatchingData(Data):
    """Patching (or ablation) effects, one per cell; ``values`` has one axis per name in ``axes``.

    ``values``: normalised (0 = corrupted run, 1 = clean run) when ``normalized``, else the metric
    itself (for ablation: the change in the metric, ablated - original); ``raw``: the metric of
    each patched run. ``labels[axis]``: a label per cell along the axis (``"L3"``, ``"H7"``, the
    token at a position); ``ranges[axis]``: the model index of each cell along it (a sweep over
    ``layers=[2, 5]`` has ``ranges["layer"] == [2, 5]``). ``layer``: the fixed layer of a neuron
    sweep (no layer axis), else None. ``direction``: ``"denoising"``, ``"noising"`` or
    ``"ablation (zero|mean|resample)"``; ``method``: ``"exact"`` or ``"attribution"``.
    ``components``/``metrics``: what the view's menus offer (a saved view offers the same, and
    says that switching needs a live model).
    """

    #: one axis per name in ``axes`` (the rank is checked in ``__post_init__``)
    values: npt.NDArray[np.float32] = array(None, np.float32)
    raw: npt.NDArray[np.float32] = array(None, np.float32)
    axes: list[str] = dataclasses.field(default_factory=list)
    labels: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    ranges: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    layer: int | None = None
    component: str = ""
    method: str = "exact"
    direction: str = "denoising"
    metric_label: str = ""
    clean_value: float = float("nan")
    corrupted_value: float = float("nan")
    normalized: bool = False
    tokens: list[str] = dataclasses.field(default_factory=list)
    corrupted_tokens: list[str] = dataclasses.field(default_factory=list)
    differing: list[int] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    #: the components and metric labels the live model offered to switch to (the view's menus)
    components: list[str] = dataclasses.field(default_factory=list)
    metrics: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        where = "PatchingData"
        bad = [a for a in self.axes if a not in AXES]
        if not self.axes or bad or len(set(self.axes)) != len(self.axes):
            raise ShapeError(f"{where}.axes = {self.axes}: give one to three distinct axes from {list(AXES)}")
        shape = tuple(len(self.ranges.get(a, [])) for a in self.axes)
        for name in ("values", "raw"):
            arr = getattr(self, name)
            if arr.shape != shape:
                raise ShapeError(f"{where}.{name} has shape {list(arr.shape)}; the axes {self.axes} with "
                                 f"{[len(self.ranges.get(a, [])) for a in self.axes]} cells (ranges) need {list(shape)}")
        for a in self.axes:
            if len(self.labels.get(a, [])) != len(self.ranges[a]):
                raise ShapeError(f"{where}: {len(self.labels.get(a, []))} labels for the {len(self.ranges[a])} cells "
                                 f"of axis {a!r}")
        if "layer" not in self.axes and self.layer is None:
            raise ShapeError(f"{where}: a sweep without a layer axis (axes {self.axes}) needs its fixed layer=")

    # ------------------------------------------------------------------------------- cells
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.values.shape)

    @property
    def by(self) -> str:
        """The granularity, as ``interplay.patch(by=...)`` spells it (``"layer_head_pos"``)."""
        return "_".join(self.axes)

    def indices(self, cell: Sequence[int]) -> tuple[int, dict[str, int]]:
        """(layer, {axis: model index}) of the cell at array position ``cell``."""
        cell = tuple(cell)
        if (len(cell) != len(self.axes) or any(isinstance(c, bool) or not isinstance(c, (int, np.integer))
                                               for c in cell)
                or any(not 0 <= c < s for c, s in zip(cell, self.shape, strict=True))):
            raise InterplayError(f"cell {cell} is outside the result of shape {self.shape} "
                                 f"({', '.join(self.axes)}): give one index per axis, each in range")
        idx = {a: self.ranges[a][int(c)] for a, c in zip(self.axes, cell, strict=True)}
        layer = idx.pop("layer") if "layer" in idx else self.layer
        assert layer is not None
        return layer, idx

    def cell_label(self, cell: Sequence[int]) -> str:
        """``"L1 H3 pos 9 ' John'"``: the model indices of a cell (and the token at its position)."""
        layer, idx = self.indices(cell)
        parts = [f"L{layer}"]
        parts += [f"H{idx['head']}"] if "head" in idx else []
        parts += [f"N{idx['neuron']}"] if "neuron" in idx else []
        if "pos" in idx:
            p = idx["pos"]
            parts.append(f"pos {p}" + (f" {self.tokens[p]!r}" if p < len(self.tokens) else ""))
        return " ".join(parts)

    # ------------------------------------------------------------------------------ drawing
    def grid(self) -> tuple[npt.NDArray[np.float32], list[str], list[str], str, str]:
        """(2-D values, row labels, column labels, row axis, column axis) for drawing; a third axis
        is folded into the rows (``"L1.H3"``)."""
        ax, lab, v = self.axes, self.labels, self.values
        if len(ax) == 1:
            return v[:, None], list(lab[ax[0]]), ["all positions"], ax[0], "all"
        if len(ax) == 2:
            return v, list(lab[ax[0]]), list(lab[ax[1]]), ax[0], ax[1]
        rows = [f"{a}.{b}" for a in lab[ax[0]] for b in lab[ax[1]]]
        return v.reshape(-1, v.shape[-1]), rows, list(lab[ax[2]]), f"{ax[0]}.{ax[1]}", ax[2]

    def grid_cell(self, row: int, col: int) -> tuple[int, ...]:
        """The cell (array position in ``values``) drawn at ``(row, col)`` of :meth:`grid`."""
        shape = self.shape
        if len(shape) == 1:
            return (int(row),)
        if len(shape) == 2:
            return (int(row), int(col))
        return (int(row) // shape[1], int(row) % shape[1], int(col))

    @property
    def value_label(self) -> str:
        """What a value means, for colour bars and legends."""
        if self.direction.startswith("ablation"):
            return f"change in {self.metric_label}"
        return f"{self.metric_label} (0 = corrupted, 1 = clean)" if self.normalized else self.metric_label

    @property
    def title(self) -> str:
        return f"{self.component} by {' × '.join(self.axes)} · {self.direction} · {self.method}"
