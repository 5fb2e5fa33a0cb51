"""interplay: Jupyter widgets for mechanistic interpretability of transformer language models.

``import interplay`` does not import torch: the model side (``load``, the methods) is imported on
first use, and everything that shows or loads saved results needs numpy alone.

The grammar (ARCHITECTURE.md): every analysis takes ``model_or_trace`` first, then its inputs, with
options keyword-only, and returns an ``XResult``: frozen numpy ``data`` plus an optional live
``session``, with ``.show()`` (its ``XView``), ``.to_dataframe()``, ``.plot()`` and ``.save()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interplay._lazy import lazy
from interplay._version import __version__
from interplay.errors import (
    AnnotationError,
    ComponentError,
    DictionaryError,
    HookNameError,
    InterplayError,
    MetricError,
    NeedsModelError,
    ProbeError,
    PromptError,
    PromptLengthError,
    ResultFileError,
    ShapeError,
    TaskError,
    UnsupportedArchitectureError,
    ViewError,
)

_API = {
    # the model side (torch)
    "load": "interplay.backend.model",
    "Model": "interplay.backend.model",
    "Trace": "interplay.backend.trace",
    "Adapter": "interplay.backend.adapters",
    "register_adapter": "interplay.backend.adapters",
    "supported_model_types": "interplay.backend.adapters",
    # analyses (torch): model_or_trace first, options keyword-only, an XResult back
    "attention": "interplay.methods.attention",
    "heatmap": "interplay.methods.activations",
    "logit_lens": "interplay.methods.logit_lens",
    "direct_logit_attribution": "interplay.methods.dla",
    "attribute": "interplay.methods.attribution",
    "attribute_generation": "interplay.methods.attribution",
    "register_method": "interplay.methods.attribution",
    "list_methods": "interplay.methods.attribution",
    "patch": "interplay.methods.patching",
    "ablate": "interplay.methods.patching",
    "steer": "interplay.methods.steering",
    "steering_vector": "interplay.methods.steering",
    "circuit": "interplay.methods.circuits",
    "probe": "interplay.methods.probing",
    "logit_diff": "interplay.methods.metrics",
    "token_prob": "interplay.methods.metrics",
    "kl_div": "interplay.methods.metrics",
    # sparse dictionaries (torch): SAEs and transcoders on canonical hook points
    "SAE": "interplay.backend.dictionaries",
    "Transcoder": "interplay.backend.dictionaries",
    "Dictionary": "interplay.backend.dictionaries",
    "load_dictionary": "interplay.backend.dictionary_io",
    "demo_dictionary": "interplay.backend.demo_dictionaries",
    "demo_dictionaries": "interplay.backend.demo_dictionaries",
    # features (torch)
    "train_sae": "interplay.methods.features.train",
    "train_transcoder": "interplay.methods.features.train",
    "dictionary_metrics": "interplay.methods.features.metrics",
    "top_activations": "interplay.methods.features.top_activations",
    "features": "interplay.methods.features.prompt",
    "steer_feature": "interplay.methods.features.steer",
    "patch_spec": "interplay.methods.interventions",
    "ablate_spec": "interplay.methods.interventions",
    "steer_spec": "interplay.methods.interventions",
    # results (numpy only)
    "load_result": "interplay.results",
    "AttentionResult": "interplay.results.attention",
    "AttributionResult": "interplay.results.attribution",
    "CircuitResult": "interplay.results.circuit",
    "DLAResult": "interplay.results.dla",
    "HeatmapResult": "interplay.results.heatmap",
    "LogitLensResult": "interplay.results.logit_lens",
    "PatchingResult": "interplay.results.patching",
    "ProbeResult": "interplay.results.probe",
    "SteeringResult": "interplay.results.steering",
    "TopActivationsResult": "interplay.results.features",
    "PromptFeaturesResult": "interplay.results.prompt_features",
    "FeatureSteeringResult": "interplay.results.prompt_features",
    # views (numpy only)
    "TokenHeatmapView": "interplay.widgets.token_heatmap",
    "AttentionView": "interplay.widgets.attention",
    "LogitLensView": "interplay.widgets.logit_lens",
    "DLAView": "interplay.widgets.dla",
    "AttributionView": "interplay.widgets.attribution",
    "PatchingView": "interplay.widgets.patching",
    "CircuitView": "interplay.widgets.circuit",
    "AnnotatorView": "interplay.widgets.annotator",
    "FeatureView": "interplay.widgets.feature",
    "PromptFeaturesView": "interplay.widgets.prompt_features",
    "save_html": "interplay.widgets._html",
    "set_static_fallback": "interplay.widgets._fallback",
    # modules
    "tasks": "interplay.tasks:",
    "data": "interplay.data:",
    "circuitsvis": "interplay.circuitsvis:",
    # deprecated spellings, for one release (interplay/_aliases.py)
    "TokenHeatmap": "interplay._aliases",
    "Annotator": "interplay._aliases",
    "PatchingExplorer": "interplay._aliases",
    "CircuitGraph": "interplay._aliases",
    "Circuit": "interplay._aliases",
}

_getattr, __dir__ = lazy(__name__, globals(), _API)


def __getattr__(name: str) -> Any:
    value = _getattr(name)
    where = _API.get(name, "")
    if where.startswith("interplay.backend"):
        from interplay import _aliases

        _aliases.install_backend()
    elif where == "interplay.widgets.attention":
        from interplay import _aliases

        _aliases.install_views()
    return value


if TYPE_CHECKING:
    from interplay import data, tasks
    from interplay.backend.adapters import Adapter, register_adapter, supported_model_types
    from interplay.backend.demo_dictionaries import demo_dictionaries, demo_dictionary
    from interplay.backend.dictionaries import SAE, Dictionary, Transcoder
    from interplay.backend.dictionary_io import load_dictionary
    from interplay.backend.model import Model, load
    from interplay.backend.trace import Trace
    from interplay.methods.activations import heatmap
    from interplay.methods.attention import attention
    from interplay.methods.attribution import attribute, attribute_generation, list_methods, register_method
    from interplay.methods.circuits import circuit
    from interplay.methods.dla import direct_logit_attribution
    from interplay.methods.features.metrics import dictionary_metrics
    from interplay.methods.features.prompt import features
    from interplay.methods.features.steer import steer_feature
    from interplay.methods.features.top_activations import top_activations
    from interplay.methods.features.train import train_sae, train_transcoder
    from interplay.methods.interventions import ablate_spec, patch_spec, steer_spec
    from interplay.methods.logit_lens import logit_lens
    from interplay.methods.metrics import kl_div, logit_diff, token_prob
    from interplay.methods.patching import ablate, patch
    from interplay.methods.probing import probe
    from interplay.methods.steering import steer, steering_vector
    from interplay.results import load_result
    from interplay.results.attention import AttentionResult
    from interplay.results.attribution import AttributionResult
    from interplay.results.circuit import CircuitResult
    from interplay.results.dla import DLAResult
    from interplay.results.features import TopActivationsResult
    from interplay.results.heatmap import HeatmapResult
    from interplay.results.logit_lens import LogitLensResult
    from interplay.results.patching import PatchingResult
    from interplay.results.probe import ProbeResult
    from interplay.results.prompt_features import FeatureSteeringResult, PromptFeaturesResult
    from interplay.results.steering import SteeringResult
    from interplay.widgets._fallback import set_static_fallback
    from interplay.widgets._html import save_html
    from interplay.widgets.annotator import AnnotatorView
    from interplay.widgets.attention import AttentionView
    from interplay.widgets.attribution import AttributionView
    from interplay.widgets.circuit import CircuitView
    from interplay.widgets.dla import DLAView
    from interplay.widgets.feature import FeatureView
    from interplay.widgets.logit_lens import LogitLensView
    from interplay.widgets.patching import PatchingView
    from interplay.widgets.prompt_features import PromptFeaturesView
    from interplay.widgets.token_heatmap import TokenHeatmapView

__all__ = [
    "SAE",
    "Adapter",
    "AnnotationError",
    "AnnotatorView",
    "AttentionResult",
    "AttentionView",
    "AttributionResult",
    "AttributionView",
    "CircuitResult",
    "CircuitView",
    "ComponentError",
    "DLAResult",
    "DLAView",
    "Dictionary",
    "DictionaryError",
    "FeatureSteeringResult",
    "FeatureView",
    "HeatmapResult",
    "HookNameError",
    "InterplayError",
    "LogitLensResult",
    "LogitLensView",
    "MetricError",
    "Model",
    "NeedsModelError",
    "PatchingResult",
    "PatchingView",
    "ProbeError",
    "ProbeResult",
    "PromptError",
    "PromptFeaturesResult",
    "PromptFeaturesView",
    "PromptLengthError",
    "ResultFileError",
    "ShapeError",
    "SteeringResult",
    "TaskError",
    "TokenHeatmapView",
    "TopActivationsResult",
    "Trace",
    "Transcoder",
    "UnsupportedArchitectureError",
    "ViewError",
    "__version__",
    "ablate",
    "ablate_spec",
    "attention",
    "attribute",
    "attribute_generation",
    "circuit",
    "data",
    "demo_dictionaries",
    "demo_dictionary",
    "dictionary_metrics",
    "direct_logit_attribution",
    "features",
    "heatmap",
    "kl_div",
    "list_methods",
    "load",
    "load_dictionary",
    "load_result",
    "logit_diff",
    "logit_lens",
    "patch",
    "patch_spec",
    "probe",
    "register_adapter",
    "register_method",
    "save_html",
    "set_static_fallback",
    "steer",
    "steer_feature",
    "steer_spec",
    "steering_vector",
    "supported_model_types",
    "tasks",
    "token_prob",
    "top_activations",
    "train_sae",
    "train_transcoder",
]
