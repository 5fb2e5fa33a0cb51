"""Train interplay's bundled demo model: a small GPT-2 on a mixture of interpretability tasks.

    .venv/bin/python scripts/train_demo_model.py                  # full run, writes the assets
    .venv/bin/python scripts/train_demo_model.py --steps 5 --out /tmp/m   # smoke test
    .venv/bin/python scripts/train_demo_model.py --schedule s.json --eval-every 500 --out /tmp/m

Deterministic from --seed (and --threads): the tokenizer, the data order and the weights. Builds a
byte-level BPE tokenizer on the generated corpus (every task word is one token with a leading
space, " Mary"; the post-processor prepends <|bos|>), then trains a GPT2LMHeadModel with tied
embeddings through the phases of ``interplay.tasks.corpus.SCHEDULE`` (training splits only; a
JSON file given to --schedule replaces it, for experiments). --eval-every logs the model card's
numbers during training (per layer for the head scores), which shows when a circuit forms.
Writes config.json, model.safetensors, tokenizer.json, tokenizer_config.json and training.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from interplay.tasks import corpus, evaluation  # noqa: E402
from interplay.tasks.dataset import DEMO_MODEL_DIR  # noqa: E402

BOS, EOS, PAD = "<|bos|>", "<|eos|>", "<|pad|>"


def build_tokenizer(seed: int, vocab_size: int):  # type: ignore[no-untyped-def]
    """Byte-level BPE trained on the task corpus; BOS prepended by the post-processor."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS, EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tok.train_from_iterator(corpus.tokenizer_corpus(seed), trainer)
    bos_id = tok.token_to_id(BOS)
    tok.post_processor = processors.Sequence(
        [
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)]
            ),
        ]
    )
    return tok


def length_bucketed(rows: list[list[int]], batch_size: int, seed: int, chunk: int = 64) -> list[list[int]]:
    """Rows reordered so each batch holds rows of similar length (less padding), batches shuffled.

    Sorts within chunks of ``chunk`` batches, so the task mixture stays even over training.
    """
    import random

    batches: list[list[list[int]]] = []
    size = batch_size * chunk
    for start in range(0, len(rows), size):
        part = sorted(rows[start : start + size], key=len)
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    random.Random(seed).shuffle(batches)
    return [row for batch in batches for row in batch]


def lr_at(step: int, steps: int, base: float, warmup: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def log_eval(model: Any, sets: dict[str, Any], step: int) -> None:
    """One line of the card's numbers, per layer for the head scores, then back to training."""
    import numpy as np

    model.eval()
    model.set_attn_implementation("eager")
    m = evaluation.summarize(model, sets)
    model.set_attn_implementation("sdpa")
    model.train()
    s, h = m["summary"], m["head_scores"]
    per_layer = {
        k: " ".join(f"{v:.2f}" for v in np.max(h[k], axis=1)) for k in ("previous_token", "induction")
    }
    print(
        f"eval {step}: ioi {s['ioi_accuracy']:.3f} ({s['ioi_logit_diff']:.2f}) facts {s['facts_accuracy']:.3f} "
        f"icl drop {s['in_context_loss_drop']:.2f} | prev by layer {per_layer['previous_token']} "
        f"| induction by layer {per_layer['induction']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=DEMO_MODEL_DIR)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument(
        "--schedule",
        type=Path,
        help="JSON list of phases overriding corpus.SCHEDULE: "
        '[{"name": ..., "share": fraction of --steps or null for the rest, "mixture": {task: share}}]',
    )
    p.add_argument("--eval-every", type=int, default=0, help="log the model card's summary every N steps")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=150)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--n-positions", type=int, default=128)
    p.add_argument("--vocab-size", type=int, default=2048)
    p.add_argument("--embed-init-std", type=float, default=0.1)
    # Two threads on an otherwise idle 2-core machine. On a busy one, use --threads 1: two OpenMP
    # threads competing with another process ran 35x slower than one (3.5 s vs 0.1 s per step).
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=100)
    args = p.parse_args(argv)

    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    start = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)

    tok = build_tokenizer(args.seed, args.vocab_size)
    pad_id = tok.token_to_id(PAD)
    schedule = corpus.SCHEDULE if args.schedule is None else json.loads(args.schedule.read_text())
    steps = corpus.phase_steps(schedule, args.steps)
    phases = [
        corpus.training_rows(
            n * args.batch_size,
            args.seed,
            mixture=phase["mixture"],
            tag="" if phase["share"] is None else f"/{phase['name']}",
            max_induction_len=phase.get("max_induction_len", 20),
            max_induction_lead=phase.get("max_induction_lead", 0),
            echo_random_phase=phase.get("echo_random_phase", False),
            echo_without_names=phase.get("echo_without_names", False),
        )
        for phase, n in zip(schedule, steps, strict=True)
    ]
    rows = [row for phase in phases for row in phase]
    encoded = [
        ids
        for phase in phases
        for ids in length_bucketed(
            [e.ids[: args.n_positions] for e in tok.encode_batch([text for _, text in phase])],
            args.batch_size,
            args.seed,
        )
    ]
    print(
        f"tokenizer: {tok.get_vocab_size()} tokens; {len(rows)} rows, "
        f"{sum(map(len, encoded))} tokens ({time.perf_counter() - start:.1f}s)",
        flush=True,
    )

    config = GPT2Config(
        vocab_size=tok.get_vocab_size(),
        n_positions=args.n_positions,
        n_embd=args.d_model,
        n_layer=args.layers,
        n_head=args.heads,
        n_inner=4 * args.d_model,
        activation_function="gelu_new",
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=tok.token_to_id(BOS),
        eos_token_id=tok.token_to_id(EOS),
        pad_token_id=pad_id,
        tie_word_embeddings=True,
    )
    model = GPT2LMHeadModel(config)
    with torch.no_grad():
        # Token and position embeddings larger than GPT-2's 0.02 (tokens are tied, so this is also
        # the unembedding): at d=128 the default left copying and previous-token attention (and so
        # induction) stuck on a plateau far beyond the training budget.
        model.transformer.wte.weight.normal_(0.0, args.embed_init_std)
        model.transformer.wpe.weight.normal_(0.0, args.embed_init_std)
    model.train()
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.98),
    )
    losses: list[float] = []
    eval_sets = evaluation.eval_sets(tok) if args.eval_every else {}
    eval_seconds = 0.0  # logging evaluations, kept out of the reported training time
    for step in range(args.steps):
        if args.eval_every and step % args.eval_every == 0 and step:
            t = time.perf_counter()
            log_eval(model, eval_sets, step)
            eval_seconds += time.perf_counter() - t
        batch = encoded[step * args.batch_size : (step + 1) * args.batch_size]
        width = max(map(len, batch))
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        for i, row in enumerate(batch):
            ids[i, : len(row)] = torch.tensor(row)
        labels = ids.masked_fill(ids == pad_id, -100)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        loss = model(input_ids=ids, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        if (step + 1) % args.log_every == 0 or step + 1 == args.steps:
            recent = sum(losses[-args.log_every :]) / len(losses[-args.log_every :])
            print(
                f"step {step + 1}/{args.steps} loss {recent:.3f} ({time.perf_counter() - start:.0f}s)",
                flush=True,
            )

    wall = time.perf_counter() - start - eval_seconds
    if args.eval_every:
        log_eval(model, eval_sets, args.steps)
    args.out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(args.out)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD, model_max_length=args.n_positions
    )
    fast.save_pretrained(args.out)
    info: dict[str, object] = {
        "seed": args.seed,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "rows": len(rows),
        "tokens": sum(map(len, encoded)),
        "schedule": [{**phase, "steps": n} for phase, n in zip(schedule, steps, strict=True)],
        "final_loss": sum(losses[-100:]) / len(losses[-100:]),
        "wall_time_s": round(wall, 1),
        "threads": args.threads,
        "embed_init_std": args.embed_init_std,
        "torch": torch.__version__,
    }
    (args.out / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {args.out} in {wall:.0f}s", flush=True)
    return info


if __name__ == "__main__":
    main()
