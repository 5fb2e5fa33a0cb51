"""Benchmark: interplay.top_activations for 1,000 SAE latents vs the plain forward pass, in one run.

The demo model (GPT-2 shaped, 4 layers, d_model 128), an SAE of width 1,024 with random weights on
``blocks.3.hook_resid_post`` (the last layer, so stopping at the hook saves only the final norm and
the unembedding), 1,000 of its latents, random token ids (no special tokens) in sequences of 128.
Measured in the same process, alternately, each ``--repeats`` times. The ratio is taken in CPU time
of this process (``time.process_time``: every torch thread, not other processes), which a shared,
loaded machine disturbs far less than wall-clock time; the wall-clock minimum and the median ratio of
adjacent pairs are printed beside it:

* ``plain forward``: ``Model.forward`` over the same batches, logits at every position;
* ``HF forward``: the Hugging Face model's own call (``model(input_ids)``), for reference;
* ``top_activations``: the whole call (resolve, stream, one capture pass per batch that stops at the
  hook, latents, top-k / histogram / bucket samples, logit effects, token table);
* its parts: the forward up to the hook alone, and that plus the SAE's encoding (so the remainder is
  what the one-pass statistics cost).

Goal: top_activations <= 1.3x the plain forward's time. Memory: the peak RSS of a fresh process
running top_activations on N and 2N sequences, and the size of the accumulator state (the
checkpoint's arrays), which must not depend on N.

SAEDashboard (``sae-dashboard``) is compared when it imports; it does not install beside our pins
(every release requires ``safetensors<0.5``, transformers 5 requires ``safetensors>=0.8``).

Run: ``python bench/top_activations.py [--sequences 2048] [--arch topk|jumprelu|relu] [--repeats 3]``
(about 3 minutes on one CPU thread with the defaults, the memory runs included). ``jumprelu`` sets
each random latent's threshold for an L0 of ``--k``; ``relu`` with random weights is dense (~50%).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import interplay
from interplay.backend.dictionaries import SAE
from interplay.methods.features.spec import capture, resolve_features
from interplay.methods.features.top_activations import top_activations


def setup(args: argparse.Namespace, n_seq: int) -> tuple[Any, Any, np.ndarray]:
    model = interplay.load("demo", device="cpu")
    torch.manual_seed(0)
    sae = SAE(model.cfg.d_model, args.width, hook=f"blocks.{args.layer}.hook_resid_post", architecture=args.arch,
              k=args.k, name=f"random-{args.arch}-{args.width}")
    rng = np.random.default_rng(0)
    special = set(model.tokenizer.all_special_ids)
    vocab = np.array([i for i in range(model.cfg.d_vocab) if i not in special])
    ids = vocab[rng.integers(0, len(vocab), size=(n_seq, args.seq_len))]
    if args.arch == "jumprelu":  # thresholds at each latent's (1 - k / width) quantile: L0 ~ k, as a trained one
        sample = capture(model, torch.from_numpy(ids[: args.batch_size]), None, sae.hook_in)
        with torch.no_grad():
            pre = sae.pre_activations(sample.reshape(-1, sample.shape[-1]))
            assert sae.threshold is not None
            sae.threshold.copy_(torch.quantile(pre, 1 - args.k / args.width, dim=0).clamp(min=0))
    return model, sae, ids


def run_top(model: Any, sae: Any, ids: np.ndarray, args: argparse.Namespace, **kw: Any) -> Any:
    return top_activations(model, (sae, list(range(args.latents))), ids, batch_size=args.batch_size, progress=False,
                           **kw)


def child(args: argparse.Namespace) -> None:
    """One fresh process: top_activations on ``--sequences`` sequences; prints peak RSS and state size."""
    model, sae, ids = setup(args, args.sequences)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "state.npz")
        res = run_top(model, sae, ids, args, checkpoint=path)
        with np.load(path) as z:
            state = sum(z[n].nbytes for n in z.files if n != "meta")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"rss": rss, "state": int(state), "tokens": int(res.data.n_tokens)}))


def measure(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process: every thread's, not other processes')."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sequences", type=int, default=2048)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--latents", type=int, default=1000)
    ap.add_argument("--layer", type=int, default=3)
    ap.add_argument("--arch", choices=["topk", "relu", "jumprelu"], default="topk")
    ap.add_argument("--k", type=int, default=32, help="latents per token: TopK's k, JumpReLU's target L0")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 by default: spin-waiting threads on a shared machine inflate CPU time)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-memory", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.child:
        child(args)
        return
    model, sae, ids = setup(args, args.sequences)
    batches = [torch.from_numpy(ids[i:i + args.batch_size]) for i in range(0, len(ids), args.batch_size)]
    n_tok = ids.size

    def plain() -> None:
        for b in batches:
            model.forward(b)

    def hf() -> None:
        with torch.no_grad():
            for b in batches:
                model.hf_model(input_ids=b, use_cache=False)

    run_top(model, sae, ids[: args.batch_size], args)  # warm-up (and imports)
    plain()
    spec = resolve_features(model, (sae, list(range(args.latents))))

    def to_hook() -> None:
        for b in batches:
            capture(model, b, None, spec.hook)

    def latents() -> None:
        for b in batches:
            spec.values(capture(model, b, None, spec.hook))

    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "hf": [], "hook": [], "latents": [], "top": []}
    for _ in range(args.repeats):  # alternate, so load on a shared machine hits each alike
        runs["plain"].append(measure(plain))
        runs["hf"].append(measure(hf))
        runs["hook"].append(measure(to_hook))
        runs["latents"].append(measure(latents))
        runs["top"].append(measure(lambda: run_top(model, sae, ids, args)))
    res = run_top(model, sae, ids, args)
    density = float(np.mean(res.data.density))
    print(f"top_activations benchmark: demo model ({model.cfg.n_layers} layers, d_model {model.cfg.d_model}), "
          f"{args.arch} SAE width {args.width} on blocks.{args.layer}.hook_resid_post, {args.latents} latents, "
          f"{args.sequences} x {args.seq_len} = {n_tok:,} tokens, batch {args.batch_size}, "
          f"{torch.get_num_threads()} threads, mean latent density {density:.3%}, {args.repeats} alternating repeats")
    names = {"plain": "plain forward (Model.forward, logits)", "hf": "HF forward (model(input_ids))",
             "hook": "  part: forward up to the hook only", "latents": "  part: ... + the SAE's latents",
             "top": f"top_activations ({args.latents} latents)"}
    cpu = {k: float(np.median([c for _, c in v])) for k, v in runs.items()}
    wall = {k: min(w for w, _ in v) for k, v in runs.items()}
    print(f"{'':42s} {'CPU s (median)':>14s} {'tokens/CPU s':>13s} {'x plain':>8s} {'wall s (min)':>13s}")
    for key, name in names.items():
        print(f"{name:42s} {cpu[key]:14.3f} {n_tok / cpu[key]:13,.0f} {cpu[key] / cpu['plain']:8.2f} {wall[key]:13.3f}")
    ratio = cpu["top"] / cpu["plain"]
    paired = float(np.median([t[0] / p[0] for t, p in zip(runs["top"], runs["plain"], strict=True)]))
    print(f"ratio top_activations / plain forward: {ratio:.2f}x in CPU time (goal <= 1.3x: "
          f"{'met' if ratio <= 1.3 else 'NOT met'}); wall-clock, median of adjacent pairs: {paired:.2f}x")
    try:
        import sae_dashboard  # noqa: F401
        print("sae-dashboard imports: its comparison is not written yet")
    except ImportError:
        print("SAEDashboard: not installed (no release installs beside transformers 5: every sae-dashboard release "
              "pins safetensors<0.5, transformers 5.x needs safetensors>=0.8)")
    if args.no_memory:
        return
    print("\nmemory (fresh process each): peak RSS and accumulator state")
    out = []
    for n in (args.sequences, 2 * args.sequences):
        cmd = [sys.executable, __file__, "--child", "--sequences", str(n), "--threads", str(args.threads), "--arch",
               args.arch, "--width",
               str(args.width), "--latents", str(args.latents), "--layer", str(args.layer), "--k", str(args.k),
               "--seq-len", str(args.seq_len), "--batch-size", str(args.batch_size)]
        line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        out.append(json.loads(line))
        print(f"  {n:6d} sequences ({out[-1]['tokens']:,} tokens): peak RSS {out[-1]['rss'] / 2**20:8.1f} MiB, "
              f"state {out[-1]['state'] / 2**20:6.1f} MiB")
    grow = out[1]["rss"] / out[0]["rss"]
    print(f"  2x the dataset: peak RSS x{grow:.3f}, state {'identical' if out[0]['state'] == out[1]['state'] else 'DIFFERS'}")


if __name__ == "__main__":
    main()
