"""The catalogue machinery itself: a case that raises the wrong way fails, a harmed model is caught."""

from __future__ import annotations

from typing import Any

import pytest

from interplay.errors import PromptError
from tests.reliability.conftest import TALLY, Case, Snapshot, expect_error


def test_a_good_case_passes_and_a_vague_message_fails(demo_model: Any) -> None:
    expect_error(Case("empty prompt", lambda: demo_model.run(""), PromptError, ("empty",)), demo_model)
    with pytest.raises(AssertionError, match="does not say"):
        expect_error(Case("vague", lambda: demo_model.run(""), PromptError, ("accepted: a string",)))
    TALLY["bad inputs"] -= 1  # the deliberately vague case above is not a catalogue entry


def test_an_error_from_outside_interplay_is_not_accepted() -> None:
    def torch_fails() -> None:
        import torch

        torch.zeros(2) @ torch.zeros(3)

    with pytest.raises(AssertionError, match=r"outside interplay|not by interplay"):
        expect_error(Case("torch", torch_fails, RuntimeError, ()))
    TALLY["bad inputs"] -= 1


def test_a_leaked_hook_and_changed_weights_are_caught(demo_model: Any) -> None:
    import torch

    snap = Snapshot(demo_model)
    handle = demo_model.hf_model.transformer.h[0].register_forward_hook(lambda *a: None)
    try:
        with pytest.raises(AssertionError, match="hook"):
            snap.check(count=False)
    finally:
        handle.remove()
    w = demo_model.hf_model.transformer.h[0].mlp.c_fc.bias
    saved = w.detach().clone()
    with torch.no_grad():
        w[0] += 1.0
    try:
        with pytest.raises(AssertionError, match="logits changed"):
            snap.check(count=False)
    finally:
        with torch.no_grad():
            w.copy_(saved)
    snap.check(count=False)
