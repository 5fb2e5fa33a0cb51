"""The concepts the tasks define, as token-level labels for finding the latent that detects each one.

Each concept is a set of token sequences (token ids, BOS first) with a label per position: 1 for the
concept, 0 for its contrast, -1 for tokens that are neither (not scored). Every concept has a train
set, on which the detecting latent is chosen, and a held-out test set, on which its AUROC is
reported; the test sets use the tasks' held-out splits and, where the concept is a set of words,
other words than the train set.

- ``ioi_subject_vs_io``: in IOI prompts, the subject's second mention (S2, "... John gave a drink
  to") against the indirect object's mention. (At its first mention the subject cannot be told from
  the indirect object by a causal model: nothing has been repeated yet.) Test: held-out names and
  templates.
- ``country_vs_capital``: in fact statements "The capital of Velmora is Quorin.", the country
  against the capital. Test: the other half of the world's countries (and their capitals), through
  held-out phrasings.
- ``person_vs_profession``: in "Jack works as a pilot.", the person against the profession. Test: the
  other half of the people, through held-out phrasings.
- ``language_vs_capital``: the answer of a fact statement, a language ("people in Kastria speak
  Velmic.") against a capital. Test: the other half of the countries, held-out phrasings.
- ``open_vs_close_bracket``: in complete bracket sequences "Brackets: ( [ ] )", opening brackets
  against closing ones. Test: the held-out sequences.
- ``second_vs_first_occurrence``: in repeated random words "w1 ... wL w1 ... wL-1", a word in the
  second copy against the same words in the first. Test: held-out sequences.

Plain Python over :mod:`interplay.tasks` (no torch); the token ids come from the demo tokenizer.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from interplay.tasks import vocab
from interplay.tasks.brackets import brackets_examples, closing_sequence, render
from interplay.tasks.dataset import demo_tokenizer, encode
from interplay.tasks.facts import facts_examples
from interplay.tasks.induction import induction_examples
from interplay.tasks.ioi import ioi_examples

SEED = 7
N_PER_SPLIT = 120
INDUCTION_LEN = 12


@dataclass(frozen=True)
class ConceptSet:
    """Token sequences with a label per token (1 concept, 0 contrast, -1 not scored)."""

    name: str
    description: str
    positive: str
    negative: str
    ids: list[list[int]]
    labels: list[list[int]]

    def counts(self) -> tuple[int, int]:
        flat = [v for row in self.labels for v in row]
        return flat.count(1), flat.count(0)


CONCEPTS: dict[str, tuple[str, str, str]] = {
    "ioi_subject_vs_io": ("IOI: the subject's repeated mention vs the indirect object", "S2 name", "IO name"),
    "country_vs_capital": ("facts: a country vs a capital", "country", "capital"),
    "open_vs_close_bracket": ("brackets: an opening vs a closing bracket", "opening bracket", "closing bracket"),
    "second_vs_first_occurrence": ("induction: a token's second occurrence in a repeat vs its first",
                                   "second copy", "first copy"),
    "person_vs_profession": ("facts: a person vs a profession", "person", "profession"),
    "language_vs_capital": ("facts: the answer is a language vs a capital", "language", "capital"),
}


def concept_sets(split: str, tokenizer: Any = None) -> dict[str, ConceptSet]:
    """Every concept's ``split`` ("train" or "test") set."""
    tok = demo_tokenizer() if tokenizer is None else tokenizer
    builders = {
        "ioi_subject_vs_io": _ioi,
        "country_vs_capital": _subject_vs_object("capital"),
        "open_vs_close_bracket": _brackets,
        "second_vs_first_occurrence": _repeats,
        "person_vs_profession": _subject_vs_object("profession"),
        "language_vs_capital": _language_vs_capital,
    }
    out = {}
    for name, build in builders.items():
        description, pos, neg = CONCEPTS[name]
        ids, labels = build(tok, split)
        out[name] = ConceptSet(name, description, pos, neg, ids, labels)
    return out


def _words(tok: Any, ids: list[int]) -> list[str]:
    return [tok.decode([i]).strip() for i in ids]


def _ioi(tok: Any, split: str) -> tuple[list[list[int]], list[list[int]]]:
    all_ids, all_labels = [], []
    for clean, _, io, s, _ in ioi_examples(N_PER_SPLIT, seed=SEED, split=split):
        ids = encode(tok, clean)
        words = _words(tok, ids)
        labels = [-1] * len(ids)
        s_at = [i for i, w in enumerate(words) if w == s.strip()]
        io_at = [i for i, w in enumerate(words) if w == io.strip()]
        assert len(s_at) == 2 and len(io_at) == 1, (clean, words)
        labels[s_at[1]] = 1
        labels[io_at[0]] = 0
        all_ids.append(ids)
        all_labels.append(labels)
    return all_ids, all_labels


def subject_half(subject: str) -> str:
    """Which concept split a fact's subject (and its objects) belongs to: a crc32 bucket, half each."""
    return "test" if zlib.crc32(subject.encode()) % 2 else "train"


def _fact_rows(tok: Any, split: str, relation: str, n: int) -> list[tuple[list[int], list[str], str, str]]:
    """(ids, words, subject, answer) of ``n`` statements "prompt answer." about the split's half of the subjects."""
    rows = []
    for clean, _, answer, _, meta in facts_examples(8 * n, seed=SEED, split=split, relation=relation):
        if subject_half(meta["subject"]) != split:
            continue
        ids = encode(tok, clean + answer + ".")
        rows.append((ids, _words(tok, ids), meta["subject"], answer.strip()))
        if len(rows) == n:
            break
    return rows


def _subject_vs_object(relation: str) -> Any:
    def build(tok: Any, split: str) -> tuple[list[list[int]], list[list[int]]]:
        all_ids, all_labels = [], []
        for ids, words, subject, answer in _fact_rows(tok, split, relation, N_PER_SPLIT):
            labels = [-1] * len(ids)
            labels[words.index(subject)] = 1
            labels[len(words) - 1 - words[::-1].index(answer)] = 0  # the answer (a template may hold the word too)
            all_ids.append(ids)
            all_labels.append(labels)
        return all_ids, all_labels

    return build


def _language_vs_capital(tok: Any, split: str) -> tuple[list[list[int]], list[list[int]]]:
    all_ids, all_labels = [], []
    for relation, label in (("language", 1), ("capital", 0)):
        for ids, words, _, answer in _fact_rows(tok, split, relation, N_PER_SPLIT // 2):
            labels = [-1] * len(ids)
            labels[len(words) - 1 - words[::-1].index(answer)] = label
            all_ids.append(ids)
            all_labels.append(labels)
    return all_ids, all_labels


def _brackets(tok: Any, split: str) -> tuple[list[list[int]], list[list[int]]]:
    closers = set(vocab.BRACKET_PAIRS.values())
    all_ids, all_labels = [], []
    for clean, _, _, _, _ in brackets_examples(N_PER_SPLIT, seed=SEED, split=split):
        seq = clean.split()[1:]
        full = seq + closing_sequence(seq)
        ids = encode(tok, render(full))
        words = _words(tok, ids)
        labels = [1 if w in vocab.BRACKET_PAIRS else 0 if w in closers else -1 for w in words]
        assert labels.count(1) + labels.count(0) == len(full), (full, words)
        all_ids.append(ids)
        all_labels.append(labels)
    return all_ids, all_labels


def _repeats(tok: Any, split: str) -> tuple[list[list[int]], list[list[int]]]:
    all_ids, all_labels = [], []
    for clean, _, _, _, _ in induction_examples(N_PER_SPLIT, seq_len=INDUCTION_LEN, seed=SEED, split=split):
        ids = encode(tok, clean)
        n = INDUCTION_LEN
        assert len(ids) == 2 * n, (clean, len(ids))  # BOS + n words + n - 1 words
        labels = [-1] + [0] * n + [1] * (n - 1)
        all_ids.append(ids)
        all_labels.append(labels)
    return all_ids, all_labels
