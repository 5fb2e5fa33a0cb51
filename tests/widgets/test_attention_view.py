"""AttentionView at the Python level: what travels with the view, and what requests answer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import traitlets

import interplay
from interplay.widgets._rpc import _remove_buffers
from interplay.widgets._serialize import decode_array

PROMPT = "When Mary and John went to the store, John gave a drink to Mary"


@pytest.fixture
def view_and_trace(gpt2: Any) -> tuple[Any, Any]:
    trace = gpt2.run([PROMPT, "The capital of France is Paris"], capture="pattern")
    return interplay.AttentionView.from_trace(trace), trace


def test_only_summaries_travel_with_the_view(view_and_trace: tuple[Any, Any]) -> None:
    view, trace = view_and_trace
    n = trace.lengths[0]
    assert view.tokens == trace.tokens[0] and view.sequences[1].startswith("The capital")
    assert (view.n_layers, view.n_heads, view.causal) == (2, 4, True)
    assert view.thumbnails["dtype"] == "uint8" and view.thumbnails["encoding"] == "u8-linear"
    assert view.thumbnails["shape"] == [2, 4, n, n] and view.thumb_stride == 1  # n <= 32
    assert view.scores["shape"] == [6, 2, 4] and view.score_names[0] == "previous_token"
    thumbs = decode_array(view.thumbnails)
    np.testing.assert_allclose(thumbs[1, 2], trace["pattern", 1][0, 2, :n, :n].numpy(), atol=1 / 254)


def test_pattern_request_windows_and_strides(view_and_trace: tuple[Any, Any]) -> None:
    view, trace = view_and_trace
    n = trace.lengths[0]
    full = view.answer("pattern", {"layer": 1, "head": 3})
    assert full["stride"] == 1 and full["pattern"]["shape"] == [n, n]
    exact = trace["pattern", 1][0, 3, :n, :n].numpy()
    np.testing.assert_allclose(decode_array(full["pattern"]), exact, atol=0.5 / 254 + 1e-6)
    win = view.answer("pattern", {"layer": 1, "head": 3, "q0": 2, "q1": 9, "k0": 1, "k1": 5, "max_side": 2})
    assert win["stride"] == 4 and (win["q0"], win["k0"]) == (2, 1)
    assert decode_array(win["pattern"]).shape == (2, 1)
    assert decode_array(win["pattern"])[0, 0] == pytest.approx(exact[2:6, 1:5].max(), abs=1 / 254)
    row = view.answer("row", {"layer": 0, "head": 1, "query": 5})
    np.testing.assert_array_equal(decode_array(row["values"]), trace["pattern", 0][0, 1, 5, :n].numpy())
    col = view.answer("column", {"layer": 0, "head": 1, "key": 0})
    np.testing.assert_array_equal(decode_array(col["values"]), trace["pattern", 0][0, 1, :n, 0].numpy())
    state, paths, buffers = _remove_buffers(full)
    assert paths == [["pattern", "data"]] and buffers[0].nbytes == n * n and state["pattern"]["data"] is None


@pytest.mark.parametrize(
    ("method", "params", "match"),
    [
        ("pattern", {"layer": 5, "head": 0}, "layer 5 is out of range"),
        ("pattern", {"layer": 0, "head": 9}, "head 9 is out of range"),
        ("pattern", {"layer": 0, "head": 0, "q0": 3, "q1": 2}, "outside the"),
        ("row", {"layer": 0, "head": 0, "query": 99}, "query 99 is out of range"),
        ("nope", {}, "unknown request 'nope'"),
    ],
)
def test_bad_requests_are_named(view_and_trace: tuple[Any, Any], method: str, params: dict[str, Any], match: str) -> None:
    view, _ = view_and_trace
    with pytest.raises(interplay.InterplayError, match=match):
        view.answer(method, params)


def test_request_messages_answer_with_buffers_or_errors(view_and_trace: tuple[Any, Any]) -> None:
    view, _ = view_and_trace
    sent: list[tuple[Any, Any]] = []
    view.send = lambda content, buffers=None: sent.append((content, buffers))  # type: ignore[method-assign]
    view._on_custom_msg(view, {"type": "interplay:request", "id": "a", "method": "row",
                               "params": {"layer": 0, "head": 0, "query": 1}}, [])
    view._on_custom_msg(view, {"type": "interplay:request", "id": "b", "method": "row",
                               "params": {"layer": 0, "head": 0, "query": 999}}, [])
    view._on_custom_msg(view, {"type": "something-else"}, [])
    (ok, ok_buffers), (err, _) = sent
    assert ok["ok"] and ok["id"] == "a" and ok["buffer_paths"] == [["values", "data"]] and len(ok_buffers) == 1
    assert not err["ok"] and "query 999 is out of range" in err["error"]


def test_batch_index_switches_sequence_and_selection_is_validated(view_and_trace: tuple[Any, Any]) -> None:
    view, trace = view_and_trace
    view.selected = {"layer": 1, "head": 2}
    view.batch_index = 1
    assert view.tokens == trace.tokens[1]
    assert view.thumbnails["shape"][2] == trace.lengths[1]
    with pytest.raises(traitlets.TraitError, match="outside the 2 x 4 heads"):
        view.selected = {"layer": 2, "head": 0}
    assert len(view.score_table()) == 8


def test_model_attention_without_captured_patterns(gpt2: Any) -> None:
    view = gpt2.attention(PROMPT)
    trace = gpt2.run(PROMPT, capture="pattern")
    full = view.answer("pattern", {"layer": 0, "head": 0})
    np.testing.assert_allclose(decode_array(full["pattern"]), trace["pattern", 0][0, 0].numpy(), atol=1 / 254 + 1e-3)


def test_from_arrays_with_bad_input() -> None:
    with pytest.raises(interplay.InterplayError, match="3 tokens but the patterns cover 4"):
        interplay.AttentionView.from_arrays(["a", "b", "c"], np.full((1, 1, 4, 4), 0.25))
    view = interplay.AttentionView.from_arrays(["a", "b"], np.array([[[[1, 0], [0.5, 0.5]]]]))
    assert view.n_layers == 1 and view.causal
