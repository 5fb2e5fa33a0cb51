"""Splicing dictionaries (SAEs, transcoders) into a forward pass, as interventions on canonical names.

An SAE at hook ``h`` encodes the activation ``x`` there, reconstructs it, and the model goes on with
``recon + error`` (``include_error=True``: the same value as ``x`` up to float rounding, so the
logits are the plain model's) or with ``recon`` alone (``include_error=False``: the model runs on
the reconstruction). A transcoder reads ``x`` at ``hook_in`` and replaces the value at ``hook_out``
the same way, its error being ``value_at_hook_out - recon``.

Each run records ``f"{h}.sae.acts"`` [batch, pos, d_sae], ``.sae.recon`` and ``.sae.error``
(``f"{hook_out}.transcoder.acts"`` etc. for a transcoder). The latents can be intervened on like any
activation: an intervention on ``f"{h}.sae.acts"`` edits them before they are decoded (scale,
clamp, ablate a latent); the error stays the one of the unedited latents (SAELens's convention).

Gradients (``grad=True``): the latents and the reconstruction are in the graph of the input; the
error is a leaf of its own that requires grad (its value is fixed for the pass, as in SAELens and
circuit-tracer), so gradients reach the model below only through the dictionary's latents, and
``torch.autograd.grad(metric, trace[f"{h}.sae.error"])`` is the error node's gradient.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from interplay.backend.dictionaries import Dictionary
from interplay.backend.hooks import Intervention, replacement
from interplay.backend.layout import Layout
from interplay.backend.names import split_name
from interplay.errors import DictionaryError

#: ``{hook: dictionary}``, a list of dictionaries (each at its own hook), or one dictionary
Dictionaries = Mapping[Any, Dictionary] | Sequence[Dictionary] | Dictionary
#: what each spliced dictionary records, after ``f"{hook}.{kind}."``
OUTPUTS = ("acts", "recon", "error")
#: 4-D activations [batch, pos, head, d_head] a dictionary reads with the heads flattened
_PER_HEAD = ("attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_z")


def hook_width(layout: Layout, name: str) -> int | None:
    """The width a dictionary at ``name`` reads (per-head names flattened), None where no dictionary fits."""
    cfg = layout.cfg
    _, suffix = split_name(name)
    if suffix in ("attn.hook_pattern", "attn.hook_result"):
        return None
    if suffix == "mlp.hook_post":
        return cfg.d_mlp
    if suffix in ("attn.hook_k", "attn.hook_v"):
        return cfg.n_kv_heads * cfg.d_head
    if suffix in ("attn.hook_q", "attn.hook_z"):
        return cfg.n_heads * cfg.d_head
    return cfg.d_model


@dataclass
class Splice:
    """The dictionaries of one pass: interventions to register, and what they record in ``store``."""

    interventions: dict[str, list[Intervention]] = field(default_factory=dict)
    #: latent names that accept interventions (``f"{hook}.sae.acts"``) -> their interventions
    latent_interventions: dict[str, list[Intervention]] = field(default_factory=dict)
    store: dict[str, torch.Tensor] = field(default_factory=dict)
    latent_names: set[str] = field(default_factory=set)
    #: hook name -> the position of its records among the captures (just after the hook itself)
    anchors: dict[str, str] = field(default_factory=dict)


def plan_splice(
    layout: Layout,
    resolve: Any,
    dictionaries: Dictionaries | None,
    *,
    include_error: bool,
    detach: bool,
) -> Splice:
    """Check ``dictionaries`` against the model and build the interventions that splice them in.

    ``resolve(name) -> list[str]`` is the model's name resolver (short or full names).
    """
    splice = Splice()
    if dictionaries is None:
        return splice
    if not isinstance(include_error, bool):
        raise DictionaryError(f"include_error={include_error!r}: accepted values are True and False")
    entries = _entries(dictionaries, resolve)
    written: dict[str, Dictionary] = {}
    readers: dict[str, list[Intervention]] = {}
    writers: dict[str, list[Intervention]] = {}
    for d in entries:
        hook_in, hook_out = _resolve_one(resolve, d.hook_in, d), _resolve_one(resolve, d.hook_out, d)
        for hook, width, which in ((hook_in, d.d_in, "d_in"), (hook_out, d.d_out, "d_out")):
            have = hook_width(layout, hook)
            if have is None:
                raise DictionaryError(f"{d._label()} sits at {hook!r}, which holds no vectors a dictionary can read "
                                      "(attention patterns and per-head results are not supported)")
            if have != width:
                raise DictionaryError(
                    f"{d._label()} has {which}={width}, but {hook!r} on this model has width {have}: "
                    "the dictionary was made for another model or another hook"
                )
        if hook_out in written:
            raise DictionaryError(f"two dictionaries replace {hook_out!r} ({written[hook_out]._label()} and "
                                  f"{d._label()}); splice one per hook")
        written[hook_out] = d
        prefix = f"{hook_out}.{d.kind}"
        latent = f"{prefix}.acts"
        splice.latent_names.add(latent)
        splice.anchors[prefix] = hook_out
        if d.kind == "sae":
            writers.setdefault(hook_out, []).append(
                _sae_fn(d, prefix, splice, include_error=include_error, detach=detach))
        else:
            if layout.order(hook_in) >= layout.order(hook_out):
                raise DictionaryError(f"{d._label()} reads {hook_in!r}, which the model computes after {hook_out!r} "
                                      "(hook_in must come before hook_out in the forward pass)")
            seen: dict[str, torch.Tensor] = {}
            readers.setdefault(hook_in, []).append(_reader(seen))
            writers.setdefault(hook_out, []).append(
                _transcoder_fn(d, prefix, splice, seen, include_error=include_error, detach=detach))
    for hook in sorted(set(readers) | set(writers), key=layout.order):
        # an SAE's splice first, then the transcoders that read what the model goes on with
        splice.interventions[hook] = [*writers.get(hook, []), *readers.get(hook, [])]
    return splice


def record_order(layout: Layout, splice: Splice, name: str) -> tuple[int, int]:
    """A sort key that puts a dictionary's records just after the hook they belong to."""
    for prefix, hook in splice.anchors.items():
        if name.startswith(prefix + "."):
            return layout.order(hook), 1 + OUTPUTS.index(name[len(prefix) + 1:])
    return layout.order(name), 0


def _entries(dictionaries: Dictionaries, resolve: Any) -> list[Dictionary]:
    if isinstance(dictionaries, Dictionary):
        return [dictionaries]
    if isinstance(dictionaries, Mapping):
        out = []
        for key, d in dictionaries.items():
            _check_type(d)
            names = resolve(key)
            if len(names) != 1:
                raise DictionaryError(f"dictionaries={{{key!r}: ...}}: {key!r} names {len(names)} hooks; "
                                      "a dictionary sits at one (e.g. 'blocks.2.hook_resid_post')")
            own = [_resolve_one(resolve, d.hook_in, d), _resolve_one(resolve, d.hook_out, d)]
            if names[0] not in own:
                where = f"{own[0]!r}" if d.kind == "sae" else f"{own[0]!r} -> {own[1]!r}"
                raise DictionaryError(f"dictionaries={{{key!r}: ...}}: {d._label()} was made for {where}, "
                                      f"not {names[0]!r}")
            out.append(d)
        return out
    if isinstance(dictionaries, Iterable) and not isinstance(dictionaries, (str, bytes)):
        items = list(dictionaries)
        for d in items:
            _check_type(d)
        return items
    raise DictionaryError(f"dictionaries must be {{hook: SAE or Transcoder}}, a list of them, or one; got "
                          f"{dictionaries!r:.60} (a {type(dictionaries).__name__})")


def _check_type(d: object) -> None:
    if not isinstance(d, Dictionary):
        raise DictionaryError(f"dictionaries holds {d!r:.60} (a {type(d).__name__}); accepted: interplay.SAE, interplay.Transcoder "
                              "(interplay.load_dictionary(path) reads one from disk)")


def _resolve_one(resolve: Any, name: str, d: Dictionary) -> str:
    try:
        names = resolve(name)
    except LookupError as exc:
        raise DictionaryError(f"{d._label()} sits at {name!r}, which this model does not have: {exc}") from None
    assert len(names) == 1
    return str(names[0])


def _flat(x: torch.Tensor, name: str) -> tuple[torch.Tensor, tuple[int, ...]]:
    shape = tuple(x.shape)
    if split_name(name)[1] in _PER_HEAD:
        return x.reshape(*shape[:-2], shape[-2] * shape[-1]), shape
    return x, shape


def _keep(t: torch.Tensor, detach: bool) -> torch.Tensor:
    return t.detach() if detach else t


def _edit_latents(splice: Splice, name: str, acts: torch.Tensor) -> torch.Tensor:
    for fn in splice.latent_interventions.get(name, ()):
        new = fn(acts, name)
        if new is None:
            continue
        acts = replacement(name, new, acts, DictionaryError)
    return acts


def _replace(d: Dictionary, prefix: str, splice: Splice, x_in: torch.Tensor, target: torch.Tensor,
             *, include_error: bool, detach: bool) -> torch.Tensor:
    """Encode ``x_in``, decode, record, and return what the model goes on with at the output hook
    (``target``: the value the model had there, flattened)."""
    acts = d.encode(x_in)
    clean = d.decode(acts, x_in)
    edited = _edit_latents(splice, f"{prefix}.acts", acts)
    recon = clean if edited is acts else d.decode(edited, x_in)
    error = (target.to(device=clean.device, dtype=clean.dtype) - clean).detach()
    if torch.is_grad_enabled():
        error.requires_grad_(True)
    out = recon + error if include_error else recon
    splice.store[f"{prefix}.acts"] = _keep(edited, detach)
    splice.store[f"{prefix}.recon"] = _keep(recon, detach)
    splice.store[f"{prefix}.error"] = _keep(error, detach)
    return out.to(device=target.device, dtype=target.dtype)


def _sae_fn(d: Dictionary, prefix: str, splice: Splice, *, include_error: bool, detach: bool) -> Intervention:
    def fn(act: torch.Tensor, name: str) -> torch.Tensor:
        x, shape = _flat(act, name)
        return _replace(d, prefix, splice, x, x, include_error=include_error, detach=detach).reshape(shape)

    return fn


def _reader(seen: dict[str, torch.Tensor]) -> Intervention:
    def fn(act: torch.Tensor, name: str) -> None:
        seen["x"] = _flat(act, name)[0]

    return fn


def _transcoder_fn(d: Dictionary, prefix: str, splice: Splice, seen: dict[str, torch.Tensor], *,
                   include_error: bool, detach: bool) -> Intervention:
    def fn(act: torch.Tensor, name: str) -> torch.Tensor:
        if "x" not in seen:
            raise DictionaryError(f"{d._label()} found no input at {d.hook_in!r} before {name!r} in this pass")
        x_in = seen.pop("x")
        target, shape = _flat(act, name)
        return _replace(d, prefix, splice, x_in, target, include_error=include_error, detach=detach).reshape(shape)

    return fn
