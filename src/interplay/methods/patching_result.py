"""The result of a patching or ablation sweep: values with named, labelled axes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from interplay.errors import InterplayError

if TYPE_CHECKING:
    from interplay.methods._sweep import Plan
    from interplay.methods.patching import PatchingSetup


def axis_labels(plan: Plan, tokens: list[str], corrupted: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for axis in plan.axes:
        idx = plan.ranges[axis]
        if axis == "layer":
            out[axis] = [f"L{i}" for i in idx]
        elif axis == "head":
            out[axis] = [f"H{i}" for i in idx]
        elif axis == "neuron":
            out[axis] = [f"N{i}" for i in idx]
        else:
            out[axis] = [tokens[i] if i < len(tokens) else f"pos {i}" for i in idx]
    return out


@dataclass(frozen=True)
class PatchingResult:
    """Patching (or ablation) effects, one per cell; ``values`` has one axis per name in ``axes``.

    ``values``: normalised (0 = corrupted, 1 = clean) when ``normalized``, else the metric itself
    (for ablation: the change in the metric); ``raw``: the metric of each patched run.
    ``labels[axis]``: a label per index (``"L3"``, ``"H7"``, the token at a position).
    """

    values: npt.NDArray[np.float32]
    raw: npt.NDArray[np.float32]
    axes: tuple[str, ...]
    labels: dict[str, list[str]]
    component: str
    method: str  #: "exact" or "attribution"
    direction: str  #: "denoising", "noising" or "ablation (zero|mean|resample)"
    metric_label: str
    clean_value: float
    corrupted_value: float
    normalized: bool
    tokens: list[str]
    corrupted_tokens: list[str]
    differing: list[int]
    notes: list[str]
    plan: Plan = field(repr=False)
    setup: PatchingSetup | None = field(default=None, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def indices(self, cell: tuple[int, ...] | list[int]) -> tuple[int, dict[str, int]]:
        """(layer, {axis: model index}) of the cell at array position ``cell``."""
        if len(cell) != len(self.axes) or any(not 0 <= c < s for c, s in zip(cell, self.shape, strict=True)):
            raise InterplayError(f"cell {tuple(cell)} is outside the result of shape {self.shape} ({', '.join(self.axes)})")
        idx = {a: self.plan.ranges[a][c] for a, c in zip(self.axes, cell, strict=True)}
        layer = idx.pop("layer") if "layer" in idx else self.plan.layer
        assert layer is not None
        return layer, idx

    def cell_label(self, cell: tuple[int, ...] | list[int]) -> str:
        layer, idx = self.indices(cell)
        parts = [f"L{layer}"]
        parts += [f"H{idx['head']}"] if "head" in idx else []
        parts += [f"N{idx['neuron']}"] if "neuron" in idx else []
        if "pos" in idx:
            p = idx["pos"]
            parts.append(f"pos {p}" + (f" {self.tokens[p]!r}" if p < len(self.tokens) else ""))
        return " ".join(parts)

    def patched_logits(self, cell: tuple[int, ...] | list[int]) -> Any:
        """Last-token logits [n_prompts, vocab] of the one exact patched run of ``cell``."""
        if self.setup is None:
            raise InterplayError("this result has no model attached (it was loaded or built by hand)")
        layer, idx = self.indices(cell)
        return self.setup.patched_logits(self.plan, layer, idx)

    def top_k(self, cell: tuple[int, ...] | list[int], k: int = 10, prompt: int = 0) -> dict[str, Any]:
        """Top-k next tokens of the clean, corrupted and patched runs of ``prompt`` for one cell,
        and the metric of the patched run (one exact forward pass)."""
        from interplay.backend.tokens import token_strings

        if self.setup is None:
            raise InterplayError("this result has no model attached (it was loaded or built by hand)")
        s = self.setup
        if not 0 <= prompt < s.pair.clean.n:
            raise InterplayError(f"prompt {prompt} is out of range: there are {s.pair.clean.n} prompts")
        patched = self.patched_logits(cell)
        out: dict[str, Any] = {"cell": list(cell), "label": self.cell_label(cell),
                               "metric": float(s.bound(patched)), "prompt": prompt}
        for key, logits in (("clean", s.clean_logits), ("corrupted", s.corrupted_logits), ("patched", patched)):
            probs = logits[prompt].float().softmax(-1)
            p, i = probs.topk(min(k, probs.shape[0]))
            out[key] = {"tokens": token_strings(s.model.tokenizer, i.tolist()), "ids": i.tolist(),
                        "probs": [float(x) for x in p]}
        return out

    def grid(self) -> tuple[npt.NDArray[np.float32], list[str], list[str], str, str]:
        """(2-D values, row labels, column labels, row axis, column axis) for drawing."""
        ax, lab, v = self.axes, self.labels, self.values
        if len(ax) == 1:
            return v[:, None], lab[ax[0]], ["all positions"], ax[0], "all"
        if len(ax) == 2:
            return v, lab[ax[0]], lab[ax[1]], ax[0], ax[1]
        rows = [f"{a}.{b}" for a in lab[ax[0]] for b in lab[ax[1]]]
        return v.reshape(-1, v.shape[-1]), rows, lab[ax[2]], f"{ax[0]}.{ax[1]}", ax[2]

    def to_dataframe(self) -> Any:
        """One row per cell: each axis's index and label, ``value`` and the patched run's ``metric``."""
        import pandas as pd

        rows = []
        for cell in np.ndindex(*self.shape):
            row: dict[str, Any] = {}
            for a, c in zip(self.axes, cell, strict=True):
                row[a] = self.plan.ranges[a][c]
                if a == "pos":
                    row["token"] = self.labels[a][c]
            row["value"] = float(self.values[cell])
            row["metric"] = float(self.raw[cell])
            rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Any:
        import matplotlib.pyplot as plt

        grid, rows, cols, row_axis, col_axis = self.grid()
        if ax is None:
            _, ax = plt.subplots(figsize=(min(16, 2 + 0.45 * len(cols)), min(12, 1.5 + 0.3 * len(rows))))
        lim = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
        im = ax.imshow(grid, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xticks(range(len(cols)), cols, rotation=90)
        ax.set_xlabel(col_axis)
        ax.set_ylabel(row_axis)
        ax.set_title(f"{self.component} ({self.direction}, {self.method})")
        ax.figure.colorbar(im, ax=ax, label=self.value_label)
        return ax

    @property
    def value_label(self) -> str:
        if self.direction.startswith("ablation"):
            return f"change in {self.metric_label}"
        return f"{self.metric_label} (0 = corrupted, 1 = clean)" if self.normalized else self.metric_label

    def show(self, **kwargs: Any) -> Any:
        """The :class:`~interplay.PatchingExplorer`: click a cell for the patched run's top tokens."""
        from interplay.widgets.patching import PatchingExplorer

        return PatchingExplorer(self, **kwargs)
