"""Benchmark: circuit discovery (EAP, EAP-IG) against exhaustive per-edge activation patching, same run.

Two models: the bundled demo model and a 12-layer x 12-head GPT-2-shaped model with random weights
(the demo tokenizer, so the same IOI prompts work), both on the IOI dataset from ``interplay.tasks``.
EAP costs one clean forward + backward and one corrupted forward per batch of prompts; EAP-IG
``steps`` forwards + backwards. Exhaustive patching costs one patched forward of the dataset per edge:
it is timed on a subset of edges (the EAP top edges and random ones) and extrapolated to every edge.
The same subset gives the correlation of each estimate with the exact per-edge effect.

Run from the repository root: ``python bench/circuits.py [--n 32] [--steps 30] [--subset 40] [--d-model 384]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
import transformers as tf

import interplay
from interplay.methods.circuits import circuit


def exact_edges(c: Any, edges: list[tuple[int, int]]) -> tuple[np.ndarray, float]:
    """The metric change of patching each edge alone (all others clean), and seconds per edge."""
    out = []
    t = time.perf_counter()
    for u, v in edges:
        mask = c.graph.valid.copy()
        mask[u, v] = False
        out.append(c.circuit_metric(mask=mask) - c.data.clean_value)
    return np.asarray(out), (time.perf_counter() - t) / max(1, len(edges))


def bench(name: str, model: Any, ds: Any, steps: int, subset: int, rng: np.random.Generator) -> list[str]:
    t = time.perf_counter()
    eap = circuit(model, ds, method="eap", progress=False)
    t_eap = time.perf_counter() - t
    t = time.perf_counter()
    ig = circuit(model, ds, method="eap-ig", steps=steps, progress=False)
    t_ig = time.perf_counter() - t
    g = eap.graph
    u, v = eap.edge_order()
    top = list(zip(u[: subset // 2].tolist(), v[: subset // 2].tolist(), strict=True))
    pick = rng.choice(len(u), size=min(len(u), subset - len(top)), replace=False)
    edges = list(dict.fromkeys(top + [(int(u[i]), int(v[i])) for i in pick]))
    exact, per_edge = exact_edges(eap, edges)
    t_exh = per_edge * g.n_edges
    a = np.asarray([eap.data.scores[e] for e in edges])
    b = np.asarray([ig.data.scores[e] for e in edges])
    r_eap = float(np.corrcoef(a, exact)[0, 1])
    r_ig = float(np.corrcoef(b, exact)[0, 1])
    k = max(10, g.n_edges // 50)
    f_eap, f_ig = eap.faithfulness(k=k), ig.faithfulness(k=k)
    return [f"| {name} | {g.n_layers}x{g.n_heads} | {g.n_edges} | {ds and len(ds.clean)} | {t_eap:.2f} | {t_ig:.2f} | "
            f"{per_edge * 1000:.1f} | {t_exh:.0f} | {t_exh / t_eap:.0f}x | {t_exh / t_ig:.0f}x | {r_eap:.3f} | {r_ig:.3f} | "
            f"{k}: {f_eap:.2f} / {f_ig:.2f} |"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=32, help="IOI prompt pairs")
    ap.add_argument("--steps", type=int, default=30, help="EAP-IG interpolation steps")
    ap.add_argument("--subset", type=int, default=40, help="edges patched exactly (half top, half random)")
    ap.add_argument("--d-model", type=int, default=384, help="width of the random 12 x 12 model")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    ds = interplay.tasks.ioi(n=args.n, seed=0)
    demo = interplay.load("demo", device="cpu")
    cfg = tf.GPT2Config(n_layer=12, n_head=12, n_embd=args.d_model, n_positions=128, vocab_size=demo.cfg.d_vocab,
                        bos_token_id=0, eos_token_id=0)
    torch.manual_seed(0)
    big = interplay.load(tf.GPT2LMHeadModel(cfg).eval(), demo.tokenizer)
    rows = bench("demo", demo, ds, args.steps, args.subset, rng)
    rows += bench(f"random GPT-2 (d_model {args.d_model})", big, ds, args.steps, args.subset, rng)
    print(f"\nIOI, {args.n} prompt pairs; EAP-IG with {args.steps} steps; exhaustive patching timed on "
          f"{args.subset} edges and extrapolated; torch threads {torch.get_num_threads()}\n")
    print("| model | layers x heads | edges | prompts | EAP s | EAP-IG s | exact ms/edge | exhaustive s (est.) | "
          "exhaustive / EAP | exhaustive / EAP-IG | r(EAP, exact) | r(EAP-IG, exact) | faithfulness at k: EAP / EAP-IG |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
