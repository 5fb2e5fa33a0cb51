"""Bad input gets an error that names the problem, never a traceback from deep inside torch."""

from __future__ import annotations

from typing import Any

import pytest

import interplay
from interplay.errors import HookNameError, InterplayError, PromptError, UnsupportedArchitectureError


def test_empty_prompts(gpt2: Any) -> None:
    with pytest.raises(PromptError, match="empty"):
        gpt2.run("")
    with pytest.raises(PromptError, match=r"prompts\[1\] is empty"):
        gpt2.run(["hello", ""])
    with pytest.raises(PromptError, match="non-empty list of strings"):
        gpt2.run([])
    with pytest.raises(PromptError, match=r"prompts\[1\] is a int"):
        gpt2.run(["ok", 3])  # type: ignore[list-item]


def test_prompt_longer_than_context(gpt2: Any) -> None:
    with pytest.raises(PromptError, match=r"has \d+ tokens, but the model's context is 64 tokens"):
        gpt2.run("Mary " * 100)


def test_unknown_name_lists_close_matches(gpt2: Any) -> None:
    with pytest.raises(HookNameError, match=r"Did you mean.*blocks.0.hook_resid_post"):
        gpt2.run("x", capture="blocks.0.hook_resid_pots")
    with pytest.raises(HookNameError, match="unknown activation name 'patern'"):
        gpt2.run("x", capture=("patern", 0))
    with pytest.raises(HookNameError, match=r"layer 5 .* out of range: the model has 2 layers"):
        gpt2.run("x", capture=("pattern", 5))
    with pytest.raises(HookNameError, match="not captured in this run"):
        gpt2.run("x", capture="resid_pre")["resid_post", 0]
    with pytest.raises(HookNameError, match="one per layer"):
        gpt2.run("x", capture="resid_pre")["resid_pre"]


@pytest.mark.parametrize(("family", "name"), [("llama", "pos_embed"), ("neox", "resid_mid"), ("bert", "normalized")])
def test_name_the_architecture_lacks(model: Any, name: str) -> None:
    with pytest.raises(HookNameError, match=r"this architecture has no such activation. It has: .*hook_resid_post"):
        model.run("x", capture=name)


def test_bad_interventions(gpt2: Any) -> None:
    with pytest.raises(InterplayError, match="not a function"):
        gpt2.run("x", interventions=[("resid_post", 3)])  # type: ignore[list-item]
    with pytest.raises(InterplayError, match=r"returned .* \(a str\)"):
        gpt2.run("x", interventions=[(("resid_post", 0), lambda a, n: "no")])


def test_model_object_without_tokenizer(gpt2: Any) -> None:
    with pytest.raises(InterplayError, match="needs its tokenizer"):
        interplay.load(gpt2.hf_model)


def test_unsupported_architecture_says_how_to_add_one(tokenizer: Any) -> None:
    import transformers as tf

    cfg = tf.OPTConfig(hidden_size=32, num_hidden_layers=2, ffn_dim=48, num_attention_heads=4,
                       max_position_embeddings=64, vocab_size=len(tokenizer), word_embed_proj_dim=32)
    opt = tf.OPTForCausalLM(cfg).eval()
    with pytest.raises(UnsupportedArchitectureError, match=r"no adapter for model_type 'opt'.*register_adapter"):
        interplay.load(opt, tokenizer)


def test_register_an_adapter_for_a_new_architecture(tokenizer: Any) -> None:
    import torch
    import transformers as tf

    from interplay.backend.adapters.base import _REGISTRY

    cfg = tf.OPTConfig(hidden_size=32, num_hidden_layers=2, ffn_dim=48, num_attention_heads=4,
                       max_position_embeddings=64, vocab_size=len(tokenizer), word_embed_proj_dim=32)
    opt = tf.OPTForCausalLM(cfg).eval()
    adapter = interplay.Adapter(
        name="opt", model_types=("opt",), blocks="decoder.layers", embed="decoder.embed_tokens",
        attention="self_attn", o_proj="self_attn.out_proj", attn_out="self_attn", mlp_out="fc2", mlp_down="fc2",
        resid_mid=("final_layer_norm", "in"), final_norm="decoder.final_layer_norm",
    )
    interplay.register_adapter(adapter)
    try:
        model = interplay.load(opt, tokenizer)
        trace = model.run("When Mary and John", capture="all")
        torch.testing.assert_close(trace.logits, opt(trace.token_ids).logits, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(trace["pattern", 0].sum(-1), torch.ones(1, 4, trace.token_ids.shape[1]))
        assert "opt" in interplay.supported_model_types()
    finally:
        _REGISTRY.pop("opt", None)
