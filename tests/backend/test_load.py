"""Loading by path (the same code that loads hub names), by object, and the import contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import interplay
from tests.conftest import make_hf_model


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert"])
def test_load_from_a_saved_directory(family: str, tokenizer: Any, tmp_path: Path) -> None:
    hf = make_hf_model(family, len(tokenizer))
    hf.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model = interplay.load(tmp_path, device="cpu")
    assert model.device.type == "cpu" and model.dtype == torch.float32
    trace = model.run("When Mary and John went")
    ref = hf(input_ids=trace.token_ids, attention_mask=trace.attention_mask).logits
    torch.testing.assert_close(trace.logits, ref)
    assert model.cfg.model_type == hf.config.model_type


def test_load_with_dtype(tokenizer: Any, tmp_path: Path) -> None:
    make_hf_model("gpt2", len(tokenizer)).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model = interplay.load(str(tmp_path), dtype="bfloat16", device="cpu")
    assert model.dtype == torch.bfloat16
    assert model.run("When Mary", capture="pattern").logits.dtype == torch.bfloat16


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(interplay.InterplayError, match=r"model=.*nope' does not exist \(it is a local path, not a hub name\)"):
        interplay.load(tmp_path / "nope")


def test_import_does_not_import_torch() -> None:
    code = (
        "import sys, interplay\n"
        "assert 'torch' not in sys.modules, 'import interplay imported torch'\n"
        "interplay.TokenHeatmap\n"
        "interplay.tasks\n"
        "assert 'torch' not in sys.modules, 'the widget layer imported torch'\n"
        "assert 'transformers' not in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_device_map_passes_through_to_accelerate(tokenizer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("accelerate")
    import transformers

    make_hf_model("llama", len(tokenizer)).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    seen: dict[str, Any] = {}
    original = transformers.AutoModelForCausalLM.from_pretrained

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", spy)
    model = interplay.load(tmp_path, device_map={"": "cpu"})
    assert seen["device_map"] == {"": "cpu"}
    assert model.device.type == "cpu"
    assert model.run("When Mary", capture="pattern").logits.shape[-1] == len(tokenizer)
