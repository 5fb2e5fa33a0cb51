"""The model side: loading, canonical hook points, one forward engine, capture and intervention
(imports torch). Imports nothing from interplay's other layers but the data layer and the errors."""

from interplay.backend.adapters import Adapter, get_adapter, register_adapter, supported_model_types
from interplay.backend.dictionaries import SAE, Dictionary, Transcoder
from interplay.backend.dictionary_io import load_dictionary
from interplay.backend.model import Forward, Model, load
from interplay.backend.trace import Trace

__all__ = ["SAE", "Adapter", "Dictionary", "Forward", "Model", "Trace", "Transcoder", "get_adapter", "load",
           "load_dictionary", "register_adapter", "supported_model_types"]
