"""Factual recall over an invented world: countries -> capitals and languages, people -> jobs.

"The capital of Velmora is" -> " Quorin". Facts live somewhere in the weights (in real models,
largely in early-middle MLPs at the subject's last token; Meng et al. 2022, "Locating and Editing
Factual Associations in GPT"), which makes this the exercise for causal tracing: the corrupted twin
swaps the subject for another one whose object differs, so patching clean activations into the
corrupted run shows where the fact is carried.

Held-out means held-out phrasings: the demo model was trained on every fact of this world through
``vocab.FACT_TEMPLATES_TRAIN`` and is tested through ``vocab.FACT_TEMPLATES_TEST``, questions it
never saw.
"""

from __future__ import annotations

import random
from typing import Any

from interplay.errors import TaskError
from interplay.tasks import vocab
from interplay.tasks.dataset import (
    TaskDataset,
    build_dataset,
    check_n,
    check_split,
    resolve_tokenizer,
    single_token_id,
)

RELATIONS = (*vocab.RELATIONS, "all")
Example = tuple[str, str, str, str, dict[str, Any]]


def templates_for(relation: str, split: str) -> tuple[str, ...]:
    check_relation(relation, allow_all=False)
    check_split(split)
    table = vocab.FACT_TEMPLATES_TRAIN if split == "train" else vocab.FACT_TEMPLATES_TEST
    return table[relation]


def check_relation(relation: str, allow_all: bool = True) -> None:
    allowed = RELATIONS if allow_all else vocab.RELATIONS
    if relation not in allowed:
        raise TaskError(f"relation: unknown relation {relation!r}; choose one of {allowed}")


def facts_examples(n: int, *, seed: int = 0, split: str = "test", relation: str = "all") -> list[Example]:
    """(clean, corrupted, answer, wrong, meta) tuples, before tokenization."""
    check_n(n)
    check_split(split)
    check_relation(relation)
    relations = vocab.RELATIONS if relation == "all" else (relation,)
    rng = random.Random(f"facts/{relation}/{split}/{seed}")
    combos: dict[str, list[tuple[str, int]]] = {}
    for rel in relations:
        subjects = list(vocab.FACTS[rel])
        combos[rel] = [(s, t) for s in subjects for t in range(len(templates_for(rel, split)))]
        rng.shuffle(combos[rel])
    out: list[Example] = []
    for i in range(n):
        rel = relations[i % len(relations)]
        table = vocab.FACTS[rel]
        subject, t = combos[rel][(i // len(relations)) % len(combos[rel])]
        other = rng.choice([s for s in table if table[s] != table[subject]])
        template = templates_for(rel, split)[t]
        meta = {"relation": rel, "template": t, "subject": subject, "corrupt_subject": other}
        out.append(
            (
                template.format(X=subject),
                template.format(X=other),
                " " + table[subject],
                " " + table[other],
                meta,
            )
        )
    return out


def facts(
    n: int = 90,
    *,
    seed: int = 0,
    split: str = "test",
    relation: str = "all",
    tokenizer: Any = None,
) -> TaskDataset:
    """Fact-recall prompts over the invented world, with subject-swapped corrupted twins.

    Args:
        n: number of prompts (> 0); subjects x templates are cycled in a seeded order.
        split: "test" (phrasings never seen in training) or "train".
        relation: "capital", "language", "profession" or "all" (round-robin).
    """
    check_n(n)
    check_split(split)
    check_relation(relation)
    tok = resolve_tokenizer(tokenizer)
    for rel in vocab.RELATIONS if relation == "all" else (relation,):
        words = list(vocab.FACTS[rel]) + list(vocab.FACTS[rel].values())
        bad = [w for w in words if single_token_id(tok, " " + w) is None]
        if bad:
            raise TaskError(
                f"tokenizer: facts need single-token subjects and objects (with a leading space), but "
                f"{len(bad)} of the {rel!r} relation's are not single tokens in this tokenizer "
                f"({type(tok).__name__}), e.g. {bad[:5]}; pass tokenizer=None (the demo model's) or one "
                "that keeps these words whole"
            )
    examples = facts_examples(n, seed=seed, split=split, relation=relation)
    return build_dataset("facts", examples, tokenizer=tok, split=split, seed=seed)
