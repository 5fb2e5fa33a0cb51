"""Patching agrees with TransformerLens's patching functions on the same GPT-2 weights (offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from tests.conftest import make_hf_model

CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "When John and Mary went to the store, Mary gave a drink to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "When John and Mary went to the store, John gave a drink to"]


@pytest.fixture(scope="module")
def setup(tokenizer: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Any]:
    pytest.importorskip("transformer_lens")
    from transformer_lens.model_bridge import TransformerBridge
    from transformers import AutoTokenizer

    path: Path = tmp_path_factory.mktemp("gpt2_patching")
    hf = make_hf_model("gpt2", len(tokenizer), seed=5)
    hf.save_pretrained(path)
    tokenizer.save_pretrained(path)
    ours = interplay.load(path, device="cpu")
    bridge = TransformerBridge.boot_transformers(str(path), hf_model=make_hf_model("gpt2", len(tokenizer), seed=5),
                                                 tokenizer=AutoTokenizer.from_pretrained(path), device="cpu")
    bridge.enable_compatibility_mode()
    mary, john = (ours.tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in (" Mary", " John"))
    answers = torch.tensor([[mary, john], [john, mary]])
    return ours, bridge, answers


def _theirs(setup: tuple[Any, Any, Any], fn_name: str) -> np.ndarray:
    import transformer_lens.patching as tlp

    ours, bridge, answers = setup
    clean_ids = ours.tokenize(CLEAN).token_ids
    corrupted_ids = ours.tokenize(CORRUPTED).token_ids
    _, cache = bridge.run_with_cache(clean_ids)

    def metric(logits: torch.Tensor) -> torch.Tensor:  # compat mode centres the unembedding: differences agree
        last = logits[:, -1]
        return (last.gather(1, answers[:, :1]) - last.gather(1, answers[:, 1:])).mean()

    out = getattr(tlp, fn_name)(bridge, corrupted_ids, cache, metric)
    return out.detach().numpy()  # type: ignore[no-any-return]


@pytest.mark.parametrize(("fn_name", "component", "by", "transpose"), [
    ("get_act_patch_resid_pre", "resid_pre", "layer_pos", False),
    ("get_act_patch_attn_out", "attn_out", "layer_pos", False),
    ("get_act_patch_mlp_out", "mlp_out", "layer_pos", False),
    ("get_act_patch_attn_head_out_all_pos", "z", "layer_head", False),
    ("get_act_patch_attn_head_out_by_pos", "z", "layer_head_pos", True),
    ("get_act_patch_attn_head_v_all_pos", "v", "layer_head", False),
    ("get_act_patch_attn_head_pattern_all_pos", "pattern", "layer_head", False),
])
def test_agrees_with_transformer_lens(setup: tuple[Any, Any, Any], fn_name: str, component: str, by: str,
                                      transpose: bool) -> None:
    ours = setup[0]
    metric = interplay.logit_diff([" Mary", " John"], [" John", " Mary"])
    r = interplay.patch(ours, CLEAN, CORRUPTED, metric=metric, component=component, by=by, progress=False)
    theirs = _theirs(setup, fn_name)
    if transpose:  # TransformerLens: [layer, pos, head]; ours: [layer, head, pos]
        theirs = theirs.transpose(0, 2, 1)
    np.testing.assert_allclose(r.raw, theirs, atol=2e-5, rtol=1e-4)
