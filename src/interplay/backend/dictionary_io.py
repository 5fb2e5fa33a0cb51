"""Dictionaries on disk: our directory format, which is SAELens's, and SAELens's own directories.

A dictionary is a directory with ``cfg.json`` and ``sae_weights.safetensors`` (SAELens's layout,
jbloomAus/SAELens ``sae_lens/saes/sae.py`` ``save_model`` and
``sae_lens/loading/pretrained_sae_loaders.py``). We write SAELens 6's keys (``architecture``,
``d_in``, ``d_sae``, ``d_out``, ``k``, ``apply_b_dec_to_input``, ``normalize_activations``,
``metadata.hook_name`` / ``hook_name_out``...) plus an ``"interplay"`` entry (kind, architecture,
hooks, name) that SAELens ignores, so SAELens reads our SAEs and transcoders and we read its.

Read from SAELens: the 6.x layout (hooks under ``metadata``) and the older flat one (``hook_name``
or ``hook_point`` at the top, ``activation_fn_str``/``activation_fn`` with ``activation_fn_kwargs``
``{"k": ...}`` for TopK, ``apply_b_dec_to_input`` defaulting to True as SAELens does), with the
architectures ``standard`` (= our ``relu``), ``topk`` (``rescale_acts_by_decoder_norm`` folded into
the weights, which gives the same latents), ``jumprelu`` (``threshold``, or the training layout's
``log_threshold``), ``transcoder``, ``skip_transcoder``, ``jumprelu_transcoder`` and
``jumprelu_skip_transcoder``. SAELens stores a skip connection as ``W_skip`` [d_out, d_in]; we keep
it as [d_in, d_out] in memory and write SAELens's orientation.

Not supported, with a :class:`~interplay.errors.DictionaryError` that says so: activation
normalisation other than ``"none"`` (fold it into the weights first), a per-head ``hook_head_index``,
a non-trivial ``scaling_factor``, and any other architecture (gated, matching pursuit...). SAELens
has no TopK transcoder: ours is written as ``"topk_transcoder"``, which SAELens refuses to load.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from interplay._version import __version__
from interplay.backend import arguments
from interplay.backend.dictionaries import SAE, Dictionary, Transcoder
from interplay.errors import DictionaryError

CFG_FILENAME = "cfg.json"
WEIGHTS_FILENAME = "sae_weights.safetensors"
#: the version of our ``"interplay"`` entry in cfg.json
FORMAT_VERSION = 1

#: SAELens architecture -> (kind, our architecture, skip)
SAELENS_ARCHITECTURES: dict[str, tuple[str, str, bool]] = {
    "standard": ("sae", "relu", False),
    "topk": ("sae", "topk", False),
    "jumprelu": ("sae", "jumprelu", False),
    "transcoder": ("transcoder", "relu", False),
    "skip_transcoder": ("transcoder", "relu", True),
    "jumprelu_transcoder": ("transcoder", "jumprelu", False),
    "jumprelu_skip_transcoder": ("transcoder", "jumprelu", True),
    "topk_transcoder": ("transcoder", "topk", False),  # ours: SAELens has no TopK transcoder
    "topk_skip_transcoder": ("transcoder", "topk", True),
}
_DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16}


def save_dictionary(d: Dictionary, path: str | os.PathLike[str]) -> Path:
    """Write ``d`` to the directory ``path`` (made if missing): ``cfg.json`` + ``sae_weights.safetensors``."""
    from safetensors.torch import save_file

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise DictionaryError(f"path={os.fspath(path)!r} is a file; a dictionary is saved as a directory")
    out.mkdir(parents=True, exist_ok=True)
    weights: dict[str, torch.Tensor] = {"W_enc": d.W_enc, "b_enc": d.b_enc, "W_dec": d.W_dec, "b_dec": d.b_dec}
    if d.threshold is not None:
        weights["threshold"] = d.threshold
    if d.W_skip is not None:
        weights["W_skip"] = d.W_skip.T  # SAELens's orientation: [d_out, d_in]
    save_file({k: v.detach().cpu().contiguous() for k, v in weights.items()}, str(out / WEIGHTS_FILENAME))
    with open(out / CFG_FILENAME, "w") as f:
        json.dump(_cfg(d), f, indent=2)
    return out


def _cfg(d: Dictionary) -> dict[str, Any]:
    skip = d.W_skip is not None
    if d.kind == "sae":
        arch = {"relu": "standard", "topk": "topk", "jumprelu": "jumprelu"}[d.architecture]
    else:
        arch = {"relu": "", "topk": "topk_", "jumprelu": "jumprelu_"}[d.architecture] + ("skip_" if skip else "") + "transcoder"
    dtype = str(d.W_enc.dtype).removeprefix("torch.")
    metadata: dict[str, Any] = {"hook_name": d.hook_in, "sae_lens_version": "6.0.0", "sae_lens_training_version": None}
    if d.kind == "transcoder":
        metadata["hook_name_out"] = d.hook_out
    cfg: dict[str, Any] = {
        "architecture": arch,
        "d_in": d.d_in,
        "d_sae": d.d_sae,
        "dtype": dtype,
        "device": "cpu",
        "apply_b_dec_to_input": d.apply_b_dec_to_input,
        "normalize_activations": "none",
        "reshape_activations": "hook_z" if d.hook_in.endswith("attn.hook_z") else "none",
        "metadata": metadata,
    }
    if d.kind == "transcoder":
        cfg["d_out"] = d.d_out
    if d.k is not None:
        cfg["k"] = d.k
        cfg["rescale_acts_by_decoder_norm"] = False
    cfg["interplay"] = {
        "format_version": FORMAT_VERSION,
        "interplay_version": __version__,
        "kind": d.kind,
        "architecture": d.architecture,
        "skip": skip,
        "hook_in": d.hook_in,
        "hook_out": d.hook_out,
        "name": d.name,
    }
    return cfg


def load_dictionary(path_or_name: str | os.PathLike[str], *, dtype: torch.dtype | None = torch.float32,
                    device: str | torch.device | None = None) -> Dictionary:
    """Read a dictionary: a directory in our format or SAELens's, or the name of a bundled demo
    dictionary (see :mod:`interplay.backend.demo_dictionaries`).

    ``dtype``: the weights' dtype (float32 by default; None keeps the file's). Raises
    :class:`~interplay.errors.DictionaryError` naming a missing file, missing or foreign keys, an
    unknown architecture, or weights whose shapes disagree with ``cfg.json``.
    """
    if not isinstance(path_or_name, (str, os.PathLike)):
        raise DictionaryError(f"path_or_name={path_or_name!r}: pass a directory (str or Path) or a demo dictionary's name")
    if dtype is not None:
        dtype = arguments.dtype("dtype", dtype, error=DictionaryError)
    if device is not None:
        device = arguments.device("device", device, error=DictionaryError)
    root = Path(path_or_name)
    if not root.exists() and isinstance(path_or_name, str) and not os.path.isabs(path_or_name):
        demo = _demo(path_or_name)
        if demo is not None:
            return demo
    if not root.is_dir():
        what = "is a file, not a directory" if root.exists() else "does not exist"
        from interplay.backend.demo_dictionaries import PREFIX, demo_dictionary_names

        demos = ", ".join(repr(PREFIX + n) for n in demo_dictionary_names()[:4])
        raise DictionaryError(f"path_or_name={os.fspath(root)!r} {what}: accepted: a directory holding "
                              f"{CFG_FILENAME} and {WEIGHTS_FILENAME}, or a demo dictionary's name ({demos}...)")
    for fname in (CFG_FILENAME, WEIGHTS_FILENAME):
        if not (root / fname).is_file():
            raise DictionaryError(f"{os.fspath(root)!r} has no {fname}; a dictionary directory holds "
                                  f"{CFG_FILENAME} and {WEIGHTS_FILENAME} (SAELens's layout)")
    try:
        with open(root / CFG_FILENAME) as f:
            cfg = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise DictionaryError(f"{os.fspath(root / CFG_FILENAME)!r} is not readable JSON: {exc}") from None
    if not isinstance(cfg, dict):
        raise DictionaryError(f"{os.fspath(root / CFG_FILENAME)!r} holds a {type(cfg).__name__}, not a JSON object")
    weights = _read_weights(root / WEIGHTS_FILENAME)
    return from_config(cfg, weights, source=os.fspath(root), default_name=root.name, dtype=dtype, device=device)


def from_config(cfg: dict[str, Any], weights: dict[str, torch.Tensor], *, source: str = "the config",
                default_name: str = "", dtype: torch.dtype | None = torch.float32,
                device: str | torch.device | None = None) -> Dictionary:
    """A dictionary from a parsed ``cfg.json`` and its weights (ours or SAELens's)."""
    ours = cfg.get("interplay")
    flat = _flatten(cfg)
    if isinstance(ours, dict):
        kind, architecture, skip = str(ours.get("kind")), str(ours.get("architecture")), bool(ours.get("skip"))
        hook_in, hook_out, name = ours.get("hook_in"), ours.get("hook_out"), str(ours.get("name", ""))
        if kind not in ("sae", "transcoder"):
            raise DictionaryError(f"{source}: interplay.kind={kind!r}; accepted: 'sae', 'transcoder'")
    else:
        arch = flat.get("architecture", "standard")
        if arch == "standard" and flat.get("activation_fn", "relu") not in ("relu", "topk"):
            raise DictionaryError(f"{source}: activation_fn={flat.get('activation_fn')!r} is not supported; "
                                  "accepted: 'relu', 'topk'")
        if arch == "standard" and flat.get("activation_fn") == "topk":
            arch = "topk"
        if arch not in SAELENS_ARCHITECTURES:
            raise DictionaryError(f"{source}: architecture={arch!r} is not supported; accepted: "
                                  f"{', '.join(repr(a) for a in SAELENS_ARCHITECTURES)}")
        kind, architecture, skip = SAELENS_ARCHITECTURES[arch]
        hook_in, hook_out = flat.get("hook_name"), flat.get("hook_name_out")
        name = str(flat.get("neuronpedia_id") or default_name)
    _unsupported(flat, source)
    required = ["d_in", "d_sae"] + (["d_out"] if kind == "transcoder" else []) + (["k"] if architecture == "topk" else [])
    missing = [key for key in required if flat.get(key) is None]
    if hook_in is None:
        missing.append("hook_name (or metadata.hook_name)")
    if kind == "transcoder" and hook_out is None:
        missing.append("hook_name_out (or metadata.hook_name_out)")
    if missing:
        raise DictionaryError(f"{source}: cfg.json lacks {', '.join(missing)}")
    d_in, d_sae = int(flat["d_in"]), int(flat["d_sae"])
    d_out = int(flat["d_out"]) if kind == "transcoder" else d_in
    k = int(flat["k"]) if architecture == "topk" else 32
    apply_b_dec = bool(flat.get("apply_b_dec_to_input", True)) and kind == "sae"
    file_dtype = weights["W_enc"].dtype if "W_enc" in weights else torch.float32
    target = dtype if dtype is not None else _DTYPES.get(str(flat.get("dtype", "")), file_dtype)
    d: Dictionary
    if kind == "sae":
        d = SAE(d_in, d_sae, hook=str(hook_in), architecture=architecture, k=k, apply_b_dec_to_input=apply_b_dec,
                name=name, dtype=target, device=device)
    else:
        d = Transcoder(d_in, d_sae, hook_in=str(hook_in), hook_out=str(hook_out), d_out=d_out, architecture=architecture,
                       k=k, skip=skip, name=name, dtype=target, device=device)
    state = _state(weights, d, source)
    if architecture == "topk" and flat.get("rescale_acts_by_decoder_norm"):
        _fold_decoder_norm(state)
    with torch.no_grad():
        for key, value in state.items():
            getattr(d, key).copy_(value)
    return d


def _flatten(cfg: dict[str, Any]) -> dict[str, Any]:
    """SAELens 6 keeps hook names etc. under ``metadata``; older files have them at the top (with
    ``hook_point`` for ``hook_name`` and ``activation_fn_str`` for ``activation_fn``)."""
    raw = cfg.get("metadata")
    meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
    flat = {**meta, **{k: v for k, v in cfg.items() if k != "metadata"}}
    for old, new in (("hook_point", "hook_name"), ("hook_point_head_index", "hook_head_index"),
                     ("activation_fn_str", "activation_fn")):
        if old in flat and flat.get(new) is None:
            flat[new] = flat[old]
    kwargs = flat.get("activation_fn_kwargs")
    if isinstance(kwargs, dict) and flat.get("k") is None and kwargs.get("k") is not None:
        flat["k"] = kwargs["k"]
    return flat


def _unsupported(flat: dict[str, Any], source: str) -> None:
    norm = flat.get("normalize_activations", "none")
    if norm not in ("none", None, False):
        raise DictionaryError(
            f"{source}: normalize_activations={norm!r} is unsupported (only 'none'): interplay feeds the raw "
            "activation; fold the normalisation into the weights first (SAELens: "
            "sae.fold_activation_norm_scaling_factor(factor), then save)"
        )
    if flat.get("hook_head_index") is not None:
        raise DictionaryError(f"{source}: hook_head_index={flat['hook_head_index']!r} (an SAE on one head) is unsupported")
    if flat.get("finetuning_scaling_factor"):
        raise DictionaryError(f"{source}: finetuning_scaling_factor=True is unsupported")


def _read_weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return dict(load_file(str(path)))
    except (SafetensorError, OSError, ValueError) as exc:
        raise DictionaryError(f"{os.fspath(path)!r} is not a readable safetensors file: {exc}") from None


def _state(weights: dict[str, torch.Tensor], d: Dictionary, source: str) -> dict[str, torch.Tensor]:
    """The weights checked against the config: every key present, none foreign, every shape right."""
    w = dict(weights)
    if "log_threshold" in w and "threshold" not in w:
        w["threshold"] = torch.exp(w.pop("log_threshold"))
    if "scaling_factor" in w:
        sf = w.pop("scaling_factor")
        if not torch.allclose(sf, torch.ones_like(sf)):
            raise DictionaryError(f"{source}: a scaling_factor that is not all ones is unsupported")
    expected: dict[str, tuple[int, ...]] = {
        "W_enc": (d.d_in, d.d_sae), "b_enc": (d.d_sae,), "W_dec": (d.d_sae, d.d_out), "b_dec": (d.d_out,),
    }
    if d.threshold is not None:
        expected["threshold"] = (d.d_sae,)
    if d.W_skip is not None:
        expected["W_skip"] = (d.d_out, d.d_in)
    missing = [k for k in expected if k not in w]
    if missing:
        extra = " (a JumpReLU dictionary stores threshold or log_threshold)" if "threshold" in missing else ""
        raise DictionaryError(f"{source}: the weights lack {', '.join(missing)}{extra}")
    foreign = sorted(set(w) - set(expected))
    if foreign:
        raise DictionaryError(f"{source}: the weights hold keys a {d.architecture} {d.kind} does not have: "
                              f"{', '.join(foreign)} (expected {', '.join(expected)})")
    for key, shape in expected.items():
        if tuple(w[key].shape) != shape:
            raise DictionaryError(f"{source}: {key} has shape {tuple(w[key].shape)}, but cfg.json "
                                  f"(d_in={d.d_in}, d_sae={d.d_sae}, d_out={d.d_out}) means {shape}")
    if "W_skip" in w:
        w["W_skip"] = w["W_skip"].T
    return w


def _fold_decoder_norm(state: dict[str, torch.Tensor]) -> None:
    """SAELens's ``rescale_acts_by_decoder_norm`` (TopK): selecting on ``pre * |W_dec row|`` and
    decoding ``acts / |W_dec row|`` equals unit-norm decoder rows with the norms moved into the encoder."""
    norms = state["W_dec"].norm(dim=-1)
    state["b_enc"] = state["b_enc"] * norms
    state["W_enc"] = state["W_enc"] * norms[None, :]
    state["W_dec"] = state["W_dec"] / norms[:, None]


def _demo(name: str) -> Dictionary | None:
    try:
        from interplay.backend import demo_dictionaries  # the bundled dictionaries
    except ImportError:
        return None
    getter = getattr(demo_dictionaries, "demo_dictionary", None)
    if getter is None:
        return None
    try:
        out = getter(name)
    except (KeyError, LookupError, DictionaryError):
        return None
    return out if isinstance(out, Dictionary) else None
