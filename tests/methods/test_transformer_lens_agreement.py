"""Agreement with TransformerLens (TransformerBridge, offline, on the same GPT-2 weights)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from tests.conftest import make_hf_model

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.fixture(scope="module")
def pair(tokenizer: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    pytest.importorskip("transformer_lens")
    from transformer_lens.model_bridge import TransformerBridge
    from transformers import AutoTokenizer

    path: Path = tmp_path_factory.mktemp("gpt2")
    hf = make_hf_model("gpt2", len(tokenizer), seed=3)
    hf.save_pretrained(path)
    tokenizer.save_pretrained(path)
    ours = interplay.load(path, device="cpu")
    bridge = TransformerBridge.boot_transformers(str(path), hf_model=make_hf_model("gpt2", len(tokenizer), seed=3),
                                                 tokenizer=AutoTokenizer.from_pretrained(path), device="cpu")
    bridge.enable_compatibility_mode()
    return ours, bridge


def test_patterns_agree(pair: tuple[Any, Any]) -> None:
    ours, bridge = pair
    trace = ours.run(PROMPT, capture="pattern")
    logits, cache = bridge.run_with_cache(trace.token_ids)
    # compatibility mode centres the unembedding: logits agree up to a constant per position
    torch.testing.assert_close(logits.log_softmax(-1), trace.logits.log_softmax(-1), atol=1e-5, rtol=1e-5)
    for layer in range(ours.cfg.n_layers):
        torch.testing.assert_close(trace["pattern", layer], cache["pattern", layer], atol=1e-6, rtol=1e-5)


def test_direct_logit_attribution_agrees(pair: tuple[Any, Any]) -> None:
    ours, bridge = pair
    res = interplay.direct_logit_attribution(ours, PROMPT, target=" Mary", baseline=" John")
    ids = ours.run(PROMPT).token_ids
    _, cache = bridge.run_with_cache(ids)
    mary, john = (ours.tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in (" Mary", " John"))
    stack = cache.stack_head_results(layer=-1, pos_slice=-1, apply_ln=True)  # [heads, batch, d_model]
    direction = bridge.W_U[:, mary] - bridge.W_U[:, john]
    theirs = (stack[:, 0] @ direction).detach().numpy().reshape(res.heads.shape)
    np.testing.assert_allclose(res.heads, theirs, rtol=1e-4, atol=1e-5)
