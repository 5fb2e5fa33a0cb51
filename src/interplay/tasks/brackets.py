"""Bracket matching: predict the closing bracket of the innermost open bracket.

"Brackets: ( [ { } ]" -> " )". The model has to track nesting depth and find the most recent
unmatched opening bracket: a small, checkable algorithmic circuit. The corrupted twin changes the
type of that innermost open bracket, which changes the answer (the clean answer's ``wrong`` token
is the corrupted prompt's answer).

Held-out: a prompt belongs to the test split when its hash falls in the test bucket
(``vocab.hash_split``); training sequences contain no test prompt as a prefix.
"""

from __future__ import annotations

import random
from typing import Any

from interplay.errors import TaskError
from interplay.tasks import vocab
from interplay.tasks.dataset import TaskDataset, build_dataset, check_n, check_split, resolve_tokenizer

PREFIX = "Brackets:"
OPENERS = tuple(vocab.BRACKET_PAIRS)
Example = tuple[str, str, str, str, dict[str, Any]]


def random_prompt(rng: random.Random, min_len: int = 3, max_len: int = 12, max_depth: int = 4) -> list[str]:
    """A random bracket sequence with at least one bracket left open at the end."""
    length = rng.randint(min_len, max_len)
    seq: list[str] = []
    stack: list[str] = []
    for _ in range(length):
        if not stack or (len(stack) < max_depth and rng.random() < 0.55):
            seq.append(rng.choice(OPENERS))
            stack.append(seq[-1])
        else:
            seq.append(vocab.BRACKET_PAIRS[stack.pop()])
    if not stack:
        seq.append(rng.choice(OPENERS))
    return seq


def innermost_open(seq: list[str]) -> int:
    """Index of the innermost unmatched opening bracket (the one the next closer must match)."""
    stack: list[int] = []
    for i, b in enumerate(seq):
        if b in vocab.BRACKET_PAIRS:
            stack.append(i)
        else:
            stack.pop()
    if not stack:
        raise TaskError(f"seq: no bracket is left open in {' '.join(seq)!r}; pass a sequence with one open")
    return stack[-1]


def render(seq: list[str]) -> str:
    return PREFIX + " " + " ".join(seq)


def closing_sequence(seq: list[str]) -> list[str]:
    """The closers that complete ``seq``."""
    stack: list[str] = []
    for b in seq:
        if b in vocab.BRACKET_PAIRS:
            stack.append(b)
        else:
            stack.pop()
    return [vocab.BRACKET_PAIRS[b] for b in reversed(stack)]


def brackets_examples(n: int, *, seed: int = 0, split: str = "test") -> list[Example]:
    """(clean, corrupted, answer, wrong, meta) tuples, before tokenization."""
    check_n(n)
    check_split(split)
    rng = random.Random(f"brackets/{split}/{seed}")
    out: list[Example] = []
    while len(out) < n:
        seq = random_prompt(rng)
        if vocab.hash_split(render(seq)) != split:
            continue
        k = innermost_open(seq)
        other = rng.choice([b for b in OPENERS if b != seq[k]])
        corrupted = [*seq[:k], other, *seq[k + 1 :]]
        answer, wrong = vocab.BRACKET_PAIRS[seq[k]], vocab.BRACKET_PAIRS[other]
        meta = {"depth": len(closing_sequence(seq)), "length": len(seq), "open_at": k}
        out.append((render(seq), render(corrupted), " " + answer, " " + wrong, meta))
    return out


def brackets(n: int = 100, *, seed: int = 0, split: str = "test", tokenizer: Any = None) -> TaskDataset:
    """Bracket-matching prompts ("Brackets: ( [ ] {" -> " }") with retyped corrupted twins."""
    check_n(n)
    check_split(split)
    tok = resolve_tokenizer(tokenizer)
    return build_dataset(
        "brackets", brackets_examples(n, seed=seed, split=split), tokenizer=tok, split=split, seed=seed
    )
