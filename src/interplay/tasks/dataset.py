"""The one dataset type every task generator returns, and the tokenizer helpers behind it.

A :class:`TaskDataset` is a list of clean prompts, a list of corrupted twins of the same token
length, and for each prompt the answer token and a wrong token (both token strings such as
``" Mary"``). Patching, attribution and circuit methods take it directly: run ``clean`` and
``corrupted``, then score the logits with :meth:`TaskDataset.metric`, the mean logit difference
``logit[answer] - logit[wrong]`` at each prompt's last real token.

No torch at import time: torch tensors are handled if passed in, numpy otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DEMO_MODEL_DIR = Path(__file__).resolve().parent.parent / "assets" / "demo-model"
SPLITS = ("train", "test")


@dataclass(frozen=True)
class TaskDataset:
    """Prompts plus everything a patching, attribution or circuit method needs.

    Attributes:
        name: task name ("ioi", "induction", "facts", "brackets", ...).
        clean: prompts, each ending right before the answer.
        corrupted: twin prompts, pairwise of the same token length as ``clean``.
        answer, wrong: token strings (e.g. ``" Mary"``, ``" John"``) for each prompt.
        answer_ids, wrong_ids: their token ids in the tokenizer the dataset was built with.
        clean_ids, corrupted_ids: token ids of the prompts (special tokens included, e.g. BOS).
        lengths: token length of each prompt (= of its corrupted twin).
        split: "train" or "test" (held-out names, templates or facts).
        seed: the seed the prompts were drawn with.
        meta: per-prompt details (template index, names, relation, ...).
    """

    name: str
    clean: list[str]
    corrupted: list[str]
    answer: list[str]
    wrong: list[str]
    answer_ids: list[int]
    wrong_ids: list[int]
    clean_ids: list[list[int]]
    corrupted_ids: list[list[int]]
    lengths: list[int]
    split: str
    seed: int
    meta: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.clean)

    def per_prompt_metric(self, logits: Any) -> Any:
        """logit[answer] - logit[wrong] at each prompt's last real token (position lengths[i] - 1).

        ``logits``: torch tensor or numpy array [batch, pos, vocab], batch in dataset order,
        right-padded. Returns the same kind of object, shape [batch]; with torch the result stays
        differentiable (attribution patching takes gradients through it).
        """
        shape = tuple(logits.shape)
        if len(shape) != 3:
            raise ValueError(f"logits must have shape [batch, pos, vocab], got {list(shape)}")
        if shape[0] != len(self):
            raise ValueError(f"logits batch {shape[0]} != dataset size {len(self)} (dataset order expected)")
        if shape[1] < max(self.lengths):
            raise ValueError(
                f"logits have {shape[1]} positions but the longest prompt has {max(self.lengths)}"
            )
        if max(max(self.answer_ids), max(self.wrong_ids)) >= shape[2]:
            raise ValueError(f"answer/wrong ids exceed the logits' vocab size {shape[2]}")
        rows = np.arange(len(self))
        pos = np.asarray(self.lengths) - 1
        ans = np.asarray(self.answer_ids)
        wrong = np.asarray(self.wrong_ids)
        if isinstance(logits, np.ndarray):
            return logits[rows, pos, ans] - logits[rows, pos, wrong]
        import torch

        dev = logits.device
        r, p = torch.as_tensor(rows, device=dev), torch.as_tensor(pos, device=dev)
        a, w = torch.as_tensor(ans, device=dev), torch.as_tensor(wrong, device=dev)
        return logits[r, p, a] - logits[r, p, w]

    def metric(self, logits: Any) -> Any:
        """Mean over prompts of logit[answer] - logit[wrong] at the last real token.

        A float for numpy input; a 0-d tensor (differentiable) for torch input.
        """
        values = self.per_prompt_metric(logits)
        if isinstance(values, np.ndarray):
            return float(values.mean())
        return values.float().mean()

    def accuracy(self, logits: Any) -> float:
        """Fraction of prompts whose answer token has the highest logit of all tokens."""
        rows = np.arange(len(self))
        pos = np.asarray(self.lengths) - 1
        if not isinstance(logits, np.ndarray):
            logits = logits.detach().float().cpu().numpy()
        top = logits[rows, pos].argmax(-1)
        return float((top == np.asarray(self.answer_ids)).mean())


# ----------------------------------------------------------------------------------- tokenizers
@functools.lru_cache(maxsize=1)
def demo_tokenizer() -> Any:
    """The demo model's tokenizer, loaded with the torch-free ``tokenizers`` library."""
    path = DEMO_MODEL_DIR / "tokenizer.json"
    if not path.exists():
        raise FileNotFoundError(
            f"the demo model's tokenizer is missing at {path}; run scripts/train_demo_model.py "
            "or pass tokenizer=..."
        )
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def resolve_tokenizer(tokenizer: Any) -> Any:
    return demo_tokenizer() if tokenizer is None else tokenizer


def encode(tokenizer: Any, text: str, special: bool = True) -> list[int]:
    """Token ids of ``text`` with a ``tokenizers.Tokenizer`` or a transformers tokenizer."""
    out = tokenizer.encode(text, add_special_tokens=special)
    ids = out.ids if hasattr(out, "ids") else out
    return [int(i) for i in ids]


def single_token_id(tokenizer: Any, token: str) -> int | None:
    """The id of ``token`` if it encodes to exactly one token, else None."""
    ids = encode(tokenizer, token, special=False)
    return ids[0] if len(ids) == 1 else None


def single_token_words(tokenizer: Any, words: Sequence[str], minimum: int, what: str) -> list[str]:
    """Those ``words`` that are one token with a leading space; raise if fewer than ``minimum``."""
    kept = [w for w in words if single_token_id(tokenizer, " " + w) is not None]
    if len(kept) < minimum:
        raise ValueError(
            f"only {len(kept)} of {len(words)} {what} are single tokens (with a leading space) in this "
            f"tokenizer; at least {minimum} are needed"
        )
    return kept


def check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def build_dataset(
    name: str,
    examples: Sequence[tuple[str, str, str, str, dict[str, Any]]],
    *,
    tokenizer: Any,
    split: str,
    seed: int,
) -> TaskDataset:
    """Tokenize (clean, corrupted, answer, wrong, meta) examples and check the invariants.

    Raises ValueError when a clean/corrupted pair differs in token length or an answer or wrong
    string is not a single token.
    """
    tok = resolve_tokenizer(tokenizer)
    clean_ids, corr_ids, answer_ids, wrong_ids = [], [], [], []
    for clean, corrupted, answer, wrong, _ in examples:
        c_ids, x_ids = encode(tok, clean), encode(tok, corrupted)
        if len(c_ids) != len(x_ids):
            raise ValueError(
                f"{name}: clean and corrupted prompts differ in token length ({len(c_ids)} vs "
                f"{len(x_ids)}) with this tokenizer:\n  {clean!r}\n  {corrupted!r}"
            )
        a_id, w_id = single_token_id(tok, answer), single_token_id(tok, wrong)
        if a_id is None or w_id is None:
            bad = answer if a_id is None else wrong
            raise ValueError(f"{name}: {bad!r} is not a single token in this tokenizer")
        clean_ids.append(c_ids)
        corr_ids.append(x_ids)
        answer_ids.append(a_id)
        wrong_ids.append(w_id)
    return TaskDataset(
        name=name,
        clean=[e[0] for e in examples],
        corrupted=[e[1] for e in examples],
        answer=[e[2] for e in examples],
        wrong=[e[3] for e in examples],
        answer_ids=answer_ids,
        wrong_ids=wrong_ids,
        clean_ids=clean_ids,
        corrupted_ids=corr_ids,
        lengths=[len(c) for c in clean_ids],
        split=split,
        seed=seed,
        meta=[dict(e[4]) for e in examples],
    )
