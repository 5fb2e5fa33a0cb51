"""Llama and the families with its layout (Mistral, Qwen2, Qwen3): RMSNorm, rotary, gated MLP, GQA.

hook_k/hook_v have the key-value head count (``num_key_value_heads``), as in the model.
"""

from interplay.backend.adapters.base import Adapter

LLAMA = Adapter(
    name="llama",
    model_types=("llama", "mistral", "qwen2", "qwen3", "olmo", "olmo2"),
    blocks="layers",
    embed="embed_tokens",
    attention="self_attn",
    o_proj="self_attn.o_proj",
    attn_out="self_attn",
    mlp_out="mlp",
    mlp_down="mlp.down_proj",
    resid_mid=("post_attention_layernorm", "in"),
    final_norm="norm",
)
