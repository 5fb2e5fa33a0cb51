"""One small live result of every kind, from any interplay Model (for the round-trip tests and the
browser test of saved results)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

PROMPT = "When Mary and John went to the store, John gave a drink to"
CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "When John and Mary went to the store, Mary gave a drink to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "When John and Mary went to the store, John gave a drink to"]


def _metric() -> Any:
    import interplay

    return interplay.logit_diff([" Mary", " John"], [" John", " Mary"])


def _probe(model: Any) -> Any:
    import interplay

    texts = [*CLEAN, *CORRUPTED, "Mary went to the store", "John gave a drink to Mary"]
    labels = [[{"name"} if t.strip() in ("Mary", "John") else None for t in model.to_str_tokens(t)] for t in texts]
    return interplay.probe(model, (texts, labels), layers=[0, 1], test_size=0.34)


def _steer(model: Any) -> Any:
    import interplay

    vec = np.random.default_rng(0).normal(size=model.cfg.d_model).astype(np.float32)
    return interplay.steer(model, PROMPT, vec, layer=1, coeff=4.0, max_new_tokens=3)


def _sae(model: Any) -> Any:
    import torch

    from interplay.backend.dictionaries import SAE

    torch.manual_seed(0)
    return SAE(model.cfg.d_model, 48, hook="blocks.1.hook_resid_post", architecture="relu", name="builders/resid_post.1")


def _prompt_features(model: Any) -> Any:
    from interplay.methods.features.prompt import features

    return features(model, PROMPT, _sae(model), k=5, dataset=[PROMPT, *CLEAN])


def _steer_feature(model: Any) -> Any:
    from interplay.methods.features.steer import steer_feature

    return steer_feature(model, PROMPT, _sae(model), 3, mode="clamp", value=5.0, max_new_tokens=3)


def _top_activations(model: Any) -> Any:
    from interplay.methods.features.top_activations import top_activations

    return top_activations(model, (_sae(model), [0, 1, 2, 3]), [PROMPT, *CLEAN, *CORRUPTED], k=4, context=(3, 1),
                           progress=False)


BUILDERS: dict[str, Callable[[Any], Any]] = {
    "AttentionResult": lambda m: __import__("interplay").attention(m, PROMPT),
    "HeatmapResult": lambda m: __import__("interplay").heatmap(m, PROMPT, key="resid_post"),
    "LogitLensResult": lambda m: __import__("interplay").logit_lens(m, PROMPT, k=3),
    "DLAResult": lambda m: __import__("interplay").direct_logit_attribution(m, PROMPT, target=" Mary", baseline=" John"),
    "AttributionResult": lambda m: __import__("interplay").attribute(m, PROMPT, target=" Mary", method="saliency",
                                                                    progress=False),
    "PatchingResult": lambda m: __import__("interplay").patch(m, CLEAN, CORRUPTED, metric=_metric(),
                                                              component="resid_pre", progress=False),
    "SteeringResult": _steer,
    "CircuitResult": lambda m: __import__("interplay").circuit(m, CLEAN, CORRUPTED, metric=_metric(), progress=False),
    "ProbeResult": _probe,
    "PromptFeaturesResult": _prompt_features,
    "FeatureSteeringResult": _steer_feature,
    "TopActivationsResult": _top_activations,
}
