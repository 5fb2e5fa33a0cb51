"""Evaluate the demo model: the numbers of its model card, recomputed the same way by the tests.

Every forward pass goes through interplay's own engine, :meth:`interplay.Model.forward`: task
scores read its logits, head scores read the attention patterns it captures at ``("pattern", l)``,
and the per-head mean ablations replace one head's slice of ``("z", l)`` (the heads' outputs
before the output projection, [batch, pos, head, d_head]) through an intervention. So the card
measures the model exactly as the library's methods see it.

Needs torch and transformers (imported on first use: :func:`max_induction_score` and the
constants need neither). Everything runs on fixed, seeded, held-out evaluation sets of modest
size, so a full evaluation takes seconds on a CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from interplay.tasks import brackets, facts, induction, ioi
from interplay.tasks.dataset import DEMO_MODEL_DIR, TaskDataset

if TYPE_CHECKING:
    import torch

    from interplay.backend.model import Model

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
SHIFT = 10  # other random words put before the repeated sequence, for the shifted in-context loss


def load(model_dir: str | Path = DEMO_MODEL_DIR, *, device: str = "cpu") -> Model:
    """The model of ``model_dir`` through ``interplay.load``, as the card was measured.

    float32 with eager attention on the CPU by default (``interplay.load`` alone would pick bf16 on a
    GPU, which moves the card's numbers); its tokenizer is ``model.tokenizer``.
    """
    import interplay

    return interplay.load(model_dir, device=device, dtype="float32", attn_implementation="eager")


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


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded input ids and attention mask as torch tensors."""
    import torch

    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def _pad_id(model: Model) -> int:
    """The model's padding id (any id works: padded positions are masked and never scored)."""
    pad = getattr(model.hf_model.config, "pad_token_id", None)
    return 0 if pad is None else int(pad)


def logits(model: Model, rows: Sequence[Sequence[int]]) -> torch.Tensor:
    """[batch, pos, vocab] logits of right-padded token rows, one pass of the forward engine."""
    ids, mask = pad_batch(rows, _pad_id(model))
    out = model.forward(ids, mask).logits
    assert out is not None, "a causal LM gives logits"
    return out


def task_scores(model: Model, ds: TaskDataset) -> dict[str, float]:
    """Top-1 accuracy of the answer token and mean logit difference answer - wrong."""
    out = logits(model, ds.clean_ids)
    return {"n": len(ds), "accuracy": ds.accuracy(out), "logit_diff": float(ds.metric(out))}


def stacked_patterns(model: Model, rows: Sequence[Sequence[int]]) -> torch.Tensor:
    """Attention patterns [batch, layer, head, query, key] of equal-length rows.

    Captured at ``("pattern", layer)`` for every layer, the softmaxed weights of the family's own
    attention, in one forward pass.
    """
    import torch

    ids, mask = pad_batch(rows, _pad_id(model))
    wanted = [("pattern", layer) for layer in range(model.cfg.n_layers)]
    acts = model.forward(ids, mask, capture=wanted, keep_positions=[ids.shape[1] - 1]).activations
    return torch.stack([acts[name] for name in model.resolve(wanted)], dim=1)


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


def head_scores(model: Model, ds: TaskDataset) -> dict[str, list[list[float]]]:
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


def token_nll(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """[batch, seq - 1] next-token losses in float64: entry t - 1 is the loss of token t."""
    import torch

    logp = torch.log_softmax(logits[:, :-1].double(), -1)
    return -logp.gather(-1, ids[:, 1:, None].to(logp.device)).squeeze(-1)


def in_context_loss(model: Model, ds: TaskDataset, lead: int = 0) -> dict[str, float]:
    """Mean next-token loss on the first and on the repeated half of BOS + L words + L words.

    ``lead``: that many other random words go between BOS and the sequence (``repeated_rows``).
    Copying that matches the previous token keeps its drop when the sequence moves; looking back by
    position does not.
    """
    import torch

    ids = torch.tensor(repeated_rows(ds, lead))
    out = model.forward(ids).logits
    assert out is not None
    nll = token_nll(out, ids)
    period = (ids.shape[1] - 1 - lead) // 2
    first = float(nll[:, lead : lead + period].mean())
    second = float(nll[:, lead + period :].mean())
    return {"first_half": first, "second_half": second, "drop": first - second}


def mean_ablation_effects(
    model: Model, ids: torch.Tensor, mask: torch.Tensor, score: Callable[[torch.Tensor], float]
) -> tuple[float, NDArray[np.float64]]:
    """``score(logits)`` clean, and its change [layer, head] when one head's output is mean-ablated.

    A head's output is its slice of ``("z", layer)`` ([batch, pos, head, d_head], the input of the
    attention's output projection); its mean is over the real (``mask``) tokens of the batch, from
    the clean run, which captures z of every layer. Each ablated run replaces one head's slice with
    that mean through an intervention; the engine removes its hooks on every exit path.
    """
    import torch

    n_layers, n_heads = model.cfg.n_layers, model.cfg.n_heads
    z_names = model.resolve([("z", layer) for layer in range(n_layers)])
    clean = model.forward(ids, mask, capture=z_names)
    assert clean.logits is not None
    base = float(score(clean.logits))
    means = []
    for name in z_names:
        z = clean.activations[name]
        means.append(z[mask.to(device=z.device, dtype=torch.bool)].mean(0))  # [head, d_head]
    effects = np.zeros((n_layers, n_heads))
    for layer, name in enumerate(z_names):
        for head in range(n_heads):

            def ablate(z: torch.Tensor, _name: str, head: int = head, mean: Any = means[layer][head]) -> Any:
                z = z.clone()
                z[:, :, head] = mean
                return z

            out = model.forward(ids, mask, interventions=[(name, ablate)]).logits
            assert out is not None
            effects[layer, head] = score(out) - base
    return base, effects


def _important(effects: NDArray[np.float64], scale: float, sign: int) -> list[dict[str, Any]]:
    """Heads whose effect is at least ABLATION_THRESHOLD * scale, the largest (by sign * effect) first."""
    return [
        {"layer": int(lh[0]), "head": int(lh[1]), "effect": float(effects[lh])}
        for lh in sorted(np.ndindex(effects.shape), key=lambda lh: -sign * effects[lh])
        if abs(effects[lh]) >= ABLATION_THRESHOLD * abs(scale)
    ]


def ioi_head_ablation(model: Model, ds: TaskDataset) -> dict[str, Any]:
    """Mean-ablate each head's output on IOI prompts; the effect on the mean logit difference.

    The mean is over all real tokens of the IOI set; the effect of a head is the change in mean
    logit difference (ablated - clean): negative means the head helps the model name the IO.
    """
    ids, mask = pad_batch(ds.clean_ids, _pad_id(model))
    base, effects = mean_ablation_effects(model, ids, mask, lambda out: float(ds.metric(out)))
    return {
        "baseline_logit_diff": base,
        "effects": effects.tolist(),
        "important": _important(effects, base, sign=-1),
    }


def in_context_head_ablation(model: Model, ds: TaskDataset, drop: float) -> dict[str, Any]:
    """Mean-ablate each head's output on repeated random words; the effect on the repeated half's loss.

    Shows which heads the in-context loss drop rests on: induction heads in a model that has
    them; in one that has not, heads that found another way (for example first-layer heads that
    look back a fixed distance, or heads that rule out words already repeated). ``drop``: the
    in-context loss drop (``in_context_loss``), the scale for which heads matter.
    """
    import torch

    ids = torch.tensor(repeated_rows(ds))
    half = (ids.shape[1] - 1) // 2

    def second_half_loss(out: torch.Tensor) -> float:
        return float(token_nll(out, ids)[:, half:].mean())

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


def summarize(model: Model, sets: dict[str, TaskDataset]) -> dict[str, Any]:
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


def evaluate(model_dir: str | Path = DEMO_MODEL_DIR, *, device: str = "cpu") -> dict[str, Any]:
    """Every number of the model card, as a JSON-able dict."""
    model = load(model_dir, device=device)
    sets = eval_sets(model.tokenizer)
    measured = summarize(model, sets)
    tasks, scores, icl, summary = (
        measured[k] for k in ("tasks", "head_scores", "in_context_loss", "summary")
    )
    cfg = model.cfg
    return {
        "config": {
            "n_layer": cfg.n_layers,
            "n_head": cfg.n_heads,
            "n_embd": cfg.d_model,
            "n_positions": cfg.n_ctx,
            "vocab_size": cfg.d_vocab,
            "parameters": sum(p.numel() for p in model.hf_model.parameters()),
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
