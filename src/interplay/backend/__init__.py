"""The model side: loading, canonical hook points, one forward engine, capture and intervention
(imports torch). Imports nothing from interplay's other layers but the data layer and the errors."""

from interplay.backend.adapters import Adapter, get_adapter, register_adapter, supported_model_types
from interplay.backend.model import Forward, Model, load
from interplay.backend.trace import Trace

__all__ = ["Adapter", "Forward", "Model", "Trace", "get_adapter", "load", "register_adapter", "supported_model_types"]
