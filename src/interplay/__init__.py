"""interplay: Jupyter widgets for mechanistic interpretability of transformer language models.

``import interplay`` does not import torch: the model side (``load``, ``Model``, ``Trace``) is
imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interplay.errors import (
    HookNameError,
    InterplayError,
    PromptError,
    ShapeError,
    UnsupportedArchitectureError,
)

__version__ = "0.1.0"

_LAZY = {
    "load": "interplay.backend.model",
    "Model": "interplay.backend.model",
    "Trace": "interplay.backend.trace",
    "Adapter": "interplay.backend.adapters",
    "register_adapter": "interplay.backend.adapters",
    "supported_model_types": "interplay.backend.adapters",
    "TokenHeatmap": "interplay.widgets.token_heatmap",
    "AttentionView": "interplay.widgets.attention",
    "LogitLensView": "interplay.widgets.logit_lens",
    "DLAView": "interplay.widgets.dla",
    "logit_lens": "interplay.methods.logit_lens",
    "direct_logit_attribution": "interplay.methods.dla",
    "tasks": "interplay.tasks",
    "attribute": "interplay.methods.attribution",
    "attribute_generation": "interplay.methods.attribution",
    "AttributionView": "interplay.widgets.attribution",
    "patch": "interplay.methods.patching",
    "ablate": "interplay.methods.ablation",
    "steer": "interplay.methods.steering",
    "steering_vector": "interplay.methods.steering",
    "logit_diff": "interplay.methods.metrics",
    "token_prob": "interplay.methods.metrics",
    "kl_div": "interplay.methods.metrics",
    "patch_spec": "interplay.methods.interventions",
    "ablate_spec": "interplay.methods.interventions",
    "steer_spec": "interplay.methods.interventions",
    "PatchingExplorer": "interplay.widgets.patching",
    "circuit": "interplay.methods.circuits",
    "Circuit": "interplay.methods.circuits",
    "CircuitGraph": "interplay.widgets.circuit",
    "Annotator": "interplay.widgets.annotator",
    "probe": "interplay.methods.probing",
}

if TYPE_CHECKING:
    from interplay import tasks
    from interplay.backend.adapters import Adapter, register_adapter, supported_model_types
    from interplay.backend.model import Model, load
    from interplay.backend.trace import Trace
    from interplay.methods.ablation import ablate
    from interplay.methods.attribution import attribute, attribute_generation
    from interplay.methods.circuits import Circuit, circuit
    from interplay.methods.dla import direct_logit_attribution
    from interplay.methods.interventions import ablate_spec, patch_spec, steer_spec
    from interplay.methods.logit_lens import logit_lens
    from interplay.methods.metrics import kl_div, logit_diff, token_prob
    from interplay.methods.patching import patch
    from interplay.methods.probing import probe
    from interplay.methods.steering import steer, steering_vector
    from interplay.widgets.annotator import Annotator
    from interplay.widgets.attention import AttentionView
    from interplay.widgets.attribution import AttributionView
    from interplay.widgets.circuit import CircuitGraph
    from interplay.widgets.dla import DLAView
    from interplay.widgets.logit_lens import LogitLensView
    from interplay.widgets.patching import PatchingExplorer
    from interplay.widgets.token_heatmap import TokenHeatmap


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        value = module if name == "tasks" else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'interplay' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Adapter",
    "Annotator",
    "AttentionView",
    "AttributionView",
    "Circuit",
    "CircuitGraph",
    "DLAView",
    "HookNameError",
    "InterplayError",
    "LogitLensView",
    "Model",
    "PatchingExplorer",
    "PromptError",
    "ShapeError",
    "TokenHeatmap",
    "Trace",
    "UnsupportedArchitectureError",
    "__version__",
    "ablate",
    "ablate_spec",
    "attribute",
    "attribute_generation",
    "circuit",
    "direct_logit_attribution",
    "kl_div",
    "load",
    "logit_diff",
    "logit_lens",
    "patch",
    "patch_spec",
    "probe",
    "register_adapter",
    "steer",
    "steer_spec",
    "steering_vector",
    "supported_model_types",
    "tasks",
    "token_prob",
]
