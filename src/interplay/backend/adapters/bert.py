"""BERT-family encoders: post-LN blocks, bidirectional attention, no final norm.

In a post-LN block the residual stream is re-normalised after each sublayer: resid_mid is the
attention sublayer's output (after its add & LayerNorm); attn_out / mlp_out are the sublayers'
dense outputs before the add & LayerNorm.
"""

from interplay.backend.adapters.base import Adapter

BERT = Adapter(
    name="bert",
    model_types=("bert", "roberta"),
    blocks="encoder.layer",
    embed="embeddings.word_embeddings",
    pos_embed="embeddings.position_embeddings",
    attention="attention.self",
    o_proj="attention.output.dense",
    attn_out="attention.output.dense",
    mlp_out="output.dense",
    mlp_down="output.dense",
    resid_mid=("attention", "out"),
    final_norm=None,
    unembed=None,
    causal=False,
    notes=("post-LN: each block re-normalises the residual stream after attention and after the MLP",),
)
