"""Induction: sequences that repeat, so the second copy can be predicted by looking back.

An induction head (Olsson et al. 2022, "In-context learning and induction heads") attends from a
token to the token that followed its previous occurrence and copies it: [A][B] ... [A] -> [B].

kind="random": random words w1..wL followed by w1..w(L-1); the answer is wL. The corrupted twin
replaces the first copy with other random words, so nothing earlier predicts the answer.
kind="sentence": a filler sentence followed by its own beginning, cut before a slot word (a name,
place, object or country); the corrupted twin's first copy is the same sentence frame with other
slot words.

Held-out: a sequence belongs to the test split when a hash of its first copy falls in the test
bucket (``vocab.hash_split``), so train and test sequences never coincide.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from interplay.errors import TaskError
from interplay.tasks import vocab
from interplay.tasks.dataset import (
    TaskDataset,
    build_dataset,
    check_n,
    check_split,
    resolve_tokenizer,
    single_token_words,
)
from interplay.tasks.filler import SLOT_WORDS, fill, prefix_before, slots

KINDS = ("random", "sentence")
Example = tuple[str, str, str, str, dict[str, Any]]


def words_needed(seq_len: int) -> int:
    """Distinct single-token words kind="random" needs: two copies' worth of different words, plus two."""
    return 2 * seq_len + 2


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise TaskError(
            f"kind must be one of {KINDS} ('random': repeated random words; 'sentence': a repeated "
            f"filler sentence), got {kind!r}"
        )


def check_seq_len(seq_len: int, n_words: int) -> None:
    """``seq_len`` for kind="random": an integer from 3 to what ``n_words`` distinct words allow."""
    top = (n_words - 2) // 2
    if not isinstance(seq_len, int) or isinstance(seq_len, bool) or not 3 <= seq_len <= top:
        raise TaskError(
            f"seq_len must be an integer from 3 to {top} for kind='random' (the length of the first "
            f"copy: a prompt needs 2 * seq_len + 2 distinct single-token words and there are "
            f"{n_words}), got {seq_len!r}"
        )


def random_first_half(rng: random.Random, pool: Sequence[str], seq_len: int, split: str) -> list[str]:
    """seq_len distinct random words whose hash puts them in ``split``."""
    while True:
        words = rng.sample(list(pool), seq_len)
        if vocab.hash_split(" ".join(words)) == split:
            return words


def induction_examples(
    n: int,
    *,
    seq_len: int = 20,
    seed: int = 0,
    split: str = "test",
    kind: str = "random",
    pool: Sequence[str] | None = None,
) -> list[Example]:
    """(clean, corrupted, answer, wrong, meta) tuples, before tokenization."""
    check_n(n)
    check_split(split)
    check_kind(kind)
    words = list(vocab.all_words() if pool is None else pool)
    if kind == "random":
        check_seq_len(seq_len, len(words))
    rng = random.Random(f"induction/{kind}/{split}/{seed}/{seq_len}")
    out: list[Example] = []
    for _ in range(n):
        if kind == "random":
            first = random_first_half(rng, words, seq_len, split)
            others = rng.sample([w for w in words if w not in first], seq_len)
            wrong = rng.choice(first[: seq_len - 2])
            clean = " " + " ".join(first + first[:-1])
            corrupted = " " + " ".join(others + first[:-1])
            meta: dict[str, Any] = {"kind": kind, "seq_len": seq_len, "first": first}
            out.append((clean, corrupted, " " + first[-1], " " + wrong, meta))
            continue
        while True:
            template = rng.choice(vocab.FILLER_TEMPLATES)
            sentence, fills = fill(template, rng)
            if vocab.hash_split(sentence) == split and len(slots(template)) >= 2:
                break
        names = slots(template)
        target = rng.choice(names[1:])
        alt = [s for s in names if s != target and fills[s] != fills[target]]
        wrong = fills[alt[0]] if alt else rng.choice([w for w in SLOT_WORDS[target] if w != fills[target]])
        other, _ = fill(template, rng, avoid=fills)
        head = prefix_before(template, target, fills)
        clean, corrupted = f"{sentence} {head}", f"{other} {head}"
        meta = {"kind": kind, "template": vocab.FILLER_TEMPLATES.index(template), "slot": target}
        out.append((clean, corrupted, " " + fills[target], " " + wrong, meta))
    return out


def induction(
    n: int = 100,
    *,
    seq_len: int = 20,
    seed: int = 0,
    split: str = "test",
    kind: str = "random",
    tokenizer: Any = None,
) -> TaskDataset:
    """Repeated random words (kind="random") or repeated sentences (kind="sentence").

    For kind="random" each clean prompt is ``seq_len`` distinct random words followed by the first
    ``seq_len - 1`` of them again (so 2 * seq_len - 1 words); the answer is the last word of the
    first copy and ``wrong`` another word of it. ``clean[i] + answer[i]`` is the full repeated
    sequence (period ``seq_len``) used for induction scores and in-context loss; ``seq_len`` is
    from 3 to ``(len(vocab.all_words()) - 2) // 2`` (and is not used by kind="sentence").
    """
    check_n(n)
    check_split(split)
    check_kind(kind)
    words = vocab.all_words()
    if kind == "random":
        check_seq_len(seq_len, len(words))  # before the tokenizer: a seq_len no tokenizer can serve
    tok = resolve_tokenizer(tokenizer)
    need = words_needed(seq_len if kind == "random" else 3)
    why = f"seq_len={seq_len} needs 2 * seq_len + 2" if kind == "random" else ""
    pool = single_token_words(tok, words, need, "words", why)
    examples = induction_examples(n, seq_len=seq_len, seed=seed, split=split, kind=kind, pool=pool)
    return build_dataset("induction", examples, tokenizer=tok, split=split, seed=seed)
