"""Natural-ish filler sentences: training filler, repeated-sentence induction, corpus coverage."""

from __future__ import annotations

import random
import string
from collections.abc import Sequence

from interplay.tasks import vocab

SLOT_WORDS: dict[str, tuple[str, ...]] = {
    "N": vocab.NAMES,
    "P": vocab.PLACES,
    "O": vocab.OBJECTS,
    "C": vocab.COUNTRIES,
}


def slots(template: str) -> list[str]:
    """Slot names of a filler template, in order ("{N} found a {O}" -> ["N", "O"])."""
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def fill(
    template: str,
    rng: random.Random,
    pools: dict[str, Sequence[str]] | None = None,
    avoid: dict[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    """Fill a template's slots with random words (each differing from ``avoid[slot]`` if given)."""
    words: dict[str, Sequence[str]] = dict(SLOT_WORDS) if pools is None else pools
    fills: dict[str, str] = {}
    for slot in slots(template):
        choices = [w for w in words[slot] if not avoid or w != avoid.get(slot)]
        fills[slot] = rng.choice(choices)
    return template.format(**fills), fills


def prefix_before(template: str, slot: str, fills: dict[str, str]) -> str:
    """The filled template up to (not including) the space and word of ``slot``."""
    head = template.split("{" + slot + "}", 1)[0].rstrip(" ")
    return head.format(**fills)


def filler_text(rng: random.Random, n_sentences: int = 1) -> str:
    """One line of ``n_sentences`` random filler sentences."""
    return " ".join(fill(rng.choice(vocab.FILLER_TEMPLATES), rng)[0] for _ in range(n_sentences))
