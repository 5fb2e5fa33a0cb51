"""Faults injected in the middle of the model-heavy methods (issue 18, point 3).

Each test makes something fail on its n-th call in the middle of a batched run: a module's forward
(so the failure comes while every hook, intervention and attention route of the pass is in place), an
intervention, a metric or a target function; or raises KeyboardInterrupt there; or plays an allocator
that runs out of memory (on one call, or whenever a pass has more rows than it can hold). After each:

* the model is unharmed (``fault(model).check()``: no hook left, the attention implementation
  restored, no gradient on a parameter, the logits on a fixed prompt bit-identical);
* the exception that reaches the caller is the original one (the same object), or, for running out
  of memory where nothing smaller can be tried, an ``InterplayError`` that says so;
* a run afterwards gives exactly the numbers of a run that never failed.

Integrated gradients and the patching sweep halve their batch on out-of-memory and finish; their
numbers then equal, bit for bit, a clean run at the batch size they backed off to, and a clean run at
the batch size asked for within float32 rounding (IG: rtol 1e-5, atol 1e-6; the sweep's metric values:
rtol 1e-5, atol 1e-5; the same sums taken over different batch shapes). Where even one row does not
fit, both stop with an ``InterplayError`` that says so, the out-of-memory error as its cause. EAP-IG
does not back off: it stops with an ``InterplayError`` naming its batch_size (the cause attached).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.errors import InterplayError
from interplay.methods._common import single_token_id
from interplay.methods.patching import engine as patching_engine
from tests.reliability.conftest import TALLY, fault

CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "When Tom and Anna went to the park, Anna gave a ball to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "When Tom and Anna went to the park, Tom gave a ball to"]
PROMPT = "When Mary and John went to the store, John gave a drink to"
IG_RTOL, IG_ATOL = 1e-5, 1e-6
SWEEP_RTOL, SWEEP_ATOL = 1e-5, 1e-5


class Boom(RuntimeError):
    """The injected failure: a type no library raises, so the test knows it is the original."""


def nth_call(n: int, exc: Callable[[], BaseException], fn: Callable[..., Any],
             when: Callable[..., bool] | None = None) -> Callable[..., Any]:
    """``fn`` that raises ``exc()`` on its n-th call (1-based) and, with ``when``, on every call
    where ``when(*args)`` holds (an allocator that cannot hold that much)."""
    calls = [0]

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n or (when is not None and when(*args, **kwargs)):
            raise exc()
        return fn(*args, **kwargs)

    wrapped.calls = calls  # type: ignore[attr-defined]
    return wrapped


@contextmanager
def failing_forward(module: torch.nn.Module, n: int, exc: Callable[[], BaseException],
                    when: Callable[..., bool] | None = None) -> Iterator[list[int]]:
    """Make ``module.forward`` fail on its n-th call, inside the model's forward pass."""
    wrapped = nth_call(n, exc, module.forward, when)
    module.forward = wrapped  # type: ignore[method-assign]
    try:
        yield wrapped.calls  # type: ignore[attr-defined]
    finally:
        del module.forward


class Armed:
    """A metric that works until ``arm(n)``; then its n-th call from there raises."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.fn, self.left = fn, 0
        self.__name__ = "armed_logit_diff"

    def arm(self, n: int) -> None:
        self.left = n

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        if self.left:
            self.left -= 1
            if not self.left:
                raise injected()
        return self.fn(logits)


def mlp(model: Any, layer: int = 2) -> torch.nn.Module:
    """Block ``layer``'s MLP of the demo model (GPT-2): a module every pass runs through."""
    module: torch.nn.Module = model.hf_model.transformer.h[layer].mlp
    return module


def oom() -> BaseException:
    return torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (fake allocator)")


def cpu_oom() -> BaseException:
    return RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: "
                        "you tried to allocate 2147483648 bytes (fake allocator)")


def rows_over(limit: int) -> Callable[..., bool]:
    """An allocator that holds at most ``limit`` rows per pass (the module's input batch)."""
    return lambda hidden, *a, **k: hidden.shape[0] > limit


def from_call(k: int) -> Callable[..., bool]:
    """An allocator with no memory left from the k-th pass on."""
    count = [0]

    def full(*args: Any, **kwargs: Any) -> bool:
        count[0] += 1
        return count[0] >= k

    return full


def logit_diff(model: Any) -> Callable[[torch.Tensor], torch.Tensor]:
    good, bad = single_token_id(model, " Mary"), single_token_id(model, " John")

    def metric(logits: torch.Tensor) -> torch.Tensor:
        return (logits[:, good] - logits[:, bad]).mean()

    return metric


def expect_original(exc_type: type[BaseException], call: Callable[[], Any]) -> BaseException:
    """The injected exception itself reaches the caller (not swallowed, not replaced)."""
    with pytest.raises(exc_type) as info:
        call()
    assert "injected" in str(info.value) or isinstance(info.value, KeyboardInterrupt)
    return info.value


def injected() -> Boom:
    return Boom("injected failure")


# ------------------------------------------------------------------------------------ patching sweep


def _patch(model: Any, metric: Any = None, **kw: Any) -> Any:
    kw.setdefault("component", "resid_pre")
    kw.setdefault("by", "layer_pos")
    return interplay.patch(model, CLEAN, CORRUPTED, metric=metric or logit_diff(model), progress=False, **kw)


@pytest.fixture(scope="module")
def patch_reference(demo_model: Any) -> Any:
    return _patch(demo_model, batch_size=8).data


def _same_sweep(got: Any, ref: Any) -> None:
    assert np.array_equal(got.raw, ref.raw, equal_nan=True) and np.array_equal(got.values, ref.values, equal_nan=True)


@pytest.mark.parametrize("n", [1, 3])
def test_an_intervention_raising_mid_sweep_propagates_and_leaves_the_model_whole(
        demo_model: Any, patch_reference: Any, monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    snap = fault(demo_model)
    real = patching_engine.row_patch
    count = [0]

    def flaky_row_patch(*a: Any, **k: Any) -> Any:
        fn = real(*a, **k)

        def intervention(act: torch.Tensor, name: str) -> torch.Tensor:
            count[0] += 1
            if count[0] == n:
                raise injected()
            out: torch.Tensor = fn(act, name)
            return out

        return intervention

    monkeypatch.setattr(patching_engine, "row_patch", flaky_row_patch)
    expect_original(Boom, lambda: _patch(demo_model, batch_size=8))
    monkeypatch.undo()
    snap.check()
    _same_sweep(_patch(demo_model, batch_size=8).data, patch_reference)


def test_a_metric_raising_on_the_nth_call_propagates(demo_model: Any, patch_reference: Any) -> None:
    snap = fault(demo_model)
    metric = nth_call(5, injected, logit_diff(demo_model))
    expect_original(Boom, lambda: _patch(demo_model, metric, batch_size=8))
    assert metric.calls[0] == 5  # type: ignore[attr-defined]
    snap.check()
    _same_sweep(_patch(demo_model, batch_size=8).data, patch_reference)


def test_a_module_raising_inside_the_forward_mid_sweep(demo_model: Any, patch_reference: Any) -> None:
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model), 3, injected):
        expect_original(Boom, lambda: _patch(demo_model, batch_size=8))
    snap.check()
    _same_sweep(_patch(demo_model, batch_size=8).data, patch_reference)


@pytest.mark.parametrize("component,by", [("resid_pre", "layer_pos"), ("z", "layer_head")])
def test_keyboard_interrupt_mid_sweep_propagates_as_keyboard_interrupt(
        demo_model: Any, component: str, by: str) -> None:
    ref = _patch(demo_model, component=component, by=by, batch_size=8).data
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model, 1), 4, KeyboardInterrupt), pytest.raises(KeyboardInterrupt):
        _patch(demo_model, component=component, by=by, batch_size=8)
    snap.check()
    _same_sweep(_patch(demo_model, component=component, by=by, batch_size=8).data, ref)


@pytest.mark.parametrize("error", [oom, cpu_oom], ids=["cuda-oom", "cpu-oom"])
def test_out_of_memory_mid_sweep_halves_the_batch_and_finishes(
        demo_model: Any, patch_reference: Any, error: Callable[[], BaseException]) -> None:
    snap = fault(demo_model)
    # 8 rows = 4 patched runs of 2 prompts per pass; the fake allocator holds at most 4 rows
    with failing_forward(mlp(demo_model), 0, error, when=rows_over(4)) as calls:
        got = _patch(demo_model, batch_size=8).data
    snap.check()
    assert calls[0] > 3
    # what a clean run with 4 rows per pass gives, bit for bit; the 8-row run within float32 rounding
    _same_sweep(got, _patch(demo_model, batch_size=4).data)
    np.testing.assert_allclose(got.raw, patch_reference.raw, rtol=SWEEP_RTOL, atol=SWEEP_ATOL)


def test_a_transient_out_of_memory_mid_sweep_is_survived(demo_model: Any, patch_reference: Any) -> None:
    snap = fault(demo_model)
    # the 6th pass fails whatever its size (the first two are the clean and corrupted runs)
    with failing_forward(mlp(demo_model), 6, oom) as calls:
        got = _patch(demo_model, batch_size=8).data
    snap.check()
    assert calls[0] > 6
    np.testing.assert_allclose(got.raw, patch_reference.raw, rtol=SWEEP_RTOL, atol=SWEEP_ATOL)
    np.testing.assert_allclose(got.values, patch_reference.values, rtol=SWEEP_RTOL, atol=SWEEP_ATOL)


def test_out_of_memory_with_one_run_per_pass_stops_with_a_clear_error(demo_model: Any, patch_reference: Any) -> None:
    snap = fault(demo_model)
    # after the clean and corrupted runs, memory is gone: not even one patched run of 2 prompts fits
    with failing_forward(mlp(demo_model), 0, oom, when=from_call(3)), \
            pytest.raises(InterplayError, match=r"out of memory.*one patched run.*2 prompts.*fewer prompts") as info:
        _patch(demo_model, batch_size=8)
    assert isinstance(info.value.__cause__, torch.OutOfMemoryError)
    snap.check()
    _same_sweep(_patch(demo_model, batch_size=8).data, patch_reference)


# ------------------------------------------------------------------------------- integrated gradients


def _ig(model: Any, target: Any = " Mary", **kw: Any) -> Any:
    kw.setdefault("n_steps", 16)
    kw.setdefault("internal_batch_size", 8)
    return interplay.attribute(model, PROMPT, target=target, method="integrated_gradients", progress=False, **kw)


@pytest.fixture(scope="module")
def ig_reference(demo_model: Any) -> Any:
    return _ig(demo_model).data


def test_a_module_raising_mid_ig_propagates_and_a_rerun_is_identical(demo_model: Any, ig_reference: Any) -> None:
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model), 2, injected) as calls:
        expect_original(Boom, lambda: _ig(demo_model))
    assert calls[0] == 2  # it failed in the middle (the second of two gradient batches)
    snap.check()
    assert np.array_equal(_ig(demo_model).data.scores, ig_reference.scores)


def test_a_target_function_raising_mid_ig_propagates(demo_model: Any, ig_reference: Any) -> None:
    good = single_token_id(demo_model, " Mary")
    target = nth_call(2, injected, lambda logits: logits[:, -1, good])
    snap = fault(demo_model)
    expect_original(Boom, lambda: _ig(demo_model, target=target))
    snap.check()
    # the same function, no longer failing, gives the token target's attributions
    again = _ig(demo_model, target=lambda logits: logits[:, -1, good]).data.scores
    np.testing.assert_allclose(again, ig_reference.scores, rtol=IG_RTOL, atol=IG_ATOL)


def test_keyboard_interrupt_mid_ig(demo_model: Any, ig_reference: Any) -> None:
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model, 0), 2, KeyboardInterrupt), pytest.raises(KeyboardInterrupt):
        _ig(demo_model)
    snap.check()
    assert np.array_equal(_ig(demo_model).data.scores, ig_reference.scores)


@pytest.mark.parametrize("error", [oom, cpu_oom], ids=["cuda-oom", "cpu-oom"])
def test_out_of_memory_mid_ig_halves_its_batch_and_gives_the_same_attributions(
        demo_model: Any, ig_reference: Any, error: Callable[[], BaseException]) -> None:
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model), 2, error, when=rows_over(2)):  # holds 2 rows: 8 -> 4 -> 2
        got = _ig(demo_model)
    snap.check()
    assert any("backed off to 2" in note for note in got.data.notes), got.data.notes
    np.testing.assert_allclose(got.data.scores, ig_reference.scores, rtol=IG_RTOL, atol=IG_ATOL)
    assert np.array_equal(got.data.scores, _ig(demo_model, internal_batch_size=2).data.scores)


def test_a_transient_out_of_memory_mid_ig_is_survived(demo_model: Any, ig_reference: Any) -> None:
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model), 2, oom):  # one failed allocation, then memory is free again
        got = _ig(demo_model)
    snap.check()
    np.testing.assert_allclose(got.data.scores, ig_reference.scores, rtol=IG_RTOL, atol=IG_ATOL)


def test_out_of_memory_with_batch_one_stops_ig_with_a_clear_error(demo_model: Any, ig_reference: Any) -> None:
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model), 0, oom, when=lambda *a, **k: True), \
            pytest.raises(InterplayError, match=r"out of memory with internal_batch_size=1") as info:
        _ig(demo_model)
    assert isinstance(info.value.__cause__, torch.OutOfMemoryError)
    snap.check()
    assert np.array_equal(_ig(demo_model).data.scores, ig_reference.scores)


# ------------------------------------------------------------------------------ EAP-IG and faithfulness


def _circuit(model: Any, metric: Any = None, method: str = "eap-ig") -> Any:
    return interplay.circuit(model, CLEAN, CORRUPTED, metric=metric or logit_diff(model), method=method, steps=4,
                             progress=False)


@pytest.fixture(scope="module")
def circuit_reference(demo_model: Any) -> Any:
    return _circuit(demo_model)


def test_a_metric_raising_mid_eap_ig_propagates(demo_model: Any, circuit_reference: Any) -> None:
    snap = fault(demo_model)
    metric = nth_call(3, injected, logit_diff(demo_model))
    expect_original(Boom, lambda: _circuit(demo_model, metric))
    snap.check()
    assert np.array_equal(_circuit(demo_model).scores, circuit_reference.scores)


@pytest.mark.parametrize("exc", [injected, KeyboardInterrupt, oom], ids=["error", "interrupt", "oom"])
def test_a_failure_inside_an_eap_ig_gradient_pass(demo_model: Any, circuit_reference: Any,
                                                  exc: Callable[[], BaseException]) -> None:
    snap = fault(demo_model)
    # calls 1-2: the clean and corrupted runs; 3..6: the 4 interpolation steps (with gradients)
    with failing_forward(mlp(demo_model), 4, exc), \
            pytest.raises((Boom, KeyboardInterrupt, torch.OutOfMemoryError, InterplayError)) as info:
        _circuit(demo_model)
    if exc is oom:  # EAP-IG does not back off: it stops and says what to change
        assert type(info.value) is InterplayError
        assert re.search(r"out of memory computing eap-ig edge scores with batch_size=\d+.*smaller batch_size",
                         str(info.value)), str(info.value)
        assert isinstance(info.value.__cause__, torch.OutOfMemoryError)
    else:
        assert type(info.value) is type(exc())
    snap.check()
    assert np.array_equal(_circuit(demo_model).scores, circuit_reference.scores)


def test_a_metric_raising_mid_faithfulness_ladder(demo_model: Any) -> None:
    metric = Armed(logit_diff(demo_model))
    c = _circuit(demo_model, metric, method="eap")
    ks = [1, 5, 20, c.graph.n_edges]
    ref = c.faithfulness_curve(ks)
    metric.arm(3)  # the third rung's metric fails
    snap = fault(demo_model)
    expect_original(Boom, lambda: c.faithfulness_curve(ks))
    snap.check()
    assert c.faithfulness_curve(ks) == ref


def test_a_module_raising_mid_faithfulness_ladder(demo_model: Any, circuit_reference: Any) -> None:
    ks = [1, 5, 20, circuit_reference.graph.n_edges]
    ref = circuit_reference.faithfulness_curve(ks)
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model), 3, injected) as calls:
        expect_original(Boom, lambda: circuit_reference.faithfulness_curve(ks))
    assert calls[0] == 3
    snap.check()
    assert circuit_reference.faithfulness_curve(ks) == ref


@pytest.mark.parametrize("make", [oom, cpu_oom])
def test_out_of_memory_mid_faithfulness_ladder_stops_with_a_clear_error(
        demo_model: Any, circuit_reference: Any, make: Callable[[], BaseException]) -> None:
    ks = [1, 5, 20]
    ref = circuit_reference.faithfulness_curve(ks)
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model), 2, make), \
            pytest.raises(InterplayError, match=r"out of memory measuring faithfulness with batch_size=\d+") as info:
        circuit_reference.faithfulness_curve(ks)
    assert info.value.__cause__ is not None and "fake allocator" in str(info.value.__cause__)
    snap.check()
    assert circuit_reference.faithfulness_curve(ks) == ref


@pytest.mark.parametrize("ablation", ["patch", "mean"])
def test_keyboard_interrupt_mid_faithfulness_ladder(demo_model: Any, circuit_reference: Any, ablation: str) -> None:
    ks = [1, 5, 20]
    ref = circuit_reference.faithfulness_curve(ks, ablation=ablation)
    snap = fault(demo_model)
    with failing_forward(mlp(demo_model, 3), 2, KeyboardInterrupt), pytest.raises(KeyboardInterrupt):
        circuit_reference.faithfulness_curve(ks, ablation=ablation)
    snap.check()
    assert circuit_reference.faithfulness_curve(ks, ablation=ablation) == ref


def test_the_reference_numbers_are_not_trivial(patch_reference: Any, ig_reference: Any, circuit_reference: Any) -> None:
    """The comparisons above would prove nothing on zeros or NaNs."""
    assert np.isfinite(patch_reference.raw).all() and np.ptp(patch_reference.raw) > 0.1
    assert np.isfinite(ig_reference.scores).all() and np.abs(ig_reference.scores).max() > 1e-3
    assert np.abs(circuit_reference.scores).max() > 1e-3
    curve = circuit_reference.faithfulness_curve([1, circuit_reference.graph.n_edges])["faithfulness"]
    assert np.isfinite(curve).all() and curve[-1] == pytest.approx(1.0, abs=1e-4)


# ----------------------------------------------------------------------- requests from a view (burst)


def scroll_requests(n_requests: int, n_layers: int, n_heads: int, n_tokens: int,
                    window: int = 128) -> list[dict[str, Any]]:
    """What a view sends while someone scrolls through every head again and again (each pass one
    window further down the pattern), going back now and then to a head already seen."""
    out: list[dict[str, Any]] = []
    heads = n_layers * n_heads
    for i in range(n_requests):
        if i % 10 == 9:  # back to a head seen before: a cache hit
            i -= 5
        layer, head = divmod(i % heads, n_heads)
        q0 = (i // heads) * 16 % (n_tokens - window)
        out.append({"type": "interplay:request", "id": f"r{len(out)}", "method": "pattern",
                    "params": {"layer": layer, "head": head, "q0": q0, "q1": q0 + window}})
    return out


def burst_view(n_layers: int = 12, n_heads: int = 12, n_tokens: int = 256) -> Any:
    from interplay import AttentionView

    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n_layers, n_heads, n_tokens, n_tokens)).astype(np.float32)
    logits[..., np.triu_indices(n_tokens, 1)[0], np.triu_indices(n_tokens, 1)[1]] = -np.inf
    patterns = np.exp(logits - logits.max(-1, keepdims=True))
    patterns /= patterns.sum(-1, keepdims=True)
    return AttentionView.from_arrays([f"t{i}" for i in range(n_tokens)], patterns)


def test_a_burst_of_1000_requests_is_answered_in_order_with_bounded_memory() -> None:
    import hashlib
    import tracemalloc

    from interplay.widgets._rpc import CACHE_BYTES, CACHE_ENTRIES, _remove_buffers

    w = burst_view()
    requests = scroll_requests(1000, 12, 12, 256)
    replies: list[tuple[str, bool, str]] = []

    def send(content: dict[str, Any], buffers: Any = None) -> None:
        digest = hashlib.sha1(b"".join(bytes(b) for b in buffers or [])).hexdigest()
        replies.append((content["id"], content["ok"], digest))

    w.send = send
    tracemalloc.start()
    try:
        for msg in requests:
            w._on_custom_msg(w, msg, [])  # what the comm calls for each message
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    lost = len(requests) - len(replies)
    TALLY["replies lost"] += max(lost, 0)
    assert lost == 0, f"{lost} of {len(requests)} requests got no reply"
    assert [r[0] for r in replies] == [m["id"] for m in requests], "replies out of order"
    assert all(ok for _, ok, _ in replies)
    for i in range(0, len(requests), 97):  # each reply is the pattern asked for, not another's
        _, _, buffers = _remove_buffers(w.answer("pattern", requests[i]["params"]))
        assert replies[i][2] == hashlib.sha1(b"".join(bytes(b) for b in buffers)).hexdigest()
    # 1000 distinct windows of 128 x 256 u8 are 31 MiB of replies; the cache keeps the latest 256
    assert len(w._rpc_cache) <= CACHE_ENTRIES
    assert peak < 16 * 2**20 < CACHE_BYTES, f"peak {peak / 2**20:.1f} MiB while answering the burst"


def test_an_interrupt_while_answering_a_request_still_answers_it() -> None:
    w = burst_view(2, 2, 160)
    replies: list[dict[str, Any]] = []
    w.send = lambda content, buffers=None: replies.append(content)

    def interrupted(**params: Any) -> Any:
        raise KeyboardInterrupt

    w._handlers["pattern"] = interrupted
    with pytest.raises(KeyboardInterrupt):
        w._on_custom_msg(w, {"type": "interplay:request", "id": "r1", "method": "pattern", "params": {}}, [])
    assert replies == [{"type": "interplay:response", "id": "r1", "ok": False,
                        "error": "request 'pattern' was interrupted (KeyboardInterrupt in the kernel); ask again"}]
    assert not w._rpc_cache
