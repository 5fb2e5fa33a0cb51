"""Every canonical name resolves and captures, with the values each name promises."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tests.conftest import CAUSAL_FAMILIES

PROMPT = "When Mary and John went to the store, John gave a drink to Mary"


def _shape(model: Any, suffix: str, n: int) -> tuple[int, ...]:
    c = model.cfg
    return {
        "attn.hook_q": (1, n, c.n_heads, c.d_head),
        "attn.hook_k": (1, n, c.n_kv_heads, c.d_head),
        "attn.hook_v": (1, n, c.n_kv_heads, c.d_head),
        "attn.hook_pattern": (1, c.n_heads, n, n),
        "attn.hook_z": (1, n, c.n_heads, c.d_head),
        "attn.hook_result": (1, n, c.n_heads, c.d_model),
        "mlp.hook_post": (1, n, c.d_mlp),
    }.get(suffix, (1, n, c.d_model))


def test_every_name_captures_with_its_shape(model: Any) -> None:
    names = model.hook_names
    trace = model.run(PROMPT, capture=names)
    assert list(trace.activations) == names  # forward order, nothing missing
    n = trace.token_ids.shape[1]
    for name in names:
        suffix = name.split(".", 2)[-1] if name.startswith("blocks.") else name
        assert tuple(trace[name].shape) == _shape(model, suffix, n), name


def test_capture_nothing_is_bit_identical_to_plain_forward(model: Any) -> None:
    trace = model.run(PROMPT)
    ref = model.hf_model(input_ids=trace.token_ids, attention_mask=trace.attention_mask).logits
    assert torch.equal(trace.logits, ref)
    assert trace.activations == {}


def test_capture_all_keeps_logits(model: Any) -> None:
    ref = model.run(PROMPT).logits
    trace = model.run(PROMPT, capture="all")
    torch.testing.assert_close(trace.logits, ref, atol=1e-5, rtol=1e-5)


def test_patterns_equal_hf_eager_attentions(model: Any) -> None:
    trace = model.run(PROMPT, capture="pattern")
    hf = model.hf_model
    previous = hf.config._attn_implementation
    try:
        hf.set_attn_implementation("eager")
        out = hf(input_ids=trace.token_ids, attention_mask=trace.attention_mask, output_attentions=True)
    finally:
        hf.set_attn_implementation(previous)
    assert hf.config._attn_implementation == previous
    assert len(out.attentions) == model.cfg.n_layers
    for layer, ref in enumerate(out.attentions):
        torch.testing.assert_close(trace["pattern", layer], ref, atol=1e-6, rtol=1e-5)
        rows = trace["pattern", layer].sum(-1)
        torch.testing.assert_close(rows, torch.ones_like(rows))
        if model.cfg.causal:
            assert torch.all(trace["pattern", layer].triu(diagonal=1) == 0)


def test_resid_pre_equals_hf_hidden_states(model: Any) -> None:
    trace = model.run(PROMPT, capture="resid_pre")
    out = model.hf_model(input_ids=trace.token_ids, attention_mask=trace.attention_mask, output_hidden_states=True)
    for layer in range(model.cfg.n_layers):
        torch.testing.assert_close(trace["resid_pre", layer], out.hidden_states[layer], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("family", CAUSAL_FAMILIES)
def test_residual_stream_decomposes(model: Any) -> None:
    trace = model.run(PROMPT, capture="all")
    for layer in range(model.cfg.n_layers):
        pre, post = trace["resid_pre", layer], trace["resid_post", layer]
        attn, mlp = trace["attn_out", layer], trace["mlp_out", layer]
        if model.layout.has_resid_mid:
            torch.testing.assert_close(trace["resid_mid", layer], pre + attn, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(post, pre + attn + mlp, atol=1e-5, rtol=1e-5)
        if layer + 1 < model.cfg.n_layers:
            assert torch.equal(post, trace["resid_pre", layer + 1])


@pytest.mark.parametrize("family", ["gpt2", "neox", "llama", "gemma", "qwen2"])
def test_head_results_sum_to_attention_output(model: Any) -> None:
    trace = model.run(PROMPT, capture=["result", "z", "attn_out"])
    for layer in range(model.cfg.n_layers):
        bias = model.layout.o_proj(layer).bias
        total = trace["result", layer].sum(dim=2) + (bias if bias is not None else 0)
        torch.testing.assert_close(total, trace["attn_out", layer], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox_sequential", "gemma"])
def test_final_norm_and_unembed_give_the_logits(model: Any) -> None:
    trace = model.run(PROMPT, capture="normalized")
    logits = model.layout.unembed()(trace["ln_final.hook_normalized"])
    torch.testing.assert_close(logits, trace.logits, atol=1e-5, rtol=1e-5)


def test_short_forms_and_stack(gpt2: Any) -> None:
    trace = gpt2.run(PROMPT, capture=[("pattern", -1), "resid_post"])
    assert torch.equal(trace["pattern", 1], trace["blocks.1.attn.hook_pattern"])
    assert torch.equal(trace["pattern.1"], trace["pattern", -1])
    assert trace.stack("resid_post").shape[:2] == (2, 1)
    assert ("pattern", 1) in trace and ("pattern", 0) not in trace
    assert "resid_post" in trace


def test_batch_is_right_padded_and_matches_single_runs(model: Any) -> None:
    prompts = ["When Mary and John went to the store", "The capital", "def f(x):\n    return x"]
    trace = model.run(prompts, capture=["resid_post", "pattern"])
    assert trace.tokens == [model.run(p).tokens for p in prompts]
    assert trace.attention_mask.sum(1).tolist() == trace.lengths
    for i, p in enumerate(prompts):
        single = model.run(p, capture=["resid_post", "pattern"])
        n = trace.lengths[i]
        torch.testing.assert_close(trace.logits[i, :n], single.logits[0], atol=1e-4, rtol=1e-4)
        last = model.cfg.n_layers - 1
        torch.testing.assert_close(trace["resid_post", last][i, :n], single["resid_post", last][0], atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(trace["pattern", 0][i, :, :n, :n], single["pattern", 0][0], atol=1e-5, rtol=1e-4)


def test_token_strings_are_what_the_tokenizer_produced(gpt2: Any) -> None:
    trace = gpt2.run("When Mary\n\tgave 🙂")
    assert "".join(trace.tokens) == "When Mary\n\tgave 🙂"
    assert trace.tokens[1] == " Mary"
    assert gpt2.to_str_tokens("When Mary") == ["When", " Mary"]
    bos = gpt2.run("When", prepend_bos=True)
    assert bos.tokens == ["<|endoftext|>", "When"]
    assert gpt2.run("When", prepend_bos=False).tokens == ["When"]


def test_partial_utf8_tokens_are_escaped_not_replacement_characters(gpt2: Any) -> None:
    # an emoji unseen in training splits into single-byte tokens: each must stay distinguishable
    tokens = gpt2.run("🦜").tokens
    assert len(tokens) > 1
    assert all("\ufffd" not in t for t in tokens)
    assert all(t.startswith("\\x") for t in tokens)
    assert len(set(tokens)) == len(tokens)
