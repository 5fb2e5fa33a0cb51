"""The reliability catalogue's shared machinery (issue 18).

A *case* is one bad input: a call that must raise one of our errors (an ``InterplayError`` subclass or
a documented built-in) whose message names the bad argument and says what would be accepted. After
every case that touched a model, the model must be unharmed: no hook left on any module, the attention
implementation restored, no gradient left on a parameter, and the logits on a fixed prompt
bit-identical to before. ``expect_error`` runs one case and checks all of it; ``fault`` is the same
check after an injected failure. The counts are printed at the end of the run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import hook_counts

TALLY: Counter[str] = Counter()
FIXED_PROMPT = "When Mary and John went to the store, John gave a drink to"


@dataclass(frozen=True)
class Case:
    """``call()`` must raise ``error`` with a message matching every pattern in ``says``."""

    id: str
    call: Callable[[], Any]
    error: type[BaseException] | tuple[type[BaseException], ...]
    says: tuple[str, ...]


def case(id: str, call: Callable[[], Any], error: Any, *says: str) -> Any:
    """One catalogue entry, as a ``pytest.param`` with a readable id."""
    return pytest.param(Case(id, call, error, says), id=id)


class Snapshot:
    """What a model must still be after a case: its hooks, attention implementation, gradients, logits."""

    def __init__(self, model: Any) -> None:
        import torch

        self.model = model
        self.configs = [m.config for m in model.hf_model.modules() if hasattr(m, "config")]
        self.attn = [getattr(c, "_attn_implementation", None) for c in self.configs]
        self.hooks = hook_counts(model.hf_model)
        batch = model.tokenize(FIXED_PROMPT)
        with torch.no_grad():
            self.logits = model.hf_model(input_ids=batch.token_ids).logits.clone()
        self.ids = batch.token_ids

    def check(self, *, count: bool = True) -> None:
        import torch

        model = self.model
        leaked = hook_counts(model.hf_model) - self.hooks
        if count:
            TALLY["hooks leaked"] += max(leaked, 0)
        assert leaked == 0, f"{leaked} hook(s) left on the model"
        attn = [getattr(c, "_attn_implementation", None) for c in self.configs]
        assert attn == self.attn, f"attention implementation not restored: {attn} != {self.attn}"
        grads = [n for n, p in model.hf_model.named_parameters() if p.grad is not None]
        assert not grads, f"gradients left on {grads[:3]}"
        with torch.no_grad():
            logits = model.hf_model(input_ids=self.ids).logits
        changed = not torch.equal(logits, self.logits)
        if count:
            TALLY["logits changed"] += int(changed)
        assert not changed, "the model's logits changed after the case"


def expect_error(c: Case, model: Any = None) -> BaseException:
    """Run one case: the right error, raised by our code, naming the problem; the model unharmed."""
    snap = Snapshot(model) if model is not None else None
    TALLY["bad inputs"] += 1
    with pytest.raises(c.error) as info:
        c.call()
    message = str(info.value)
    for pattern in c.says:
        assert re.search(pattern, message), f"{c.id}: the message {message!r} does not say {pattern!r}"
    tb = info.traceback
    ours = [e for e in tb if "interplay" in str(e.path) and "/tests/" not in str(e.path)]
    assert ours, f"{c.id}: raised outside interplay's code: {message!r}"
    assert "interplay" in str(tb[-1].path) or isinstance(info.value, (TypeError, KeyboardInterrupt)), (
        f"{c.id}: raised from {tb[-1].path}, not by interplay: {message!r}")
    if snap is not None:
        snap.check()
    return info.value


def fault(model: Any) -> Snapshot:
    """A snapshot to check after an injected fault (counted as one fault)."""
    TALLY["faults injected"] += 1
    return Snapshot(model)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY:
        terminalreporter.write_line(
            "reliability: " + ", ".join(f"{k}: {TALLY[k]}" for k in
                                        ("bad inputs", "faults injected", "hooks leaked", "logits changed",
                                         "replies lost")))
