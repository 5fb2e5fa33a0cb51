"""Errors that name the problem. Every user-facing failure is one of these, never a torch traceback."""

from __future__ import annotations


class InterplayError(ValueError):
    """Base class of interplay's errors (a ValueError, so generic handlers still catch it)."""


class HookNameError(InterplayError, LookupError):
    """An activation name that does not exist (or not in this architecture)."""


class PromptError(InterplayError):
    """An empty prompt, or one longer than the model's context."""


class ShapeError(InterplayError):
    """A tensor of the wrong shape, passed by a user or returned by a user's hook."""


class UnsupportedArchitectureError(InterplayError):
    """A model whose architecture has no adapter."""
