"""``interplay.circuitsvis`` takes exactly CircuitsVis's arguments: for every function CircuitsVis
defines in the modules we mirror, ours exists with the same parameter names, order, kinds and
defaults (read from the installed ``circuitsvis`` package, so this fails if either side drifts)."""

from __future__ import annotations

import importlib
import inspect

import pytest

import circuitsvis as cv  # a dev dependency: the test fails, never skips, without it

MODULES = ["attention", "tokens", "topk_tokens", "topk_samples", "logits", "activations"]


def their_functions(module: str) -> list[str]:
    mod = importlib.import_module(f"circuitsvis.{module}")
    return sorted(name for name, fn in inspect.getmembers(mod, inspect.isfunction)
                  if fn.__module__ == mod.__name__ and not name.startswith("_"))


PAIRS = [(m, f) for m in MODULES for f in their_functions(m)]


def test_every_module_of_circuitsvis_is_mirrored() -> None:
    from interplay import circuitsvis as ours

    theirs = {m for m in cv.__all__ if m != "examples"} | {"logits"}
    assert theirs == set(MODULES)
    assert set(ours.__all__) == set(MODULES)
    assert len(PAIRS) >= 10  # attention x3, tokens x3, topk_tokens, topk_samples, logits, activations


@pytest.mark.parametrize(("module", "name"), PAIRS, ids=[f"{m}.{f}" for m, f in PAIRS])
def test_same_signature(module: str, name: str) -> None:
    ours_mod = importlib.import_module(f"interplay.circuitsvis.{module}")
    assert hasattr(ours_mod, name), f"interplay.circuitsvis.{module} lacks {name}"
    assert name in ours_mod.__all__
    theirs = inspect.signature(getattr(importlib.import_module(f"circuitsvis.{module}"), name)).parameters
    ours = inspect.signature(getattr(ours_mod, name)).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]


def test_the_signature_test_sees_a_drift() -> None:
    """A renamed keyword or a changed default makes the comparison differ."""
    def theirs(tokens: list[str], values: object, min_value: float | None = None) -> None: ...
    def renamed(tokens: list[str], values: object, vmin: float | None = None) -> None: ...
    def default(tokens: list[str], values: object, min_value: float | None = 0.0) -> None: ...

    def key(f: object) -> list[tuple[str, object, object]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]  # type: ignore[arg-type]
    assert key(renamed) != key(theirs) and key(default) != key(theirs)
