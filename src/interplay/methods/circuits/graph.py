"""The graph of a loaded model: :func:`~interplay.data.graph.make_graph` with the architecture's facts.

The graph itself (nodes, sources, destinations, valid edges) is numpy data in
:mod:`interplay.data.graph`; what this module adds is whether a model's blocks fit it, read from
its adapter and layout: pre-norm blocks (a norm in front of the attention and one in front of the
MLP), heads that write straight into the residual stream (so a head's output is ``z_h @ W_O[h]``),
a final norm in front of the unembedding, and whether attention and MLP run in parallel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from interplay.data.graph import Graph, make_graph
from interplay.errors import UnsupportedArchitectureError

if TYPE_CHECKING:
    from interplay.backend.model import Model


def model_graph(model: Model, *, qkv: bool = False) -> Graph:
    """The graph of ``model`` (GPT-2, GPT-NeoX, Llama-family and Gemma layouts); with ``qkv=True``
    every head has separate query, key and value inputs."""
    lay, a = model.layout, model.adapter
    missing = [why for why, ok in (
        ("a causal language model", model.cfg.causal),
        ("a norm in front of each attention (pre-norm blocks)", lay.attn_norm(0) is not None),
        ("a norm in front of each MLP that reads the residual stream", lay.mlp_norm(0) is not None),
        ("heads that write straight into the residual stream (no norm after the attention)", a.attn_out == a.attention),
        ("a final norm in front of the unembedding", lay.final_norm() is not None),
    ) if not ok]
    if missing:
        raise UnsupportedArchitectureError(
            f"circuit discovery needs {'; '.join(missing)}: {model.cfg.model_type} (adapter {a.name!r}) does not have "
            "that. Supported: pre-norm blocks whose heads write straight into the residual stream (GPT-2, GPT-NeoX, "
            "Llama, Qwen2, Mistral, Gemma)")
    return make_graph(model.cfg.n_layers, model.cfg.n_heads, qkv=bool(qkv), parallel=lay.parallel)
