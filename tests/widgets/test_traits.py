"""The typed traits every view uses, and the base widget's refusal of bad edits from the page."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import traitlets

from interplay.errors import ShapeError, ViewError
from interplay.widgets._base import BaseWidget
from interplay.widgets._serialize import decode_array
from interplay.widgets.traits import Array, Index, Selection, SelectionError


class Probe(BaseWidget):  # type: ignore[misc]
    _esm = "export default { render() {} };"
    values = Array(("row", "pos"), np.float32, center=0.0)
    codes = Array(("pos",), np.uint8, encoding="raw", limits=lambda w, a: (0.0, float(w.top)))
    top = traitlets.Int(5).tag(sync=True)
    n = traitlets.Int(3).tag(sync=True)
    selected = Selection({"row": lambda w: w.n, "name": lambda w: {"a", "b"}})
    cursor = Index(lambda w: w.n, low=1)
    error = traitlets.Unicode("").tag(sync=True)


def test_array_trait_stores_an_ndarray_and_writes_the_payload_at_sync() -> None:
    import torch

    w = Probe(values=[[1.0, -2.0, 3.0], [0.0, 0.5, np.nan]])
    assert isinstance(w.values, np.ndarray) and w.values.dtype == np.float32
    payload = w.get_state("values")["values"]
    assert payload["dims"] == ["row", "pos"] and payload["vmin"] == -3.0 and payload["vmax"] == 3.0
    np.testing.assert_array_equal(decode_array(payload), w.values)
    w.values = torch.ones(2, 2, dtype=torch.bfloat16)  # a tensor, read through .detach()
    assert w.values.dtype == np.float32 and w.values.shape == (2, 2)
    w.codes = np.array([1, 2, 3])
    w.top = 9
    assert w.get_state("codes")["codes"]["vmax"] == 9.0  # limits computed at sync, from the widget
    w.values = None
    assert w.get_state("values")["values"] is None


def test_array_trait_names_the_shape_it_wants() -> None:
    with pytest.raises(ShapeError, match=r"Probe.values must have 2 axes \[row, pos\]; got 1 axes"):
        Probe(values=[1.0, 2.0])


def test_every_new_array_notifies_even_with_equal_values() -> None:
    w = Probe(values=np.zeros((1, 2)))
    seen: list[Any] = []
    w.observe(lambda ch: seen.append(ch["new"]), names="values")
    w.values = np.zeros((1, 2))
    same = w.values
    w.values = same
    assert len(seen) == 1


@pytest.mark.parametrize(("value", "message"), [
    ({"row": 3, "name": "a"}, r"Probe.selected\['row'\] = 3 is out of range: 0..2"),
    ({"row": 0, "name": "z"}, r"Probe.selected\['name'\] = 'z' is not one of 'a', 'b'"),
    ({"row": 0}, r"missing \['name'\]"),
    ({"row": 0, "name": "a", "col": 1}, r"unknown keys \['col'\]"),
    ({"row": "0", "name": "a"}, r"must be an integer, got '0'"),
    ({"row": True, "name": "a"}, r"must be an integer, got True"),
    ([0, "a"], r"must be \{'row': \.\.\., 'name': \.\.\.\} or None"),
])
def test_selection_keys_and_bounds(value: Any, message: str) -> None:
    w = Probe()
    with pytest.raises(SelectionError, match=message) as info:
        w.selected = value
    assert isinstance(info.value, ViewError) and isinstance(info.value, traitlets.TraitError)
    w.selected = {"row": np.int64(2), "name": "b"}
    assert w.selected == {"row": 2, "name": "b"} and type(w.selected["row"]) is int


def test_index_bounds() -> None:
    w = Probe()
    w.cursor = 2
    for bad in (0, 3, 1.5):
        with pytest.raises(SelectionError, match=r"Probe\.cursor"):
            w.cursor = bad


def test_a_bad_edit_from_the_page_is_refused_and_the_good_value_sent_back() -> None:
    w = Probe()
    w.selected = {"row": 1, "name": "a"}
    sent: list[Any] = []
    w.send_state = lambda key=None: sent.append(key)  # type: ignore[method-assign]
    w.set_state({"selected": {"row": 7, "name": "a"}, "top": 11})
    assert w.selected == {"row": 1, "name": "a"} and w.top == 11  # the good edit lands, the bad one does not
    assert "selected" in sent and "edit refused" in w.error and "out of range" in w.error
    w.set_state({"selected": {"row": 2, "name": "b"}})
    assert w.selected == {"row": 2, "name": "b"}


def test_unknown_keyword_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) \['valuse'\]"):
        Probe(valuse=[[1.0]])
