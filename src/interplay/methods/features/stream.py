"""Streaming a dataset as right-padded batches of token ids, once, in order.

A dataset is any of: a list of texts, a :class:`~interplay.tasks.TaskDataset` (its clean prompts, by
their token ids), a Hugging Face ``datasets.Dataset`` (a ``"text"`` column, or ``"input_ids"``), an
integer array [sequence, pos] of token ids (every token real), or a list of token-id lists. Sequences
longer than ``seq_len`` are cut into consecutive windows of ``seq_len`` tokens; sequence numbers in
:class:`TokenBatch.rows` count those windows in order, so ``(row, position)`` names one token of the
stream, the same whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.errors import PromptError, TaskError

if TYPE_CHECKING:
    from interplay.backend.model import Model


@dataclass(frozen=True)
class TokenBatch:
    ids: torch.Tensor  #: [batch, pos] token ids, right-padded
    mask: torch.Tensor  #: [batch, pos], 1 for real tokens
    rows: npt.NDArray[np.int64]  #: [batch], the sequence number of each row in the stream
    lengths: list[int]


def iter_sequences(model: Model, dataset: Any, *, seq_len: int | None = None) -> Iterator[list[int]]:
    """The dataset's sequences as token-id lists, windows of at most ``seq_len`` tokens."""
    limit = seq_len or model.cfg.n_ctx or 1024
    if not isinstance(limit, int) or limit < 1:
        raise TaskError(f"seq_len must be a positive number of tokens; got {seq_len!r}")
    vocab = model.cfg.d_vocab
    for i, seq in enumerate(_raw_sequences(model, dataset)):
        if not seq:
            continue
        bad = [t for t in seq if not 0 <= t < vocab]
        if bad:
            raise PromptError(f"sequence {i} of the dataset holds token id {bad[0]}, outside the model's "
                              f"vocabulary (0..{vocab - 1})")
        for start in range(0, len(seq), limit):
            yield seq[start:start + limit]


def iter_batches(model: Model, dataset: Any, *, batch_size: int = 32, seq_len: int | None = None,
                 start: int = 0) -> Iterator[TokenBatch]:
    """Right-padded batches of the stream, from sequence number ``start`` on (to resume a run)."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise TaskError(f"batch_size must be a positive integer; got {batch_size!r}")
    pad = model.tokenizer.pad_token_id
    pad = 0 if pad is None else int(pad)
    rows: list[list[int]] = []
    numbers: list[int] = []
    for n, seq in enumerate(iter_sequences(model, dataset, seq_len=seq_len)):
        if n < start:
            continue
        rows.append(seq)
        numbers.append(n)
        if len(rows) == batch_size:
            yield _batch(rows, numbers, pad)
            rows, numbers = [], []
    if rows:
        yield _batch(rows, numbers, pad)


def _batch(rows: list[list[int]], numbers: list[int], pad: int) -> TokenBatch:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, :len(r)] = 1
    return TokenBatch(ids, mask, np.asarray(numbers, dtype=np.int64), [len(r) for r in rows])


def _raw_sequences(model: Model, dataset: Any) -> Iterator[list[int]]:
    clean_ids = getattr(dataset, "clean_ids", None)
    if clean_ids is not None and hasattr(dataset, "answer_ids"):  # a TaskDataset
        for ids in clean_ids:
            yield [int(t) for t in ids]
        return
    if isinstance(dataset, str):
        raise TaskError("dataset must be a list of texts, a TaskDataset, a datasets.Dataset or token ids; "
                        "got one string (wrap it in a list: [text])")
    if hasattr(dataset, "column_names"):  # a Hugging Face datasets.Dataset
        cols = list(dataset.column_names)
        if "input_ids" in cols:
            for row in dataset:
                yield [int(t) for t in row["input_ids"]]
        elif "text" in cols:
            for row in dataset:
                yield _encode(model, row["text"])
        else:
            raise TaskError(f"a datasets.Dataset needs a 'text' or 'input_ids' column; it has {cols}")
        return
    if hasattr(dataset, "shape") and hasattr(dataset, "dtype"):  # numpy array or tensor of ids
        arr = np.asarray(dataset.detach().cpu() if hasattr(dataset, "detach") else dataset)
        if arr.ndim != 2 or arr.dtype.kind not in "iu":
            raise TaskError(f"token ids must be an integer array [sequence, pos]; got {arr.dtype} of shape "
                            f"{list(arr.shape)}")
        for row in arr:
            yield [int(t) for t in row]
        return
    if not isinstance(dataset, Sequence) and not hasattr(dataset, "__iter__"):
        raise TaskError(f"dataset must be a list of texts, a TaskDataset, a datasets.Dataset or token ids; "
                        f"got {type(dataset).__name__}")
    for i, item in enumerate(dataset):
        if isinstance(item, str):
            yield _encode(model, item)
        elif isinstance(item, (list, tuple)) and all(isinstance(t, (int, np.integer)) for t in item):
            yield [int(t) for t in item]
        else:
            raise TaskError(f"dataset item {i} is a {type(item).__name__}; items must be texts or lists of "
                            "token ids")


def _encode(model: Model, text: str) -> list[int]:
    if not isinstance(text, str):
        raise TaskError(f"a dataset text must be a string, not {type(text).__name__}")
    return [int(t) for t in model.tokenizer(text, add_special_tokens=True)["input_ids"]] if text else []
