"""LogitLensView and DLAView at the Python level: payloads, typed targets, the ln toggle, links."""

from __future__ import annotations

from typing import Any

import numpy as np

import interplay
from tests.helpers import sent

PROMPT = "When Mary and John went to the store, John gave a drink to"


def test_logit_lens_view_state(gpt2: Any) -> None:
    lens = interplay.logit_lens(gpt2, PROMPT, k=3)
    view = lens.show()
    n_rows, n = len(lens.layer_labels), len(lens.tokens)
    assert view.layer_labels == lens.layer_labels[::-1]  # last layer on top
    ids = sent(view, "top_ids")
    assert ids.shape == (n_rows, n, 3) and ids.dtype == np.int32
    top = lens.top_tokens
    assert [view.token_table[i] for i in ids[0, 4]] == top[-1][4]  # row 0 is the last layer
    np.testing.assert_allclose(sent(view, "color"), lens.top_probs[::-1, :, 0])
    assert view.scale["cmap"] == "viridis" and view.target_error == ""


def test_typed_target_arrives_or_is_refused(gpt2: Any) -> None:
    view = interplay.logit_lens(gpt2, PROMPT).show()
    view.target = " Mary"
    assert view.target_error == "" and view.mode == "target_prob"
    probs, ranks = view.source.target(" Mary", True)
    np.testing.assert_allclose(sent(view, "target_probs"), probs[::-1])
    np.testing.assert_array_equal(sent(view, "target_ranks"), ranks[::-1])
    np.testing.assert_allclose(sent(view, "color"), probs[::-1])
    view.mode = "target_rank"
    assert view.scale["cmap"] == "cividis_r"
    view.target = "Mary and John"
    assert "not a single token" in view.target_error
    view.mode = "kl"
    np.testing.assert_allclose(sent(view, "color"), view.data.kl[::-1])
    assert not view.computing


def test_apply_ln_toggle_recomputes(gpt2: Any) -> None:
    view = interplay.logit_lens(gpt2, PROMPT).show(target=" Mary")
    before = sent(view, "top_probs")
    view.apply_ln = False
    assert not view.data.apply_ln and "no final norm" in view.notes[0]
    assert not np.allclose(sent(view, "top_probs"), before)
    assert view.target_error == "" and view.target_probs is not None  # the target was recomputed too


def test_dla_view_and_its_link_to_attention(gpt2: Any, monkeypatch: Any) -> None:
    import ipywidgets
    import pytest

    from tests.helpers import wire

    links: list[Any] = []
    jslink = ipywidgets.jslink
    monkeypatch.setattr(ipywidgets, "jslink", lambda a, b: links.append((a, b)) or jslink(a, b))
    res = interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary", baseline=" John")
    box = res.show()
    assert isinstance(box, ipywidgets.VBox)
    dla, attn = box.children
    assert isinstance(dla, interplay.DLAView) and isinstance(attn, interplay.AttentionView)
    np.testing.assert_allclose(sent(dla, "heads"), res.data.heads)
    np.testing.assert_allclose(sent(dla, "components"), res.data.components)
    assert dla.component_labels == res.data.component_labels and dla.target_label == res.data.target_label
    assert wire(dla, "heads")["vmin"] == -wire(dla, "heads")["vmax"]
    assert dla.total == pytest.approx(res.data.total) and dla.notes == res.data.notes
    assert links == [((dla, "selected"), (attn, "selected"))]  # linked in the browser (an ipywidgets jslink)
    alone = res.show(attention=False)
    assert isinstance(alone, interplay.DLAView)
    assert attn.tokens == res.data.tokens
    alone.selected = {"layer": 1, "head": 3}
    with pytest.raises(interplay.ViewError, match=r"selected\['head'\] = 4 is out of range: 0\.\.3"):
        alone.selected = {"layer": 0, "head": 4}
    with pytest.warns(DeprecationWarning, match=r"DLAView\(result\)"):
        assert interplay.DLAView(res).target_label == res.data.target_label
