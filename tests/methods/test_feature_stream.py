"""Streaming a dataset once: every kind of dataset gives the same token stream, whatever the batch size."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import interplay.tasks as tasks
from interplay.errors import PromptError, TaskError
from interplay.methods.features.stream import iter_batches, iter_sequences


def stream(model, dataset, **kw):
    out = []
    for b in iter_batches(model, dataset, **kw):
        for i, n in enumerate(b.lengths):
            assert b.mask[i, :n].all() and not b.mask[i, n:].any()
            out.append((int(b.rows[i]), b.ids[i, :n].tolist()))
    return out


def test_every_dataset_kind_gives_the_same_stream(demo_model) -> None:
    texts = ["When Mary and John went to the store", "the capital of France is", "( [ ] )"]
    ids = [demo_model.tokenizer(t)["input_ids"] for t in texts]
    want = list(enumerate(ids))
    assert stream(demo_model, texts, batch_size=2) == want
    assert stream(demo_model, ids, batch_size=1) == want
    square = np.array([r[:3] for r in ids])
    assert stream(demo_model, square, batch_size=5) == [(i, r[:3]) for i, r in enumerate(ids)]
    assert stream(demo_model, torch.tensor(square)) == [(i, r[:3]) for i, r in enumerate(ids)]
    ds = tasks.ioi(n=5, seed=1)
    assert stream(demo_model, ds, batch_size=3) == [(i, list(r)) for i, r in enumerate(ds.clean_ids)]


def test_long_sequences_are_windowed_and_resume_skips_rows(demo_model) -> None:
    seq = list(range(3, 3 + 25))
    windows = list(iter_sequences(demo_model, [seq], seq_len=10))
    assert windows == [seq[:10], seq[10:20], seq[20:]]
    full = stream(demo_model, [seq, seq[:4]], seq_len=10, batch_size=2)
    assert [r for r, _ in full] == [0, 1, 2, 3]
    assert stream(demo_model, [seq, seq[:4]], seq_len=10, batch_size=2, start=2) == full[2:]


@pytest.mark.parametrize(("dataset", "kw", "error", "match"), [
    ("one text", {}, TaskError, r"got one string \(wrap it in a list"),
    ([[5, 99999]], {}, PromptError, "token id 99999, outside the model's vocabulary"),
    ([3.5], {}, TaskError, "item 0 is a float"),
    (np.zeros((2, 3), dtype=np.float32), {}, TaskError, "integer array"),
    (42, {}, TaskError, "got int"),
    (["a b"], {"batch_size": 0}, TaskError, "batch_size must be a positive integer; got 0"),
    (["a b"], {"seq_len": -1}, TaskError, "seq_len must be a positive number"),
])
def test_bad_datasets_name_the_problem(demo_model, dataset, kw, error, match) -> None:
    with pytest.raises(error, match=match):
        list(iter_batches(demo_model, dataset, **kw))
