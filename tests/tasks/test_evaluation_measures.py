"""Measures of the model card, through interplay's forward engine: per-head mean ablation (against
weight surgery), attention patterns (against Hugging Face's own) and in-context loss."""

from __future__ import annotations

import copy
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import interplay  # noqa: E402
from scripts.demo_model.evaluation import (  # noqa: E402
    in_context_loss,
    mean_ablation_effects,
    stacked_patterns,
)


def tiny_model(attn: str = "sdpa") -> Any:
    # vocab_size >= the test tokenizer's 398 tokens: load refuses a tokenizer of a larger vocabulary
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=512, n_positions=32, n_embd=32, n_layer=2, n_head=4, bos_token_id=0, eos_token_id=0
    )
    config._attn_implementation = attn
    return transformers.GPT2LMHeadModel(config).eval()


def wrap(hf: Any, tokenizer: Any) -> Any:
    """The interplay Model the evaluation runs (only ids go in: the tokenizer is not used)."""
    return interplay.load(hf, tokenizer)


def score(logits: Any) -> float:
    return float(logits[:, -1, :5].sum())


def test_effects_match_folding_the_mean_into_the_output_bias(tokenizer: Any) -> None:
    hf = tiny_model()
    model = wrap(hf, tokenizer)
    ids = torch.randint(0, 40, (3, 12), generator=torch.Generator().manual_seed(2))
    mask = torch.ones_like(ids)
    mask[0, 9:] = 0  # padding stays out of the mean
    base, effects = mean_ablation_effects(model, ids, mask, score)
    assert effects.shape == (2, 4)

    captured: dict[int, Any] = {}
    hooks = [
        block.attn.c_proj.register_forward_pre_hook(lambda _m, a, i=i: captured.__setitem__(i, a[0]))
        for i, block in enumerate(hf.transformer.h)
    ]
    with torch.no_grad():
        assert score(hf(input_ids=ids, attention_mask=mask).logits) == pytest.approx(base)
    for h in hooks:
        h.remove()
    for layer, head in [(0, 1), (1, 3)]:
        mean = captured[layer][mask.bool()].mean(0)[head * 8 : (head + 1) * 8]
        surgery = copy.deepcopy(hf)
        proj = surgery.transformer.h[layer].attn.c_proj  # Conv1D: y = x @ weight + bias
        with torch.no_grad():
            proj.bias += mean @ proj.weight[head * 8 : (head + 1) * 8]
            proj.weight[head * 8 : (head + 1) * 8] = 0.0
            ablated = score(surgery(input_ids=ids, attention_mask=mask).logits)
        assert effects[layer, head] == pytest.approx(ablated - base, abs=1e-4)


def test_a_raising_score_leaves_no_hooks_and_identical_outputs(tokenizer: Any) -> None:
    hf = tiny_model()
    model = wrap(hf, tokenizer)
    ids = torch.randint(0, 40, (2, 10), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        before = hf(input_ids=ids).logits
    calls = []

    def flaky(logits: Any) -> float:
        calls.append(1)
        if len(calls) == 3:  # the second ablation
            raise RuntimeError("metric failed")
        return score(logits)

    with pytest.raises(RuntimeError, match="metric failed"):
        mean_ablation_effects(model, ids, torch.ones_like(ids), flaky)
    assert all(not b.attn.c_proj._forward_pre_hooks for b in hf.transformer.h)
    with torch.no_grad():
        assert torch.equal(hf(input_ids=ids).logits, before)


def test_patterns_are_the_models_own_attention_weights(tokenizer: Any) -> None:
    hf = tiny_model("eager")
    rows = torch.randint(1, 40, (3, 9), generator=torch.Generator().manual_seed(5)).tolist()
    pattern = stacked_patterns(wrap(hf, tokenizer), rows)
    assert hf.config._attn_implementation == "eager"  # switched back after the capture
    with torch.no_grad():
        expected = torch.stack(hf(input_ids=torch.tensor(rows), output_attentions=True).attentions, 1)
    assert pattern.shape == (3, 2, 4, 9, 9)
    torch.testing.assert_close(pattern, expected, rtol=0, atol=1e-6)


def test_in_context_loss_with_other_words_in_front(tokenizer: Any) -> None:
    from types import SimpleNamespace

    hf = tiny_model()
    model = wrap(hf, tokenizer)
    period, bos = 6, 0
    gen = torch.Generator().manual_seed(4)
    firsts = [torch.randperm(39, generator=gen)[: 2 * period] + 1 for _ in range(3)]
    ds = SimpleNamespace(  # as interplay.tasks.induction builds it: corrupted = others + first[:-1]
        clean_ids=[[bos, *f[:period].tolist(), *f[: period - 1].tolist()] for f in firsts],
        corrupted_ids=[[bos, *f[period:].tolist(), *f[: period - 1].tolist()] for f in firsts],
        answer_ids=[int(f[period - 1]) for f in firsts],
    )
    for lead in (0, 4):
        got = in_context_loss(model, ds, lead=lead)  # type: ignore[arg-type]
        first, second = [], []
        for f in firsts:
            row = torch.tensor(
                [bos, *f[period : period + lead].tolist(), *f[:period].tolist(), *f[:period].tolist()]
            )
            with torch.no_grad():
                nll = torch.nn.functional.cross_entropy(
                    hf(input_ids=row[None]).logits[0, :-1].double(), row[1:], reduction="none"
                )
            first.append(nll[lead : lead + period].mean())
            second.append(nll[lead + period :].mean())
        assert got["first_half"] == pytest.approx(float(torch.stack(first).mean()), abs=1e-6)
        assert got["second_half"] == pytest.approx(float(torch.stack(second).mean()), abs=1e-6)
        assert got["drop"] == pytest.approx(got["first_half"] - got["second_half"])
    with pytest.raises(ValueError, match="lead must be between 0 and"):
        in_context_loss(model, ds, lead=period + 1)  # type: ignore[arg-type]
