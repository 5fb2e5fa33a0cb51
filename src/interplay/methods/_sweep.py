"""The engine behind patching and ablation sweeps: components, granularity, and batched runs.

A sweep is a list of cells (a layer and an index: a position, a head, a head at a position, a
neuron). Each cell is one patched run of every prompt. Cells travel together: ``C`` cells of ``n``
prompts make one forward batch of ``C * n`` rows (the base prompts stacked ``C`` times), and one
hook per layer replaces, in the rows that belong to each cell, the activation at that cell's index
by the source's (the clean run's for denoising, the corrupted run's for noising, a mean or zeros
for ablation). Logits are computed only at each prompt's last real token. A batch that runs out of
memory is halved and retried.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay.backend.hooks import Intervention, hooked
from interplay.backend.names import BLOCK_SUFFIXES
from interplay.errors import HookNameError, InterplayError

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.methods._inputs import Prompts

RESIDUAL = ("resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out")
HEADS = ("z", "q", "k", "v", "pattern", "result")
NEURONS = ("post",)
COMPONENTS = (*RESIDUAL, *HEADS, *NEURONS)
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


class ComponentError(HookNameError):
    """An unknown component, or a granularity it does not have."""


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
    else:
        parts = list(by)
    names = {"position": "pos", "positions": "pos", "layers": "layer", "heads": "head", "neurons": "neuron"}
    axes = {names.get(p, p) for p in parts if p}
    ordered = tuple(a for a in AXIS_ORDER if a in axes)
    if ordered not in options or len(ordered) != len(axes):
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

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.ranges[a]) for a in self.axes)

    def name(self, layer: int) -> str:
        return f"blocks.{layer}.{BLOCK_SUFFIXES[self.component]}"

    def cells(self) -> list[tuple[int, dict[str, int]]]:
        """(layer, {axis: index}) per cell, in C order of :attr:`shape`."""
        out = []
        for combo in itertools.product(*(self.ranges[a] for a in self.axes)):
            idx = dict(zip(self.axes, combo, strict=True))
            layer = idx.pop("layer") if "layer" in idx else self.layer
            assert layer is not None
            out.append((layer, idx))
        return out


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
    n_heads = cfg.n_kv_heads if comp in ("k", "v") else cfg.n_heads
    ranges["head"] = list(range(n_heads))
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
def _keeps_logits(model: Model) -> bool:
    try:
        return "logits_to_keep" in inspect.signature(model.hf_model.forward).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


def last_logits(model: Model, ids: torch.Tensor, mask: torch.Tensor, last: torch.Tensor,
                interventions: dict[str, list[Intervention]] | None = None, capture: Iterable[str] = (), *,
                grad: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One forward pass; logits at each row's ``last`` position ([rows, vocab]) and the captures.

    With ``grad=True`` captured activations stay in the autograd graph (for attribution patching).
    """
    inter = interventions or {}
    cap = set(capture)
    kwargs: dict[str, Any] = {}
    if _keeps_logits(model):
        kwargs["logits_to_keep"] = last[:, None]
    with hooked(model.layout, cap | set(inter), cap, inter, detach=not grad) as store, torch.set_grad_enabled(grad):
        out = model.hf_model(input_ids=ids, attention_mask=mask, **kwargs)
    logits = out.logits
    rows = torch.arange(ids.shape[0], device=logits.device)
    logits = logits[:, 0] if kwargs else logits[rows, last]
    return logits, dict(store)


def _row_patch(src: torch.Tensor, layout: tuple[str, ...], cells: list[tuple[int, dict[str, int]]],
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


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or (isinstance(exc, RuntimeError) and "out of memory" in str(exc))


def sweep(model: Model, base: Prompts, sources: Callable[[int], torch.Tensor], plan: Plan,
          metric: Callable[[torch.Tensor], torch.Tensor], *, batch_size: int | None = None,
          progress: bool = True, desc: str = "patching") -> np.ndarray:
    """The metric of every cell's patched run, shaped ``plan.shape`` (float64).

    ``sources(layer)``: the activation to patch in at that layer, [n, ...] in the canonical layout.
    ``batch_size``: rows per forward (cells x prompts); halved on out-of-memory.
    """
    cells = plan.cells()
    n, width = base.n, base.ids.shape[1]
    rows = batch_size or max(n, 8192 // max(width, 1))
    per_chunk = max(1, rows // n)
    layout = LAYOUT[plan.component]
    out = np.full(len(cells), np.nan)
    cache: dict[int, torch.Tensor] = {}
    bar = _progress(len(cells), desc) if progress else None
    start = 0
    try:
        while start < len(cells):
            chunk = cells[start:start + per_chunk]
            try:
                values = _run_chunk(model, base, chunk, layout, plan, sources, cache, metric)
            except Exception as exc:
                if not is_oom(exc) or per_chunk == 1:
                    raise
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


def _run_chunk(model: Model, base: Prompts, chunk: list[tuple[int, dict[str, int]]], layout: tuple[str, ...],
               plan: Plan, sources: Callable[[int], torch.Tensor], cache: dict[int, torch.Tensor],
               metric: Callable[[torch.Tensor], torch.Tensor]) -> list[float]:
    n, c = base.n, len(chunk)
    by_layer: dict[int, list[tuple[int, dict[str, int]]]] = {}
    for i, (layer, idx) in enumerate(chunk):
        by_layer.setdefault(layer, []).append((i, idx))
    inter: dict[str, list[Intervention]] = {}
    for layer, cells in by_layer.items():
        if layer not in cache:
            cache[layer] = sources(layer)
        inter[plan.name(layer)] = [_row_patch(cache[layer], layout, cells, c)]
    ids, mask = base.ids.repeat(c, 1), base.mask.repeat(c, 1)
    with torch.no_grad():
        logits, _ = last_logits(model, ids, mask, base.last.repeat(c), inter)
    return [float(metric(logits[i * n:(i + 1) * n])) for i in range(c)]


def _progress(total: int, desc: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, desc=desc, leave=False)
