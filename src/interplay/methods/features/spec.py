"""What a "feature" is: one scalar per token, read from one activation.

:func:`resolve_features` turns what a user passes into a :class:`FeatureSpec`, which knows the one
canonical hook it reads, a label per feature, how to compute every feature's value from that
activation at once (``values(act) -> [batch, pos, n_features]``, float32) and, where the feature
writes to the residual stream, its logit effects. Accepted:

* neurons: ``("mlp.post", layer, index)`` or ``("post", layer, [indices])`` (``"all"``: every
  neuron) read ``blocks.{layer}.mlp.hook_post``;
* dictionary latents (an :class:`~interplay.backend.dictionaries.SAE` or ``Transcoder``, or any object
  with ``encode``, ``hook_in``, ``W_dec`` and ``d_sae``): ``(dictionary, index)``,
  ``(dictionary, [indices])`` or ``dictionary`` (every latent), read at ``dictionary.hook_in``;
* directions: a numpy/torch vector [d] (a probe direction, a steering vector) or several [n, d],
  with ``hook=``: the value is the dot product ``activation @ direction`` (not normalised);
* any function of one activation, with ``hook=``: ``fn(activation) -> [batch, pos, n]`` (or
  ``[batch, pos]`` for one feature).

Logit effects (``FeatureSpec.logit_effects``) follow TransformerLens's ``fold_ln`` convention, which
SAEDashboard reads its logit tables through (``feature_resid_dir @ model.W_U`` on a model whose
final LayerNorm weight is folded into a centred ``W_U``): the feature's output direction (a
neuron's row of the MLP's output weight, a latent's ``W_dec`` row, the direction itself) is centred
(a LayerNorm subtracts its input's mean; RMSNorm does not), multiplied by the final norm's weight,
and read through the unembedding's weight; the norm's scale (1 / the token's RMS) and the
unembedding's bias are ignored, so the numbers are logits per unit of the feature, up to that
per-token scale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.backend.names import split_name
from interplay.errors import DictionaryError, HookNameError, InterplayError, ShapeError

if TYPE_CHECKING:
    from interplay.backend.model import Model

#: hooks whose activations live in the residual stream (a direction there has logit effects)
RESIDUAL_SUFFIXES = ("hook_resid_pre", "hook_resid_mid", "hook_resid_post", "hook_attn_out", "hook_mlp_out",
                     "hook_embed", "hook_pos_embed")
FEATURE_KINDS = ("neuron", "sae", "transcoder", "direction", "function")
ACCEPTED = ("a feature is one of: ('mlp.post', layer, index | [indices] | 'all') for neurons; (dictionary, index), "
            "(dictionary, [indices]) or a dictionary (every latent) for SAE/transcoder latents; a numpy/torch "
            "direction [d] or [n, d] with hook=...; or a function fn(activation) -> [batch, pos, n] with hook=...")


class _Stop(Exception):
    """Raised by the capture hook once it holds the activation: nothing after it is computed."""


def capture(model: Model, ids: torch.Tensor, mask: torch.Tensor | None, hook: str) -> torch.Tensor:
    """The activation at ``hook`` for a batch, running the model only as far as that hook (no logits)."""
    held: list[torch.Tensor] = []

    def stop(act: torch.Tensor, name: str) -> None:
        held.append(act.detach())
        raise _Stop

    try:
        model.forward(ids, mask, keep_positions=torch.zeros(0, dtype=torch.long), interventions={hook: stop})
    except _Stop:
        return held[0]
    if held:  # pragma: no cover - the hook fired and something swallowed _Stop
        return held[0]
    raise HookNameError(f"the model never reached {hook!r} in its forward pass")


@dataclasses.dataclass(frozen=True, eq=False)
class FeatureSpec:
    """``n_features`` features read at one hook (see the module docstring for the kinds).

    ``kind``: one of ``FEATURE_KINDS``; ``hook``: the full canonical name; ``labels``: one per
    feature; ``indices``: the neurons' or latents' indices (None for directions and functions);
    ``dictionary``: the dictionary (latents only); ``vectors``: [n, d] (directions only); ``fn``: the
    function (functions only); ``layer``: the neurons' layer.
    """

    kind: str
    hook: str
    labels: list[str]
    indices: list[int] | None = None
    dictionary: Any = None
    vectors: torch.Tensor | None = None
    fn: Callable[[torch.Tensor], Any] | None = None
    layer: int | None = None
    all_latents: bool = False

    @property
    def n_features(self) -> int:
        return len(self.labels)

    @property
    def name(self) -> str:
        """The dictionary's name (latents), else ''."""
        return str(getattr(self.dictionary, "name", "") or "") if self.dictionary is not None else ""

    def meta(self) -> dict[str, Any]:
        """Plain values saying what the features are (``TopActivationsData.feature_meta``)."""
        out: dict[str, Any] = {"kind": self.kind, "hook": self.hook}
        if self.indices is not None:
            out["indices"] = [int(i) for i in self.indices]
        if self.dictionary is not None:
            out["dictionary"] = self.name
            out["d_sae"] = int(self.dictionary.d_sae)
            hook_out = getattr(self.dictionary, "hook_out", None)
            if hook_out and hook_out != self.hook:
                out["hook_out"] = str(hook_out)
        if self.layer is not None:
            out["layer"] = int(self.layer)
        if self.fn is not None:
            out["function"] = getattr(self.fn, "__qualname__", type(self.fn).__name__)
        return out

    # -------------------------------------------------------------------------------- values
    def values(self, act: torch.Tensor) -> torch.Tensor:
        """Every feature's value at every token: [batch, pos, n_features], float32 (on the device
        the computation ran on: the dictionary's for latents, else the activation's)."""
        if self.kind == "neuron":
            assert self.indices is not None
            out = act[..., torch.as_tensor(self.indices, device=act.device)]
        elif self.kind in ("sae", "transcoder"):
            d = self.dictionary
            dev = _device_of(d, act.device)
            with torch.no_grad():
                out = d.encode(act.to(dev))
            if out.shape[-1] != int(d.d_sae):
                raise ShapeError(f"{_dict_label(d)}.encode returned {out.shape[-1]} latents, but d_sae = {d.d_sae}")
            if not self.all_latents:
                assert self.indices is not None
                n = len(self.indices)
                if self.indices == list(range(n)):  # a leading block of latents: a view, no copy
                    out = out[..., :n]
                else:
                    out = out[..., torch.as_tensor(self.indices, device=out.device)]
        elif self.kind == "direction":
            assert self.vectors is not None
            vec = self.vectors.to(device=act.device, dtype=torch.float32)
            out = act.to(torch.float32) @ vec.T
        else:
            assert self.fn is not None
            with torch.no_grad():
                out = _call_function(self.fn, act, self.n_features)
        return out.to(torch.float32)

    # ---------------------------------------------------------------------------- logits
    def output_directions(self, model: Model) -> tuple[torch.Tensor | None, str]:
        """What each feature writes to the residual stream per unit of its value ([n, d_model]), or
        None with the reason."""
        if self.kind == "function":
            return None, "a function of an activation has no output direction"
        if self.kind == "neuron":
            assert self.indices is not None and self.layer is not None
            return _neuron_rows(model, self.layer, self.indices), ""
        if self.kind in ("sae", "transcoder"):
            d = self.dictionary
            out_hook = str(getattr(d, "hook_out", None) or self.hook)
            if not _residual(out_hook):
                return None, f"{_dict_label(d)} writes to {out_hook}, not the residual stream"
            w_dec = d.W_dec.detach()
            idx = torch.as_tensor(self.indices if self.indices is not None else range(int(d.d_sae)), device=w_dec.device)
            return w_dec[idx].to(torch.float32), ""
        assert self.vectors is not None
        if not _residual(self.hook) and self.hook != "ln_final.hook_normalized":
            return None, f"{self.hook} is not in the residual stream"
        return self.vectors.to(torch.float32), ""

    def logit_effects(self, model: Model, k: int = 10) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], str] | None:
        """The ``k`` most promoted and most suppressed tokens of each feature: ``(ids [n, 2, k],
        values [n, 2, k], note)`` (side 0 promoted, best first; side 1 suppressed, most negative
        first), or None when the features do not write to the residual stream (functions, neurons
        of no MLP, dictionaries that write elsewhere) or the model has no unembedding."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InterplayError(f"logit_effects: k={k!r} must be a positive integer")
        dirs, _why = self.output_directions(model)
        unembed = model.layout.unembed()
        if dirs is None or unembed is None or not model.cfg.causal:
            return None
        weight = getattr(unembed, "weight", None)
        if not isinstance(weight, torch.Tensor):
            return None
        w_u = weight.detach()
        if w_u.shape[-1] != model.cfg.d_model:
            w_u = w_u.T
        after_norm = self.hook == "ln_final.hook_normalized"
        kind = model.adapter.norm
        scale = _final_norm_weight(model) if not after_norm else None
        dev = w_u.device
        k = min(k, int(w_u.shape[0]))
        ids = np.zeros((dirs.shape[0], 2, k), dtype=np.int64)
        vals = np.zeros((dirs.shape[0], 2, k), dtype=np.float32)
        for start in range(0, dirs.shape[0], 256):  # bounded memory: 256 x vocab logits at a time
            d = dirs[start:start + 256].to(device=dev, dtype=torch.float32)
            if not after_norm:
                if kind == "layernorm":
                    d = d - d.mean(dim=-1, keepdim=True)
                if scale is not None:
                    d = d * scale.to(device=dev, dtype=torch.float32)
            logits = d @ w_u.to(torch.float32).T
            top = torch.topk(logits, k, dim=-1)
            low = torch.topk(-logits, k, dim=-1)
            stop = start + d.shape[0]
            ids[start:stop, 0], vals[start:stop, 0] = top.indices.cpu().numpy(), top.values.cpu().numpy()
            ids[start:stop, 1], vals[start:stop, 1] = low.indices.cpu().numpy(), -low.values.cpu().numpy()
        if after_norm:
            note = "direction read after the final norm, straight through W_U (no bias)"
        else:
            centred = "centred (LayerNorm removes the mean), " if kind == "layernorm" else ""
            note = (f"output direction {centred}times the final norm's weight, through W_U (no bias); the norm's "
                    "per-token scale ignored (TransformerLens fold_ln, as SAEDashboard)")
        if model.layout.logit_softcap:
            note += "; the final-logit softcap is not applied"
        return ids, vals, note


# ---------------------------------------------------------------------------------- resolve
def resolve_features(model: Model, feature: Any, *, hook: Any = None) -> FeatureSpec:
    """The :class:`FeatureSpec` for ``feature`` (see the module docstring for what is accepted)."""
    if isinstance(feature, tuple) and len(feature) in (2, 3) and isinstance(feature[0], str):
        return _neurons(model, feature, hook)
    if _is_dictionary(feature):
        return _latents(model, feature, None, hook)
    if isinstance(feature, tuple) and len(feature) == 2 and _is_dictionary(feature[0]):
        return _latents(model, feature[0], feature[1], hook)
    if isinstance(feature, (np.ndarray, torch.Tensor)):
        return _direction(model, feature, hook)
    if isinstance(feature, (list, tuple)) and feature and all(isinstance(x, (int, float, np.floating)) and
                                                              not isinstance(x, bool) for x in feature):
        return _direction(model, np.asarray(feature, dtype=np.float32), hook)
    if callable(feature) and not isinstance(feature, torch.nn.Module):
        return _function(model, feature, hook)
    if isinstance(feature, torch.nn.Module):
        raise DictionaryError(f"feature: a {type(feature).__name__} module is not a dictionary (it needs encode, "
                              f"hook_in, W_dec and d_sae); {ACCEPTED}")
    raise InterplayError(f"feature={_short(feature)}: {ACCEPTED}")


def _neurons(model: Model, feature: tuple[Any, ...], hook: Any) -> FeatureSpec:
    if len(feature) != 3:
        raise InterplayError(f"feature={_short(feature)}: neurons are ('mlp.post', layer, index | [indices] | 'all')")
    short, layer, index = feature
    if short not in ("mlp.post", "post", "mlp.hook_post"):
        raise InterplayError(f"feature={_short(feature)}: the first item names the activation; neurons are "
                             f"('mlp.post', layer, index) or ('post', layer, index), not {short!r}. {ACCEPTED}")
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
        raise InterplayError(f"feature={_short(feature)}: the layer must be an integer, not {layer!r}")
    full = model.resolve(("post", int(layer)))[0]
    if hook is not None and _one_hook(model, hook) != full:
        raise HookNameError(f"hook={hook!r}: neurons of layer {layer} are read at {full!r}; leave hook= out")
    n_layer = split_name(full)[0]
    d_mlp = model.cfg.d_mlp
    width = int(d_mlp) if d_mlp else _width(model, full)
    indices = _indices(index, width, f"neuron index in feature={_short(feature)}", "d_mlp")
    assert n_layer is not None
    return FeatureSpec("neuron", full, [f"L{n_layer} N{i}" for i in indices], indices=indices, layer=n_layer)


def _latents(model: Model, dictionary: Any, index: Any, hook: Any) -> FeatureSpec:
    d_sae = getattr(dictionary, "d_sae", None)
    if isinstance(d_sae, bool) or not isinstance(d_sae, (int, np.integer)) or d_sae < 1:
        raise DictionaryError(f"{_dict_label(dictionary)} has d_sae={d_sae!r}; a dictionary needs a positive width")
    try:
        full = _one_hook(model, dictionary.hook_in)
    except HookNameError as exc:
        raise DictionaryError(f"{_dict_label(dictionary)} reads hook_in={dictionary.hook_in!r}, which this model "
                              f"does not have: {exc}") from None
    if hook is not None and _one_hook(model, hook) != full:
        raise HookNameError(f"hook={hook!r}: {_dict_label(dictionary)} reads its own hook_in {full!r}; leave hook= out")
    d_in = getattr(dictionary, "d_in", None)
    width = _width(model, full)
    if d_in is not None and int(d_in) != width:
        raise DictionaryError(f"{_dict_label(dictionary)} has d_in={d_in}, but {full} has width {width}")
    kind = "transcoder" if getattr(dictionary, "kind", "sae") == "transcoder" else "sae"
    name = str(getattr(dictionary, "name", "") or kind)
    all_latents = index is None or (isinstance(index, str) and index == "all")
    indices = list(range(int(d_sae))) if all_latents else _indices(index, int(d_sae), f"latent index of {name}",
                                                                   "d_sae")
    return FeatureSpec(kind, full, [f"{name} #{i}" for i in indices], indices=indices, dictionary=dictionary,
                       all_latents=all_latents)


def _direction(model: Model, vector: Any, hook: Any) -> FeatureSpec:
    if hook is None:
        raise HookNameError("a direction needs hook=, the activation it is read at, e.g. hook='resid_post.2' or "
                            "('resid_post', 2)")
    full = _one_hook(model, hook)
    if isinstance(vector, torch.Tensor):
        arr: torch.Tensor | None = vector.detach().to("cpu", torch.float32)
    else:
        raw = np.asarray(vector)
        arr = torch.from_numpy(raw.astype(np.float32)) if raw.dtype.kind in "fiu" else None
    if arr is None or arr.ndim not in (1, 2) or arr.numel() == 0:
        raise ShapeError(f"feature: a direction is a float vector [d] or [n, d]; got {_short(vector)}")
    vecs = arr[None] if arr.ndim == 1 else arr
    if not bool(torch.isfinite(vecs).all()):
        raise ShapeError("feature: the direction holds NaN or infinite values")
    width = _width(model, full, need_vector=True)
    if vecs.shape[1] != width:
        raise ShapeError(f"feature: the direction has {vecs.shape[1]} dimensions, but {full} has width {width}")
    labels = ["direction"] if vecs.shape[0] == 1 else [f"direction {i}" for i in range(vecs.shape[0])]
    return FeatureSpec("direction", full, labels, vectors=vecs)


def _function(model: Model, fn: Callable[[torch.Tensor], Any], hook: Any) -> FeatureSpec:
    if hook is None:
        raise HookNameError("a function feature needs hook=, the activation it reads, e.g. hook='resid_post.2'")
    full = _one_hook(model, hook)
    act = _probe(model, full)
    out = _call_function(fn, act, None)
    n = int(out.shape[-1])
    name = getattr(fn, "__name__", type(fn).__name__)
    labels = [name] if n == 1 else [f"{name}[{i}]" for i in range(n)]
    return FeatureSpec("function", full, labels, fn=fn)


# ----------------------------------------------------------------------------------- helpers
def _call_function(fn: Callable[[torch.Tensor], Any], act: torch.Tensor, n: int | None) -> torch.Tensor:
    name = getattr(fn, "__name__", type(fn).__name__)
    out = fn(act)
    if isinstance(out, np.ndarray):
        out = torch.from_numpy(out).to(act.device)
    if not isinstance(out, torch.Tensor):
        raise ShapeError(f"the feature function {name} returned a {type(out).__name__}; it must return a tensor "
                         "[batch, pos, n] (or [batch, pos])")
    if out.ndim == 2:
        out = out[..., None]
    batch, pos = act.shape[0], act.shape[1]
    if out.ndim != 3 or tuple(out.shape[:2]) != (batch, pos) or out.shape[2] < 1:
        raise ShapeError(f"the feature function {name} returned shape {list(out.shape)} for an activation of shape "
                         f"{list(act.shape)}; it must return [batch, pos, n] = [{batch}, {pos}, n]")
    if n is not None and out.shape[2] != n:
        raise ShapeError(f"the feature function {name} returned {out.shape[2]} features, but it gave {n} before")
    if not out.is_floating_point():
        out = out.to(torch.float32)
    return out


def _is_dictionary(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("encode", "hook_in", "W_dec", "d_sae")) and not isinstance(obj, type)


def _dict_label(d: Any) -> str:
    name = getattr(d, "name", "")
    kind = getattr(d, "kind", "dictionary")
    return f"the {kind} {name!r}" if name else f"this {kind}"


def _device_of(d: Any, default: torch.device) -> torch.device:
    w = getattr(d, "W_dec", None)
    return w.device if isinstance(w, torch.Tensor) else default


def _one_hook(model: Model, hook: Any) -> str:
    names = model.resolve(hook)
    if len(names) != 1:
        raise HookNameError(f"hook={hook!r} names {len(names)} activations ({', '.join(names[:3])}...); name one, "
                            "e.g. ('resid_post', 2) or 'blocks.2.hook_resid_post'")
    return names[0]


def _residual(full: str) -> bool:
    return split_name(full)[1] in RESIDUAL_SUFFIXES


def _probe(model: Model, full: str) -> torch.Tensor:
    """The activation at ``full`` for a one-token input (its shape tells widths)."""
    tok = model.tokenizer
    first = tok.bos_token_id if tok.bos_token_id is not None else 0
    ids = torch.tensor([[int(first), int(first)]], dtype=torch.long)
    return capture(model, ids, None, full)


def _width(model: Model, full: str, *, need_vector: bool = False) -> int:
    act = _probe(model, full)
    if act.ndim != 3 and need_vector:
        raise ShapeError(f"{full} is a [{', '.join(str(s) for s in act.shape)}]-shaped activation, not [batch, pos, d]: "
                         "a direction cannot read it; pass a function fn(activation) -> [batch, pos, n] with hook=")
    return int(act.shape[-1])


def _indices(index: Any, n: int, what: str, dim: str) -> list[int]:
    if isinstance(index, str) and index == "all":
        return list(range(n))
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        items = [int(index)]
    elif isinstance(index, (range, Sequence, np.ndarray, torch.Tensor)) and not isinstance(index, str):
        raw = index.tolist() if isinstance(index, (np.ndarray, torch.Tensor)) else list(index)
        if not raw or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in raw):
            raise InterplayError(f"{what}: {_short(index)} must be an integer, a non-empty list of integers or 'all'")
        items = [int(i) for i in raw]
    else:
        raise InterplayError(f"{what}: {_short(index)} must be an integer, a non-empty list of integers or 'all'")
    bad = [i for i in items if not 0 <= i < n]
    if bad:
        raise InterplayError(f"{what}: {bad[0]} is out of range 0..{n - 1} ({dim} = {n})")
    if len(set(items)) != len(items):
        raise InterplayError(f"{what}: {_short(index)} lists an index twice")
    return items


def _neuron_rows(model: Model, layer: int, indices: list[int]) -> torch.Tensor:
    """Each neuron's row of the MLP's output weight: what it writes per unit ([n, d_model])."""
    module, _ = model.layout.site(f"blocks.{layer}.mlp.hook_post")
    w = getattr(module, "weight", None)
    if not isinstance(w, torch.Tensor):
        raise InterplayError(f"the MLP output projection of layer {layer} has no weight matrix")
    weight = w.detach()
    d_model = model.cfg.d_model
    idx = torch.as_tensor(indices, device=weight.device)
    if type(module).__name__ == "Conv1D":  # GPT-2: [d_mlp, d_model]
        rows = weight[idx]
    elif weight.shape[0] == d_model:  # nn.Linear: [d_model, d_mlp]
        rows = weight[:, idx].T
    else:
        rows = weight[idx]
    return rows.to(torch.float32)


def _final_norm_weight(model: Model) -> torch.Tensor | None:
    norm = model.layout.final_norm()
    w = getattr(norm, "weight", None) if norm is not None else None
    if not isinstance(w, torch.Tensor):
        return None
    return w.detach().to(torch.float32) + float(model.adapter.norm_offset)


def _short(value: Any) -> str:
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return f"{type(value).__name__} of shape {list(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
