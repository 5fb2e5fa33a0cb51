"""Steering by one latent of a sparse dictionary (an SAE or a transcoder): scale, clamp, ablate or add
to it, with or without the dictionary's error term, and compare the greedy generations.

The steered run splices the dictionary in (the backend's splice, :mod:`interplay.backend.splice`):
at its hook ``acts = encode(x)``, an intervention on its latents (``f"{hook_out}.{kind}.acts"``)
changes latent ``l`` (the *edit*), and the model goes on with

* ``decode(edited) + error``, ``error = x - decode(acts)`` (``keep_error=True``, the default): the
  model's own activation plus the edit's decoded difference, so an edit that changes nothing leaves
  the model's run as it was;
* ``decode(edited)`` (``keep_error=False``): the model runs on the edited reconstruction.

For a transcoder ``x`` is its input (``hook_in``, e.g. the MLP's normalised input) and the value
replaced is at ``hook_out`` (the MLP's output). The edit applies at every position, the prompt's and
the generated tokens' alike. The baseline is the plain model. Both runs are greedy and share one
engine with :func:`interplay.steer` (:func:`~interplay.methods.steering.engine.greedy_generate`)::

    >>> r = interplay.steer_feature(model, "When Mary and John went to the store, John gave a drink to",
    ...                             sae, 17, mode="clamp", value=8.0, max_new_tokens=10)
    >>> r.baseline_text, r.steered_text, r.kl
    >>> r.show()                              # both continuations and the next tokens that moved most
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay.data.features import STEER_MODES, FeatureSteeringData
from interplay.data.tokens import token_strings
from interplay.errors import DictionaryError, InterplayError, PromptError
from interplay.methods._common import require_model
from interplay.methods._inputs import tokenize
from interplay.methods.interventions import Spec
from interplay.methods.steering.engine import greedy_generate, next_token_changes
from interplay.results.prompt_features import FeatureSteeringResult

if TYPE_CHECKING:
    from interplay.backend.dictionaries import Dictionary
    from interplay.backend.model import Model

#: what ``value`` means in each mode (for messages); ablate takes none
VALUE_MEANS = {"scale": "the factor the latent's activation is multiplied by",
               "clamp": "the activation the latent is set to",
               "add": "how much of the latent's decoder direction is added (its activation is raised by it)"}

# ------------------------------------------------------------------------------ dictionaries
def check_dictionary(model: Model, dictionary: Any, fn: str) -> Dictionary:
    """``dictionary`` if it is an interplay SAE or Transcoder that fits ``model`` (its hooks exist and
    have its widths: checked by the backend's splice), else a :class:`DictionaryError` saying so."""
    from interplay.backend.dictionaries import Dictionary
    from interplay.backend.splice import plan_splice

    if not isinstance(dictionary, Dictionary):
        raise DictionaryError(f"{fn}: dictionary must be an interplay SAE or Transcoder (interplay.SAE(...), "
                              f"interplay.load_dictionary(path)); got a {type(dictionary).__name__}")
    plan_splice(model.layout, model.resolve, dictionary, include_error=True, detach=True)
    return dictionary


def dictionary_label(dictionary: Dictionary) -> str:
    """A dictionary's name, or ``"<kind> at <hook>"`` when it has none."""
    return dictionary.name or f"{dictionary.kind} at {dictionary.hook_out}"


def latents_name(model: Model, dictionary: Dictionary) -> str:
    """The name of a spliced dictionary's latents in a run (``f"{hook_out}.{kind}.acts"``): what a
    trace records them as, and where an intervention edits them before they are decoded."""
    return f"{model.resolve(dictionary.hook_out)[0]}.{dictionary.kind}.acts"


def check_latent(dictionary: Dictionary, latent: Any, fn: str) -> int:
    n = int(dictionary.d_sae)
    if isinstance(latent, bool) or not isinstance(latent, (int, np.integer)) or not 0 <= int(latent) < n:
        raise InterplayError(f"{fn}: latent={latent!r} must be a latent index of the dictionary, an integer in "
                             f"0..{n - 1} (it has d_sae = {n} latents)")
    return int(latent)


def latent_edit(mode: str, latent: int, value: float) -> Callable[[torch.Tensor, str], torch.Tensor]:
    """An intervention on a dictionary's latents ``[..., d_sae]`` that makes ``mode``'s change to one
    latent (a new tensor; the input is kept, so the splice's error term stays the unedited one's)."""
    def edit(acts: torch.Tensor, _name: str) -> torch.Tensor:
        out = acts.clone()
        col = out[..., latent]
        if mode == "scale":
            out[..., latent] = col * value
        elif mode == "clamp":
            out[..., latent] = value
        elif mode == "ablate":
            out[..., latent] = 0.0
        else:  # add: acts + value * e_latent, i.e. value * W_dec[latent] once decoded
            out[..., latent] = col + value
        return out

    return edit


# ------------------------------------------------------------------------------ entry point
def check_steer_args(dictionary: Dictionary, latent: Any, mode: Any, value: Any, keep_error: Any,
                     fn: str = "steer_feature") -> tuple[int, str, float, bool]:
    """``(latent, mode, value, keep_error)`` checked, with errors naming the accepted values."""
    if mode not in STEER_MODES:
        raise InterplayError(f"{fn}: mode={mode!r}; accepted: {', '.join(map(repr, STEER_MODES))}")
    latent = check_latent(dictionary, latent, fn)
    if mode == "ablate":
        if value is not None and not _is_number(value):
            raise InterplayError(f"{fn}(mode='ablate'): value={value!r}; ablate sets the latent to 0 and takes no "
                                 "value (leave it None)")
        value = 0.0
    elif value is None:
        raise InterplayError(f"{fn}(mode={mode!r}) needs value=: {VALUE_MEANS[mode]} (a finite number)")
    elif not _is_number(value) or not math.isfinite(float(value)):
        raise InterplayError(f"{fn}: value={value!r} must be a finite number ({VALUE_MEANS[mode]})")
    if not isinstance(keep_error, (bool, np.bool_)):
        raise InterplayError(f"{fn}: keep_error={keep_error!r} must be True (keep the dictionary's error term) or "
                             "False (run on its reconstruction)")
    return latent, str(mode), float(value), bool(keep_error)


def _is_number(x: Any) -> bool:
    return not isinstance(x, (bool, np.bool_)) and isinstance(x, (int, float, np.integer, np.floating))


def steer_feature(model: Model, prompt: str, dictionary: Any, latent: int, *, mode: str = "scale",
                  value: float | None = None, keep_error: bool = True, max_new_tokens: int = 20,
                  k: int = 10) -> FeatureSteeringResult:
    """Generate greedily from ``prompt`` without and with latent ``latent`` of ``dictionary`` steered.

    ``mode``: ``"scale"`` (multiply the latent's activation by ``value``), ``"clamp"`` (set it to
    ``value`` at every position), ``"ablate"`` (set it to 0; no value) or ``"add"`` (add ``value``
    times its decoder direction). ``keep_error``: keep the dictionary's error term (the default: only
    the latent's change differs from the model) or run on the reconstruction. ``max_new_tokens``:
    tokens generated by each run (0: only the next-token change); ``k``: next tokens listed in
    ``changes`` (those whose probability moved most).
    """
    model = require_model(model, "steer_feature", causal=True)
    if not isinstance(prompt, str) or not prompt:
        raise PromptError(f"steer_feature() takes one non-empty prompt string, not {prompt!r}"[:200])
    dictionary = check_dictionary(model, dictionary, "steer_feature")
    latent, mode, val, keep = check_steer_args(dictionary, latent, mode, value, keep_error)
    for name, n, low in (("max_new_tokens", max_new_tokens, 0), ("k", k, 1)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < low:
            raise InterplayError(f"steer_feature: {name}={n!r} must be an integer >= {low}")
    p = tokenize(model, prompt, "prompt")
    ids = [int(i) for i in p.ids[0, : p.lengths[0]].tolist()]
    edit = Spec(latents_name(model, dictionary), latent_edit(mode, latent, val))
    base_ids, base_first = greedy_generate(model, ids, [], int(max_new_tokens))
    steer_ids, steer_first = greedy_generate(model, ids, [edit], int(max_new_tokens), dictionaries=[dictionary],
                                             include_error=keep)
    tok = model.tokenizer
    kl, changes, _ = next_token_changes(tok, base_first, steer_first, int(k))

    label = dictionary_label(dictionary)
    notes = [f"{label}: latent {latent} {_describe(mode, val)} at every position, "
             + ("error term kept (only the latent's change differs from the model)" if keep else
                "no error term: the steered run uses the dictionary's reconstruction, so its change "
                "includes the reconstruction error")]
    data = FeatureSteeringData(
        prompt=prompt, feature=f"{dictionary.name or dictionary.kind} #{latent}", latent=latent, mode=mode, value=val, keep_error=keep,
        baseline_text=tok.decode(base_ids), steered_text=tok.decode(steer_ids),
        baseline_tokens=token_strings(tok, base_ids), steered_tokens=token_strings(tok, steer_ids),
        changes=changes, kl=kl, notes=notes)
    return FeatureSteeringResult(data)


def _describe(mode: str, value: float) -> str:
    return {"scale": f"scaled by {value:g}", "clamp": f"clamped to {value:g}", "ablate": "ablated (set to 0)",
            "add": f"raised by {value:g} (its decoder direction added {value:g} times)"}[mode]
