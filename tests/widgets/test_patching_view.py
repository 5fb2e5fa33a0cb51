"""PatchingExplorer at the Python level: traits and buffers, the `cell` request, recomputation."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.widgets._serialize import decode_array

CLEAN = ["When Mary and John went to the store, John gave a drink to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to"]


@pytest.fixture
def result(gpt2: Any) -> Any:
    return interplay.patch(gpt2, CLEAN, CORRUPTED, metric=interplay.logit_diff(" Mary", " John"), progress=False)


def test_traits_are_binary_and_labelled(result: Any) -> None:
    w = result.show()
    values = decode_array(w.values)
    assert isinstance(w.values["data"], memoryview)
    assert values.shape == (2, 14) and w.values["dims"] == ["row", "col"]  # non-square: layer x pos
    np.testing.assert_allclose(values, result.values)
    assert w.values["vmin"] == -w.values["vmax"]  # centred at 0
    assert w.row_labels == ["L0", "L1"] and w.col_labels[9] == " John" and w.col_axis == "pos"
    assert w.differing == [9] and w.corrupted_tokens[9] == " Mary"
    assert "KL(clean || patched)" in w.metrics and "z" in w.components


def test_cell_request_runs_one_patch(result: Any) -> None:
    w = result.show()
    out = w.answer("cell", {"row": 1, "col": 9, "k": 4})
    assert out["label"] == "L1 pos 9 ' John'"
    assert out["value"] == pytest.approx(float(result.values[1, 9]))
    assert {k: len(out[k]["tokens"]) for k in ("clean", "corrupted", "patched")} == {"clean": 4, "corrupted": 4, "patched": 4}
    assert out["metric"] == pytest.approx(float(result.raw[1, 9]), abs=1e-5)


def test_switching_method_component_and_metric(result: Any) -> None:
    w = result.show()
    w.method = "attribution"
    assert w.method == "attribution" and w.compare["shape"] == [2, 28] and w.compare_r is not None
    w.component = "z"
    assert w.row_labels == ["L0", "L1"] and w.col_labels == ["H0", "H1", "H2", "H3"] and w.compare == {}
    out = w.answer("cell", {"row": 1, "col": 3})
    assert out["label"] == "L1 H3" and len(out["patched"]["tokens"]) == 10
    w.metric = "KL(clean || patched)"
    assert "KL" in w.value_label and w.error == ""
    w.component = "nonsense"
    assert "unknown component" in w.error and not w.computing


def test_three_axis_results_flatten_rows(gpt2: Any) -> None:
    r = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=interplay.logit_diff(" Mary", " John"), component="z",
                        by="layer_head_pos", progress=False)
    w = r.show()
    assert decode_array(w.values).shape == (8, 14) and w.row_labels[5] == "L1.H1"
    assert w.answer("cell", {"row": 5, "col": 9})["label"] == "L1 H1 pos 9 ' John'"


def test_widget_module_imports_no_torch() -> None:
    import subprocess

    code = "import interplay.widgets.patching, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
