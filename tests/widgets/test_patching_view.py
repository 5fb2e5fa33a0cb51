"""PatchingView at the Python level: traits and buffers, the `cell` request, recomputation, and the
same view from saved data (no model: the cell and the settings say they need one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.errors import InterplayError, NeedsModelError
from interplay.widgets.patching import PatchingView
from interplay.widgets.traits import SelectionError
from tests.helpers import sent, wire

CLEAN = ["When Mary and John went to the store, John gave a drink to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to"]


def synced(w: Any) -> dict[str, Any]:
    """The view's own synced state, as sent (array payloads with their bytes)."""
    names = sorted(type(w).class_own_traits(sync=True))
    state = w.get_state(names)
    return {k: ({**v, "data": bytes(v["data"])} if isinstance(v, dict) and "data" in v else v) for k, v in state.items()}


@pytest.fixture
def result(gpt2: Any) -> Any:
    return interplay.patch(gpt2, CLEAN, CORRUPTED, metric=interplay.logit_diff(" Mary", " John"), progress=False)


def test_traits_are_binary_and_labelled(result: Any) -> None:
    w = result.show()
    assert isinstance(w, PatchingView) and isinstance(w.values, np.ndarray)
    payload = wire(w, "values")
    assert isinstance(payload["data"], memoryview)
    assert payload["shape"] == [2, 14] and payload["dims"] == ["row", "col"]  # non-square: layer x pos
    np.testing.assert_allclose(sent(w, "values"), result.values)
    assert payload["vmin"] == -payload["vmax"]  # centred at 0
    assert w.row_labels == ["L0", "L1"] and w.col_labels[9] == " John" and w.col_axis == "pos"
    assert w.differing == [9] and w.corrupted_tokens[9] == " Mary"
    assert "KL(clean || patched)" in w.metrics and "z" in w.components
    assert wire(w, "compare") is None and w.compare_r is None


def test_cell_request_runs_one_patch(result: Any) -> None:
    w = result.show()
    out = w.answer("cell", {"row": 1, "col": 9, "k": 4})
    assert out["label"] == "L1 pos 9 ' John'"
    assert out["value"] == pytest.approx(float(result.values[1, 9]))
    assert {k: len(out[k]["tokens"]) for k in ("clean", "corrupted", "patched")} == {"clean": 4, "corrupted": 4, "patched": 4}
    assert out["metric"] == pytest.approx(float(result.raw[1, 9]), abs=1e-5)
    with pytest.raises(InterplayError, match=r"col=14 is out of range \(0..13\)"):
        w.answer("cell", {"row": 1, "col": 14})


def test_switching_method_component_and_metric(result: Any) -> None:
    w = result.show()
    w.method = "attribution"
    assert w.method == "attribution" and wire(w, "compare")["shape"] == [2, 28] and w.compare_r is not None
    w.component = "z"
    assert w.row_labels == ["L0", "L1"] and w.col_labels == ["H0", "H1", "H2", "H3"] and w.compare is None
    assert w.method == "attribution" and w.by == "layer_head"
    out = w.answer("cell", {"row": 1, "col": 3})
    assert out["label"] == "L1 H3" and len(out["patched"]["tokens"]) == 10
    w.metric = "KL(clean || patched)"
    assert "KL" in w.value_label and w.error == ""
    w.component = "nonsense"
    assert "unknown component" in w.error and not w.computing
    assert w.component == "z"  # put back: the view shows the z sweep
    w.method = "exact"  # back to a sweep already computed: no new work, compare shown
    w.metric = result.metric_label
    w.component = "resid_pre"
    assert w.title == result.show().title and wire(w, "compare")["shape"] == [2, 28]


def test_three_axis_results_flatten_rows(gpt2: Any) -> None:
    r = interplay.patch(gpt2, CLEAN, CORRUPTED, metric=interplay.logit_diff(" Mary", " John"), component="z",
                        by="layer_head_pos", progress=False)
    w = r.show()
    assert sent(w, "values").shape == (8, 14) and w.row_labels[5] == "L1.H1"
    assert w.answer("cell", {"row": 5, "col": 9})["label"] == "L1 H1 pos 9 ' John'"


def test_selection_is_validated(result: Any) -> None:
    w = result.show()
    w.selected = {"row": 1, "col": 13}
    with pytest.raises(SelectionError, match=r"selected\['col'\] = 14 is out of range: 0..13"):
        w.selected = {"row": 1, "col": 14}
    with pytest.raises(SelectionError, match="missing"):
        w.selected = {"row": 1}
    w.set_state({"selected": {"row": 9, "col": 0}})  # from the page: refused, the good value stays
    assert w.selected == {"row": 1, "col": 13} and "edit refused" in w.error


def test_without_a_source_the_view_says_it_needs_a_model(result: Any) -> None:
    w = PatchingView(result.data)
    live = result.show()
    assert synced(w) == synced(live)
    with pytest.raises(NeedsModelError, match=r"running the patch of L1 pos 9 ' John' needs a live model"):
        w.answer("cell", {"row": 1, "col": 9})
    replies: list[dict[str, Any]] = []
    w.send = lambda content, buffers=None: replies.append(content)
    w._on_custom_msg(w, {"type": "interplay:request", "id": "1", "method": "cell", "params": {"row": 0, "col": 0}}, [])
    assert replies[0]["ok"] is False and "needs a live model" in replies[0]["error"]
    for trait, value in (("component", "z"), ("metric", "KL(clean || patched)"), ("method", "attribution")):
        setattr(w, trait, value)
        assert "needs a live model" in w.error and "interplay.patch(model" in w.error
        assert (w.component, w.metric, w.method) == ("resid_pre", result.metric_label, "exact")
    assert w.recompute(component="z", method="exact", metric=result.metric_label) is None


def test_old_style_result_and_alias_warn(result: Any) -> None:
    with pytest.warns(DeprecationWarning, match="PatchingView"):
        w = PatchingView(result)
    assert w.source is result.session
    with pytest.warns(DeprecationWarning, match="PatchingExplorer"):
        old = interplay.PatchingExplorer(result)
    assert isinstance(old, PatchingView)
    with pytest.raises(InterplayError, match="PatchingView shows a PatchingData"):
        PatchingView(np.zeros((2, 3)))  # type: ignore[arg-type]


def test_a_saved_sweep_shows_without_torch(result: Any, tmp_path: Path) -> None:
    path = result.save(tmp_path / "sweep.interplay")
    code = (
        "import sys, interplay\n"
        f"r = interplay.load_result({str(path)!r})\n"
        "w = r.show()\n"
        "assert w.row_labels == ['L0', 'L1'] and w.values.shape == (2, 14)\n"
        "try:\n"
        "    w.answer('cell', {'row': 0, 'col': 0})\n"
        "except interplay.NeedsModelError as e:\n"
        "    assert 'needs a live model' in str(e)\n"
        "w.component = 'z'\n"
        "assert 'needs a live model' in w.error and w.component == 'resid_pre'\n"
        "r.to_dataframe()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_widget_module_imports_no_torch() -> None:
    code = "import interplay.widgets.patching, interplay.results.patching, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
