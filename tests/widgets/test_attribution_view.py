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
from tests.helpers import sent, wire

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.fixture
def result(gpt2: Any) -> Any:
    return interplay.attribute(gpt2, PROMPT, target=" Mary", method="ig", n_steps=8, progress=False)


def test_the_result_rows_travel_with_the_view(result: Any) -> None:
    view = result.show(title="who drove ' Mary'?")
    n = result.n_input
    assert result.sequence[-1] == " Mary" and len(result.sequence) == n + 1  # the line ends with the explained token
    assert view.tokens == result.sequence and view.n_prompt == n
    payload = wire(view, "rows")
    assert payload["dtype"] == "float32" and payload["shape"] == [1, n + 1]
    assert payload["dims"] == ["target", "source"]
    rows = sent(view, "rows")
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
                                 target=(view.tokens[4], " John"), method="ig", n_steps=8, progress=False)
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
    n = len(gen.sequence)
    assert view.matrix is True and view.tokens == gen.sequence and view.n_prompt == gen.n_prompt
    assert wire(view, "rows")["shape"] == [3, n] and view.row_targets == [n - 3, n - 2, n - 1]
    assert view.selected == n - 1
    reply = view.answer("matrix", {"method": "input_x_gradient", "score": "logit"})
    m = decode_array(reply["scores"])
    np.testing.assert_allclose(m, gen.rerun("input_x_gradient").scores, rtol=1e-5, equal_nan=True)
    assert reply["signed"] is True and len(reply["limits"]) == 3 and reply["deltas"] is None
    one = view.answer("attribute", {"target_pos": n - 2, "method": "saliency", "score": "logit"})
    np.testing.assert_allclose(decode_array(one["scores"]), sent(view, "rows")[1], rtol=1e-5, equal_nan=True)


def test_selected_is_an_explainable_token(result: Any) -> None:
    view = result.show()
    view.selected = 3
    for bad in (0, len(view.tokens), "3"):
        with pytest.raises(interplay.ViewError, match=r"AttributionView\.selected"):
            view.selected = bad
    view.set_state({"selected": 99})  # from the page: refused, the good value stays
    assert view.selected == 3


def test_bad_construction_names_what_it_takes(result: Any) -> None:
    with pytest.raises(interplay.InterplayError, match="shows an AttributionData"):
        interplay.AttributionView(np.zeros((1, 3)))
    with pytest.raises(TypeError, match="unexpected argument"):
        result.show(titel="typo")
    with pytest.warns(DeprecationWarning, match="AttributionView\\(result\\)"):
        old = interplay.AttributionView(result)
    assert old.source is result.session and old.tokens == result.sequence


def _needs_model(view: Any, method: str, params: dict[str, Any]) -> str:
    answers: list[Any] = []
    view.send = lambda content, buffers=None: answers.append(content)
    view._on_custom_msg(view, {"type": "interplay:request", "id": "q", "method": method, "params": params}, [])
    assert answers[-1]["ok"] is False
    return str(answers[-1]["error"])


@pytest.mark.parametrize("kind", ["attribute", "generation"])
def test_save_load_round_trip(gpt2: Any, tmp_path: Any, kind: str) -> None:
    """The file holds the data, never the model: loaded, it shows the same rows; asking for anything
    else says that it needs a live model (in the view and on the result)."""
    if kind == "attribute":
        res = interplay.attribute(gpt2, PROMPT, target=(" Mary", " John"), method="ig", n_steps=8, progress=False)
    else:
        res = interplay.attribute_generation(gpt2, PROMPT, max_new_tokens=3, method="saliency", stop_at_eos=False,
                                             progress=False)
    path = res.save(tmp_path / f"{kind}.interplay")
    for loaded in (interplay.AttributionResult.load(path), interplay.load_result(path)):
        assert type(loaded) is interplay.AttributionResult
        assert loaded.data == res.data and loaded.session is None and not loaded.live
        live, view = res.show(title="t"), loaded.show(title="t")
        for trait in ("tokens", "n_prompt", "row_targets", "row_labels", "row_deltas", "row_gaps", "row_limits",
                      "row_settings", "selected", "matrix", "title", "notes", "method", "score", "contrast"):
            assert getattr(view, trait) == getattr(live, trait), trait
        np.testing.assert_array_equal(sent(view, "rows"), sent(live, "rows"))
        assert wire(view, "rows")["vmin"] == wire(live, "rows")["vmin"]
        assert view.methods == [res.data.method] and view.source is None
        # the view's own row needs nothing; a click on another token needs the model
        other = 3
        assert other not in view.row_targets
        settings = dict(view.row_settings)
        assert "needs a live model" in _needs_model(view, "attribute", {"target_pos": other, **settings})
        assert "needs a live model" in _needs_model(view, "matrix", settings)
        assert "unknown method" in _needs_model(view, "attribute", {"target_pos": other, "method": "shap"})
        with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
            loaded.explain(other)
        with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
            loaded.rerun("saliency")
        assert loaded.to_dataframe().equals(res.to_dataframe())
    assert res.explain(other).live  # the live result still answers


def test_a_view_from_data_alone_needs_no_torch(result: Any, tmp_path: Any) -> None:
    path = result.save(tmp_path / "ig.interplay")
    code = ("import sys, interplay\n"
            f"res = interplay.load_result({str(path)!r})\n"
            "view = res.show()\n"
            "assert view.tokens[-1] == ' Mary' and view.rows.shape == (1, len(view.tokens))\n"
            "df = res.to_dataframe()\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "print('ok', len(df))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr


def _hand_made(**changes: Any) -> Any:
    from interplay.data.attribution import AttributionData

    fields: dict[str, Any] = dict(
        tokens=["a", " b", " c", " d"], token_ids=[1, 2, 3, 4], n_prompt=2, n_input=3,
        scores=[[0.5, -1.0, np.nan], [0.1, 0.2, 0.3]], target_labels=["logit(' c') at pos 1", "logit(' d') at pos 2"],
        target_positions=[1, 2], target_ids=[3, 4], contrast_ids=[-1, -1], contrast_tokens=["", ""],
        score_kinds=["logit", "logit"], method="mine", params={"k": 1}, signed=True, target_values=[1.0, 2.0])
    fields.update(changes)
    return AttributionData(**fields)


def test_a_view_of_hand_made_data(tmp_path: Any) -> None:
    data = _hand_made()
    view = interplay.AttributionView(data, title="by hand")
    assert view.tokens == ["a", " b", " c", " d"] and view.row_targets == [2, 3] and view.selected == 3
    assert view.matrix is True and view.methods == ["mine"] and view.signed_methods == ["mine"]
    rows = sent(view, "rows")
    assert rows.shape == (2, 4) and np.isnan(rows[:, 3]).all() and rows[0, 1] == -1.0
    assert view.row_deltas == [None, None] and view.row_limits[0] == [-1.0, 1.0]
    assert "needs a live model" in _needs_model(view, "matrix", {"method": "mine", "score": "logprob"})
    res = interplay.AttributionResult(data)
    assert interplay.load_result(res.save(tmp_path / "hand.interplay")).data == data
    with pytest.raises(interplay.InterplayError, match=r"2 targets: use \.scores"):
        res.values  # noqa: B018


@pytest.mark.parametrize(("changes", "match"), [
    ({"scores": [[0.5, -1.0], [0.1, 0.2]]}, r"one column per input token \(3\)"),
    ({"token_ids": [1, 2, 3]}, "4 tokens but 3 token ids"),
    ({"n_input": 1}, "n_prompt=2 <= n_input=1"),
    ({"target_ids": [3]}, r"2 targets \(rows of scores\) but target_ids \(1\)"),
    ({"target_positions": [1, 3]}, "must be input positions 0..2"),
    ({"score_kinds": ["logit", "odds"]}, "score kinds"),
    ({"params": {"baseline": object()}}, "must hold strings, numbers"),
])
def test_data_checks_its_shapes(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(interplay.ShapeError, match=match):
        _hand_made(**changes)


def test_widget_module_does_not_import_torch() -> None:
    code = ("import sys, interplay.widgets.attribution as m, interplay.results.attribution as r; "
            "assert 'torch' not in sys.modules, 'torch imported'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
