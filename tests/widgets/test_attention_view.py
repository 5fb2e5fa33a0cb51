"""AttentionView at the Python level: what travels with the view, what requests answer, and the view
built from arrays or from data alone (numpy only, no torch)."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.widgets._rpc import _remove_buffers
from interplay.widgets._serialize import decode_array
from interplay.widgets.traits import SelectionError
from tests.helpers import sent, wire

PROMPT = "When Mary and John went to the store, John gave a drink to Mary"


@pytest.fixture
def view_and_trace(gpt2: Any) -> tuple[Any, Any]:
    trace = gpt2.run([PROMPT, "The capital of France is Paris"], capture="pattern")
    return interplay.attention(trace).show(), trace


def test_only_summaries_travel_with_the_view(view_and_trace: tuple[Any, Any]) -> None:
    view, trace = view_and_trace
    n = trace.lengths[0]
    assert view.tokens == trace.tokens[0] and view.sequences[1].startswith("The capital")
    assert (view.n_layers, view.n_heads, view.causal) == (2, 4, True)
    thumbnails = wire(view, "thumbnails")
    assert thumbnails["dtype"] == "uint8" and thumbnails["encoding"] == "u8-linear"
    assert thumbnails["shape"] == [2, 4, n, n] and view.thumb_stride == 1  # n <= 32
    assert wire(view, "scores")["shape"] == [6, 2, 4] and view.score_names[0] == "previous_token"
    np.testing.assert_allclose(sent(view, "thumbnails")[1, 2], trace["pattern", 1][0, 2, :n, :n].numpy(), atol=1 / 254)
    np.testing.assert_array_equal(sent(view, "scores"), view.data.scores)


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
        ("pattern", {"layer": 5, "head": 0}, r"layer must be an integer in 0\.\.\d+; got 5"),
        ("pattern", {"layer": 0, "head": 9}, r"head must be an integer in 0\.\.\d+; got 9"),
        ("pattern", {"layer": 0, "head": 0, "q0": 3, "q1": 2}, "outside the"),
        ("row", {"layer": 0, "head": 0, "query": 99}, r"query must be an integer in 0\.\.\d+; got 99"),
        ("nope", {}, "unknown request 'nope'"),
    ],
)
def test_bad_requests_are_named(view_and_trace: tuple[Any, Any], method: str, params: dict[str, Any], match: str) -> None:
    view, _ = view_and_trace
    with pytest.raises(interplay.InterplayError, match=match):
        view.answer(method, params)


def _capture_sent(view: Any) -> list[tuple[Any, Any]]:
    sent_messages: list[tuple[Any, Any]] = []
    view.send = lambda content, buffers=None: sent_messages.append((content, buffers))
    return sent_messages


def test_request_messages_answer_with_buffers_or_errors(view_and_trace: tuple[Any, Any]) -> None:
    view, _ = view_and_trace
    messages = _capture_sent(view)
    view._on_custom_msg(view, {"type": "interplay:request", "id": "a", "method": "row",
                               "params": {"layer": 0, "head": 0, "query": 1}}, [])
    view._on_custom_msg(view, {"type": "interplay:request", "id": "b", "method": "row",
                               "params": {"layer": 0, "head": 0, "query": 999}}, [])
    view._on_custom_msg(view, {"type": "something-else"}, [])
    (ok, ok_buffers), (err, _) = messages
    assert ok["ok"] and ok["id"] == "a" and ok["buffer_paths"] == [["values", "data"]] and len(ok_buffers) == 1
    assert not err["ok"] and "query must be an integer in" in err["error"] and "got 999" in err["error"]


def test_batch_index_switches_sequence_and_selection_is_validated(view_and_trace: tuple[Any, Any]) -> None:
    view, trace = view_and_trace
    view.selected = {"layer": 1, "head": 2}
    view.batch_index = 1
    assert view.tokens == trace.tokens[1] and view.data.batch_index == 1
    assert wire(view, "thumbnails")["shape"][2] == trace.lengths[1]
    assert "sequence 1 of 2" in view.notes
    n1 = trace.lengths[1]
    full = view.answer("pattern", {"layer": 0, "head": 1})
    np.testing.assert_allclose(decode_array(full["pattern"]), trace["pattern", 0][1, 1, :n1, :n1].numpy(), atol=1 / 254)
    with pytest.raises(SelectionError, match="out of range"):
        view.selected = {"layer": 2, "head": 0}
    with pytest.raises(SelectionError, match="batch_index 5 is out of range"):
        view.batch_index = 5
    assert len(view.score_table()) == 8


def test_model_path_without_captured_patterns(gpt2: Any) -> None:
    trace = gpt2.run(PROMPT, capture="pattern")
    view = interplay.attention(gpt2, PROMPT, keep_bytes=0).show()
    assert view.data.patterns is None and "recomputed per layer on demand" in view.notes[0]
    full = view.answer("pattern", {"layer": 0, "head": 0})
    np.testing.assert_allclose(decode_array(full["pattern"]), trace["pattern", 0][0, 0].numpy(), atol=1 / 254 + 1e-3)
    with pytest.warns(DeprecationWarning, match="model.attention"):
        old = gpt2.attention(PROMPT, title="old spelling")
    assert isinstance(old, interplay.AttentionView) and old.title == "old spelling"
    with pytest.warns(DeprecationWarning, match="from_trace"):
        old = interplay.AttentionView.from_trace(gpt2.run([PROMPT, "Paris"]), batch=1)
    assert old.batch_index == 1 and old.tokens == gpt2.to_str_tokens("Paris")


def test_from_arrays_with_bad_input() -> None:
    with pytest.raises(interplay.ShapeError, match="3 tokens but the patterns cover 4"):
        interplay.AttentionView.from_arrays(["a", "b", "c"], np.full((1, 1, 4, 4), 0.25))
    with pytest.raises(interplay.InterplayError, match="tokens must be a list of strings"):
        interplay.AttentionView.from_arrays("ab", np.full((1, 1, 2, 2), 0.5))
    with pytest.raises(interplay.ShapeError, match="2 tokens but 3 token ids"):
        interplay.AttentionView.from_arrays(["a", "b"], np.full((1, 1, 2, 2), 0.5), token_ids=[1, 2, 3])
    with pytest.raises(TypeError, match="unexpected argument"):
        interplay.AttentionView.from_arrays(["a", "b"], np.array([[[[1, 0], [0.5, 0.5]]]]), colour="red")
    view = interplay.AttentionView.from_arrays(["a", "b"], np.array([[[[1, 0], [0.5, 0.5]]]]), title="t")
    assert view.n_layers == 1 and view.causal and view.title == "t"
    assert not interplay.AttentionView.from_arrays(["a", "b"], np.full((1, 1, 2, 2), 0.5)).causal
    assert not interplay.AttentionView.from_arrays(["a", "b"], np.array([[[[1, 0], [0.5, 0.5]]]]), causal=False).causal
    with pytest.raises(interplay.InterplayError, match="AttentionData"):
        interplay.AttentionView(np.zeros((1, 1, 2, 2)))  # type: ignore[arg-type]


def test_view_of_data_without_patterns_says_it_needs_a_model(view_and_trace: tuple[Any, Any]) -> None:
    view, _ = view_and_trace
    data = dataclasses.replace(view.data, patterns=None)
    alone = interplay.AttentionView(data)
    assert any("need a live model" in note for note in alone.notes)
    messages = _capture_sent(alone)
    alone._on_custom_msg(alone, {"type": "interplay:request", "id": "p", "method": "pattern",
                                 "params": {"layer": 0, "head": 0}}, [])
    ((answer, _),) = messages
    assert not answer["ok"] and "needs a live model" in answer["error"]
    with pytest.raises(interplay.NeedsModelError, match=r"sequence 1 .*needs a live model"):
        alone.batch_index = 1
    assert alone.batch_index == 0
    alone.set_state({"batch_index": 1})  # from the page: refused, the good value stays
    assert alone.batch_index == 0 and alone.data.batch_index == 0


def test_old_style_result_is_unwrapped_with_a_warning(view_and_trace: tuple[Any, Any]) -> None:
    _, trace = view_and_trace
    result = interplay.attention(trace)
    with pytest.warns(DeprecationWarning, match="result.show"):
        old = interplay.AttentionView(result)  # type: ignore[arg-type]
    assert old.source is result.session and old.data is result.data


# ------------------------------------------------------------------- from arrays, numpy only
def _reference_scores(p: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Brute force, one query and key at a time, in float64 (the definitions of the module docstring)."""
    layers, heads, n, _ = p.shape
    out = np.full((6, layers, heads), np.nan)
    for layer in range(layers):
        for head in range(heads):
            a = p[layer, head].astype(np.float64)
            finite = [bool(np.all(np.isfinite(a[q]))) for q in range(n)]
            ind, dup, ent = [], [], []
            for q in range(n):
                earlier = [k for k in range(q) if ids[k] == ids[q]]
                if earlier:
                    dup.append(sum(a[q, k] for k in earlier) if finite[q] else np.nan)
                    ind.append(sum(a[q, k + 1] for k in earlier) if finite[q] else np.nan)
                ent.append(-sum(x * math.log(x) for x in a[q] if x > 0) if finite[q] else np.nan)
            out[:, layer, head] = [np.mean([a[q, q - 1] for q in range(1, n)]), np.mean(ind) if ind else np.nan,
                                   np.mean(dup) if dup else np.nan, np.mean(a[:, 0]), np.mean(np.diag(a)),
                                   np.mean(ent)]
    return out


FROM_ARRAYS = """
import json, sys
import numpy as np
import interplay
args = json.loads(sys.argv[1])
out = {}
for name in ("causal", "noncausal", "nan_upper"):
    z = np.load(args["inputs"])
    view = interplay.AttentionView.from_arrays(args["tokens"], z[name])
    out[name] = {"causal": view.causal, "notes": view.notes, "stride": view.thumb_stride}
    np.save(args["outputs"] + name + ".npy", view.data.scores)
    pattern = view.answer("pattern", {"layer": 2, "head": 1})
    assert pattern["pattern"]["shape"] == [37, 37], pattern["pattern"]["shape"]
forced = interplay.AttentionView.from_arrays(args["tokens"], z["causal"], causal=False)
out["forced"] = forced.causal
assert "torch" not in sys.modules, "from_arrays imported torch"
print(json.dumps(out))
"""


def test_from_arrays_is_numpy_only_and_matches_a_brute_force_reference(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    layers, heads, n = 3, 2, 37  # 37 tokens: thumbnail stride 2, with a partial edge block
    logits = rng.standard_normal((layers, heads, n, n)) * 3
    logits[..., np.triu(np.ones((n, n), bool), 1)] = -np.inf
    causal = np.exp(logits - logits.max(-1, keepdims=True))
    causal = (causal / causal.sum(-1, keepdims=True)).astype(np.float32)
    ids = rng.integers(0, 6, n)  # six words: many repeats
    repeated = next(q for q in range(3, n) if ids[q] in ids[:q])
    causal[1, 0, repeated, 1] = np.nan  # a NaN weight: the scores that sum its row are NaN
    causal[2, 1, 20, 20] = np.nan  # on the diagonal: self too
    noncausal = np.full((layers, heads, n, n), 1 / n, np.float32)
    nan_upper = causal.copy()
    nan_upper[0, 1, 3, 30] = np.nan  # NaN above the diagonal still counts as causal (as 0)
    tokens = [f" w{i}" for i in ids]
    np.savez(tmp_path / "in.npz", causal=causal, noncausal=noncausal, nan_upper=nan_upper)
    args = json.dumps({"inputs": str(tmp_path / "in.npz"), "outputs": str(tmp_path) + "/", "tokens": tokens})
    run = subprocess.run([sys.executable, "-c", FROM_ARRAYS, args], capture_output=True, text=True, check=False,
                         cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["causal"] == {"causal": True, "notes": ["2 NaN attention weights (hatched)"], "stride": 2}
    assert got["noncausal"]["causal"] is False and got["nan_upper"]["causal"] is True and got["forced"] is False
    for name, patterns in (("causal", causal), ("noncausal", noncausal), ("nan_upper", nan_upper)):
        scores = np.load(tmp_path / f"{name}.npy")
        np.testing.assert_allclose(scores, _reference_scores(patterns, ids), rtol=1e-5, atol=1e-6, err_msg=name)
    scores = np.load(tmp_path / "causal.npy")
    assert np.isnan(scores[1, 1, 0]) and np.isnan(scores[5, 1, 0]) and not np.isnan(scores[0, 1, 0])
    assert np.isnan(scores[4, 2, 1]) and not np.isnan(scores[3, 2, 1])
