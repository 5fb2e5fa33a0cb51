"""Small helpers shared by the methods: what a method's first argument is, token lookup, captures."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

from interplay.data.tokens import token_strings
from interplay.errors import InterplayError

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace


def as_trace(model_or_trace: Model | Trace, prompt: str | None, method: str) -> Trace:
    """The trace a method reads: ``model_or_trace`` itself, or a run of ``prompt`` on the model."""
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

    if isinstance(model_or_trace, Trace):
        if prompt is not None:
            raise InterplayError(f"{method}(trace, prompt): a trace already holds its prompts; pass one or the other")
        return model_or_trace
    if isinstance(model_or_trace, Model):
        if prompt is None:
            raise InterplayError(f"{method}(model, prompt): the prompt is missing")
        return model_or_trace.run(prompt)
    raise InterplayError(f"{method} takes an interplay Model (interplay.load(...)) or a Trace (model.run(...)) "
                         f"first, not a {type(model_or_trace).__name__}")


def require_model(model: Any, method: str, *, causal: bool = False) -> Model:
    """``model`` itself if it is an interplay Model (a causal LM where ``causal``, as generation needs),
    else an error naming ``method`` and what it got."""
    from interplay.backend.model import Model

    if not isinstance(model, Model):
        raise InterplayError(f"{method} takes an interplay Model first (interplay.load(...)), not a {type(model).__name__}")
    if causal and not model.cfg.causal:
        raise InterplayError(f"{method} generates text: it needs a causal language model, not {model.cfg.model_type}")
    return model


def special_ids(model: Model) -> list[int]:
    """The tokenizer's special token ids (BOS, EOS, pad, unk and the rest) inside the vocabulary, sorted."""
    tok = model.tokenizer
    ids = set(getattr(tok, "all_special_ids", None) or [])
    for attr in ("bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id"):
        v = getattr(tok, attr, None)
        if v is not None:
            ids.add(int(v))
    return sorted(i for i in ids if 0 <= i < model.cfg.d_vocab)


def check_batch(trace: Trace, batch: int) -> None:
    if isinstance(batch, bool) or not isinstance(batch, int) or not 0 <= batch < len(trace.prompts):
        raise InterplayError(f"batch={batch!r} is out of range: the trace has {len(trace.prompts)} prompts "
                             f"(0..{len(trace.prompts) - 1})")


def single_token_id(model: Model, token: str | int, what: str = "token") -> int:
    """The id of ``token`` (a string that must be exactly one token, or an id); ``what`` names the argument."""
    top = model.cfg.d_vocab - 1
    if isinstance(token, numbers.Integral) and not isinstance(token, bool):
        if not 0 <= token <= top:
            raise InterplayError(f"{what}={token}: token id {token} is outside the vocabulary (ids 0..{top})")
        return int(token)
    if not isinstance(token, str) or not token:
        raise InterplayError(f"{what} must be a non-empty string (one token) or a token id in 0..{top}; got {token!r}"
                             f" (a {type(token).__name__})")
    ids = model.tokenizer(token, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        pieces = model.tokenizer.convert_ids_to_tokens(ids)
        hint = f" (' {token}' with a leading space?)" if not token.startswith(" ") else ""
        raise InterplayError(f"{what}={token!r} is not a single token: it splits into {len(ids)} tokens {pieces}{hint}; "
                             f"{what} must be one token (a string the tokenizer keeps whole, or an id)")
    return int(ids[0])


def token_label(model: Model, tid: int) -> str:
    """The text of one token id, as every view shows it."""
    return token_strings(model.tokenizer, [tid])[0]


def ensure_captured(trace: Trace, names: list[str]) -> Trace:
    """``trace`` if it holds ``names``, else a new run of the same prompts that captures them."""
    if all(n in trace.activations for n in names):
        return trace
    return trace.model.run(trace.prompts if trace.batched else trace.prompts[0], capture=names)
