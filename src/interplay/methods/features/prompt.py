"""A prompt read through a sparse dictionary: which latents are active at each token.

:func:`features` runs the prompt once with the dictionary spliced in (the backend's splice, error term
kept, so the run is the model's) and keeps, for every token, its ``k`` most active latents. Its live
session (:class:`PromptFeaturesSession`) gives any latent's dashboard (max-activating examples over a
dataset: :func:`~interplay.methods.features.top_activations.top_activations` run once, for every latent
of the dictionary, on first use, then cached) and steers by a latent
(:func:`~interplay.methods.features.steer.steer_feature`)::

    >>> pf = interplay.features(model, "When Mary and John went to the store, John gave a drink to", sae)
    >>> pf.show()          # tokens -> their latents -> a latent's examples -> steer, in one output
    >>> pf.latents_at(-1)  # [(latent, activation), ...] of the last token
    >>> pf.dashboard([17]).show()

``dataset``: the texts the dashboards are computed over (any dataset
:func:`~interplay.methods.features.stream.iter_batches` reads); by default, for the bundled demo model,
a fixed sample of its tasks' texts (:func:`demo_texts`); for another model it is required.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay.data.features import FeatureSteeringData, PromptFeaturesData, TopActivationsData
from interplay.errors import InterplayError, NeedsModelError, PromptError
from interplay.methods._common import require_model, special_ids
from interplay.methods._inputs import tokenize
from interplay.methods.features.steer import (
    check_dictionary,
    check_latent,
    dictionary_label,
    latents_name,
    steer_feature,
)
from interplay.results.prompt_features import PromptFeaturesResult

if TYPE_CHECKING:
    from interplay.backend.dictionaries import Dictionary
    from interplay.backend.model import Model
    from interplay.methods.features.top_activations import TopActivationsSession

#: texts per task in the demo model's default dashboard dataset
DEMO_TEXTS_PER_TASK = 64


def demo_texts(n_per_task: int = DEMO_TEXTS_PER_TASK, *, seed: int = 0) -> list[str]:
    """A fixed sample of the demo model's task texts (IOI, facts, induction, brackets; held-out split),
    each prompt with its answer: the default dataset of a demo-model dashboard."""
    from interplay import tasks

    out: list[str] = []
    for make in (tasks.ioi, tasks.facts, tasks.induction, tasks.brackets):
        ds = make(n_per_task, seed=seed)
        out += [c + a for c, a in zip(ds.clean, ds.answer, strict=True)]
    return out


def _is_demo(model: Model) -> bool:
    from interplay.backend.model import DEMO_MODEL_DIR

    return model.name == "demo" or model.name == str(DEMO_MODEL_DIR)


def features(model: Model, prompt: str, dictionary: Dictionary, *, k: int = 10, dataset: Any = None,
             top_k_examples: int = 20, exclude_special: bool = True) -> PromptFeaturesResult:
    """The ``k`` most active latents of ``dictionary`` at every token of ``prompt`` (one forward pass).

    ``exclude_special``: leave the tokenizer's special tokens (BOS) out, as dictionaries are trained
    and their dashboards computed without them (their activations there are large and meaningless):
    such a token shows no active latent and does not set the colour scale.

    ``dataset`` and ``top_k_examples``: what a latent's dashboard (``result.dashboard(...)`` and the
    view's linked FeatureView) is computed over and how many top examples it keeps; the default
    dataset is :func:`demo_texts` for the demo model, and required otherwise (asked for only when a
    dashboard is).
    """
    model = require_model(model, "features")
    if not isinstance(prompt, str) or not prompt:
        raise PromptError(f"features() takes one non-empty prompt string, not {prompt!r}"[:200])
    dictionary = check_dictionary(model, dictionary, "features")
    if not isinstance(exclude_special, bool):
        raise InterplayError(f"features: exclude_special={exclude_special!r} must be True or False")
    for name, n in (("k", k), ("top_k_examples", top_k_examples)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InterplayError(f"features: {name}={n!r} must be an integer >= 1")
    k = min(int(k), int(dictionary.d_sae))
    p = tokenize(model, prompt, "prompt")
    name = latents_name(model, dictionary)
    out = model.forward(p.ids, p.mask, keep_positions=[p.lengths[0] - 1], capture=[name], dictionaries=[dictionary])
    acts = out.activations[name][0, : p.lengths[0]].float()
    skipped: list[int] = []
    if exclude_special:

        special = torch.tensor(special_ids(model), dtype=torch.long)
        ids = p.ids[0, : p.lengths[0]].cpu()
        skipped = [int(i) for i in torch.nonzero(torch.isin(ids, special)).flatten()]
        acts = acts.clone()
        acts[skipped] = 0.0
    data = prompt_features_data(acts, p.tokens[0], dictionary_label(dictionary), model.resolve(dictionary.hook_in)[0],
                                k)
    if skipped:
        shown = ", ".join(f"{i} ({p.tokens[0][i]!r})" for i in skipped[:4]) + (" ..." if len(skipped) > 4 else "")
        data = dataclasses.replace(data, notes=[*data.notes, f"special tokens left out (exclude_special=True): pos "
                                                             f"{shown}"])
    session = PromptFeaturesSession(model, dictionary, prompt, dataset=dataset, top_k_examples=int(top_k_examples))
    return PromptFeaturesResult(data, session)


def prompt_features_data(acts: torch.Tensor, tokens: list[str], dictionary: str, hook: str, k: int
                         ) -> PromptFeaturesData:
    """The data of a prompt's latent activations ``acts`` [pos, d_sae]: top ``k`` per token, max, L0."""
    d_sae = int(acts.shape[-1])
    k = min(k, d_sae)
    values, latents = acts.topk(k, dim=-1)
    active = values > 0
    top_latents = torch.where(active, latents, torch.full_like(latents, -1)).cpu().numpy().astype(np.int64)
    top_values = torch.where(active, values, torch.full_like(values, float("nan"))).cpu().numpy().astype(np.float32)
    max_values = acts.max(-1).values.clamp_min(0).cpu().numpy().astype(np.float32)
    n_active = (acts > 0).sum(-1).cpu().numpy().astype(np.int64)
    notes = [f"top {k} of {d_sae} latents per token (activation > 0); colour: each token's largest activation"]
    return PromptFeaturesData(tokens=list(tokens), dictionary=dictionary, hook=hook, n_latents=int(d_sae),
                              top_latents=top_latents, top_values=top_values, max_values=max_values,
                              n_active=n_active, notes=notes)


def take_features(data: TopActivationsData, indices: Sequence[int]) -> TopActivationsData:
    """The features ``indices`` of ``data`` (in that order), as a TopActivationsData of their own."""
    idx = np.asarray(list(indices), dtype=np.int64)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if isinstance(value, np.ndarray) and f.name not in ("table_ids",) and value.ndim >= 1 \
                and value.shape[0] == data.n_features:
            fields[f.name] = value[idx]
    labels = {str(j): data.labels[str(int(i))] for j, i in enumerate(idx.tolist()) if str(int(i)) in data.labels}
    meta = dict(data.feature_meta)
    if isinstance(meta.get("indices"), list) and len(meta["indices"]) == data.n_features:
        meta["indices"] = [meta["indices"][int(i)] for i in idx.tolist()]
    return dataclasses.replace(data, features=[data.features[int(i)] for i in idx.tolist()], feature_meta=meta,
                               labels=labels, **fields)


class PromptFeaturesSession:
    """The live part of a :class:`PromptFeaturesResult`: a latent's dashboard and steering by a latent.

    Implements the views' sources (:class:`~interplay.widgets.prompt_features.PromptFeaturesSource`,
    :class:`~interplay.widgets.feature.FeatureSource`): ``feature`` there is a latent index.
    """

    def __init__(self, model: Model, dictionary: Dictionary, prompt: str, *, dataset: Any = None,
                 top_k_examples: int = 20, max_new_tokens: int = 20) -> None:
        self.model, self.dictionary, self.prompt = model, dictionary, prompt
        self.dataset = dataset
        self.top_k_examples = top_k_examples
        self.max_new_tokens = max_new_tokens
        self._all: TopActivationsData | None = None

    def _dataset(self) -> Any:
        if self.dataset is not None:
            return self.dataset
        if _is_demo(self.model):
            return demo_texts()
        raise NeedsModelError("a latent's dashboard needs a dataset to find its max-activating examples in: "
                              "interplay.features(model, prompt, dictionary, dataset=texts) (the default sample "
                              "exists for the demo model only)")

    def dashboard(self, latents: Sequence[int] | None = None) -> TopActivationsData:
        """Max-activating examples of ``latents`` (None: every latent, in latent order). The first call
        runs one pass over the dataset for every latent of the dictionary; later calls slice it."""
        if self._all is None:
            from interplay.methods.features.top_activations import top_activations

            result = top_activations(self.model, self.dictionary, self._dataset(), k=self.top_k_examples,
                                     progress=False)
            self._all = result.data
        if latents is None:
            return self._all
        if isinstance(latents, (int, np.integer)):
            latents = [int(latents)]
        idx = [check_latent(self.dictionary, i, "dashboard") for i in latents]
        return take_features(self._all, idx)

    def subset(self, latents: Sequence[int]) -> TopActivationsSession:
        """The live session of ``dashboard(latents)`` (feature ``i`` there is latent ``latents[i]``)."""
        from interplay.methods.features.spec import resolve_features
        from interplay.methods.features.top_activations import TopActivationsSession

        idx = [check_latent(self.dictionary, i, "subset") for i in latents]
        return TopActivationsSession(self.model, resolve_features(self.model, (self.dictionary, idx)))

    def steer(self, feature: int, prompt: str, mode: str, value: float | None, keep_error: bool
              ) -> FeatureSteeringData:
        """Greedy generations from ``prompt`` (empty: the session's prompt) without and with latent
        ``feature`` steered."""
        return steer_feature(self.model, prompt or self.prompt, self.dictionary, feature, mode=mode, value=value,
                             keep_error=keep_error, max_new_tokens=self.max_new_tokens).data

