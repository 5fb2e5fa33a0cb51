"""Indirect object identification (Wang et al. 2022, "Interpretability in the Wild").

"When Mary and John went to the store, John gave a drink to" -> " Mary". The model has to find
the name that occurs once (the indirect object, IO) rather than the repeated subject (S). The
corrupted twin is the "ABC" prompt: the repeated name (S2) is replaced by a third name, so the
sentence no longer says which of the first two names is the answer.

Orders: ABBA puts the IO first ("When Mary and John ..., John gave ... to" -> Mary), BABA puts the
subject first ("When John and Mary ..., John gave ... to" -> Mary).
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

ORDERS = ("ABBA", "BABA", "both")
Example = tuple[str, str, str, str, dict[str, Any]]


def templates_for(split: str) -> tuple[str, ...]:
    check_split(split)
    return vocab.IOI_TEMPLATES_TRAIN if split == "train" else vocab.IOI_TEMPLATES_TEST


def names_for(split: str) -> tuple[str, ...]:
    check_split(split)
    return vocab.NAMES_TRAIN if split == "train" else vocab.NAMES_TEST


def _select_templates(split: str, templates: Sequence[str | int] | None) -> list[str]:
    pool = templates_for(split)
    if templates is None:
        return list(pool)
    if isinstance(templates, str):
        templates = [templates]
    chosen = []
    for t in templates:
        if isinstance(t, int) and not isinstance(t, bool):
            if not 0 <= t < len(pool):
                raise TaskError(
                    f"templates: template index {t} out of range: the {split!r} split has "
                    f"{len(pool)} templates, so indices 0 to {len(pool) - 1} are accepted"
                )
            chosen.append(pool[t])
        elif isinstance(t, str) and t in pool:
            chosen.append(t)
        else:
            other = "test" if split == "train" else "train"
            hint = f" (it is a {other!r} template)" if t in templates_for(other) else ""
            raise TaskError(
                f"templates: unknown IOI template for split {split!r}: {t!r}{hint}; pass indices or "
                f"strings from interplay.tasks.ioi_templates({split!r}), or templates=None for all"
            )
    if not chosen:
        raise TaskError("templates must not be empty: pass indices or strings, or templates=None for all")
    return chosen


def ioi_examples(
    n: int,
    *,
    seed: int = 0,
    split: str = "test",
    order: str = "both",
    templates: Sequence[str | int] | None = None,
    names: Sequence[str] | None = None,
) -> list[Example]:
    """(clean, corrupted, answer, wrong, meta) tuples, before tokenization."""
    check_n(n)
    check_split(split)
    if order not in ORDERS:
        raise TaskError(
            f"order must be one of {ORDERS} (ABBA: the IO name first, BABA: the subject first, both: "
            f"alternating), got {order!r}"
        )
    chosen = _select_templates(split, templates)
    pool = list(names_for(split) if names is None else names)
    if len(pool) < 3:
        raise TaskError(
            f"names: IOI needs at least 3 distinct names (IO, S and the corrupted C), got {len(pool)}"
        )
    rng = random.Random(f"ioi/{split}/{seed}")
    template_order = [i % len(chosen) for i in range(n)]
    rng.shuffle(template_order)
    out: list[Example] = []
    for i in range(n):
        template = chosen[template_order[i]]
        io, s, c = rng.sample(pool, 3)
        place, obj = rng.choice(vocab.PLACES), rng.choice(vocab.OBJECTS)
        this_order = order if order != "both" else ("ABBA", "BABA")[i % 2]
        a, b = (io, s) if this_order == "ABBA" else (s, io)
        clean = template.format(A=a, B=b, S=s, PLACE=place, OBJECT=obj)
        corrupted = template.format(A=a, B=b, S=c, PLACE=place, OBJECT=obj)
        meta = {
            "template": templates_for(split).index(template),
            "order": this_order,
            "io": io,
            "s": s,
            "c": c,
            "place": place,
            "object": obj,
        }
        out.append((clean, corrupted, " " + io, " " + s, meta))
    return out


def ioi(
    n: int = 100,
    *,
    seed: int = 0,
    split: str = "test",
    order: str = "both",
    templates: Sequence[str | int] | None = None,
    tokenizer: Any = None,
) -> TaskDataset:
    """Indirect object identification prompts with "ABC" corrupted twins.

    Args:
        n: number of prompts (> 0).
        seed: the prompts are a deterministic function of (seed, split, order, templates).
        split: "test" uses only held-out names and templates (never in the demo model's IOI
            training); "train" uses the training ones.
        order: "ABBA", "BABA" or "both" (alternating).
        templates: None for all templates of the split, or indices into / strings from
            ``templates_for(split)``; anything else raises TaskError.
        tokenizer: a ``tokenizers.Tokenizer`` or transformers tokenizer; default the demo model's.
            Names that are not single tokens in it are skipped.

    ``answer`` is the IO name, ``wrong`` the subject name; ``metric`` is the mean IO - S logit
    difference.
    """
    check_n(n)
    check_split(split)
    _select_templates(split, templates)
    tok = resolve_tokenizer(tokenizer)
    names = single_token_words(tok, names_for(split), 3, f"{split} names")
    examples = ioi_examples(n, seed=seed, split=split, order=order, templates=templates, names=names)
    return build_dataset("ioi", examples, tokenizer=tok, split=split, seed=seed)
