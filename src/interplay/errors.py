"""Errors that name the problem. Every user-facing failure is one of these, never a torch traceback.

All derive from :class:`InterplayError` (a ``ValueError``, so generic handlers still catch them) and
live here, at the bottom of the package, so that every layer can raise them without importing any
other layer. The top-level package exports each one.
"""

from __future__ import annotations


class InterplayError(ValueError):
    """Base class of interplay's errors (a ValueError, so generic handlers still catch it)."""


class HookNameError(InterplayError, LookupError):
    """An activation name that does not exist (or not in this architecture)."""


class ComponentError(HookNameError):
    """An unknown component of a patching sweep, or a granularity it does not have."""


class PromptError(InterplayError):
    """An empty prompt, or one longer than the model's context."""


class PromptLengthError(PromptError):
    """A clean prompt and its corrupted twin have different token lengths."""


class ShapeError(InterplayError):
    """A tensor of the wrong shape, passed by a user or returned by a user's hook."""


class UnsupportedArchitectureError(InterplayError):
    """A model whose architecture has no adapter."""


class MetricError(InterplayError):
    """A metric that cannot be evaluated: wrong tokens, or a value that is not one number."""


class ProbeError(InterplayError):
    """Probe inputs that cannot give a probe (no labelled tokens, one class, unknown layer...)."""


class AnnotationError(InterplayError):
    """A label record, a label set or an annotation file that cannot be used (the message says why)."""


class TaskError(InterplayError):
    """A task generator or dataset argument that cannot give the dataset asked for."""


class ViewError(InterplayError):
    """A view built or driven with values it cannot show (a selection out of range, unknown keys...)."""


class NeedsModelError(InterplayError):
    """A result or view made without a live model (loaded from a file, built from arrays) was asked
    for something only the model can compute."""


class DictionaryError(InterplayError):
    """A sparse dictionary (SAE, transcoder) that cannot be used: a file with missing or foreign keys,
    an unknown architecture, or a width that does not match the hook it is attached to."""


class ResultFileError(InterplayError):
    """A result file that cannot be read: missing, truncated, foreign, or from a newer interplay."""


__all__ = [
    "AnnotationError",
    "ComponentError",
    "DictionaryError",
    "HookNameError",
    "InterplayError",
    "MetricError",
    "NeedsModelError",
    "ProbeError",
    "PromptError",
    "PromptLengthError",
    "ResultFileError",
    "ShapeError",
    "TaskError",
    "UnsupportedArchitectureError",
    "ViewError",
]
