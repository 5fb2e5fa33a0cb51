"""Gemma and Gemma 2: embeddings scaled by sqrt(d_model) inside the model (so hook_embed is unscaled
and resid_pre 0 is scaled); Gemma 2 normalises each sublayer's output before adding it to the
residual stream, so its attn_out / mlp_out are those norms' outputs, and its logits are softcapped."""

from interplay.backend.adapters.base import Adapter

_EMBED_NOTE = "hook_embed is the raw embedding; the model multiplies it by sqrt(d_model) before block 0"

GEMMA = Adapter(
    name="gemma",
    model_types=("gemma",),
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
    norm_offset=1.0,
    notes=(_EMBED_NOTE,),
)

GEMMA2 = Adapter(
    name="gemma2",
    model_types=("gemma2",),
    blocks="layers",
    embed="embed_tokens",
    attention="self_attn",
    o_proj="self_attn.o_proj",
    attn_out="post_attention_layernorm",
    mlp_out="post_feedforward_layernorm",
    mlp_down="mlp.down_proj",
    resid_mid=("pre_feedforward_layernorm", "in"),
    final_norm="norm",
    attn_norm="input_layernorm",
    mlp_in="mlp",
    norm="rmsnorm",
    norm_offset=1.0,
    logit_softcap="final_logit_softcapping",
    notes=(_EMBED_NOTE, "final logits are softcapped: cap * tanh(logits / cap)"),
)
