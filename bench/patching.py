"""Benchmark: activation-patching sweeps, ours vs TransformerLens's patching functions, same run.

A 12-layer GPT-2-shaped model (d_model 768, 12 heads by default) with random weights and a small
locally trained tokenizer, saved to a temporary directory so TransformerLens (TransformerBridge,
compatibility mode, offline) loads the same weights. Two IOI-style clean/corrupted prompt pairs.
Sweeps: the full ``resid_pre`` layer x position sweep and the all-heads (``z``, layer x head, all
positions) sweep. Ours batches many patched runs per forward pass; TransformerLens runs one forward
per cell; both go through their model's forward pass (ours: ``Model.forward``, the one forward
engine). Goal: ours <= 0.40x TransformerLens's time measured in the same run (``--goal``), same
values. Also: attribution patching (2 forward passes + 1 backward) vs the exact sweep.

Run from the repository root: ``python bench/patching.py [--layers 12] [--d-model 768] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
import transformers as tf

import interplay
from tests.conftest import build_tokenizer

CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "When John and Mary went to the store, Mary gave a drink to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "When John and Mary went to the store, John gave a drink to"]


def interleaved(fns: list[Callable[[], Any]], repeats: int) -> list[tuple[float, Any]]:
    """Best time and last output of each function, run in turn (so load drift hits all alike; the
    minimum is the least disturbed by other processes on a shared machine)."""
    outs = [fn() for fn in fns]  # warm-up
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            outs[i] = fn()
            times[i].append(time.perf_counter() - t)
    return [(min(t), o) for t, o in zip(times, outs, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--d-model", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--goal", type=float, default=0.40, help="the largest acceptable ours / TransformerLens ratio")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import transformer_lens.patching as tlp
    from transformer_lens.model_bridge import TransformerBridge

    tok = build_tokenizer()
    cfg = tf.GPT2Config(n_layer=args.layers, n_head=args.heads, n_embd=args.d_model, n_positions=256,
                        vocab_size=len(tok), bos_token_id=0, eos_token_id=0)
    torch.manual_seed(0)
    hf = tf.GPT2LMHeadModel(cfg).eval()
    with tempfile.TemporaryDirectory() as d:
        hf.save_pretrained(d)
        tok.save_pretrained(d)
        ours = interplay.load(d, device="cpu")
        bridge = TransformerBridge.boot_transformers(d, hf_model=tf.GPT2LMHeadModel.from_pretrained(d).eval(),
                                                     tokenizer=tf.AutoTokenizer.from_pretrained(d), device="cpu")
    bridge.enable_compatibility_mode()
    mary, john = (ours.tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in (" Mary", " John"))
    answers = torch.tensor([[mary, john], [john, mary]])
    metric = interplay.logit_diff([" Mary", " John"], [" John", " Mary"])
    clean_ids, corr_ids = ours.tokenize(CLEAN).token_ids, ours.tokenize(CORRUPTED).token_ids

    def tl_metric(logits: torch.Tensor) -> torch.Tensor:
        last = logits[:, -1]
        return (last.gather(1, answers[:, :1]) - last.gather(1, answers[:, 1:])).mean()

    def theirs(fn_name: str) -> np.ndarray:
        with torch.no_grad():
            _, cache = bridge.run_with_cache(clean_ids)
            out = getattr(tlp, fn_name)(bridge, corr_ids, cache, tl_metric)
        return out.detach().numpy()  # type: ignore[no-any-return]

    def mine(component: str, by: str, method: str = "exact") -> np.ndarray:
        r = interplay.patch(ours, CLEAN, CORRUPTED, metric=metric, component=component, by=by, method=method,
                            progress=False)
        return r.raw

    import transformer_lens.patching as _tlp_mod
    _tlp_mod.tqdm = lambda x, **_: x  # type: ignore[attr-defined]

    rows = []
    for label, fn_name, component, by in [("resid_pre  layer x pos", "get_act_patch_resid_pre", "resid_pre", "layer_pos"),
                                          ("all heads  layer x head", "get_act_patch_attn_head_out_all_pos", "z", "layer_head")]:
        (t_tl, v_tl), (t_us, v_us), (t_atp, v_atp) = interleaved(
            [lambda f=fn_name: theirs(f), lambda c=component, b=by: mine(c, b),
             lambda c=component, b=by: mine(c, b, "attribution")], args.repeats)
        diff = float(np.abs(v_tl - v_us).max())
        e, a = v_us.ravel() - v_us.ravel().mean(), v_atp.ravel() - v_atp.ravel().mean()
        r = float(np.corrcoef(v_us.ravel(), v_atp.ravel())[0, 1]) if e.std() > 0 and a.std() > 0 else float("nan")
        rows.append((label, v_us.size, t_tl, t_us, t_us / t_tl, diff, t_atp, t_atp / t_us, r))
    print(f"\nmodel: GPT-2 shaped, {args.layers} layers, d_model {args.d_model}, {args.heads} heads, vocab {len(tok)}; "
          f"{len(CLEAN)} prompt pairs of {clean_ids.shape[1]} tokens; torch threads {torch.get_num_threads()}; "
          f"best of {args.repeats}\n")
    print("| sweep | cells | TransformerLens s | ours s | ours / TL | max abs diff | AtP s | AtP / exact | r(AtP, exact) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, n, t_tl, t_us, ratio, diff, t_atp, atp_ratio, r in rows:
        print(f"| {label} | {n} | {t_tl:.2f} | {t_us:.2f} | {ratio:.2f}x | {diff:.1e} | {t_atp:.3f} | {atp_ratio:.3f}x | {r:.3f} |")
    total = sum(row[3] for row in rows) / sum(row[2] for row in rows)
    worst = max(row[4] for row in rows)
    verdict = "meets" if worst <= args.goal else "MISSES"
    print(f"\nours / TransformerLens, same run: {total:.2f}x over both sweeps, worst sweep {worst:.2f}x; "
          f"{verdict} the goal of <= {args.goal:.2f}x")


if __name__ == "__main__":
    main()
