"""The backend on CUDA in bf16 (the default dtype there). Skipped where no CUDA device exists."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

from tests.conftest import hook_counts, make_hf_model  # noqa: E402

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.mark.parametrize("family", ["gpt2", "neox", "llama", "gemma2", "bert"])
def test_capture_and_cleanup_on_cuda_bf16(family: str, tokenizer: Any) -> None:
    import interplay

    model = interplay.load(make_hf_model(family, len(tokenizer)), tokenizer, device="cuda", dtype=torch.bfloat16)
    assert model.device.type == "cuda" and model.dtype == torch.bfloat16
    base = model.run(PROMPT).logits
    trace = model.run(PROMPT, capture="all")
    assert trace.logits.device.type == "cuda"
    for layer in range(model.cfg.n_layers):
        rows = trace["pattern", layer].float().sum(-1)
        torch.testing.assert_close(rows, torch.ones_like(rows), atol=2e-2, rtol=0)
    before = hook_counts(model.hf_model)

    def boom(a: Any, name: str) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        model.run(PROMPT, interventions=[(("pattern", 0), boom)])
    assert hook_counts(model.hf_model) == before
    assert torch.equal(model.run(PROMPT).logits, base)


def test_default_device_is_cuda_and_dtype_bf16(tokenizer: Any, tmp_path: Any) -> None:
    import interplay

    make_hf_model("gpt2", len(tokenizer)).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model = interplay.load(tmp_path)
    assert model.device.type == "cuda" and model.dtype == torch.bfloat16
