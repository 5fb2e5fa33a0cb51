"""The engine behind patching and ablation sweeps: components, granularity, and batched runs.

A sweep is a list of cells (a layer and an index: a position, a head, a head at a position, a
neuron). Each cell is one patched run of every prompt. Cells travel together: ``C`` cells of ``n``
prompts make one forward batch of ``C * n`` rows (the base prompts stacked ``C`` times), and one
intervention per layer replaces, in the rows that belong to each cell, the activation at that
cell's index by the source's (the clean run's for denoising, the corrupted run's for noising, a
mean or zeros for ablation). Every pass goes through the backend's one forward engine
(:meth:`~interplay.backend.model.Model.forward`, by way of
:meth:`~interplay.methods._inputs.Prompts.last_logits`), which computes logits only at each
prompt's last real token. A batch that runs out of memory is halved and retried.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import torch

from interplay.backend.names import BLOCK_SUFFIXES
from interplay.errors import ComponentError, InterplayError
from interplay.methods._progress import progress_bar
from interplay.methods.attribution.engine import is_out_of_memory

if TYPE_CHECKING:
    from interplay.backend.hooks import Intervention
    from interplay.backend.model import Model
    from interplay.data.patching import PatchingData
    from interplay.methods._inputs import Prompts

RESIDUAL = ("resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out")
HEADS = ("z", "q", "k", "v", "pattern", "result")
NEURONS = ("post",)
COMPONENTS = (*RESIDUAL, *HEADS, *NEURONS)
#: what a view offers to switch to (per-head ``result`` and neurons are asked for explicitly)
VIEW_COMPONENTS = ("resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out", "z", "q", "k", "v", "pattern")
ALIASES = {"heads": "z", "head": "z", "attn_head": "z", "neurons": "post", "neuron": "post", "mlp_post": "post",
           "hook_z": "z", "mlp": "mlp_out", "attn": "attn_out"}
#: axes of each component's canonical layout after the batch axis
LAYOUT = {**{c: ("pos", "d") for c in RESIDUAL}, **{c: ("pos", "head", "d") for c in HEADS},
          "pattern": ("head", "pos", "key"), "post": ("pos", "neuron")}
GRANULARITY = {
    **{c: (("layer", "pos"), ("layer",)) for c in RESIDUAL},
    **{c: (("layer", "head"), ("layer", "head", "pos"), ("layer", "pos"), ("layer",)) for c in HEADS},
    "post": (("layer", "pos"), ("layer",), ("neuron",), ("neuron", "pos")),
}
AXIS_ORDER = ("layer", "head", "neuron", "pos")
Cell = tuple[int, dict[str, int]]


def component_name(component: str) -> str:
    """The short canonical name of a component (aliases accepted), or a ComponentError listing them."""
    c = ALIASES.get(component, component) if isinstance(component, str) else component
    if c not in COMPONENTS:
        raise ComponentError(f"unknown component {component!r}; components: {', '.join(COMPONENTS)} "
                             f"(aliases: {', '.join(sorted(ALIASES))})")
    return str(c)


def parse_by(component: str, by: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"layer_pos"``, ``"layer x head"``, ``("layer", "head", "pos")`` -> canonical axis order."""
    options = GRANULARITY[component]
    if by is None:
        return options[0]
    if isinstance(by, str):
        parts = by.replace("×", "_").replace(" x ", "_").replace(",", "_").replace(" ", "_").split("_")
    elif isinstance(by, Sequence) and all(isinstance(p, str) for p in by):
        parts = list(by)
    else:
        parts = []
    names = {"position": "pos", "positions": "pos", "layers": "layer", "heads": "head", "neurons": "neuron"}
    axes = {names.get(p, p) for p in parts if p}
    ordered = tuple(a for a in AXIS_ORDER if a in axes)
    if not ordered or ordered not in options or len(ordered) != len(axes):
        valid = ", ".join("_".join(o) for o in options)
        raise ComponentError(f"by={by!r} is not a granularity of {component!r}; use one of: {valid}")
    return ordered


@dataclass(frozen=True)
class Plan:
    """What to sweep: the component, the axes of the result, and the indices along each."""

    component: str
    axes: tuple[str, ...]
    ranges: dict[str, list[int]]
    layer: int | None  #: the fixed layer of a neuron sweep

    @classmethod
    def of(cls, data: PatchingData) -> Plan:
        """The plan a sweep's data was computed with."""
        return cls(data.component, tuple(data.axes), {a: list(data.ranges[a]) for a in data.axes}, data.layer)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.ranges[a]) for a in self.axes)

    def name(self, layer: int) -> str:
        return f"blocks.{layer}.{BLOCK_SUFFIXES[self.component]}"

    def cells(self) -> list[Cell]:
        """(layer, {axis: index}) per cell, in C order of :attr:`shape`."""
        out = []
        for combo in itertools.product(*(self.ranges[a] for a in self.axes)):
            idx = dict(zip(self.axes, combo, strict=True))
            layer = idx.pop("layer") if "layer" in idx else self.layer
            assert layer is not None
            out.append((layer, idx))
        return out

    def labels(self, tokens: list[str]) -> dict[str, list[str]]:
        """A label per cell along each axis: ``"L3"``, ``"H7"``, ``"N12"``, the token at a position."""
        prefix = {"layer": "L", "head": "H", "neuron": "N"}
        return {a: ([f"{prefix[a]}{i}" for i in self.ranges[a]] if a in prefix
                    else [tokens[i] if i < len(tokens) else f"pos {i}" for i in self.ranges[a]]) for a in self.axes}


def make_plan(model: Model, component: str, by: str | Sequence[str] | None, n_pos: int, *,
              layers: Iterable[int] | None = None, positions: Iterable[int] | None = None,
              layer: int | None = None) -> Plan:
    comp = component_name(component)
    axes = parse_by(comp, by)
    cfg = model.cfg
    n_layers = cfg.n_layers
    ranges: dict[str, list[int]] = {}
    ranges["layer"] = _check_range(layers, n_layers, "layer", f"the model has {n_layers} layers")
    ranges["pos"] = _check_range(positions, n_pos, "position", f"the prompts have {n_pos} tokens")
    ranges["head"] = list(range(cfg.n_kv_heads if comp in ("k", "v") else cfg.n_heads))
    fixed = None
    if "neuron" in axes:
        if layer is None:
            raise ComponentError("a neuron sweep needs layer=<the MLP layer to sweep>")
        fixed = _check_range([layer], n_layers, "layer", f"the model has {n_layers} layers")[0]
        if cfg.d_mlp is None:
            raise ComponentError(f"{cfg.model_type} has no MLP width in its config")
        ranges["neuron"] = list(range(int(cfg.d_mlp)))
    model.resolve((comp, 0))  # raises with what exists when this architecture lacks the component
    return Plan(comp, axes, {a: ranges[a] for a in axes}, fixed)


def _check_range(values: Iterable[int] | None, size: int, what: str, why: str) -> list[int]:
    if values is None:
        return list(range(size))
    out = []
    for v in ([values] if isinstance(values, int) else values):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not -size <= int(v) < size:
            raise InterplayError(f"{what} {v!r} is out of range: {why} (0..{size - 1})")
        out.append(int(v) % size)
    if not out:
        raise InterplayError(f"no {what}s to sweep")
    return out


# ----------------------------------------------------------------------------------- forward runs
def row_patch(src: torch.Tensor, layout: tuple[str, ...], cells: list[tuple[int, dict[str, int]]],
              n_cells: int) -> Intervention:
    """Replace, for each (chunk cell c, index) at one layer, rows c*n..(c+1)*n at index by ``src``."""
    n = src.shape[0]
    shape = [n_cells, 1] + [src.shape[1 + i] if any(a in idx for _, idx in cells) else 1 for i, a in enumerate(layout)]
    m = torch.zeros(shape, dtype=torch.bool, device=src.device)
    for c, idx in cells:
        m[(c, 0, *(idx.get(a, slice(None)) for a in layout))] = True
    # the pattern's query axis is "pos" in its layout; the d/key axes are never indexed
    source = src.unsqueeze(0)

    def fn(act: torch.Tensor, name: str) -> torch.Tensor:
        view = act.reshape(n_cells, n, *act.shape[1:])
        return torch.where(m, source.to(act.dtype), view).reshape(act.shape)

    return fn


#: a CUDA or CPU out-of-memory error: the same test as the attribution engine's batch back-off
is_oom = is_out_of_memory


Sources = Callable[[int], torch.Tensor]
MetricFn = Callable[[torch.Tensor], torch.Tensor]


def sweep(model: Model, base: Prompts, sources: Sources, plan: Plan, metric: MetricFn, *,
          batch_size: int | None = None, progress: bool = True, desc: str = "patching") -> npt.NDArray[np.float64]:
    """The metric of every cell's patched run, shaped ``plan.shape`` (float64).

    ``sources(layer)``: the activation to patch in at that layer, [n, ...] in the canonical layout.
    ``batch_size``: rows per forward (cells x prompts); halved on out-of-memory.
    """
    cells = plan.cells()
    n, width = base.n, base.ids.shape[1]
    rows = batch_size or max(n, 8192 // max(width, 1))
    per_chunk = max(1, rows // n)
    out = np.full(len(cells), np.nan)
    cache: dict[int, torch.Tensor] = {}
    bar = progress_bar(len(cells), desc) if progress else None
    start = 0
    try:
        while start < len(cells):
            chunk = cells[start:start + per_chunk]
            try:
                values = _run_chunk(model, base, chunk, plan, sources, cache, metric)
            except Exception as exc:
                if not is_oom(exc):
                    raise
                if per_chunk == 1:
                    raise InterplayError(
                        f"out of memory with one patched run per pass ({n} prompts x {width} tokens): "
                        "sweep fewer prompts at a time (fewer prompts, or shorter ones) or use a smaller model"
                    ) from exc
                per_chunk = max(1, per_chunk // 2)
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                continue
            out[start:start + len(chunk)] = values
            start += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    return out.reshape(plan.shape)


def _run_chunk(model: Model, base: Prompts, chunk: list[Cell], plan: Plan, sources: Sources,
               cache: dict[int, torch.Tensor], metric: MetricFn) -> list[float]:
    n, c = base.n, len(chunk)
    by_layer: dict[int, list[tuple[int, dict[str, int]]]] = {}
    for i, (layer, idx) in enumerate(chunk):
        by_layer.setdefault(layer, []).append((i, idx))
    inter: dict[str, list[Intervention]] = {}
    for layer, cells in by_layer.items():
        if layer not in cache:
            cache[layer] = sources(layer)
        inter[plan.name(layer)] = [row_patch(cache[layer], LAYOUT[plan.component], cells, c)]
    logits, _ = base.last_logits(model, inter, repeat=c)
    values = torch.stack([metric(logits[i * n:(i + 1) * n]) for i in range(c)])
    return [float(v) for v in values.detach().cpu()]


def patched_logits(model: Model, base: Prompts, source: torch.Tensor, plan: Plan, cell: Cell) -> torch.Tensor:
    """Last-token logits [n, vocab] of ``base`` with one cell replaced by ``source`` (at its layer)."""
    layer, idx = cell
    fn = row_patch(source, LAYOUT[plan.component], [(0, idx)], 1)
    logits, _ = base.last_logits(model, {plan.name(layer): [fn]})
    return logits
