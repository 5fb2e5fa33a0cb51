"""The feature data classes: shapes checked on construction, saved and loaded with numpy alone."""

from __future__ import annotations

import numpy as np
import pytest

from interplay.data.features import FeatureSteeringData, PromptFeaturesData, TopActivationsData
from interplay.errors import ResultFileError, ShapeError


def top_data(n_f: int = 3, k: int = 4, before: int = 2, after: int = 1, n_b: int = 2, n_s: int = 2,
             logits: bool = True) -> TopActivationsData:
    rng = np.random.default_rng(0)
    c = before + 1 + after
    table = ["<|bos|>", " Mary", " John", " went", " store"]
    return TopActivationsData(
        features=[f"latent {i}" for i in range(n_f)],
        feature_meta={"kind": "sae", "hook": "blocks.1.hook_resid_post", "indices": list(range(n_f))},
        context=[before, after], n_tokens=100,
        table_ids=np.arange(len(table)) * 3, token_table=table,
        acts=np.sort(rng.random((n_f, k)), axis=1)[:, ::-1],
        where=rng.integers(0, 9, (n_f, k, 2)),
        ctx_tokens=rng.integers(-1, len(table), (n_f, k, c)),
        ctx_values=rng.random((n_f, k, c)),
        hist_edges=np.tile(np.linspace(0, 1, 6), (n_f, 1)), hist_counts=rng.integers(0, 9, (n_f, 5)),
        n_active=rng.integers(0, 100, n_f),
        bucket_edges=np.tile(np.linspace(0, 1, n_b + 1), (n_f, 1)),
        q_acts=rng.random((n_f, n_b, n_s)), q_where=rng.integers(0, 9, (n_f, n_b, n_s, 2)),
        q_ctx_tokens=rng.integers(-1, len(table), (n_f, n_b, n_s, c)), q_ctx_values=rng.random((n_f, n_b, n_s, c)),
        logit_ids=rng.integers(0, 15, (n_f, 2, 3)) if logits else None,
        logit_values=rng.random((n_f, 2, 3)) if logits else None,
        labels={"1": "names"},
    )


def test_top_activations_data_round_trips_and_reads(tmp_path) -> None:
    data = top_data()
    assert data.n_features == 3 and data.k == 4
    assert data.ctx_values.dtype == np.float32 and data.ctx_tokens.dtype == np.int32
    np.testing.assert_allclose(data.density, data.n_active / 100)
    strings = data.context_strings(0, 0)
    assert strings == [data.token_table[i] for i in data.ctx_tokens[0, 0] if i >= 0]
    path = data.save(tmp_path / "top.zip")
    again = TopActivationsData.load(path)
    assert again == data and again.labels == {"1": "names"}
    assert TopActivationsData.load(top_data(logits=False).save(tmp_path / "b.zip")).logit_ids is None
    with pytest.raises(ResultFileError, match="holds a TopActivationsData, not a PromptFeaturesData"):
        PromptFeaturesData.load(path)


@pytest.mark.parametrize(("change", "match"), [
    ({"features": ["a"]}, "1 feature labels"),
    ({"where": np.zeros((3, 4, 3))}, r"where has shape \[3, 4, 3\]; expected \[3, 4, 2\]"),
    ({"ctx_tokens": np.zeros((3, 4, 5))}, "ctx_tokens has shape"),
    ({"hist_edges": np.zeros((3, 5))}, "hist_edges"),
    ({"q_where": np.zeros((3, 2, 2, 1))}, "q_where has shape"),
    ({"logit_values": None}, "logit_ids and logit_values"),
    ({"token_table": ["a"]}, "1 token strings for 5 table ids"),
    ({"ctx_tokens": np.full((3, 4, 4), 9)}, "outside token_table"),
])
def test_top_activations_data_refuses_inconsistent_arrays(change, match) -> None:
    import dataclasses

    good = top_data()
    kwargs = {f.name: getattr(good, f.name) for f in dataclasses.fields(good)}
    kwargs.update(change)
    with pytest.raises(ShapeError, match=match):
        TopActivationsData(**kwargs)


def test_prompt_features_and_steering_data_check_their_fields(tmp_path) -> None:
    ok = PromptFeaturesData(tokens=["a", "b"], dictionary="demo/sae", hook="blocks.1.hook_resid_post", n_latents=8,
                            top_latents=[[3, -1], [7, 2]], top_values=[[1.0, np.nan], [2.0, 0.5]],
                            max_values=[1.0, 2.0], n_active=[1, 2])
    assert PromptFeaturesData.load(ok.save(tmp_path / "p.zip")) == ok
    with pytest.raises(ShapeError, match=r"latent indices in 0..7"):
        PromptFeaturesData(tokens=["a"], dictionary="d", hook="h", n_latents=8, top_latents=[[8]],
                           top_values=[[1.0]], max_values=[1.0], n_active=[1])
    with pytest.raises(ShapeError, match=r"\[pos, k\] with pos = 2 tokens"):
        PromptFeaturesData(tokens=["a", "b"], dictionary="d", hook="h", n_latents=8, top_latents=[[1]],
                           top_values=[[1.0]], max_values=[1.0], n_active=[1])
    steer = dict(prompt="p", feature="latent 3", latent=3, mode="clamp", value=5.0, keep_error=True,
                 baseline_text=" a", steered_text=" b", baseline_tokens=[" a"], steered_tokens=[" b"],
                 changes=[[" b", 0.1, 0.6]], kl=0.4)
    assert FeatureSteeringData.load(FeatureSteeringData(**steer).save(tmp_path / "s.zip")).changes == [[" b", 0.1, 0.6]]
    with pytest.raises(ShapeError, match="accepted: scale, clamp, ablate, add"):
        FeatureSteeringData(**{**steer, "mode": "boost"})
    with pytest.raises(ShapeError, match=r"changes\[0\]"):
        FeatureSteeringData(**{**steer, "changes": [[" b", 0.1]]})
