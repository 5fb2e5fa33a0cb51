"""TokenHeatmap at the Python level: state, buffers, scales, selection and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import traitlets

import interplay
from interplay.widgets._serialize import decode_array

TOKENS = ["When", " Mary", " and", " John", "\n", "<img src=x onerror=alert(1)>"]


def test_single_row_state() -> None:
    w = interplay.TokenHeatmap(TOKENS, np.arange(6.0))
    assert w.tokens == TOKENS  # token text is passed through untouched; the view renders it as text
    assert w.values["shape"] == [1, 6] and w.values["dims"] == ["row", "pos"]
    assert w.row_labels == [""]
    assert w.scale == {"kind": "sequential", "cmap": "viridis", "center": None}
    assert (w.values["vmin"], w.values["vmax"]) == (0.0, 5.0)
    assert w.selected is None


def test_non_square_rows_keep_their_orientation() -> None:
    values = np.arange(18, dtype=np.float32).reshape(3, 6) - 4
    w = interplay.TokenHeatmap(TOKENS, values, labels=["L0", "L1", "L2"])
    np.testing.assert_array_equal(w.array, values)
    np.testing.assert_array_equal(decode_array(w.values)[2], values[2])
    assert w.scale["kind"] == "diverging" and w.scale["cmap"] == "rdbu" and w.scale["center"] == 0.0
    assert w.values["vmin"] == -13.0 and w.values["vmax"] == 13.0


def test_center_and_cmap_choices() -> None:
    w = interplay.TokenHeatmap(TOKENS, np.linspace(0.1, 0.9, 6), center=0.5)
    assert w.scale == {"kind": "diverging", "cmap": "rdbu", "center": 0.5}
    assert w.values["vmin"] == pytest.approx(0.1) and w.values["vmax"] == pytest.approx(0.9)
    assert interplay.TokenHeatmap(TOKENS, np.ones(6), cmap="cividis").scale["cmap"] == "cividis"
    with pytest.raises(ValueError, match="unknown cmap 'jet'"):
        interplay.TokenHeatmap(TOKENS, np.ones(6), cmap="jet")


def test_values_update_from_python_in_one_message() -> None:
    w = interplay.TokenHeatmap(TOKENS, np.zeros(6))
    sent: list[Any] = []
    w.comm = None  # no kernel: record what would be synced instead
    w.observe(lambda ch: sent.append(ch["name"]), names=["values", "scale"])
    w.values = np.array([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], dtype=np.float32)
    assert w.values["shape"] == [2, 6] and w.row_labels == ["0", "1"]
    assert "values" in sent
    w.set_values(-np.ones(6), labels=["neg"])
    assert w.row_labels == ["neg"] and (w.values["vmin"], w.values["vmax"]) == (-1.5, -0.5)


def test_torch_tensors_are_accepted() -> None:
    import torch

    w = interplay.TokenHeatmap(TOKENS, torch.arange(6.0, requires_grad=True))
    assert w.values["shape"] == [1, 6]


def test_nan_values_are_allowed() -> None:
    w = interplay.TokenHeatmap(TOKENS, [np.nan, 1, 2, 3, 4, 5])
    assert np.isnan(w.array[0, 0]) and w.values["vmin"] == 1.0


def test_selected_is_validated() -> None:
    w = interplay.TokenHeatmap(TOKENS, np.zeros((2, 6)))
    w.selected = {"row": 1, "pos": 5}
    assert w.selected == {"row": 1, "pos": 5}
    with pytest.raises(traitlets.TraitError, match="outside the 2 x 6 heatmap"):
        w.selected = {"row": 2, "pos": 0}
    with pytest.raises(traitlets.TraitError, match="must be"):
        w.selected = {"r": 1}
    w.selected = None


@pytest.mark.parametrize(
    ("tokens", "values", "kwargs", "match"),
    [
        (TOKENS, np.zeros(5), {}, "values has 5 columns but there are 6 tokens"),
        (TOKENS, np.zeros((2, 2, 6)), {}, r"shape \[n_tokens\] or \[n_rows, n_tokens\]"),
        ([], np.zeros(0), {}, "tokens is empty"),
        (TOKENS, np.zeros((2, 6)), {"labels": ["a"]}, "1 labels for 2 rows"),
    ],
)
def test_bad_input(tokens: Any, values: Any, kwargs: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        interplay.TokenHeatmap(tokens, values, **kwargs)


def test_unknown_keyword_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) \['colour'\]"):
        interplay.TokenHeatmap(TOKENS, np.zeros(6), colour="red")
    with pytest.raises(TypeError, match="list of strings"):
        interplay.TokenHeatmap("When Mary", np.zeros(9))


def test_trace_heatmap_norm_per_layer(gpt2: Any) -> None:
    trace = gpt2.run("When Mary and John went", capture=["resid_post", "z"])
    w = trace.heatmap("resid_post")
    assert w.tokens == trace.tokens and w.row_labels == ["L0", "L1"]
    np.testing.assert_allclose(w.array[1], trace["resid_post", 1][0].norm(dim=-1).numpy(), rtol=1e-6)
    heads = trace.heatmap(("z", 0), reduce="norm")
    assert heads.row_labels == [f"L0.H{h}" for h in range(4)]
    with pytest.raises(interplay.InterplayError, match="batch=3 is out of range"):
        trace.heatmap("resid_post", batch=3)
