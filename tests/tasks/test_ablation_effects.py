"""Per-head mean ablation of the model card (IOI and in-context loss), against weight surgery."""

from __future__ import annotations

import copy
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from interplay.tasks.evaluation import mean_ablation_effects  # noqa: E402


def tiny_model() -> Any:
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=40, n_positions=32, n_embd=32, n_layer=2, n_head=4, bos_token_id=0, eos_token_id=0
    )
    return transformers.GPT2LMHeadModel(config).eval()


def score(logits: Any) -> float:
    return float(logits[:, -1, :5].sum())


def test_effects_match_folding_the_mean_into_the_output_bias() -> None:
    model = tiny_model()
    ids = torch.randint(0, 40, (3, 12), generator=torch.Generator().manual_seed(2))
    mask = torch.ones_like(ids)
    mask[0, 9:] = 0  # padding stays out of the mean
    base, effects = mean_ablation_effects(model, ids, mask, score)
    assert effects.shape == (2, 4)

    captured: dict[int, Any] = {}
    hooks = [
        block.attn.c_proj.register_forward_pre_hook(lambda _m, a, i=i: captured.__setitem__(i, a[0]))
        for i, block in enumerate(model.transformer.h)
    ]
    with torch.no_grad():
        assert score(model(input_ids=ids, attention_mask=mask).logits) == pytest.approx(base)
    for h in hooks:
        h.remove()
    for layer, head in [(0, 1), (1, 3)]:
        mean = captured[layer][mask.bool()].mean(0)[head * 8 : (head + 1) * 8]
        surgery = copy.deepcopy(model)
        proj = surgery.transformer.h[layer].attn.c_proj  # Conv1D: y = x @ weight + bias
        with torch.no_grad():
            proj.bias += mean @ proj.weight[head * 8 : (head + 1) * 8]
            proj.weight[head * 8 : (head + 1) * 8] = 0.0
            ablated = score(surgery(input_ids=ids, attention_mask=mask).logits)
        assert effects[layer, head] == pytest.approx(ablated - base, abs=1e-4)


def test_a_raising_score_leaves_no_hooks_and_identical_outputs() -> None:
    model = tiny_model()
    ids = torch.randint(0, 40, (2, 10), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        before = model(input_ids=ids).logits
    calls = []

    def flaky(logits: Any) -> float:
        calls.append(1)
        if len(calls) == 3:  # the second ablation
            raise RuntimeError("metric failed")
        return score(logits)

    with pytest.raises(RuntimeError, match="metric failed"):
        mean_ablation_effects(model, ids, torch.ones_like(ids), flaky)
    assert all(not b.attn.c_proj._forward_pre_hooks for b in model.transformer.h)
    with torch.no_grad():
        assert torch.equal(model(input_ids=ids).logits, before)
