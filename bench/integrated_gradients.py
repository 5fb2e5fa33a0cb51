"""Benchmark: interplay's attribution methods vs Captum's, on the same weights, in the same run.

A 12-layer GPT-2-shaped model (d_model 768, 12 heads, GPT-2's vocabulary) with random weights, one
128-token prompt, the logit of one token at the last position. Integrated gradients: 50 steps,
Gauss-Legendre, the pad token's embedding as the baseline, the same internal batch size for both,
with the convergence delta (ours always computes it; Captum is asked for it) against Captum's
``LayerIntegratedGradients`` on the token embedding layer. Saliency and gradient x input against
Captum's ``Saliency`` and ``InputXGradient`` on the token embeddings. Goal for IG: <= 0.8x Captum.
Ours and Captum's alternate run by run (theirs, ours, theirs, ours...), so a machine shared with other
work slows both alike; each time is the median of ``--repeats``.

Run: ``python bench/integrated_gradients.py [--tokens 128] [--steps 50] [--batch 10] [--repeats 3] [--warmup 1]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
import transformers as tf

import interplay
from interplay.methods.attribution import attribute


class _WordTokenizer:
    """A stand-in tokenizer (no hub access): the prompt's words are the token ids."""

    bos_token_id = eos_token_id = pad_token_id = 0
    unk_token_id = None

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": [int(w) for w in text.split()]}

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [f" {i}" for i in ids]

    def decode(self, ids: list[int], **_: object) -> str:
        return "".join(f" {i}" for i in ids)


def timed_pair(first: Callable[[], object], second: Callable[[], object], repeats: int,
               warmup: int) -> tuple[tuple[float, object], tuple[float, object]]:
    """Median wall times of ``first`` and ``second``, run alternately, and each one's last output."""
    outs: list[object] = [None, None]
    times: list[list[float]] = [[], []]
    for i in range(warmup + repeats):
        for j, fn in enumerate((first, second)):
            t = time.perf_counter()
            outs[j] = fn()
            if i >= warmup:
                times[j].append(time.perf_counter() - t)
    return (statistics.median(times[0]), outs[0]), (statistics.median(times[1]), outs[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=10, help="internal_batch_size, the same for both")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--only", default="ig,saliency,input_x_gradient", help="comma-separated subset to run")
    args = ap.parse_args()
    from captum.attr import InputXGradient, LayerIntegratedGradients, Saliency

    torch.manual_seed(0)
    cfg = tf.GPT2Config(n_layer=args.layers, n_head=12, n_embd=768, n_positions=1024, vocab_size=50257)
    hf = tf.GPT2LMHeadModel(cfg).eval()
    model = interplay.load(hf, _WordTokenizer(), device="cpu")
    ids = torch.randint(1, 50257, (1, args.tokens))
    prompt = " ".join(str(i) for i in ids[0].tolist())
    tid = 1234
    wte = hf.transformer.wte

    def last_logits(x: torch.Tensor) -> torch.Tensor:
        return hf(input_ids=x).logits[:, -1]  # type: ignore[no-any-return]

    def from_embeds(e: torch.Tensor) -> torch.Tensor:
        return hf(inputs_embeds=e).logits[:, -1]  # type: ignore[no-any-return]

    def ours_ig() -> np.ndarray:
        res = attribute(model, prompt, target=tid, method="ig", n_steps=args.steps, baseline="pad",
                        internal_batch_size=args.batch, progress=False)
        return np.asarray(res.values)

    def captum_ig() -> np.ndarray:
        lig = LayerIntegratedGradients(last_logits, wte)
        attr, _ = lig.attribute(ids, baselines=torch.zeros_like(ids), target=tid, n_steps=args.steps,
                                method="gausslegendre", internal_batch_size=args.batch, return_convergence_delta=True)
        return np.asarray(attr.sum(-1)[0].detach().numpy())

    def ours_method(name: str) -> Callable[[], np.ndarray]:
        return lambda: np.asarray(attribute(model, prompt, target=tid, method=name, progress=False).values)

    def captum_saliency() -> np.ndarray:
        e = wte(ids).detach().requires_grad_(True)
        return np.asarray(Saliency(from_embeds).attribute(e, target=tid, abs=True).norm(dim=-1)[0].detach().numpy())

    def captum_ixg() -> np.ndarray:
        e = wte(ids).detach().requires_grad_(True)
        return np.asarray(InputXGradient(from_embeds).attribute(e, target=tid).sum(-1)[0].detach().numpy())

    pairs = [
        (f"integrated gradients ({args.steps} steps, batch {args.batch})", ours_ig, captum_ig, "ig"),
        ("saliency (L2 norm of the gradient)", ours_method("saliency"), captum_saliency, "saliency"),
        ("gradient x input", ours_method("input_x_gradient"), captum_ixg, "input_x_gradient"),
    ]
    wanted = set(args.only.split(","))
    rows = []
    for what, ours, theirs, key in pairs:
        if key not in wanted:
            continue
        (t_theirs, a), (t_ours, b) = timed_pair(theirs, ours, args.repeats, args.warmup)
        diff = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        corr = float(np.corrcoef(np.asarray(a), np.asarray(b))[0, 1])
        scale = float(np.max(np.abs(np.asarray(a))))
        rows.append((what, t_ours, t_theirs, diff, scale, corr))
    print(f"\nAttribution benchmark: {args.layers}-layer GPT-2-shaped model (d_model 768, vocab 50257), "
          f"{args.tokens} tokens, {torch.get_num_threads()} threads, median of {args.repeats}\n")
    print(f"| {'method':<42} | {'ours s':>8} | {'Captum s':>8} | {'ratio':>6} | {'max |diff|':>10} | "
          f"{'max |score|':>11} | {'corr':>8} |")
    print(f"|{'-' * 44}|{'-' * 10}|{'-' * 10}|{'-' * 8}|{'-' * 12}|{'-' * 13}|{'-' * 10}|")
    for what, t_ours, t_theirs, diff, scale, corr in rows:
        print(f"| {what:<42} | {t_ours:>8.3f} | {t_theirs:>8.3f} | {t_ours / t_theirs:>5.2f}x | {diff:>10.2e} | "
              f"{scale:>11.2e} | {corr:>8.5f} |")
    if "ig" in wanted:
        ratio = rows[0][1] / rows[0][2]
        print(f"\nintegrated gradients: {ratio:.2f}x Captum (goal <= 0.80x): {'met' if ratio <= 0.8 else 'NOT met'}")


if __name__ == "__main__":
    main()
