"""Task generators: same-length pairs, determinism, held-out splits, clear errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

import interplay.tasks as tasks
from interplay.errors import InterplayError, TaskError
from interplay.tasks import vocab
from interplay.tasks.dataset import TaskDataset, build_dataset, encode
from scripts.demo_model import corpus
from tests.tasks.rows import split_repeat

GENERATORS = {
    "ioi": lambda seed, split: tasks.ioi(40, seed=seed, split=split),
    "ioi-ABBA": lambda seed, split: tasks.ioi(20, seed=seed, split=split, order="ABBA"),
    "ioi-BABA": lambda seed, split: tasks.ioi(20, seed=seed, split=split, order="BABA"),
    "induction": lambda seed, split: tasks.induction(20, seq_len=12, seed=seed, split=split),
    "induction-sentence": lambda seed, split: tasks.induction(20, seed=seed, split=split, kind="sentence"),
    "facts": lambda seed, split: tasks.facts(60, seed=seed, split=split),
    "facts-capital": lambda seed, split: tasks.facts(20, seed=seed, split=split, relation="capital"),
    "facts-language": lambda seed, split: tasks.facts(20, seed=seed, split=split, relation="language"),
    "facts-profession": lambda seed, split: tasks.facts(20, seed=seed, split=split, relation="profession"),
    "brackets": lambda seed, split: tasks.brackets(40, seed=seed, split=split),
}


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_pairs_have_equal_token_length(name: str, split: str) -> None:
    ds = GENERATORS[name](0, split)
    tok = tasks.demo_tokenizer()
    assert isinstance(ds, TaskDataset) and ds.split == split
    n = len(ds)
    assert n == len(ds.corrupted) == len(ds.answer) == len(ds.wrong) == len(ds.lengths) == len(ds.meta)
    for i in range(n):
        clean, corr = encode(tok, ds.clean[i]), encode(tok, ds.corrupted[i])
        assert len(clean) == len(corr) == ds.lengths[i]
        assert clean == ds.clean_ids[i] and corr == ds.corrupted_ids[i]
        assert clean[0] == tok.token_to_id("<|bos|>")
        assert encode(tok, ds.answer[i], special=False) == [ds.answer_ids[i]]
        assert encode(tok, ds.wrong[i], special=False) == [ds.wrong_ids[i]]
        assert ds.answer[i] != ds.wrong[i] and ds.answer[i].startswith(" ")
        assert ds.clean[i] != ds.corrupted[i]


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_deterministic_and_seed_dependent(name: str) -> None:
    a, b, c = GENERATORS[name](3, "test"), GENERATORS[name](3, "test"), GENERATORS[name](4, "test")
    assert a == b
    assert a.clean != c.clean


def test_ioi_roles_and_orders() -> None:
    for order in ("ABBA", "BABA"):
        ds = tasks.ioi(30, seed=1, order=order)
        for clean, corrupted, answer, wrong, meta in zip(
            ds.clean, ds.corrupted, ds.answer, ds.wrong, ds.meta, strict=True
        ):
            io, s, c = meta["io"], meta["s"], meta["c"]
            assert len({io, s, c}) == 3 and answer == " " + io and wrong == " " + s
            names = re.findall("|".join(vocab.NAMES), clean)
            assert names[:2] == ([io, s] if order == "ABBA" else [s, io])
            assert clean.count(s) == 2 and clean.count(io) == 1
            assert corrupted.count(c) == 1 and corrupted.count(s) == 1  # ABC: the repeated name replaced
    both = tasks.ioi(10, seed=0)
    assert [m["order"] for m in both.meta] == ["ABBA", "BABA"] * 5


def test_enough_templates_and_names() -> None:
    assert len(vocab.IOI_TEMPLATES_TRAIN) + len(vocab.IOI_TEMPLATES_TEST) >= 15
    assert len(vocab.NAMES) >= 40 and len(vocab.PLACES) >= 40 and len(vocab.OBJECTS) >= 40
    tok = tasks.demo_tokenizer()
    for word in (*vocab.NAMES, *vocab.PLACES, *vocab.OBJECTS, *vocab.all_words()):
        assert len(encode(tok, " " + word, special=False)) == 1, word


def test_test_split_uses_only_held_out_names_and_templates() -> None:
    assert not set(vocab.NAMES_TRAIN) & set(vocab.NAMES_TEST)
    assert not set(vocab.IOI_TEMPLATES_TRAIN) & set(vocab.IOI_TEMPLATES_TEST)
    for split, names, templates in (
        ("test", vocab.NAMES_TEST, vocab.IOI_TEMPLATES_TEST),
        ("train", vocab.NAMES_TRAIN, vocab.IOI_TEMPLATES_TRAIN),
    ):
        ds = tasks.ioi(len(templates), seed=0, split=split)
        assert {m["io"] for m in ds.meta} | {m["s"] for m in ds.meta} <= set(names)
        assert {m["template"] for m in ds.meta} == set(range(len(templates)))  # each template once
        for clean, meta in zip(ds.clean, ds.meta, strict=True):
            assert _pattern(templates[meta["template"]]).fullmatch(clean)
    facts_test = tasks.facts(90, split="test")
    for clean, meta in zip(facts_test.clean, facts_test.meta, strict=True):
        assert clean == vocab.FACT_TEMPLATES_TEST[meta["relation"]][meta["template"]].format(
            X=meta["subject"]
        )


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[A-Z]+\}", template)
    return re.compile(r"\w+".join(re.escape(p) for p in parts))


def test_held_out_templates_are_new_combinations_of_trained_parts() -> None:
    assert len(vocab.IOI_TEMPLATES_TEST) >= 15 and len(vocab.IOI_TEMPLATES_TRAIN) >= 15
    for opening in vocab.IOI_OPENINGS:
        assert any(t.startswith(opening) for t in vocab.IOI_TEMPLATES_TRAIN)
        assert any(t.startswith(opening) for t in vocab.IOI_TEMPLATES_TEST)
    for action in vocab.IOI_ACTIONS:
        assert any(t.endswith(action) for t in vocab.IOI_TEMPLATES_TRAIN)
    for rel in vocab.RELATIONS:
        train, test = vocab.FACT_TEMPLATES_TRAIN[rel], vocab.FACT_TEMPLATES_TEST[rel]
        assert not set(train) & set(test) and len(test) >= 3
        for clause in vocab.FACT_CLAUSES[rel]:
            assert any(t.endswith(clause) for t in train)


def test_training_corpus_has_no_held_out_leakage() -> None:
    (phase,) = corpus.SCHEDULE
    rows = corpus.training_rows(6000, seed=0, max_induction_lead=phase["max_induction_lead"])
    ioi_test = [_pattern(t) for t in vocab.IOI_TEMPLATES_TEST]
    ioi_train = [_pattern(t) for t in vocab.IOI_TEMPLATES_TRAIN]
    fact_test = [_pattern(t) for ts in vocab.FACT_TEMPLATES_TEST.values() for t in ts]
    bracket_test = tasks.brackets(300, split="test").clean
    induction_test = {" ".join(m["first"]) for m in tasks.induction(300, seq_len=8, split="test").meta}
    held_out_names = re.compile(r"\b(" + "|".join(vocab.NAMES_TEST) + r")\b")
    for task, text in rows:
        assert not any(p.search(text) for p in fact_test), text
        if task == "ioi":
            sentence = text.rsplit(" ", 1)[0]  # drop " <answer>."
            if not any(p.fullmatch(sentence) for p in ioi_train):
                sentence = sentence.split(". ", 1)[1]  # after a filler sentence
            assert any(p.fullmatch(sentence) for p in ioi_train), text
            assert not any(p.fullmatch(sentence) for p in ioi_test), text
            assert not held_out_names.search(text), text
        if task == "brackets":
            assert not any(text == p or text.startswith(p + " ") for p in bracket_test), text
        if task == "induction":  # other words, then a sequence repeated twice or three times
            parsed = split_repeat(text.split())
            assert parsed, text
            first = " ".join(parsed[1])
            assert vocab.hash_split(first) == "train"
            assert first not in induction_test
    # held-out names are still trained, in other roles
    assert all(any(name in text for task, text in rows if task != "ioi") for name in vocab.NAMES_TEST)


def test_bad_arguments_raise_clear_errors() -> None:
    for bad_n in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            tasks.ioi(bad_n)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be a positive integer"):
        tasks.facts(0)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        tasks.induction(-1)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        tasks.brackets(0)
    with pytest.raises(ValueError, match="unknown IOI template"):
        tasks.ioi(5, templates=["{A} met {B}. {S} waved to"])
    with pytest.raises(ValueError, match="it is a 'train' template"):
        tasks.ioi(5, split="test", templates=[vocab.IOI_TEMPLATES_TRAIN[0]])
    with pytest.raises(ValueError, match="template index 99 out of range"):
        tasks.ioi(5, templates=[99])
    with pytest.raises(ValueError, match="unknown relation 'currency'"):
        tasks.facts(5, relation="currency")
    with pytest.raises(ValueError, match="split must be one of"):
        tasks.ioi(5, split="validation")
    with pytest.raises(ValueError, match="order must be one of"):
        tasks.ioi(5, order="AABB")
    with pytest.raises(ValueError, match="kind must be one of"):
        tasks.induction(5, kind="copy")
    with pytest.raises(ValueError, match="seq_len must be an integer from 3 to"):
        tasks.induction(5, seq_len=1)


def test_errors_are_task_errors_that_name_the_argument_and_what_is_accepted() -> None:
    top = (len(vocab.all_words()) - 2) // 2  # 2 * seq_len + 2 distinct words
    cases = [
        (lambda: tasks.ioi(0), r"n must be a positive integer \(the number of prompts.*got 0"),
        (lambda: tasks.brackets(2.5), r"n must be a positive integer.*got 2\.5"),  # type: ignore[arg-type]
        (lambda: tasks.ioi(5, split="dev"), r"split must be one of \('train', 'test'\).*got 'dev'"),
        (lambda: tasks.induction(5, seq_len=1000), rf"seq_len must be an integer from 3 to {top} .*got 1000"),
        (lambda: tasks.induction(5, seq_len=top + 1), rf"from 3 to {top} .*got {top + 1}"),
        (lambda: tasks.induction(5, seq_len=2.5), r"seq_len must be an integer.*got 2\.5"),  # type: ignore[arg-type]
        (lambda: tasks.induction(5, kind="copy"), r"kind must be one of \('random', 'sentence'\)"),
        (
            lambda: tasks.facts(5, relation="currency"),
            r"relation: unknown relation 'currency'; choose one of",
        ),
        (lambda: tasks.ioi(5, order="AABB"), r"order must be one of \('ABBA', 'BABA', 'both'\)"),
        (lambda: tasks.ioi(5, templates=[]), "templates must not be empty"),
        (lambda: tasks.ioi(5, templates=[99]), r"indices 0 to \d+ are accepted"),
    ]
    for make, pattern in cases:
        with pytest.raises(TaskError, match=pattern) as info:
            make()
        assert isinstance(info.value, InterplayError) and isinstance(info.value, ValueError)
    assert len(tasks.induction(2, seq_len=top, seed=0).meta[0]["first"]) == top  # the bound is exact
    assert len(tasks.induction(2, seq_len=3)) == 2
    assert len(tasks.induction(2, seq_len=1000, kind="sentence")) == 2  # seq_len is random's only


def test_a_missing_demo_tokenizer_is_a_task_error(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from interplay.tasks import dataset

    dataset.demo_tokenizer.cache_clear()
    monkeypatch.setattr(dataset, "DEMO_MODEL_DIR", tmp_path)
    try:
        with pytest.raises(TaskError, match=r"tokenizer=None means the demo model's.*pass tokenizer=\.\.\."):
            tasks.ioi(3)
    finally:
        dataset.demo_tokenizer.cache_clear()


def test_template_selection_by_index_and_string() -> None:
    by_index = tasks.ioi(6, templates=[1])
    by_string = tasks.ioi(6, templates=[vocab.IOI_TEMPLATES_TEST[1]])
    assert by_index == by_string and {m["template"] for m in by_index.meta} == {1}


def test_foreign_tokenizer_errors_are_clear() -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    chars = Tokenizer(
        models.BPE(vocab={c: i for i, c in enumerate(pre_tokenizers.ByteLevel.alphabet())}, merges=[])
    )
    chars.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    with pytest.raises(TaskError, match=r"tokenizer: only 0 of .* test names are single tokens"):
        tasks.ioi(5, tokenizer=chars)
    with pytest.raises(TaskError, match=r"tokenizer: .*words.* at least 42 are needed \(seq_len=20 needs"):
        tasks.induction(5, tokenizer=chars)
    with pytest.raises(TaskError, match=r"tokenizer: facts need single-token subjects.*tokenizer=None"):
        tasks.facts(5, tokenizer=chars)
    with pytest.raises(TaskError, match=r"differ in token length \(4 vs 5\) in this tokenizer \(Tokenizer\)"):
        build_dataset("x", [("a b", "a bb", " a", " b", {})], tokenizer=chars, split="test", seed=0)
    with pytest.raises(TaskError, match=r"the answer token ' ab' is not a single token.*tokenizer=None"):
        build_dataset("x", [("a b", "a c", " ab", " b", {})], tokenizer=chars, split="test", seed=0)


def test_tasks_import_without_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, interplay.tasks as t; t.ioi(3); t.facts(3); t.induction(3); "
        "ds = t.brackets(3); logits = np.zeros((3, max(ds.lengths), 2048), np.float32); "
        "ds.metric(logits); ds.per_prompt_metric(logits); ds.accuracy(logits); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
