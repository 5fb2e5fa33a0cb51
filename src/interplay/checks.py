"""Argument checkers for every entry point: one place that says what a bad value is and what is accepted.

Each checker takes the argument's name as the user spelt it (``"max_new_tokens"``, ``"steer(k=)"``),
the value, and the accepted range or choices; it returns the value normalised (an ``int``, a
``float``, a list of strings) or raises ``error`` (an :class:`~interplay.errors.InterplayError`
subclass, :class:`InterplayError` by default) whose message names the argument, repeats the bad value
and says what would be accepted. Standard library only (the core layer): tensors and arrays are
recognised by their attributes, never by importing torch or numpy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from interplay.errors import InterplayError, MetricError, PromptError

Error = type[InterplayError]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _kind(value: Any) -> str:
    return type(value).__name__


def count(name: str, value: Any, *, low: int = 0, high: int | None = None, error: Error = InterplayError,
          none: bool = False) -> Any:
    """An integer in ``[low, high]`` (bools refused); ``none=True`` lets None through."""
    if value is None and none:
        return None
    rng = f">= {low}" if high is None else f"in {low}..{high}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(f"{name} must be an integer {rng}; got {_show(value)} (a {_kind(value)})")
    v = int(value)
    if v < low or (high is not None and v > high):
        raise error(f"{name} must be an integer {rng}; got {v}")
    return v


def number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
           finite: bool = True, error: Error = InterplayError) -> float:
    """A real number (finite unless ``finite=False``) in ``[low, high]``."""
    bounds = [f">= {low}" if low is not None else "", f"<= {high}" if high is not None else ""]
    rng = " and ".join(b for b in bounds if b)
    want = "a finite number" + (f" {rng}" if rng else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"{name} must be {want}; got {_show(value)} (a {_kind(value)})")
    v = float(value)
    if (finite and not math.isfinite(v)) or (low is not None and v < low) or (high is not None and v > high):
        raise error(f"{name} must be {want}; got {v}")
    return v


def choice(name: str, value: Any, accepted: Iterable[Any], *, error: Error = InterplayError) -> Any:
    """One of ``accepted`` (compared with ``==``; the message lists them)."""
    options = list(accepted)
    if not any(value == a and type(value) is type(a) for a in options):
        listed = ", ".join(repr(a) for a in options)
        raise error(f"{name} must be one of {listed}; got {_show(value)}")
    return value


def flag(name: str, value: Any, *, error: Error = InterplayError) -> bool:
    """``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise error(f"{name} must be True or False; got {_show(value)} (a {_kind(value)})")
    return value


def prompts(name: str, value: Any, *, single: bool = False, error: Error = PromptError) -> list[str]:
    """A non-empty string, or (unless ``single``) a non-empty list of non-empty strings."""
    want = "a string" if single else "a string or a non-empty list of strings"
    if isinstance(value, str):
        if not value:
            raise error(f"{name} is empty; it must be {want}")
        return [value]
    if single:
        extra = " (one prompt: pass prompts one at a time)" if isinstance(value, (list, tuple)) else ""
        raise error(f"{name} must be {want}; got {_show(value)} (a {_kind(value)}){extra}")
    if isinstance(value, (bytes, bytearray)):
        raise error(f"{name} must be {want}; got bytes {_show(value)} (decode it first: value.decode('utf-8'))")
    if not isinstance(value, Sequence) or not value:
        raise error(f"{name} must be {want}; got {_show(value)} (a {_kind(value)})")
    for i, p in enumerate(value):
        if not isinstance(p, str) or not p:
            what = "empty" if p == "" else f"a {_kind(p)}"
            raise error(f"{name}[{i}] is {what} ({_show(p)}); {name} must be {want}")
    return list(value)


def scalar(what: str, value: Any) -> float:
    """What a metric returned, as one finite number (a float, a 0-d or 1-element tensor/array)."""
    if value is None:
        raise MetricError(f"{what} returned None; it must return one number (a float or a 0-d tensor), "
                          "e.g. `return logits[0, -1, answer] - logits[0, -1, wrong]`")
    shape = tuple(getattr(value, "shape", ()))
    size = math.prod(shape) if shape else 1
    if isinstance(value, bool) or (not isinstance(value, numbers.Real) and not hasattr(value, "item")) or size != 1:
        desc = f"shape {list(shape)}" if shape else f"a {_kind(value)}"
        raise MetricError(f"{what} must return one number (a float or a 0-d tensor); got {desc}")
    v = float(value.item() if hasattr(value, "item") else value)
    if not math.isfinite(v):
        raise MetricError(f"{what} returned {v}; it must return a finite number")
    return v


__all__ = ["choice", "count", "flag", "number", "prompts", "scalar"]
