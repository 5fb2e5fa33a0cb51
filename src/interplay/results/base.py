"""The base of every result: frozen numpy ``data`` plus an optional live ``session``.

``data`` (an :class:`interplay.data.base.Data`) is what a view draws and what a file holds.
``session`` is the live part that can compute more (another target token, a recomputed sweep, a
pattern window); it implements the small protocol its view declares (``interplay.widgets``) and is
None for a result loaded from a file. Everything that needs only the data works either way
(``show()``, ``to_dataframe()``, ``plot()``, ``save()``); what needs the model raises
:class:`~interplay.errors.NeedsModelError` without a session, and its view says so.

For compatibility, a result reads missing attributes from its data (``result.values`` is
``result.data.values``). numpy only: loading and showing a saved result needs no torch.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from interplay.data.base import Data
from interplay.errors import InterplayError, NeedsModelError

D = TypeVar("D", bound=Data)
S = TypeVar("S")
R = TypeVar("R", bound="Result[Any, Any]")


class Result(Generic[D, S]):
    """``XResult(data, session=None)``; frozen."""

    DATA: ClassVar[type[Data]]
    #: how to recompute this result with a model (for the "needs a live model" messages)
    RECOMPUTE: ClassVar[str] = ""
    __slots__ = ("data", "session")

    data: D
    session: S | None

    def __init__(self, data: D, session: S | None = None) -> None:
        if not isinstance(data, self.DATA):
            raise InterplayError(f"{type(self).__name__} holds a {self.DATA.__name__}, not a {type(data).__name__}")
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "session", session)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: make a new one (e.g. result.replace(...))")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        data = object.__getattribute__(self, "data")
        try:
            return getattr(data, name)
        except AttributeError:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r} (nor has its data)") from None

    @property
    def live(self) -> bool:
        """Whether a live model is attached (False after loading from a file)."""
        return self.session is not None

    def _live(self, what: str) -> S:
        if self.session is None:
            hint = f" Recompute it with the model: {self.RECOMPUTE}." if self.RECOMPUTE else ""
            raise NeedsModelError(f"{what} needs a live model, and this {type(self).__name__} has none (it was "
                                  f"loaded from a file or built from data).{hint}")
        return self.session

    def replace(self: R, **changes: Any) -> R:
        """A copy with some data fields changed (the same session)."""
        fields = [f.name for f in dataclasses.fields(self.data)]
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise InterplayError(f"replace({', '.join(f'{k}=' for k in unknown)}): {unknown} are not fields of "
                                 f"{type(self.data).__name__}; its fields are: {', '.join(fields)}")
        return type(self)(dataclasses.replace(self.data, **changes), self.session)

    # ----------------------------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str], *, compress: bool = False) -> Path:
        """Write the data (never the model) to one file; ``XResult.load(path)`` or
        ``interplay.load_result(path)`` reads it back, with numpy alone."""
        return self.data.save(path, kind=type(self).__name__, compress=compress)

    @classmethod
    def load(cls: type[R], path: str | os.PathLike[str]) -> R:
        return cls(cls.DATA.load(path, kind=cls.__name__))

    # ------------------------------------------------------------------------------ interface
    def show(self, **kwargs: Any) -> Any:
        raise NotImplementedError

    def to_dataframe(self) -> Any:
        raise NotImplementedError

    def plot(self, ax: Any = None) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.data!r}, live={self.session is not None})"
