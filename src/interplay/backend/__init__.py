"""The model side: loading, canonical hook points, capture and intervention (imports torch)."""

from interplay.backend.adapters import Adapter, get_adapter, register_adapter, supported_model_types
from interplay.backend.model import Model, load
from interplay.backend.trace import Trace

__all__ = ["Adapter", "Model", "Trace", "get_adapter", "load", "register_adapter", "supported_model_types"]
