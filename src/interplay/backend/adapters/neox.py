"""GPT-NeoX / Pythia: rotary positions, parallel attention and MLP when use_parallel_residual."""

from interplay.backend.adapters.base import Adapter

NEOX = Adapter(
    name="gpt_neox",
    model_types=("gpt_neox",),
    blocks="layers",
    embed="embed_in",
    attention="attention",
    o_proj="attention.dense",
    attn_out="attention",
    mlp_out="mlp",
    mlp_down="mlp.dense_4h_to_h",
    resid_mid=("post_attention_layernorm", "in"),
    parallel_residual_attr="use_parallel_residual",
    final_norm="final_layer_norm",
    attn_norm="input_layernorm",
    mlp_in="mlp",
)
