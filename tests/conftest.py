"""Shared fixtures: a locally trained byte-level tokenizer and tiny random-weight models of every
supported architecture family, built from configs (no hub access)."""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

CORPUS = [
    "When Mary and John went to the store, John gave a drink to Mary.",
    "The capital of France is Paris. The quick brown fox jumps over the lazy dog.",
    "def f(x):\n    return x + 1\n\t# tab and newline",
    "Émile naïve café — “quotes” and emoji 🙂 ✓ 😀",
]


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    return build_tokenizer()


def build_tokenizer() -> Any:
    """A byte-level BPE tokenizer trained here in a second (GPT-2 style: leading-space tokens)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS * 20, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", pad_token="<pad>"
    )


FAMILIES = ["gpt2", "neox", "neox_sequential", "llama", "qwen2", "mistral", "gemma", "gemma2", "bert"]
CAUSAL_FAMILIES = [f for f in FAMILIES if f != "bert"]


def make_hf_model(family: str, vocab_size: int, seed: int = 0) -> Any:
    import torch
    import transformers as tf

    small = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 48,
             "max_position_embeddings": 64, "vocab_size": vocab_size, "bos_token_id": 0, "eos_token_id": 0,
             "pad_token_id": 1}
    if family == "gpt2":
        cfg = tf.GPT2Config(n_layer=2, n_head=4, n_embd=32, n_inner=48, n_positions=64, vocab_size=vocab_size,
                            bos_token_id=0, eos_token_id=0)
    elif family in ("neox", "neox_sequential"):
        cfg = tf.GPTNeoXConfig(**small, use_parallel_residual=family == "neox")
    elif family == "llama":
        cfg = tf.LlamaConfig(**small, num_key_value_heads=2)
    elif family == "qwen2":
        cfg = tf.Qwen2Config(**small, num_key_value_heads=2)
    elif family == "mistral":
        cfg = tf.MistralConfig(**small, num_key_value_heads=2)
    elif family == "gemma":
        cfg = tf.GemmaConfig(**small, num_key_value_heads=2, head_dim=8)
    elif family == "gemma2":
        cfg = tf.Gemma2Config(**small, num_key_value_heads=2, head_dim=8, final_logit_softcapping=30.0,
                              attn_logit_softcapping=50.0, sliding_window=16)
    elif family == "bert":
        cfg = tf.BertConfig(**{k: v for k, v in small.items() if k not in ("bos_token_id", "eos_token_id")})
    else:
        raise ValueError(family)
    torch.manual_seed(seed)
    auto = tf.AutoModelForMaskedLM if family == "bert" else tf.AutoModelForCausalLM
    return auto.from_config(cfg).eval()


_CACHE: dict[str, Any] = {}


@pytest.fixture(params=FAMILIES)
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def model(family: str, tokenizer: Any) -> Any:
    """An interplay.Model wrapping a tiny random model of ``family`` (cached per session)."""
    import interplay

    if family not in _CACHE:
        _CACHE[family] = interplay.load(make_hf_model(family, len(tokenizer)), tokenizer)
    return _CACHE[family]


@pytest.fixture
def gpt2(tokenizer: Any) -> Any:
    import interplay

    if "gpt2" not in _CACHE:
        _CACHE["gpt2"] = interplay.load(make_hf_model("gpt2", len(tokenizer)), tokenizer)
    return _CACHE["gpt2"]


def hook_counts(module: Any) -> int:
    """Forward hooks on ``module`` and its children, not counting transformers' own
    output-capturing hooks (which it installs, once and for good, the first time
    ``output_hidden_states``/``output_attentions`` is used)."""

    def ours(hooks: Any) -> int:
        return sum("output_capturing_hook" not in getattr(h, "__qualname__", "") for h in hooks.values())

    return sum(ours(m._forward_hooks) + ours(m._forward_pre_hooks) for m in module.modules())


@pytest.fixture(scope="session")
def demo_model() -> Any:
    """The bundled demo model (GPT-2, 4 layers, d_model 128), loaded once per test session."""
    import interplay

    if "demo" not in _CACHE:
        _CACHE["demo"] = interplay.load()
    return _CACHE["demo"]
