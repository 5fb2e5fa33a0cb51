"""Canonical activation names (TransformerLens-compatible) and their short forms.

Full names: ``hook_embed``, ``hook_pos_embed``, ``blocks.{L}.hook_resid_pre``,
``blocks.{L}.attn.hook_q`` / ``hook_k`` / ``hook_v`` ([batch, pos, head, d_head], after rotary),
``blocks.{L}.attn.hook_pattern`` ([batch, head, query, key], softmaxed), ``blocks.{L}.attn.hook_z``
([batch, pos, head, d_head], per-head outputs before the output projection),
``blocks.{L}.attn.hook_result`` ([batch, pos, head, d_model], each head's write to the residual,
without the output bias), ``blocks.{L}.hook_attn_out``, ``blocks.{L}.hook_resid_mid``,
``blocks.{L}.ln2.hook_normalized`` (short ``"mlp_in"``: the MLP's input, after the norm in front of
it, with that norm's weight and bias applied; TransformerLens's name, whose value is the same unless
TransformerLens folds the norm's weights into the MLP; absent in post-LN blocks such as BERT's),
``blocks.{L}.mlp.hook_post`` ([batch, pos, d_mlp], the neurons), ``blocks.{L}.hook_mlp_out``,
``blocks.{L}.hook_resid_post``, ``ln_final.hook_normalized``.

Short forms: ``"resid_post"`` (every layer), ``("pattern", 3)`` or ``"pattern.3"`` (one layer),
negative layers count from the end, as in Python.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from interplay.errors import HookNameError

#: short name -> the suffix after ``blocks.{L}.``
BLOCK_SUFFIXES: dict[str, str] = {
    "resid_pre": "hook_resid_pre",
    "q": "attn.hook_q",
    "k": "attn.hook_k",
    "v": "attn.hook_v",
    "pattern": "attn.hook_pattern",
    "z": "attn.hook_z",
    "result": "attn.hook_result",
    "attn_out": "hook_attn_out",
    "resid_mid": "hook_resid_mid",
    "mlp_in": "ln2.hook_normalized",
    "post": "mlp.hook_post",
    "mlp_out": "hook_mlp_out",
    "resid_post": "hook_resid_post",
}
#: short name -> full name, for the names outside the blocks
GLOBAL_NAMES: dict[str, str] = {
    "embed": "hook_embed",
    "pos_embed": "hook_pos_embed",
    "normalized": "ln_final.hook_normalized",
    "ln_final": "ln_final.hook_normalized",
}
#: names whose values come from inside attention (our attention implementation must be active)
ATTENTION_INTERNALS = ("attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_pattern")

_BLOCK_RE = re.compile(r"^blocks\.(-?\d+)\.(.+)$")

NameLike = str | tuple[str, int]


def all_names(n_layers: int, suffixes: Iterable[str] | None = None, globals_: Iterable[str] | None = None) -> list[str]:
    """Every full name for a model with ``n_layers`` blocks (restricted to the given suffixes)."""
    sfx = list(BLOCK_SUFFIXES.values()) if suffixes is None else list(suffixes)
    glb = sorted(set(GLOBAL_NAMES.values())) if globals_ is None else list(globals_)
    out = [g for g in glb if g != "ln_final.hook_normalized"]
    for layer in range(n_layers):
        out.extend(f"blocks.{layer}.{s}" for s in sfx)
    if "ln_final.hook_normalized" in glb:
        out.append("ln_final.hook_normalized")
    return out


def split_name(full: str) -> tuple[int | None, str]:
    """``"blocks.3.attn.hook_z"`` -> ``(3, "attn.hook_z")``; ``"hook_embed"`` -> ``(None, "hook_embed")``."""
    m = _BLOCK_RE.match(full)
    if m:
        return int(m.group(1)), m.group(2)
    return None, full


def resolve(name: NameLike, n_layers: int, available: Sequence[str]) -> list[str]:
    """Resolve a user's name (full, short, or ``(short, layer)``) to full names that exist.

    A short block name without a layer means every layer. Raises :class:`HookNameError` that lists
    close matches for an unknown name, or what the architecture has for a name it lacks.
    """
    avail = set(available)
    if isinstance(name, tuple):
        if len(name) != 2 or not isinstance(name[0], str) or not isinstance(name[1], int) or isinstance(name[1], bool):
            raise HookNameError(f"a name tuple is (short_name, layer), e.g. ('pattern', 3); got {name!r}")
        short, layer = name
        if short not in BLOCK_SUFFIXES:
            raise HookNameError(_unknown(short, list(BLOCK_SUFFIXES)))
        return [_check(f"blocks.{_layer(layer, n_layers, name)}.{BLOCK_SUFFIXES[short]}", avail, available)]
    if not isinstance(name, str) or not name:
        raise HookNameError(f"an activation name must be a non-empty string or (name, layer); got {name!r}")
    if name in GLOBAL_NAMES:
        return [_check(GLOBAL_NAMES[name], avail, available)]
    if name in BLOCK_SUFFIXES:
        full = [f"blocks.{i}.{BLOCK_SUFFIXES[name]}" for i in range(n_layers)]
        return [_check(f, avail, available) for f in full]
    short_layer = re.match(r"^([a-z_]+)\.(-?\d+)$", name)
    if short_layer and short_layer.group(1) in BLOCK_SUFFIXES:
        return resolve((short_layer.group(1), int(short_layer.group(2))), n_layers, available)
    block_layer, suffix = split_name(name)
    if block_layer is not None:
        name = f"blocks.{_layer(block_layer, n_layers, name)}.{suffix}"
    return [_check(name, avail, available)]


def _layer(layer: int, n_layers: int, name: object) -> int:
    if not -n_layers <= layer < n_layers:
        raise HookNameError(f"layer {layer} in {name!r} is out of range: the model has {n_layers} layers (0..{n_layers - 1})")
    return layer % n_layers


def _check(full: str, avail: set[str], available: Sequence[str]) -> str:
    if full in avail:
        return full
    _, suffix = split_name(full)
    known_suffixes = set(BLOCK_SUFFIXES.values()) | set(GLOBAL_NAMES.values())
    if suffix in known_suffixes:
        present = sorted({split_name(a)[1] for a in available})
        raise HookNameError(
            f"{full!r} is a canonical name, but this architecture has no such activation. "
            f"It has: {', '.join(present)}"
        )
    raise HookNameError(_unknown(full, list(available)))


def _unknown(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
    shorts = ", ".join(list(BLOCK_SUFFIXES) + list(GLOBAL_NAMES))
    return f"unknown activation name {name!r}.{hint} Short names: {shorts}; full names look like 'blocks.0.hook_resid_post'."
