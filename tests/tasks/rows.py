"""Parsing the induction training rows the corpus writes: other words, then a repeated sequence."""

from __future__ import annotations


def split_repeat(words: list[str]) -> tuple[int, list[str], int] | None:
    """(lead, first copy, copies) of ``lead`` other words + a sequence repeated 3 or 2 times; None if not one."""
    for lead in range(len(words)):
        rest = words[lead:]
        for copies in (3, 2):
            if len(rest) % copies == 0 and rest == rest[: len(rest) // copies] * copies:
                return lead, rest[: len(rest) // copies], copies
    return None
