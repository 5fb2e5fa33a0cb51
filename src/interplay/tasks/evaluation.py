"""Evaluate the demo model: the numbers of its model card, recomputed the same way by the tests.

Needs torch and transformers (imported inside functions). Everything runs on fixed, seeded,
held-out evaluation sets of modest size, so a full evaluation takes seconds on a CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from interplay.tasks import brackets, facts, induction, ioi
from interplay.tasks.dataset import DEMO_MODEL_DIR, TaskDataset

EVAL_SEED = 1234
INDUCTION_LEN = 20
# What the bundled model must reach (the acceptance thresholds).
THRESHOLDS = {
    "ioi_accuracy": 0.95,
    "ioi_logit_diff": 2.0,
    "max_induction_score": 0.5,
    "max_previous_token_score": 0.5,
    "in_context_loss_drop": 2.0,
    "facts_accuracy": 0.90,
}
# A head "matters" if mean-ablating it moves the IOI logit difference by 5% of its baseline, or the
# repeated half's loss by 5% of the in-context loss drop.
ABLATION_THRESHOLD = 0.05


def load(model_dir: str | Path = DEMO_MODEL_DIR) -> tuple[Any, Any]:
    """(GPT2LMHeadModel in eval mode with eager attention, tokenizers.Tokenizer) from a directory."""
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM

    model: Any = AutoModelForCausalLM.from_pretrained(str(model_dir), attn_implementation="eager")
    model.eval()
    return model, Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))


def eval_sets(tokenizer: Any) -> dict[str, TaskDataset]:
    """The fixed held-out evaluation sets (plus IOI on training names/templates for contrast)."""
    return {
        "ioi": ioi(200, seed=EVAL_SEED, split="test", tokenizer=tokenizer),
        "ioi (train split)": ioi(200, seed=EVAL_SEED, split="train", tokenizer=tokenizer),
        "facts": facts(360, seed=EVAL_SEED, split="test", tokenizer=tokenizer),
        "induction (random)": induction(
            100, seq_len=INDUCTION_LEN, seed=EVAL_SEED, split="test", tokenizer=tokenizer
        ),
        "induction (sentence)": induction(
            100, seed=EVAL_SEED, split="test", kind="sentence", tokenizer=tokenizer
        ),
        "brackets": brackets(200, seed=EVAL_SEED, split="test", tokenizer=tokenizer),
    }


def pad_batch(rows: list[list[int]], pad_id: int) -> tuple[Any, Any]:
    """Right-padded input ids and attention mask as torch tensors."""
    import torch

    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def forward(model: Any, rows: list[list[int]], attentions: bool = False) -> Any:
    import torch

    ids, mask = pad_batch(rows, model.config.pad_token_id)
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask, output_attentions=attentions)


def task_scores(model: Any, ds: TaskDataset) -> dict[str, float]:
    """Top-1 accuracy of the answer token and mean logit difference answer - wrong."""
    logits = forward(model, ds.clean_ids).logits
    return {"n": len(ds), "accuracy": ds.accuracy(logits), "logit_diff": float(ds.metric(logits))}


def stacked_patterns(model: Any, rows: list[list[int]]) -> Any:
    """Attention patterns [batch, layer, head, query, key] of equal-length rows."""
    import torch

    out = forward(model, rows, attentions=True)
    if not out.attentions:
        raise RuntimeError("the model returned no attentions: load it with attn_implementation='eager'")
    return torch.stack(out.attentions, dim=1)


def head_scores(model: Any, ds: TaskDataset) -> dict[str, list[list[float]]]:
    """Previous-token, induction and duplicate-token scores of every head on repeated sequences.

    ``ds`` is the random-token induction set: clean + answer is BOS + L words + the same L words.
    """
    from interplay.methods.head_scores import duplicate_token_score, induction_score, previous_token_score

    rows = repeated_rows(ds)
    pattern = stacked_patterns(model, rows)
    period = (len(rows[0]) - 1) // 2
    return {
        "previous_token": previous_token_score(pattern).tolist(),
        "induction": induction_score(pattern, period).tolist(),
        "duplicate_token": duplicate_token_score(pattern, period).tolist(),
    }


SHIFT = 10  # other random words put before the repeated sequence, for the shifted in-context loss


def token_nll(logits: Any, ids: Any) -> Any:
    """[batch, seq - 1] next-token losses in float64: entry t - 1 is the loss of token t."""
    import torch

    logp = torch.log_softmax(logits[:, :-1].double(), -1)
    return -logp.gather(-1, ids[:, 1:, None]).squeeze(-1)


def repeated_rows(ds: TaskDataset, lead: int = 0) -> list[list[int]]:
    """BOS + ``lead`` other words + L words + the same L words, from the random-word induction set.

    The other words are the start of each corrupted prompt's first copy, which shares no word with
    the clean one.
    """
    if not 0 <= lead <= len(ds.corrupted_ids[0]) // 2:
        raise ValueError(f"lead must be between 0 and half the sequence length, got {lead}")
    return [
        [c[0], *w[1 : 1 + lead], *c[1:], a]
        for c, w, a in zip(ds.clean_ids, ds.corrupted_ids, ds.answer_ids, strict=True)
    ]


def in_context_loss(model: Any, ds: TaskDataset, lead: int = 0) -> dict[str, float]:
    """Mean next-token loss on the first and on the repeated half of BOS + L words + L words.

    ``lead``: that many other random words go between BOS and the sequence (``repeated_rows``).
    Copying that matches the previous token keeps its drop when the sequence moves; looking back by
    position does not.
    """
    import torch

    ids = torch.tensor(repeated_rows(ds, lead))
    with torch.no_grad():
        nll = token_nll(model(input_ids=ids).logits, ids)
    period = (ids.shape[1] - 1 - lead) // 2
    first = float(nll[:, lead : lead + period].mean())
    second = float(nll[:, lead + period :].mean())
    return {"first_half": first, "second_half": second, "drop": first - second}


def mean_ablation_effects(
    model: Any, ids: Any, mask: Any, score: Callable[[Any], float]
) -> tuple[float, NDArray[np.float64]]:
    """``score(logits)`` clean, and its change [layer, head] when one head's output is mean-ablated.

    A head's output is its slice of the input to ``attn.c_proj``; its mean is over the real
    (``mask``) tokens of the batch, from the clean run. Every hook is removed, even on errors.
    """
    import torch

    cfg = model.config
    d_head = cfg.n_embd // cfg.n_head
    blocks = model.transformer.h
    captured: list[Any] = [None] * cfg.n_layer

    def capture(layer: int) -> Any:
        def hook(_module: Any, args: tuple[Any, ...]) -> None:
            captured[layer] = args[0].detach()

        return hook

    def run() -> float:
        with torch.no_grad():
            return float(score(model(input_ids=ids, attention_mask=mask).logits))

    handles = [
        blocks[layer].attn.c_proj.register_forward_pre_hook(capture(layer)) for layer in range(cfg.n_layer)
    ]
    try:
        base = run()
    finally:
        for h in handles:
            h.remove()
    real = mask.bool()
    means = [captured[layer][real].mean(0) for layer in range(cfg.n_layer)]
    effects = np.zeros((cfg.n_layer, cfg.n_head))
    for layer in range(cfg.n_layer):
        for head in range(cfg.n_head):
            sl = slice(head * d_head, (head + 1) * d_head)

            def ablate(
                _module: Any, args: tuple[Any, ...], layer: int = layer, sl: slice = sl
            ) -> tuple[Any, ...]:
                x = args[0].clone()
                x[..., sl] = means[layer][sl]
                return (x, *args[1:])

            handle = blocks[layer].attn.c_proj.register_forward_pre_hook(ablate)
            try:
                effects[layer, head] = run() - base
            finally:
                handle.remove()
    return base, effects


def _important(effects: NDArray[np.float64], scale: float, sign: int) -> list[dict[str, Any]]:
    """Heads whose effect is at least ABLATION_THRESHOLD * scale, the largest (by sign * effect) first."""
    return [
        {"layer": int(lh[0]), "head": int(lh[1]), "effect": float(effects[lh])}
        for lh in sorted(np.ndindex(effects.shape), key=lambda lh: -sign * effects[lh])
        if abs(effects[lh]) >= ABLATION_THRESHOLD * abs(scale)
    ]


def ioi_head_ablation(model: Any, ds: TaskDataset) -> dict[str, Any]:
    """Mean-ablate each head's output on IOI prompts; the effect on the mean logit difference.

    The mean is over all real tokens of the IOI set; the effect of a head is the change in mean
    logit difference (ablated - clean): negative means the head helps the model name the IO.
    """
    ids, mask = pad_batch(ds.clean_ids, model.config.pad_token_id)
    base, effects = mean_ablation_effects(model, ids, mask, lambda logits: float(ds.metric(logits)))
    return {
        "baseline_logit_diff": base,
        "effects": effects.tolist(),
        "important": _important(effects, base, sign=-1),
    }


def in_context_head_ablation(model: Any, ds: TaskDataset, drop: float) -> dict[str, Any]:
    """Mean-ablate each head's output on repeated random words; the effect on the repeated half's loss.

    Shows which heads the in-context loss drop rests on: induction heads in a model that has
    them; in one that has not, heads that found another way (for example first-layer heads that
    look back a fixed distance, or heads that rule out words already repeated). ``drop``: the
    in-context loss drop (``in_context_loss``), the scale for which heads matter.
    """
    import torch

    ids = torch.tensor(repeated_rows(ds))
    half = (ids.shape[1] - 1) // 2

    def second_half_loss(logits: Any) -> float:
        return float(token_nll(logits, ids)[:, half:].mean())

    base, effects = mean_ablation_effects(model, ids, torch.ones_like(ids), second_half_loss)
    return {
        "baseline_second_half_loss": base,
        "effects": effects.tolist(),
        "important": _important(effects, drop, sign=1),
    }


def max_induction_score(induction: Any) -> float:
    """Best induction score of a head after the first layer.

    A first-layer head cannot be an induction head: it sees only token and position embeddings, so
    it has no "the token before was A" to match. It can still score high on the evaluation
    sequences by looking back a fixed distance that matches their period (training on one repeat
    length grows exactly that); such a head is a positional shortcut and does not count.
    """
    return float(np.max(composable_induction_scores(induction)))


def composable_induction_scores(induction: Any) -> NDArray[np.float64]:
    """Induction scores [layer, head] with the first layer's set to 0 (see max_induction_score)."""
    scores = np.array(induction, dtype=np.float64)
    scores[0] = 0.0
    return scores


def summarize(model: Any, sets: dict[str, TaskDataset]) -> dict[str, Any]:
    """Task scores, head scores, in-context loss and the threshold summary (no ablation).

    Cheap enough (a second on a CPU) for the training script to log it during training.
    """
    tasks = {name: task_scores(model, ds) for name, ds in sets.items()}
    scores = head_scores(model, sets["induction (random)"])
    icl: dict[str, Any] = dict(in_context_loss(model, sets["induction (random)"]))
    icl[f"after_{SHIFT}_other_words"] = in_context_loss(model, sets["induction (random)"], lead=SHIFT)
    summary = {
        "ioi_accuracy": tasks["ioi"]["accuracy"],
        "ioi_logit_diff": tasks["ioi"]["logit_diff"],
        "max_induction_score": max_induction_score(scores["induction"]),
        "max_previous_token_score": float(np.max(scores["previous_token"])),
        "in_context_loss_drop": icl["drop"],
        "facts_accuracy": tasks["facts"]["accuracy"],
    }
    return {"tasks": tasks, "head_scores": scores, "in_context_loss": icl, "summary": summary}


def evaluate(model_dir: str | Path = DEMO_MODEL_DIR) -> dict[str, Any]:
    """Every number of the model card, as a JSON-able dict."""
    model, tok = load(model_dir)
    sets = eval_sets(tok)
    measured = summarize(model, sets)
    tasks, scores, icl, summary = (
        measured[k] for k in ("tasks", "head_scores", "in_context_loss", "summary")
    )
    cfg = model.config
    return {
        "config": {
            "n_layer": cfg.n_layer,
            "n_head": cfg.n_head,
            "n_embd": cfg.n_embd,
            "n_positions": cfg.n_positions,
            "vocab_size": cfg.vocab_size,
            "parameters": sum(p.numel() for p in model.parameters()),
        },
        "tasks": tasks,
        "head_scores": scores,
        "in_context_loss": icl,
        "ioi_ablation": ioi_head_ablation(model, sets["ioi"]),
        "in_context_ablation": in_context_head_ablation(
            model, sets["induction (random)"], summary["in_context_loss_drop"]
        ),
        "summary": summary,
        "thresholds": THRESHOLDS,
        "passed": {k: summary[k] >= v for k, v in THRESHOLDS.items()},
    }


def model_files(model_dir: str | Path = DEMO_MODEL_DIR) -> dict[str, int]:
    """Sizes in bytes of the model directory's files, except the card itself."""
    skip = {"card.json", "MODEL_CARD.md"}
    return {
        p.name: p.stat().st_size
        for p in sorted(Path(model_dir).iterdir())
        if p.is_file() and p.name not in skip
    }
