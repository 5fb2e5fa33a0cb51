"""AttributionView at the Python level: what travels with the view, and what requests answer."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.widgets._rpc import _remove_buffers
from interplay.widgets._serialize import decode_array

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.fixture
def result(gpt2: Any) -> Any:
    return interplay.attribute(gpt2, PROMPT, " Mary", "ig", n_steps=8, progress=False)


def test_the_result_rows_travel_with_the_view(result: Any) -> None:
    view = result.show(title="who drove ' Mary'?")
    n = len(result.tokens)
    assert view.tokens == [*result.tokens, " Mary"] and view.n_prompt == n
    assert view.rows["dtype"] == "float32" and view.rows["shape"] == [1, n + 1]
    assert view.rows["dims"] == ["target", "source"]
    rows = decode_array(view.rows)
    np.testing.assert_array_equal(rows[0, :n], result.values)
    assert np.isnan(rows[0, n])  # the explained token is not its own source
    assert view.row_targets == [n] and view.selected == n
    assert view.row_settings == {"method": "integrated_gradients", "score": "logit", "contrast": ""}
    assert view.row_deltas[0] == pytest.approx(float(result.delta[0]))
    lo, hi = view.row_limits[0]
    assert lo == -hi and hi == pytest.approx(float(np.nanmax(np.abs(result.values))))
    assert "saliency" in view.methods and "integrated_gradients" in view.signed_methods
    assert "saliency" not in view.signed_methods and view.matrix is False
    assert view.method == "integrated_gradients" and view.title == "who drove ' Mary'?"


def test_attribute_request_explains_any_token(result: Any, gpt2: Any) -> None:
    view = result.show()
    progress: list[Any] = []
    view.observe(lambda ch: progress.append(ch["new"]), names="progress")
    reply = view.answer("attribute", {"target_pos": 4, "method": "integrated_gradients", "score": "logit",
                                      "contrast": " John"})
    row = decode_array(reply["scores"])
    assert row.shape == (len(view.tokens),) and not np.isnan(row[:4]).any() and np.isnan(row[4:]).all()
    direct = interplay.attribute(gpt2, gpt2.tokenizer.decode(gpt2.tokenize(PROMPT).token_ids[0, :4]),
                                 (view.tokens[4], " John"), "ig", n_steps=8, progress=False)
    np.testing.assert_allclose(row[:4], direct.values, rtol=1e-4, atol=1e-6)
    assert "- logit(' John')" in reply["label"] and reply["delta"] is not None and reply["gap"] is not None
    assert progress[0] == 0.0 and 1.0 in progress and progress[-1] is None
    sal = view.answer("attribute", {"target_pos": 2, "method": "saliency", "score": "prob"})
    assert sal["signed"] is False and sal["delta"] is None and sal["limits"][0] == 0.0
    assert sal["label"].startswith("prob(")
    _state, paths, buffers = _remove_buffers(sal)
    assert paths == [["scores", "data"]] and buffers[0].nbytes == 4 * len(view.tokens)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"target_pos": 0, "method": "saliency"}, "target_pos 0 is out of range"),
        ({"target_pos": 99, "method": "saliency"}, "target_pos 99 is out of range"),
        ({"target_pos": 3, "method": "shap"}, "unknown method 'shap'"),
        ({"target_pos": 3, "method": "saliency", "score": "odds"}, "score must be one of"),
        ({"target_pos": 3, "method": "saliency", "contrast": "Mary and John"}, "not a single token"),
    ],
)
def test_bad_requests_answer_with_an_error(result: Any, params: dict[str, Any], match: str) -> None:
    view = result.show()
    sent: list[Any] = []
    view.send = lambda content, buffers=None: sent.append(content)
    view._on_custom_msg(view, {"type": "interplay:request", "id": "r1", "method": "attribute", "params": params}, [])
    assert sent[-1]["ok"] is False and sent[-1]["id"] == "r1"
    assert match in sent[-1]["error"]


def test_generation_shows_the_matrix_and_recomputes_it(gpt2: Any) -> None:
    gen = interplay.attribute_generation(gpt2, PROMPT, max_new_tokens=3, method="saliency", stop_at_eos=False,
                                         progress=False)
    view = gen.show()
    n = len(gen.tokens)
    assert view.matrix is True and view.tokens == gen.tokens and view.n_prompt == gen.n_prompt
    assert view.rows["shape"] == [3, n] and view.row_targets == [n - 3, n - 2, n - 1]
    assert view.selected == n - 1
    reply = view.answer("matrix", {"method": "input_x_gradient", "score": "logit"})
    m = decode_array(reply["scores"])
    np.testing.assert_allclose(m, gen.rerun("input_x_gradient").scores, rtol=1e-5, equal_nan=True)
    assert reply["signed"] is True and len(reply["limits"]) == 3 and reply["deltas"] is None
    one = view.answer("attribute", {"target_pos": n - 2, "method": "saliency", "score": "logit"})
    np.testing.assert_allclose(decode_array(one["scores"]), decode_array(view.rows)[1], rtol=1e-5, equal_nan=True)


def test_widget_module_does_not_import_torch() -> None:
    code = ("import sys, interplay.widgets.attribution as m; "
            "assert 'torch' not in sys.modules, 'torch imported'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
