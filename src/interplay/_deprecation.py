"""Deprecated spellings, kept for one release: they warn once per call site and then do the new thing."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def warn(old: str, new: str, *, stacklevel: int = 3) -> None:
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


def positional_options(n_positional: int, names: Sequence[str], where: str) -> Callable[[F], F]:
    """Accept the old call shape where options came positionally after the first ``n_positional``
    arguments: they are passed on as keywords (``names`` in order) with a DeprecationWarning."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > n_positional:
                extra = args[n_positional:]
                if len(extra) > len(names):
                    raise TypeError(f"{where} takes at most {n_positional + len(names)} positional arguments "
                                    f"({n_positional} + the deprecated positional {', '.join(names)})")
                given = dict(zip(names, extra, strict=False))
                clash = sorted(set(given) & set(kwargs))
                if clash:
                    raise TypeError(f"{where} got {clash} both positionally and as keywords")
                warn(f"passing {', '.join(given)} to {where} positionally",
                     f"keywords: {', '.join(f'{k}=...' for k in given)}")
                kwargs.update(given)
                args = args[:n_positional]
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
