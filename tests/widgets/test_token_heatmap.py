"""TokenHeatmapView and interplay.heatmap at the Python level: state, payloads, scales, selection,
errors, the deprecated spellings and the result file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import traitlets

import interplay
from interplay.data.heatmap import TokenHeatmapData
from interplay.results.heatmap import HeatmapResult
from interplay.widgets._scale import scale_options, scale_spec
from interplay.widgets.token_heatmap import TokenHeatmapView, heatmap_data
from tests.helpers import sent, wire

TOKENS = ["When", " Mary", " and", " John", "\n", "<img src=x onerror=alert(1)>"]
from_arrays = TokenHeatmapView.from_arrays


def test_single_row_state() -> None:
    w = from_arrays(TOKENS, np.arange(6.0))
    assert w.tokens == TOKENS  # token text is passed through untouched; the view renders it as text
    payload = wire(w, "values")
    assert payload["shape"] == [1, 6] and payload["dims"] == ["row", "pos"] and payload["dtype"] == "float32"
    assert w.row_labels == [""]
    assert w.scale == {"kind": "sequential", "cmap": "viridis", "center": None}
    assert (payload["vmin"], payload["vmax"]) == (0.0, 5.0)
    assert w.selected is None
    assert isinstance(w.values, np.ndarray) and w.data.values is w.array


def test_non_square_rows_keep_their_orientation() -> None:
    values = np.arange(18, dtype=np.float32).reshape(3, 6) - 4
    w = from_arrays(TOKENS, values, labels=["L0", "L1", "L2"])
    np.testing.assert_array_equal(w.array, values)
    np.testing.assert_array_equal(sent(w, "values")[2], values[2])
    assert w.scale["kind"] == "diverging" and w.scale["cmap"] == "rdbu" and w.scale["center"] == 0.0
    assert wire(w, "values")["vmin"] == -13.0 and wire(w, "values")["vmax"] == 13.0


def test_center_and_cmap_choices() -> None:
    w = from_arrays(TOKENS, np.linspace(0.1, 0.9, 6), center=0.5)
    assert w.scale == {"kind": "diverging", "cmap": "rdbu", "center": 0.5}
    assert wire(w, "values")["vmin"] == pytest.approx(0.1) and wire(w, "values")["vmax"] == pytest.approx(0.9)
    assert from_arrays(TOKENS, np.ones(6), cmap="cividis").scale["cmap"] == "cividis"
    assert from_arrays(TOKENS, np.ones(6), cmap="PuOr").scale == {"kind": "diverging", "cmap": "puor", "center": 0.0}
    with pytest.raises(interplay.ViewError, match="unknown cmap 'jet'"):
        from_arrays(TOKENS, np.ones(6), cmap="jet")
    # a view of data restyles it, and the data's own scale is the default
    data = heatmap_data(TOKENS, np.arange(6.0) - 2)
    assert TokenHeatmapView(data).scale == data.scale
    assert TokenHeatmapView(data, cmap="puor", title="t").scale["cmap"] == "puor"
    for spec in (data.scale, scale_spec(np.ones(3), "magma"), scale_spec(np.ones(3), center=0.5)):
        assert scale_spec(np.ones(3) if spec["kind"] == "sequential" else np.arange(3.0) - 1,
                          *scale_options(spec)) == spec


def test_values_update_from_python_in_one_message() -> None:
    w = from_arrays(TOKENS, np.zeros(6))
    sent_names: list[Any] = []
    w.comm = None  # no kernel: record what would be synced instead
    w.observe(lambda ch: sent_names.append(ch["name"]), names=["values", "scale"])
    w.values = np.array([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], dtype=np.float32)
    assert wire(w, "values")["shape"] == [2, 6] and w.row_labels == ["0", "1"]
    assert "values" in sent_names
    w.set_values(-np.ones(6), labels=["neg"])
    assert w.row_labels == ["neg"] and (wire(w, "values")["vmin"], wire(w, "values")["vmax"]) == (-1.5, -0.5)
    w.set_values(np.arange(6.0) - 3)  # "auto" picks the kind again for new values
    assert w.scale["kind"] == "diverging" and w.row_labels == ["neg"]
    w.set_values(np.zeros(3), tokens=["a", "b", "c"])
    assert w.tokens == ["a", "b", "c"] and w.data.tokens == ["a", "b", "c"]
    centred = from_arrays(TOKENS, np.linspace(0.1, 0.9, 6), center=0.5)
    centred.values = np.linspace(0.2, 0.8, 6)  # the view keeps the options it was given
    assert centred.scale == {"kind": "diverging", "cmap": "rdbu", "center": 0.5}


def test_torch_tensors_are_accepted() -> None:
    import torch

    w = from_arrays(TOKENS, torch.arange(6.0, requires_grad=True))
    assert wire(w, "values")["shape"] == [1, 6]
    w.values = torch.ones(2, 6, dtype=torch.bfloat16)
    assert w.array.dtype == np.float32 and w.array.shape == (2, 6)


def test_nan_values_are_allowed() -> None:
    w = from_arrays(TOKENS, [np.nan, 1, 2, 3, 4, 5])
    assert np.isnan(w.array[0, 0]) and wire(w, "values")["vmin"] == 1.0
    assert np.isnan(sent(w, "values")[0, 0])


def test_selected_is_validated() -> None:
    w = from_arrays(TOKENS, np.zeros((2, 6)), selected={"row": 1, "pos": 2})
    assert w.selected == {"row": 1, "pos": 2}
    w.selected = {"row": 1, "pos": 5}
    assert w.selected == {"row": 1, "pos": 5}
    with pytest.raises(interplay.ViewError, match=r"selected\['row'\] = 2 is out of range: 0\.\.1"):
        w.selected = {"row": 2, "pos": 0}
    with pytest.raises(traitlets.TraitError, match=r"must be \{'row': \.\.\., 'pos': \.\.\.\} or None"):
        w.selected = {"r": 1}
    w.set_values(np.zeros(6))  # one row now: a selection of row 1 no longer points anywhere
    assert w.selected is None
    w.selected = None


@pytest.mark.parametrize(
    ("tokens", "values", "kwargs", "error", "match"),
    [
        (TOKENS, np.zeros(5), {}, interplay.ShapeError, r"values has 5 columns but there are 6 tokens .*\[n_rows, 6\]"),
        (TOKENS, np.zeros((2, 2, 6)), {}, interplay.ShapeError, r"values must have shape \[n_tokens\] or \[n_rows, n_tokens\]"),
        (TOKENS, [[1, 2], [3]], {}, interplay.ShapeError, r"values must be numbers of shape \[n_tokens\]"),
        ([], np.zeros(0), {}, interplay.ViewError, "tokens is empty"),
        ("When Mary", np.zeros(9), {}, interplay.ViewError, "tokens must be a list of strings"),
        (TOKENS, np.zeros((2, 6)), {"labels": ["a"]}, interplay.ShapeError, "1 labels for 2 rows"),
    ],
)
def test_bad_input(tokens: Any, values: Any, kwargs: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        from_arrays(tokens, values, **kwargs)
    with pytest.raises(ValueError, match=match):  # the errors are still ValueErrors
        heatmap_data(tokens, values, **kwargs)


def test_unknown_keyword_and_wrong_data_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) \['colour'\]"):
        from_arrays(TOKENS, np.zeros(6), colour="red")
    with pytest.raises(interplay.ViewError, match="TokenHeatmapView shows a TokenHeatmapData"):
        TokenHeatmapView(np.zeros((1, 6)))  # type: ignore[arg-type]
    with pytest.raises(interplay.ShapeError, match=r"2 tokens for values of shape \[row, pos\] = \[1, 3\]"):
        TokenHeatmapData(tokens=["a", "b"], values=np.zeros((1, 3)), row_labels=[""])


def test_deprecated_token_heatmap_builds_what_from_arrays_builds() -> None:
    values = np.arange(12.0).reshape(2, 6) - 3
    with pytest.warns(DeprecationWarning, match=r"TokenHeatmapView\.from_arrays"):
        old = interplay.TokenHeatmap(TOKENS, values, labels=["a", "b"], center=1.0, title="t", value_label="v")
    new = from_arrays(TOKENS, values, labels=["a", "b"], center=1.0, title="t", value_label="v")
    assert isinstance(old, TokenHeatmapView) and old.data == new.data
    for trait in ("tokens", "row_labels", "scale", "title", "value_label"):
        assert getattr(old, trait) == getattr(new, trait)
    assert wire(old, "values")["vmin"] == wire(new, "values")["vmin"]
    old.values = np.zeros(6)
    assert old.scale == {"kind": "diverging", "cmap": "rdbu", "center": 1.0}


def test_heatmap_norm_per_layer(gpt2: Any) -> None:
    trace = gpt2.run("When Mary and John went", capture=["resid_post", "z"])
    res = interplay.heatmap(trace, "resid_post")
    assert isinstance(res, HeatmapResult)
    w = res.show()
    assert w.tokens == trace.tokens and w.row_labels == ["L0", "L1"]
    np.testing.assert_allclose(w.array[1], trace["resid_post", 1][0].norm(dim=-1).numpy(), rtol=1e-6)
    assert res.data.title == "norm of resid_post" and res.data.value_label == "norm(resid_post)"
    heads = interplay.heatmap(trace, key=("z", 0), reduce="norm")
    assert heads.data.row_labels == [f"L0.H{h}" for h in range(4)]
    np.testing.assert_allclose(heads.data.values[2], trace["z", 0][0, :, 2].norm(dim=-1).numpy(), rtol=1e-6)
    with pytest.raises(interplay.InterplayError, match="batch=3 is out of range"):
        interplay.heatmap(trace, "resid_post", batch=3)


def test_heatmap_from_a_model_and_the_reductions(gpt2: Any) -> None:
    prompt = "When Mary and John went"
    trace = gpt2.run(prompt, capture="mlp_out")
    for reduce, fn in (("mean", lambda a: a.mean(-1)), ("max", lambda a: a.amax(-1))):
        res = interplay.heatmap(gpt2, prompt, key="mlp_out", reduce=reduce)
        np.testing.assert_allclose(res.data.values[0], fn(trace["mlp_out", 0][0]).numpy(), rtol=1e-5, atol=1e-6)
    # an activation the trace did not capture is captured by running its prompt again
    again = interplay.heatmap(gpt2.run(prompt), "mlp_out", reduce="max")
    np.testing.assert_allclose(again.data.values, res.data.values, rtol=1e-5, atol=1e-6)
    batched = interplay.heatmap(gpt2.run(["When Mary", prompt]), "resid_post", batch=1)
    assert batched.data.tokens == trace.tokens
    with pytest.raises(interplay.InterplayError, match="reduce='sum' is not one of 'norm', 'mean', 'max'"):
        interplay.heatmap(trace, "resid_post", reduce="sum")
    with pytest.raises(interplay.InterplayError, match=r"attention patterns .* interplay\.attention"):
        interplay.heatmap(gpt2, prompt, key="pattern")
    with pytest.raises(interplay.HookNameError):
        interplay.heatmap(trace, "resid_pots")
    with pytest.raises(interplay.InterplayError, match="name the activation once"):
        interplay.heatmap(trace, "resid_post", key="z")
    with pytest.raises(interplay.InterplayError, match="the prompt is missing"):
        interplay.heatmap(gpt2, key="resid_post")


def test_deprecated_trace_heatmap(gpt2: Any) -> None:
    trace = gpt2.run("When Mary and John went", capture="resid_post")
    with pytest.warns(DeprecationWarning, match=r"interplay\.heatmap\(trace, \.\.\.\)\.show\(\)"):
        w = trace.heatmap("resid_post", title="mine")
    assert isinstance(w, TokenHeatmapView) and w.title == "mine" and w.row_labels == ["L0", "L1"]
    np.testing.assert_array_equal(w.array, interplay.heatmap(trace, "resid_post").data.values)


def test_save_load_round_trip(gpt2: Any, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    res = interplay.heatmap(gpt2.run("When Mary and John went", capture="z"), ("z", 1))
    path = res.save(tmp_path / "heatmap.interplay")
    for loaded in (HeatmapResult.load(path), interplay.load_result(path)):
        assert isinstance(loaded, HeatmapResult) and loaded.data == res.data and loaded.session is None
        view, fresh = loaded.show(), res.show()
        for trait in ("tokens", "row_labels", "scale", "title", "value_label", "selected"):
            assert getattr(view, trait) == getattr(fresh, trait)
        np.testing.assert_array_equal(sent(view, "values"), sent(fresh, "values"))
        assert wire(view, "values")["vmax"] == wire(fresh, "values")["vmax"]
        # a heatmap is static: nothing in it needs the model, so a loaded one has no drill-down to refuse
        assert loaded.to_dataframe().equals(res.to_dataframe())
        assert loaded.plot() is not None
    df = res.to_dataframe()
    assert list(df.columns) == ["row", "pos", "token", "value"]
    assert len(df) == 4 * len(res.data.tokens) and df["row"].iloc[0] == "L1.H0"
    single = HeatmapResult(heatmap_data(["a", "b"], [1.0, np.nan]))
    assert single.to_dataframe()["row"].tolist() == ["0", "0"] and single.plot() is not None


def test_the_view_works_from_data_alone_without_torch(tmp_path: Path) -> None:
    path = HeatmapResult(heatmap_data(TOKENS, np.arange(12.0).reshape(2, 6) - 6, labels=["a", "b"])).save(
        tmp_path / "h.interplay")
    code = (
        "import sys, numpy as np, interplay\n"
        f"r = interplay.load_result({str(path)!r})\n"
        "w = r.show()\n"
        "assert w.row_labels == ['a', 'b'] and w.scale['kind'] == 'diverging'\n"
        "w.selected = {'row': 1, 'pos': 5}\n"
        "w.values = np.ones(6)\n"
        "v = interplay.TokenHeatmapView.from_arrays(['x', 'y'], [[1.0, 2.0]])\n"
        "assert 'torch' not in sys.modules, 'the token heatmap imported torch'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
