"""The one dataset type every task generator returns, and the tokenizer helpers behind it.

A :class:`TaskDataset` is a list of clean prompts, a list of corrupted twins of the same token
length, and for each prompt the answer token and a wrong token (both token strings such as
``" Mary"``). Patching, attribution and circuit methods take it directly: run ``clean`` and
``corrupted``, then score the logits with :meth:`TaskDataset.metric`, the mean logit difference
``logit[answer] - logit[wrong]`` at each prompt's last real token.

No torch is imported here, ever: the metric indexes whatever array it is given (a numpy array or a
torch tensor) with numpy index arrays, which keeps a torch result differentiable. Bad arguments
raise :class:`~interplay.errors.TaskError` (bad logits: ``ShapeError``), naming the argument, the
value and what would be accepted.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from interplay.data.arrays import to_numpy
from interplay.errors import MetricError, ShapeError, TaskError

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
        differentiable (attribution patching takes gradients through it). Indexed with numpy index
        arrays, which numpy and torch (on any device) both take, so torch is never imported here.
        """
        shape = tuple(getattr(logits, "shape", ()))
        if len(shape) != 3:
            raise ShapeError(
                f"logits must have shape [batch, pos, vocab] (batch = the {len(self)} prompts of the "
                f"dataset), got shape {list(shape)}"
            )
        if shape[0] != len(self):
            raise ShapeError(
                f"logits batch {shape[0]} != dataset size {len(self)}: pass the logits of all the "
                "dataset's prompts, in dataset order"
            )
        if shape[1] < max(self.lengths):
            raise ShapeError(
                f"logits have {shape[1]} positions but the longest prompt has {max(self.lengths)}: "
                "pass the logits at every position (right-padded), not only the last"
            )
        if max(max(self.answer_ids), max(self.wrong_ids)) >= shape[2]:
            raise MetricError(
                f"answer/wrong ids (up to {max(max(self.answer_ids), max(self.wrong_ids))}) exceed the "
                f"logits' vocab size {shape[2]}: build the dataset with the tokenizer of the model "
                "that gave the logits (tokenizer=...)"
            )
        rows = np.arange(len(self))
        pos = np.asarray(self.lengths) - 1
        ans = np.asarray(self.answer_ids)
        wrong = np.asarray(self.wrong_ids)
        return logits[rows, pos, ans] - logits[rows, pos, wrong]

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
            logits = to_numpy(logits)
        top = logits[rows, pos].argmax(-1)
        return float((top == np.asarray(self.answer_ids)).mean())


# ----------------------------------------------------------------------------------- tokenizers
@functools.lru_cache(maxsize=1)
def demo_tokenizer() -> Any:
    """The demo model's tokenizer, loaded with the torch-free ``tokenizers`` library."""
    path = DEMO_MODEL_DIR / "tokenizer.json"
    if not path.exists():
        raise TaskError(
            f"tokenizer=None means the demo model's tokenizer, but it is missing at {path}: pass "
            "tokenizer=... (a tokenizers.Tokenizer or a transformers tokenizer), or restore the demo "
            "model's files (scripts/train_demo_model.py writes them)"
        )
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def resolve_tokenizer(tokenizer: Any) -> Any:
    """The demo model's tokenizer for None; ``tokenizer`` itself if it can encode text; else TaskError."""
    if tokenizer is None:
        return demo_tokenizer()
    if isinstance(tokenizer, (str, bytes)) or not callable(getattr(tokenizer, "encode", None)):
        hint = (" (a Model: pass model.tokenizer)" if hasattr(tokenizer, "tokenizer") else
                " (a name: load it first, e.g. transformers.AutoTokenizer.from_pretrained(name))"
                if isinstance(tokenizer, str) else "")
        raise TaskError(f"tokenizer must be None (the demo model's), a tokenizers.Tokenizer or a transformers "
                        f"tokenizer; got {tokenizer!r:.80} (a {type(tokenizer).__name__}){hint}")
    return tokenizer


def encode(tokenizer: Any, text: str, special: bool = True) -> list[int]:
    """Token ids of ``text`` with a ``tokenizers.Tokenizer`` or a transformers tokenizer."""
    out = tokenizer.encode(text, add_special_tokens=special)
    ids = out.ids if hasattr(out, "ids") else out
    return [int(i) for i in ids]


def single_token_id(tokenizer: Any, token: str) -> int | None:
    """The id of ``token`` if it encodes to exactly one token, else None."""
    ids = encode(tokenizer, token, special=False)
    return ids[0] if len(ids) == 1 else None


def single_token_words(
    tokenizer: Any, words: Sequence[str], minimum: int, what: str, why: str = ""
) -> list[str]:
    """Those ``words`` that are one token with a leading space; TaskError if fewer than ``minimum``.

    ``why``: what needs that many (e.g. "seq_len=20 needs 2 * seq_len + 2"), for the message.
    """
    kept = [w for w in words if single_token_id(tokenizer, " " + w) is not None]
    if len(kept) < minimum:
        raise TaskError(
            f"tokenizer: only {len(kept)} of {len(words)} {what} are single tokens (with a leading "
            f"space) in {_describe(tokenizer)}; at least {minimum} are needed{f' ({why})' if why else ''}. "
            "Pass tokenizer=None (the demo model's, where every task word is one token) or a tokenizer "
            "that keeps these words whole"
        )
    return kept


def _describe(tokenizer: Any) -> str:
    name = getattr(tokenizer, "name_or_path", "") or ""
    return f"the tokenizer {name!r}" if name else f"this tokenizer ({type(tokenizer).__name__})"


def check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise TaskError(f"n must be a positive integer (the number of prompts, e.g. n=50), got {n!r}")


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise TaskError(
            f"split must be one of {SPLITS} ('test': held-out names, templates and sequences; "
            f"'train': the demo model's training ones), got {split!r}"
        )


def build_dataset(
    name: str,
    examples: Sequence[tuple[str, str, str, str, dict[str, Any]]],
    *,
    tokenizer: Any,
    split: str,
    seed: int,
) -> TaskDataset:
    """Tokenize (clean, corrupted, answer, wrong, meta) examples and check the invariants.

    Raises TaskError when a clean/corrupted pair differs in token length or an answer or wrong
    string is not a single token, in ``tokenizer``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TaskError(f"seed must be an integer (the seed the prompts are drawn with); got {seed!r} "
                        f"(a {type(seed).__name__})")
    tok = resolve_tokenizer(tokenizer)
    clean_ids, corr_ids, answer_ids, wrong_ids = [], [], [], []
    for clean, corrupted, answer, wrong, _ in examples:
        c_ids, x_ids = encode(tok, clean), encode(tok, corrupted)
        if len(c_ids) != len(x_ids):
            raise TaskError(
                f"{name}: clean and corrupted prompts differ in token length ({len(c_ids)} vs "
                f"{len(x_ids)}) in {_describe(tok)} (the tokenizer argument); every pair must have the same token "
                "length (patching compares them position by position), so pass tokenizer=None (the "
                f"demo model's) or one that splits both alike:\n  {clean!r}\n  {corrupted!r}"
            )
        a_id, w_id = single_token_id(tok, answer), single_token_id(tok, wrong)
        if a_id is None or w_id is None:
            bad = answer if a_id is None else wrong
            raise TaskError(
                f"{name}: the {'answer' if a_id is None else 'wrong'} token {bad!r} is not a single token "
                f"in {_describe(tok)} (the tokenizer argument); answers must be one token each: pass tokenizer=None "
                "(the demo model's) or one that keeps the task words whole"
            )
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
