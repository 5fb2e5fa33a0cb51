"""Built-in architecture adapters, registered on import."""

from interplay.backend.adapters.base import Adapter, get_adapter, register_adapter, supported_model_types
from interplay.backend.adapters.bert import BERT
from interplay.backend.adapters.gemma import GEMMA, GEMMA2
from interplay.backend.adapters.gpt2 import GPT2
from interplay.backend.adapters.llama import LLAMA, OLMO
from interplay.backend.adapters.neox import NEOX

for _adapter in (GPT2, NEOX, LLAMA, OLMO, GEMMA, GEMMA2, BERT):
    register_adapter(_adapter)

__all__ = ["Adapter", "get_adapter", "register_adapter", "supported_model_types"]
