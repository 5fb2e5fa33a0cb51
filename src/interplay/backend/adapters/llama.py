"""Llama and the families with its layout (Mistral, Qwen2, Qwen3): RMSNorm, rotary, gated MLP, GQA;
and OLMo (the same layout with LayerNorms that have no weights).

hook_k/hook_v have the key-value head count (``num_key_value_heads``), as in the model. (OLMo 2 is
not this layout: it normalises each sublayer's output instead of its input.)
"""

from dataclasses import replace

from interplay.backend.adapters.base import Adapter

LLAMA = Adapter(
    name="llama",
    model_types=("llama", "mistral", "qwen2", "qwen3"),
    blocks="layers",
    embed="embed_tokens",
    attention="self_attn",
    o_proj="self_attn.o_proj",
    attn_out="self_attn",
    mlp_out="mlp",
    mlp_down="mlp.down_proj",
    resid_mid=("post_attention_layernorm", "in"),
    final_norm="norm",
    attn_norm="input_layernorm",
    mlp_in="mlp",
    norm="rmsnorm",
)

OLMO = replace(LLAMA, name="olmo", model_types=("olmo",), norm="layernorm")
