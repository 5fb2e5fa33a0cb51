"""The shared argument checkers: each names the argument, the bad value and what is accepted."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from interplay import checks
from interplay.errors import InterplayError, MetricError, PromptError, TaskError


@pytest.mark.parametrize(("call", "error", "says"), [
    (lambda: checks.count("k", -5, low=1), InterplayError, r"k must be an integer >= 1; got -5"),
    (lambda: checks.count("k", True), InterplayError, r"got True \(a bool\)"),
    (lambda: checks.count("k", 2.5, low=0, high=3), InterplayError, r"in 0\.\.3; got 2\.5 \(a float\)"),
    (lambda: checks.count("n", 9, high=8, error=TaskError), TaskError, r"n must be an integer in 0\.\.8; got 9"),
    (lambda: checks.number("coeff", math.nan), InterplayError, "coeff must be a finite number; got nan"),
    (lambda: checks.number("p", 2, low=0, high=1), InterplayError, r"p must be a finite number >= 0 and <= 1; got 2"),
    (lambda: checks.number("v", "3"), InterplayError, r"got '3' \(a str\)"),
    (lambda: checks.choice("mode", "boost", ["scale", "clamp"]), InterplayError,
     r"mode must be one of 'scale', 'clamp'; got 'boost'"),
    (lambda: checks.flag("keep_error", 1), InterplayError, r"keep_error must be True or False; got 1 \(a int\)"),
    (lambda: checks.prompts("prompt", b"hi"), PromptError, r"got bytes b'hi' \(decode it first"),
    (lambda: checks.prompts("prompt", ["a", ""]), PromptError, r"prompt\[1\] is empty"),
    (lambda: checks.prompts("prompt", ["a", 3]), PromptError, r"prompt\[1\] is a int"),
    (lambda: checks.prompts("prompt", []), PromptError, "non-empty list of strings; got"),
    (lambda: checks.prompts("prompt", ["a", "b"], single=True), PromptError, "one prompt: pass prompts one at a time"),
    (lambda: checks.scalar("metric", None), MetricError, "metric returned None; it must return one number"),
    (lambda: checks.scalar("metric", torch.ones(3)), MetricError, r"got shape \[3\]"),
    (lambda: checks.scalar("metric", "x"), MetricError, "got a str"),
    (lambda: checks.scalar("metric", torch.tensor(float("inf"))), MetricError, "returned inf"),
])
def test_bad_values_are_named(call, error, says) -> None:
    with pytest.raises(error, match=says):
        call()


def test_good_values_come_back_normalised() -> None:
    assert checks.count("k", np.int64(3)) == 3 and type(checks.count("k", np.int64(3))) is int
    assert checks.count("k", None, none=True) is None
    assert checks.number("v", np.float32(0.5)) == 0.5
    assert checks.choice("mode", "scale", ["scale", "clamp"]) == "scale"
    assert checks.prompts("p", "hi") == ["hi"] and checks.prompts("p", ("a", "b")) == ["a", "b"]
    assert checks.scalar("m", torch.tensor([2.0])) == 2.0 and checks.scalar("m", np.float64(1.5)) == 1.5
