"""TopActivationsResult: saved and loaded to identical data (numpy only), a table of one row per
feature x rank, a histogram plot, a FeatureView that is live (steering) with the session and says
"needs a live model" without it, and examples past k needing a re-run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import interplay
import interplay.tasks as tasks
from interplay.backend.dictionaries import SAE
from interplay.data.features import FeatureSteeringData
from interplay.errors import InterplayError, NeedsModelError
from interplay.methods.features.top_activations import TopActivationsSession, top_activations
from interplay.results.features import TopActivationsResult


@pytest.fixture(scope="module")
def result(demo_model: Any) -> TopActivationsResult:
    torch.manual_seed(3)
    sae = SAE(demo_model.cfg.d_model, 32, hook="blocks.2.hook_resid_post", architecture="relu", name="r/sae")
    return top_activations(demo_model, (sae, [0, 5, 9]), list(tasks.ioi(n=24, seed=2).clean), k=5, context=(4, 2),
                           progress=False)


def test_save_and_load_give_the_same_data(result: TopActivationsResult, tmp_path: Path) -> None:
    path = result.save(tmp_path / "top.interplay")
    for loaded in (interplay.load_result(path), TopActivationsResult.load(path)):
        assert isinstance(loaded, TopActivationsResult) and loaded.session is None
        assert loaded.data == result.data
        assert loaded.data.logit_note == result.data.logit_note and loaded.data.feature_meta["dictionary"] == "r/sae"
    assert repr(result).startswith("TopActivationsResult(3 sae features at blocks.2.hook_resid_post, top 5 of")


def test_dataframe_has_one_row_per_feature_and_rank(result: TopActivationsResult) -> None:
    df = result.to_dataframe()
    d = result.data
    assert len(df) == int(np.isfinite(d.acts).sum())
    first = df.iloc[0]
    assert (first.feature, first.label, first["rank"]) == (0, "r/sae #0", 0)
    assert first.act == pytest.approx(float(d.acts[0, 0]))
    assert (first.sequence, first.position) == tuple(d.where[0, 0])
    assert first.token == d.token_table[d.ctx_tokens[0, 0, 4]]
    assert first.token in first.context and first.density == pytest.approx(d.density[0])
    ex = result.examples("r/sae #5")
    assert ex[0]["act"] == pytest.approx(float(d.acts[1, 0])) and ex[0]["tokens"][ex[0]["max_at"]] == \
        d.token_table[d.ctx_tokens[1, 0, 4]]
    with pytest.raises(InterplayError, match="not one of this result's features"):
        result.examples("nope")
    with pytest.raises(InterplayError, match=r"index 0..2"):
        result.examples(3)


def test_plot_draws_the_histogram(result: TopActivationsResult) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = result.plot(feature=1)
    bars = ax.patches
    assert len(bars) == result.data.hist_counts.shape[1]
    assert [int(b.get_height()) for b in bars] == result.data.hist_counts[1].tolist()
    assert "density" in ax.get_title()
    plt.close("all")


def test_show_is_a_live_feature_view_that_steers(result: TopActivationsResult) -> None:
    from interplay.widgets.feature import FeatureView

    view = result.show(feature=2)
    assert isinstance(view, FeatureView) and view.feature == 2 and view.live
    assert view.feature_names == result.data.features
    for f in range(result.data.n_features):  # every feature's card builds from this data
        card = view._card(f)
        assert card["examples"]["n"] == min(view.page_size, int(np.isfinite(result.data.acts[f]).sum()))
    out = view._steer(1, "When Mary and John went to the store,", "clamp", 8.0, True)
    assert out["index"] == 1 and isinstance(view.steering, dict)
    assert isinstance(result.session, TopActivationsSession)
    steered = result.session.steer(0, "When Mary and John", "ablate", 0.0, False)
    assert isinstance(steered, FeatureSteeringData) and steered.latent == 0 and steered.mode == "ablate"
    with pytest.raises(NeedsModelError, match="re-run with larger k"):
        view._examples(0, result.data.k, 4)


def test_a_loaded_result_shows_without_a_model(result: TopActivationsResult, tmp_path: Path) -> None:
    loaded = interplay.load_result(result.save(tmp_path / "top.interplay"))
    view = loaded.show()
    assert not view.live
    with pytest.raises(NeedsModelError):
        view._steer(0, "a prompt", "scale", 2.0, True)


def test_steering_needs_a_dictionary_latent(demo_model: Any) -> None:
    res = top_activations(demo_model, ("mlp.post", 0, [1, 2]), ["When Mary and John went"], k=2, progress=False)
    with pytest.raises(InterplayError, match="steering by a neuron feature is not supported"):
        res.session.steer(0, "When Mary", "scale", 2.0, True)
