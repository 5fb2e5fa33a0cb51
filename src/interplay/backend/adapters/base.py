"""Architecture adapters: a declarative mapping from canonical names to one HF family's modules.

An adapter is data, not code: module paths (dotted, relative to ``model.base_model`` unless said
otherwise) that tell the hook machinery where each canonical activation lives. To support a new
architecture, write one (see ``gpt2.py`` for the template) and ``register_adapter`` it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from interplay.errors import UnsupportedArchitectureError

Where = Literal["in", "out"]


@dataclass(frozen=True)
class Adapter:
    """Where the canonical activations of one architecture family live.

    Paths in a block are relative to the block module; ``blocks``, ``embed``, ``pos_embed`` and
    ``final_norm`` are relative to ``model.base_model``; ``unembed`` to the top-level model.
    """

    name: str
    model_types: tuple[str, ...]
    blocks: str
    embed: str
    attention: str  #: the module that calls transformers' attention interface (q, k, v, pattern)
    o_proj: str  #: the attention output projection: its input is hook_z
    attn_out: str  #: its output is the attention's contribution to the residual stream
    mlp_out: str  #: its output is the MLP's contribution to the residual stream
    mlp_down: str  #: the MLP's down projection: its input is mlp.hook_post (the neurons)
    #: where resid_mid can be read: ("ln_2", "in") in pre-LN blocks, ("attention", "out") in BERT.
    #: ``None`` when the architecture has no resid_mid (parallel attention and MLP).
    resid_mid: tuple[str, Where] | None
    pos_embed: str | None = None
    final_norm: str | None = None
    unembed: str | None = None  #: None: the model's get_output_embeddings()
    causal: bool = True
    #: a config attribute that, when true, means attention and MLP read the same input (no resid_mid)
    parallel_residual_attr: str | None = None
    #: the norm in front of the attention, in a block (None: post-LN blocks, where there is none)
    attn_norm: str | None = None
    #: the MLP module: its input is ``ln2.hook_normalized`` (the MLP's normalised input). None: the
    #: architecture has no such name (post-LN blocks, where the MLP reads resid_mid itself)
    mlp_in: str | None = None
    #: the kind of the final (and block) norms: LayerNorm (centres, then scales) or RMSNorm (scales)
    norm: Literal["layernorm", "rmsnorm"] = "layernorm"
    #: an RMSNorm's scale is ``norm_offset + weight`` (Gemma: 1.0, others 0.0)
    norm_offset: float = 0.0
    #: the config attribute holding the final-logit softcap ``cap * tanh(logits / cap)``, if any
    logit_softcap: str | None = None
    #: numeric facts a user must know about this family (shown in results' metadata)
    notes: tuple[str, ...] = field(default=())


_REGISTRY: dict[str, Adapter] = {}


def register_adapter(adapter: Adapter, *, overwrite: bool = False) -> Adapter:
    """Register ``adapter`` for each of its ``model_types`` (the HF ``config.model_type`` values)."""
    for mt in adapter.model_types:
        if mt in _REGISTRY and not overwrite and _REGISTRY[mt] is not adapter:
            raise UnsupportedArchitectureError(f"an adapter for model_type {mt!r} exists ({_REGISTRY[mt].name}); pass overwrite=True")
        _REGISTRY[mt] = adapter
    return adapter


def get_adapter(model_type: str) -> Adapter:
    try:
        return _REGISTRY[model_type]
    except KeyError:
        raise UnsupportedArchitectureError(
            f"no adapter for model_type {model_type!r}. Supported: {', '.join(supported_model_types())}. "
            "Add one: interplay.register_adapter(interplay.Adapter(name=..., model_types=("
            f"{model_type!r},), blocks=..., ...)); interplay/backend/adapters/llama.py is a short example."
        ) from None


def supported_model_types() -> list[str]:
    return sorted(_REGISTRY)
