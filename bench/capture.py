"""Benchmark: Model.run with every activation captured vs the plain HF forward.

A 12-layer GPT-2-shaped model (d_model 768, 12 heads, GPT-2's vocabulary size) with random
weights, one 512-token prompt. Peers measured in the same run: the plain HF forward (the model's
default attention, no outputs kept), and HF's own capture (eager attention with
output_attentions + output_hidden_states, which keeps far less than we do). Goal: <= 1.2x plain.

Run: ``python bench/capture.py [--tokens 512] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import transformers as tf

import interplay


class _WordTokenizer:
    """A stand-in tokenizer (no hub access): ids are given directly through the prompt's words."""

    bos_token_id = eos_token_id = pad_token_id = 0

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": [int(w) for w in text.split()]}

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [f" {i}" for i in ids]

    def decode(self, ids: list[int], **_: object) -> str:
        return "".join(f" {i}" for i in ids)


def timed(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--layers", type=int, default=12)
    args = ap.parse_args()
    torch.manual_seed(0)
    cfg = tf.GPT2Config(n_layer=args.layers, n_head=12, n_embd=768, n_positions=1024, vocab_size=50257)
    hf = tf.GPT2LMHeadModel(cfg).eval()
    model = interplay.load(hf, _WordTokenizer(), device="cpu")
    ids = torch.randint(1, 50257, (1, args.tokens))
    prompt = " ".join(str(i) for i in ids[0].tolist())
    mask = torch.ones_like(ids)

    def plain() -> object:
        with torch.no_grad():
            return hf(input_ids=ids, attention_mask=mask).logits

    def hf_capture() -> object:
        with torch.no_grad():
            return hf(input_ids=ids, attention_mask=mask, output_attentions=True, output_hidden_states=True)

    def ours_all() -> object:
        return model.run(prompt, capture="all")

    def ours_resid() -> object:
        return model.run(prompt, capture="resid_post")

    n_all = len(model.resolve("all"))
    t_plain = timed(plain, args.repeats)
    rows = [("plain HF forward (sdpa, logits only)", t_plain)]
    previous = hf.config._attn_implementation
    hf.set_attn_implementation("eager")
    rows.append(("HF eager + output_attentions + hidden_states", timed(hf_capture, args.repeats)))
    hf.set_attn_implementation(previous)
    rows.append(("interplay run, capture resid_post (12)", timed(ours_resid, args.repeats)))
    rows.append((f"interplay run, capture all ({n_all} activations)", timed(ours_all, args.repeats)))
    print(f"\nModel.run capture benchmark: {args.layers}-layer GPT-2-shaped model, {args.tokens} tokens, "
          f"{torch.get_num_threads()} threads, median of {args.repeats}\n")
    print(f"| {'what':<48} | {'seconds':>8} | {'ratio to plain':>14} |")
    print(f"|{'-' * 50}|{'-' * 10}|{'-' * 16}|")
    for what, t in rows:
        print(f"| {what:<48} | {t:>8.3f} | {t / t_plain:>13.2f}x |")
    ratio = rows[-1][1] / t_plain
    print(f"\ncapture-all ratio {ratio:.2f}x (goal <= 1.20x): {'met' if ratio <= 1.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
