"""Inputs shaped as CircuitsVis's docs and TransformerLens notebooks have them, and a way to see
what the real CircuitsVis would draw (the props it hands its React component)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

TOKENS = ["<|endoftext|>", "When", " Mary", " and", " John", " went", " to", " the", " store", ",", " John",
          " gave", " a", " drink", " to", " Mary", "\n", "<b>bold?</b>", " 🙂", "."]  # 20, like a TL prompt


def softmaxed(rng: np.random.Generator, heads: int, n: int, causal: bool = True) -> np.ndarray:
    scores = rng.standard_normal((heads, n, n)).astype(np.float32) * 2
    if causal:
        scores[:, np.triu(np.ones((n, n), bool), 1)] = -np.inf
    scores -= scores.max(-1, keepdims=True)
    p = np.exp(scores)
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def tokens() -> list[str]:
    return list(TOKENS)


@pytest.fixture
def circuitsvis_props(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str, Any], dict[str, Any]]:
    """``props("tokens", "colored_tokens", *args, **kwargs)``: call the real CircuitsVis function and
    return the props it renders (JSON, as its page receives them), with the component's name."""
    def call(module: str, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from circuitsvis.utils.convert_props import convert_props

        mod = importlib.import_module(f"circuitsvis.{module}")
        seen: dict[str, Any] = {}

        def render(component: str, **props: Any) -> None:
            seen.update(json.loads(convert_props(props)), _component=component)

        monkeypatch.setattr(mod, "render", render)
        getattr(mod, name)(*args, **kwargs)
        return seen

    return call  # type: ignore[return-value]
