"""GPT-2 (and the demo model): pre-LN, learned absolute positions, fused c_attn, Conv1D weights."""

from interplay.backend.adapters.base import Adapter

GPT2 = Adapter(
    name="gpt2",
    model_types=("gpt2",),
    blocks="h",
    embed="wte",
    pos_embed="wpe",
    attention="attn",
    o_proj="attn.c_proj",
    attn_out="attn",
    mlp_out="mlp",
    mlp_down="mlp.c_proj",
    resid_mid=("ln_2", "in"),
    final_norm="ln_f",
    attn_norm="ln_1",
    mlp_in="mlp",
)
