"""The demo model's training corpus: schedule arithmetic, echo and induction rows."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from interplay.tasks import vocab
from interplay.tasks.ioi import ioi_examples
from scripts.demo_model import corpus
from scripts.demo_model.evaluation import max_induction_score
from tests.tasks.rows import split_repeat


def test_phase_steps_share_out_every_step() -> None:
    schedule = [
        {"name": "a", "share": 0.15, "mixture": {"echo": 1.0}},
        {"name": "b", "share": None, "mixture": corpus.MIXTURE},
        {"name": "c", "share": 0.1, "mixture": {"ioi": 1.0}},
    ]
    assert corpus.phase_steps(schedule, 10000) == [1500, 7500, 1000]
    assert corpus.phase_steps(schedule, 4) == [1, 3, 0]
    assert sum(corpus.phase_steps(corpus.SCHEDULE, 12345)) == 12345


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ((0.5, 0.5), "exactly one phase"),
        ((None, None), "exactly one phase"),
        ((0.7, 0.6, None), "more than all"),
    ],
)
def test_phase_steps_bad_schedules(shares: tuple[float | None, ...], message: str) -> None:
    schedule = [{"name": str(i), "share": s, "mixture": {"echo": 1.0}} for i, s in enumerate(shares)]
    with pytest.raises(ValueError, match=message):
        corpus.phase_steps(schedule, 100)


def test_phase_steps_names_a_misspelt_option() -> None:
    schedule = [{"name": "p", "share": None, "mixture": {"echo": 1.0}, "echo_random_phse": True}]
    with pytest.raises(ValueError, match=r"phase 'p'.*echo_random_phse"):
        corpus.phase_steps(schedule, 100)
    with pytest.raises(ValueError, match="needs name, share and mixture"):
        corpus.phase_steps([{"name": "p", "mixture": {"echo": 1.0}}], 100)


def test_default_schedule_names_known_tasks() -> None:
    for phase in corpus.SCHEDULE:
        assert set(phase["mixture"]) <= set(corpus.MIXTURE), phase["name"]
        assert sum(phase["mixture"].values()) == pytest.approx(1.0), phase["name"]
    with pytest.raises(ValueError, match="unknown tasks"):
        corpus.training_rows(10, mixture={"echoes": 1.0})


@pytest.mark.parametrize(("random_phase", "without_names"), [(False, False), (True, False), (True, True)])
def test_echo_rows_are_triples(random_phase: bool, without_names: bool) -> None:
    rows = corpus._echo_rows(300, random.Random(0), random_phase, without_names)
    leads = set()
    for row in rows:
        words = row.split()
        lead = len(words) % 3  # 0-2 leading words, then whole triples x y x
        leads.add(lead)
        triples = words[lead:]
        assert len(triples) >= 9
        for i in range(0, len(triples), 3):
            x, y, x2 = triples[i : i + 3]
            assert x == x2 and x != y, row
        assert len(set(words)) == len(words) - len(triples) // 3, "every other word is new"
        if without_names:
            assert not set(words) & set(vocab.NAMES), row
    # aligned to the start, or at every phase of the position
    assert leads == ({0, 1, 2} if random_phase else {0})
    if not without_names:
        assert any(set(r.split()) & set(vocab.NAMES) for r in rows)


def test_induction_rows_with_a_lead_start_anywhere() -> None:
    rows = corpus._induction_rows(300, random.Random(1), 20, max_lead=10)
    leads = []
    for row in rows:
        words = row.split()
        parsed = split_repeat(words)
        assert parsed, row
        lead, first, _ = parsed
        assert lead <= 10 and 4 <= len(first) <= 20 and not set(words[:lead]) & set(first), row
        leads.append(lead)
    assert min(leads) == 0 and max(leads) >= 8


def test_max_induction_score_ignores_the_first_layer() -> None:
    scores = np.array([[0.9, 0.1], [0.2, 0.3], [0.4, 0.05]])
    assert max_induction_score(scores) == 0.4
    assert max_induction_score(scores.tolist()) == 0.4
    assert max_induction_score([[0.9, 0.8]]) == 0.0  # one layer: nothing can compose


def test_some_ioi_rows_follow_a_filler_sentence_without_their_names() -> None:
    rows = corpus._ioi_rows(600, 0)
    plain = {c + a + "." for c, _, a, _, _ in ioi_examples(600, seed=0, split="train")}
    prefixed = [r for r in rows if r not in plain]
    assert abs(len(prefixed) / len(rows) - corpus.IOI_AFTER_FILLER) < 0.06
    for row in prefixed:
        sentence = next(p for p in plain if row.endswith(" " + p))
        filler = row[: -len(sentence) - 1]
        names = set(re.findall(r"\w+", sentence)) & set(vocab.NAMES)
        filler_words = set(re.findall(r"\w+", filler))
        assert len(names) == 2 and not names & filler_words, row
        assert not filler_words & set(vocab.NAMES_TEST), row  # held-out names stay out of IOI rows
    assert corpus._ioi_rows(50, 3) == corpus._ioi_rows(50, 3)
