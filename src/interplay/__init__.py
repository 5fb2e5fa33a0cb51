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
    # views (numpy only)
    "TokenHeatmapView": "interplay.widgets.token_heatmap",
    "AttentionView": "interplay.widgets.attention",
    "LogitLensView": "interplay.widgets.logit_lens",
    "DLAView": "interplay.widgets.dla",
    "AttributionView": "interplay.widgets.attribution",
    "PatchingView": "interplay.widgets.patching",
    "CircuitView": "interplay.widgets.circuit",
    "AnnotatorView": "interplay.widgets.annotator",
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
    from interplay.backend.model import Model, load
    from interplay.backend.trace import Trace
    from interplay.methods.activations import heatmap
    from interplay.methods.attention import attention
    from interplay.methods.attribution import attribute, attribute_generation, list_methods, register_method
    from interplay.methods.circuits import circuit
    from interplay.methods.dla import direct_logit_attribution
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
    from interplay.results.heatmap import HeatmapResult
    from interplay.results.logit_lens import LogitLensResult
    from interplay.results.patching import PatchingResult
    from interplay.results.probe import ProbeResult
    from interplay.results.steering import SteeringResult
    from interplay.widgets._fallback import set_static_fallback
    from interplay.widgets._html import save_html
    from interplay.widgets.annotator import AnnotatorView
    from interplay.widgets.attention import AttentionView
    from interplay.widgets.attribution import AttributionView
    from interplay.widgets.circuit import CircuitView
    from interplay.widgets.dla import DLAView
    from interplay.widgets.logit_lens import LogitLensView
    from interplay.widgets.patching import PatchingView
    from interplay.widgets.token_heatmap import TokenHeatmapView

__all__ = [
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
    "PromptLengthError",
    "ResultFileError",
    "ShapeError",
    "SteeringResult",
    "TaskError",
    "TokenHeatmapView",
    "Trace",
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
    "direct_logit_attribution",
    "heatmap",
    "kl_div",
    "list_methods",
    "load",
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
    "steer_spec",
    "steering_vector",
    "supported_model_types",
    "tasks",
    "token_prob",
]
