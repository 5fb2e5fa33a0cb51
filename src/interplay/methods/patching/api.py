"""The entry points: :func:`patch` (denoising or noising sweeps) and :func:`ablate`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from interplay import checks
from interplay.errors import InterplayError
from interplay.methods._common import require_model
from interplay.methods._inputs import is_dataset, prepare_pair, tokenize
from interplay.methods.metrics import as_metric
from interplay.methods.patching.ablation import HOW
from interplay.methods.patching.engine import component_name, parse_by
from interplay.methods.patching.session import DIRECTIONS, METHODS, AblationSession, PatchingSession
from interplay.results.patching import PatchingResult

if TYPE_CHECKING:
    from interplay.backend.model import Model


def _check(fn: str, model: Any, component: str, by: str | Sequence[str] | None, batch_size: int | None) -> None:
    require_model(model, fn)
    parse_by(component_name(component), by)
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise InterplayError(f"batch_size={batch_size!r} must be a positive integer (rows per forward pass) or None")


def patch(
    model: Model,
    clean: Any,
    corrupted: Any = None,
    *,
    metric: Any = None,
    component: str = "resid_pre",
    by: str | Sequence[str] | None = None,
    direction: str = "denoising",
    method: str = "exact",
    layers: Iterable[int] | None = None,
    positions: Iterable[int] | None = None,
    layer: int | None = None,
    normalize: bool | None = None,
    batch_size: int | None = None,
    progress: bool = True,
) -> PatchingResult:
    """Patch ``component`` cell by cell between ``clean`` and ``corrupted``; the metric of each run.

    ``clean``/``corrupted``: a prompt or a list (pairwise equal token lengths; the metric is averaged
    over the prompts), or a task dataset from :mod:`interplay.tasks` as ``clean`` (its corrupted
    twins and its logit difference are used). ``metric``: :func:`~interplay.logit_diff`,
    :func:`~interplay.token_prob`, :func:`~interplay.kl_div`, or ``fn(logits [n, vocab]) -> scalar``.
    ``component``/``by``: what to patch and at which granularity (``"layer_pos"``, ``"layer_head"``,
    ...; the package docstring lists them). ``direction``: ``"denoising"`` (default) or
    ``"noising"``. ``method``: ``"exact"`` or ``"attribution"`` (AtP). ``layers``/``positions``:
    sweep only these; ``layer``: the MLP layer of a neuron sweep. ``normalize``: None = map the
    corrupted run's metric to 0 and the clean run's to 1 unless they are equal; ``batch_size``: rows
    per forward pass (patched runs x prompts; halved on out-of-memory).
    """
    if direction not in DIRECTIONS:
        raise InterplayError(f"direction={direction!r}; use 'denoising' (clean into corrupted) or 'noising'")
    if method not in METHODS:
        raise InterplayError(f"method={method!r}; use 'exact' or 'attribution'")
    _check("patch", model, component, by, batch_size)
    if normalize is not None:
        checks.flag("normalize", normalize)
    pair = prepare_pair(model, clean, corrupted)
    session = PatchingSession(model, pair, as_metric(metric, pair.dataset), direction, layers=layers,
                              positions=positions, layer=layer, normalize=normalize, batch_size=batch_size)
    return PatchingResult(session.sweep(component, by, method, progress=progress), session)


def ablate(
    model: Model,
    prompts: Any,
    *,
    metric: Any = None,
    component: str = "z",
    by: str | Sequence[str] | None = None,
    how: str = "mean",
    reference: Any = None,
    per_position: bool = True,
    seed: int = 0,
    layers: Iterable[int] | None = None,
    positions: Iterable[int] | None = None,
    layer: int | None = None,
    method: str = "exact",
    batch_size: int | None = None,
    progress: bool = True,
) -> PatchingResult:
    """Ablate ``component`` cell by cell (``how``: ``"zero"``, ``"mean"``, ``"resample"``) in runs of
    ``prompts`` (a prompt, a list, or a task dataset); the change in ``metric`` for each cell.

    ``reference``: prompts (or a dataset) whose activations give the mean or the resampled values
    (default: ``prompts``). ``per_position``: a mean per position (default) or over all positions;
    ``seed``: the pairing of a resample ablation. Other arguments as in :func:`patch`
    (``method="attribution"`` estimates each ablation to first order).
    """
    if how not in HOW:
        raise InterplayError(f"how={how!r}; use one of {HOW}")
    if method not in METHODS:
        raise InterplayError(f"method={method!r}; use 'exact' or 'attribution'")
    _check("ablate", model, component, by, batch_size)
    checks.flag("per_position", per_position)
    checks.count("seed", seed)
    if reference is not None and how == "zero":
        raise InterplayError(f"reference= is given but how={how!r} ignores it (zeros need no reference); "
                             "use how='mean' or how='resample' with a reference, or leave reference=None")
    dataset = prompts if is_dataset(prompts) else None
    base = tokenize(model, list(prompts.clean) if dataset is not None else prompts, "prompts")
    ref = None
    if reference is not None:
        ref = tokenize(model, list(reference.clean) if is_dataset(reference) else reference, "reference")
    session = AblationSession(model, base, dataset, as_metric(metric, dataset), how, reference=ref,
                              per_position=per_position, seed=seed, layers=layers, positions=positions, layer=layer,
                              batch_size=batch_size)
    return PatchingResult(session.sweep(component, by, method, progress=progress), session)
