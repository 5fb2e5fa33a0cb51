"""PromptFeaturesView (numpy only) and its panel linking a picked latent to a FeatureView: traits
and payloads, selections from Python and from the page, the linked dashboard (asked once), labels,
errors, and what a view without a model says."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from interplay.data.features import FeatureSteeringData, PromptFeaturesData, TopActivationsData
from interplay.errors import InterplayError, NeedsModelError, ViewError
from interplay.widgets.feature import FeatureView
from interplay.widgets.prompt_features import PICK_HINT, PromptFeaturesPanel, PromptFeaturesView
from interplay.widgets.traits import SelectionError
from tests.helpers import sent, wire
from tests.widgets.test_feature_view import make_data

XSS = "<img src=x onerror=alert(1)>"
TOKENS = ["<|bos|>", " When", " Mary", XSS, "\n", " John"]


def make_prompt_data(n_latents: int = 6, k: int = 3) -> PromptFeaturesData:
    """Token p's latents are (p, p+1, ...) mod n_latents with activations 3, 2, 1 (token 4 has one)."""
    n = len(TOKENS)
    lat = np.array([[(p + j) % n_latents for j in range(k)] for p in range(n)], np.int64)
    val = np.tile(np.array([3.0, 2.0, 1.0][:k], np.float32), (n, 1)) * (1 + np.arange(n, dtype=np.float32))[:, None]
    lat[4, 1:] = -1
    val[4, 1:] = np.nan
    return PromptFeaturesData(tokens=list(TOKENS), dictionary="demo/resid_post.2", hook="blocks.2.hook_resid_post",
                              n_latents=n_latents, top_latents=lat, top_values=val,
                              max_values=np.nan_to_num(val[:, 0]).astype(np.float32),
                              n_active=np.array([5, 4, 3, 3, 1, 3], np.int64), latent_labels={"2": "names"},
                              notes=["a note"])


class FakeSource:
    """A live session: the dashboard of every latent (counted), steering."""

    def __init__(self, n_latents: int = 6, fail: bool = False) -> None:
        self.n_latents, self.fail = n_latents, fail
        self.calls: list[Any] = []

    def dashboard(self, latents: Any = None) -> TopActivationsData:
        self.calls.append(("dashboard", latents))
        if self.fail:
            raise NeedsModelError("a latent's dashboard needs a dataset")
        return make_data(n_features=self.n_latents, rare=2)

    def steer(self, feature: int, prompt: str, mode: str, value: float, keep_error: bool) -> FeatureSteeringData:
        self.calls.append(("steer", feature, prompt, mode, value, keep_error))
        return FeatureSteeringData(prompt=prompt, feature=f"L2.{feature}", latent=feature, mode=mode, value=value,
                                   keep_error=keep_error, baseline_text=" a", steered_text=" b",
                                   baseline_tokens=[" a"], steered_tokens=[" b"], changes=[[" b", 0.1, 0.7]],
                                   kl=0.3)


# ---------------------------------------------------------------------------------- the view
def test_traits_and_payloads_from_the_data() -> None:
    d = make_prompt_data()
    v = PromptFeaturesView(d)
    assert v.tokens == TOKENS and v.n_latents == 6 and v.dictionary == "demo/resid_post.2"
    assert v.hook == "blocks.2.hook_resid_post" and v.latent_labels == {"2": "names"} and v.notes == ["a note"]
    assert v.title == "demo/resid_post.2 on the prompt" and v.scale["kind"] == "sequential"
    mx = wire(v, "max_values")
    assert mx["dims"] == ["pos"] and mx["vmin"] == 0.0 and mx["vmax"] == pytest.approx(18.0)
    lat = sent(v, "top_latents")
    assert lat.dtype == np.int32 and lat.shape == (6, 3) and lat[4].tolist() == [4, -1, -1]
    vals = sent(v, "top_values")
    assert vals.dtype == np.float32 and np.isnan(vals[4, 1]) and vals[5, 0] == 18.0
    assert sent(v, "n_active").tolist() == [5, 4, 3, 3, 1, 3]
    assert v.latents_at(4) == [(4, 15.0)] and v.latents_at(0) == [(0, 3.0), (1, 2.0), (2, 1.0)]
    assert v.token is None and v.selected is None and v.message == ""


def test_all_zero_activations_still_get_a_scale() -> None:
    d = make_prompt_data()
    import dataclasses

    z = dataclasses.replace(d, max_values=np.zeros(len(TOKENS), np.float32))
    assert wire(PromptFeaturesView(z), "max_values")["vmax"] == 1.0


def test_a_selection_lists_its_token_and_bad_ones_are_named() -> None:
    v = PromptFeaturesView(make_prompt_data())
    v.selected = {"pos": 3, "latent": 5}
    assert v.token == 3
    for bad, message in [({"pos": 6, "latent": 0}, r"\['pos'\] = 6 is out of range: 0..5"),
                         ({"pos": 0, "latent": 6}, r"\['latent'\] = 6 is out of range: 0..5"),
                         ({"pos": 0}, "missing"), ({"row": 0, "pos": 0, "latent": 1}, "unknown keys"),
                         ("3", "must be")]:
        with pytest.raises(SelectionError, match=message):
            v.selected = bad
    with pytest.raises(SelectionError, match="out of range"):
        v.token = 99
    assert v.selected == {"pos": 3, "latent": 5}


def test_a_bad_selection_from_the_page_is_refused_and_the_good_value_sent_back() -> None:
    v = PromptFeaturesView(make_prompt_data())
    back: list[Any] = []
    v.send_state = lambda key=None: back.append(key)  # type: ignore[method-assign]
    v.set_state({"selected": {"pos": 1, "latent": 99}, "token": 1})
    assert v.selected is None and v.token == 1 and back == ["selected"]
    v.set_state({"selected": {"pos": 1, "latent": 2}})
    assert v.selected == {"pos": 1, "latent": 2}


def test_wrong_input_is_named() -> None:
    with pytest.raises(ViewError, match="shows a PromptFeaturesData"):
        PromptFeaturesView(np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected argument"):
        PromptFeaturesView(make_prompt_data(), colour="red")
    with pytest.raises(ViewError, match="pos=9"):
        PromptFeaturesView(make_prompt_data()).latents_at(9)


def test_the_view_exports_to_html_with_its_tokens_as_data(tmp_path: Any) -> None:
    v = PromptFeaturesView(make_prompt_data())
    text = v.to_html()
    assert XSS not in text  # the token travels JSON-escaped inside the state, never as markup
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in text


# ---------------------------------------------------------------------------------- the panel
def test_picking_a_latent_shows_its_dashboard_and_the_dashboard_is_asked_once() -> None:
    src = FakeSource()
    panel = PromptFeaturesPanel(make_prompt_data(), src)
    assert panel.children == (panel.prompt_view,) and panel.prompt_view.message == PICK_HINT
    panel.prompt_view.selected = {"pos": 2, "latent": 3}
    fv = panel.feature_view
    assert isinstance(fv, FeatureView) and panel.children == (panel.prompt_view, fv)
    assert fv.feature == 3 and fv.source is src and fv.live
    assert "Latent 3 (token 2)" in panel.prompt_view.message and panel.prompt_view.message_kind == "info"
    panel.prompt_view.selected = {"pos": 5, "latent": 0}
    assert panel.feature_view is fv and fv.feature == 0 and panel.selected == {"pos": 5, "latent": 0}
    assert src.calls == [("dashboard", None), ("dashboard", None)]  # the session caches; the view asks each time
    # steering from the FeatureView goes to the same source, by latent index
    out = fv.answer("steer", {"feature": 0, "prompt": "When Mary", "mode": "clamp", "value": 4.0, "keep_error": True})
    assert out["steered_text"] == " b" and src.calls[-1] == ("steer", 0, "When Mary", "clamp", 4.0, True)


def test_labels_typed_in_the_dashboard_label_the_prompt_views_latents() -> None:
    panel = PromptFeaturesPanel(make_prompt_data(), FakeSource())
    panel.prompt_view.selected = {"pos": 0, "latent": 1}
    assert panel.feature_view.labels == {"1": "names", "2": "names"}  # the prompt's label seeds the dashboard's
    panel.feature_view.label(1, "Mary")
    assert panel.prompt_view.latent_labels == {"1": "Mary", "2": "names"}
    panel.feature_view.label(2, "")
    assert panel.prompt_view.latent_labels == {"1": "Mary"}


def test_a_selection_given_at_construction_opens_the_dashboard() -> None:
    panel = PromptFeaturesPanel(make_prompt_data(), FakeSource(), selected={"pos": 1, "latent": 4})
    assert panel.feature_view.feature == 4 and panel.prompt_view.token == 1


def test_without_a_model_the_panel_says_so_and_a_failing_source_is_shown() -> None:
    panel = PromptFeaturesPanel(make_prompt_data(), None)
    panel.prompt_view.selected = {"pos": 1, "latent": 2}
    assert panel.feature_view is None and panel.prompt_view.message_kind == "error"
    assert "need a live model" in panel.prompt_view.message
    bad = PromptFeaturesPanel(make_prompt_data(), FakeSource(fail=True))
    bad.prompt_view.selected = {"pos": 1, "latent": 2}
    assert bad.feature_view is None and bad.prompt_view.message_kind == "error"
    assert "needs a dataset" in bad.prompt_view.message
    assert isinstance(NeedsModelError("x"), InterplayError)


def test_the_panel_exports_its_views(tmp_path: Any) -> None:
    import interplay

    panel = PromptFeaturesPanel(make_prompt_data(), FakeSource())
    panel.prompt_view.selected = {"pos": 2, "latent": 3}
    path = interplay.save_html(panel, tmp_path / "pf.html")
    text = path.read_text()
    assert text.count('"kind":"PromptFeaturesView"') == 1 and text.count('"kind":"FeatureView"') == 1


def test_the_displayed_panel_writes_the_prompt_views_saved_view_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from interplay.widgets import _fallback

    shown: list[Any] = []
    monkeypatch.setattr(_fallback, "_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj, **k: shown.append(obj) or _Handle())
    panel = PromptFeaturesPanel(make_prompt_data(), FakeSource())
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert len(shown) == 1 and "saved view of a PromptFeaturesView" in shown[0]["text/plain"]
    assert f'data-interplay-fallback="{panel.prompt_view.model_id}"' in shown[0]["text/html"]


class _Handle:
    def update(self, *args: Any, **kwargs: Any) -> None:
        pass
