"""interplay.features: a prompt's top latents per token against a brute-force encode, its session's
dashboards (one pass for every latent, cached, sliced) and steering, errors, and the saved result."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.backend.dictionaries import SAE, Transcoder
from interplay.errors import DictionaryError, InterplayError, NeedsModelError, PromptError
from interplay.methods.features import top_activations as top_module
from interplay.methods.features.prompt import demo_texts, features
from interplay.methods.features.steer import steer_feature
from interplay.methods.features.top_activations import top_activations
from interplay.results.prompt_features import FeatureSteeringResult, PromptFeaturesResult
from interplay.widgets.prompt_features import PromptFeaturesPanel

PROMPT = "When Mary and John went to the store, John gave a drink to"
DATASET = [PROMPT, "The capital of the country is", "( ( ) ) ( ) (", "When John and Mary went to the park, Mary"]


@pytest.fixture(scope="module")
def sae() -> SAE:
    torch.manual_seed(0)
    return SAE(128, 96, hook="blocks.2.hook_resid_post", architecture="topk", k=8, name="test/resid_post.2")


@pytest.fixture(scope="module")
def transcoder() -> Transcoder:
    torch.manual_seed(1)
    return Transcoder(128, 64, hook_in="blocks.1.ln2.hook_normalized", hook_out="blocks.1.hook_mlp_out",
                      architecture="relu", name="test/mlp.1")


def _brute(model: Any, d: Any, k: int, keep_bos: bool = False) -> tuple[np.ndarray, ...]:
    trace = model.run(PROMPT, capture=[d.hook_in])
    with torch.no_grad():
        acts = d.encode(trace[d.hook_in][0]).numpy()
    assert trace.tokens[0] == "<|bos|>"  # the demo tokenizer prepends BOS
    if not keep_bos:
        acts[0] = 0.0
    order = np.argsort(-acts, axis=1, kind="stable")[:, :k]
    vals = np.take_along_axis(acts, order, 1)
    lat = np.where(vals > 0, order, -1)
    return lat, np.where(vals > 0, vals, np.nan), acts.max(1).clip(0), (acts > 0).sum(1)


@pytest.mark.parametrize("which", ["sae", "transcoder"])
def test_top_latents_per_token_equal_a_brute_force_encode(demo_model: Any, sae: SAE, transcoder: Transcoder,
                                                           which: str) -> None:
    d = sae if which == "sae" else transcoder
    r = features(demo_model, PROMPT, d, k=5)
    lat, vals, mx, n_active = _brute(demo_model, d, 5)
    data = r.data
    assert data.tokens == demo_model.to_str_tokens(PROMPT)
    assert data.n_latents == d.d_sae and data.hook == d.hook_in and data.dictionary == d.name
    np.testing.assert_allclose(data.top_values, vals, rtol=1e-5, atol=1e-5)
    assert (np.isnan(data.top_values) == np.isnan(vals)).all()
    # ties aside, the same latents in the same order
    agree = (data.top_latents == lat) | np.isclose(data.top_values, vals)
    assert agree.all()
    np.testing.assert_allclose(data.max_values, mx, rtol=1e-5, atol=1e-5)
    assert data.n_active.tolist() == n_active.tolist()
    if which == "sae":
        assert (data.n_active <= 8).all()  # TopK: at most k latents per token
    assert r.latents_at(-1)[0] == (int(data.top_latents[-1, 0]), float(data.top_values[-1, 0]))
    assert data.n_active[0] == 0 and data.max_values[0] == 0 and "pos 0 ('<|bos|>')" in data.notes[-1]
    kept = features(demo_model, PROMPT, d, k=5, exclude_special=False).data
    lat, vals, mx, n_active = _brute(demo_model, d, 5, keep_bos=True)
    np.testing.assert_allclose(kept.max_values, mx, rtol=1e-5, atol=1e-5)
    assert kept.n_active[0] > 0 and len(kept.notes) == 1


def test_k_larger_than_the_dictionary_and_bad_arguments(demo_model: Any, sae: SAE) -> None:
    assert features(demo_model, PROMPT, sae, k=500).data.top_latents.shape[1] == 96
    with pytest.raises(PromptError, match="non-empty prompt"):
        features(demo_model, "", sae)
    with pytest.raises(InterplayError, match="k=0 must be an integer >= 1"):
        features(demo_model, PROMPT, sae, k=0)
    with pytest.raises(InterplayError, match="exclude_special='no'"):
        features(demo_model, PROMPT, sae, exclude_special="no")
    with pytest.raises(InterplayError, match="top_k_examples"):
        features(demo_model, PROMPT, sae, top_k_examples=-3)
    with pytest.raises(DictionaryError, match="SAE or Transcoder"):
        features(demo_model, PROMPT, object())
    with pytest.raises(DictionaryError, match="d_in=32"):
        features(demo_model, PROMPT, SAE(32, 8, hook="blocks.0.hook_resid_post", architecture="relu"))
    with pytest.raises(InterplayError, match="interplay Model first"):
        features(None, PROMPT, sae)
    with pytest.raises(InterplayError, match=r"pos=99"):
        features(demo_model, PROMPT, sae).latents_at(99)


def test_the_dashboard_is_one_pass_for_every_latent_cached_and_sliced(demo_model: Any, sae: SAE,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = top_module.top_activations

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(top_module, "top_activations", counted)
    r = features(demo_model, PROMPT, sae, dataset=DATASET, top_k_examples=6)
    all_ = r.session.dashboard()
    want = top_activations(demo_model, sae, DATASET, k=6, progress=False).data
    assert all_ == want  # exactly the dictionary's dashboard over the dataset
    sub = r.dashboard([7, 3])
    assert sub.data.features == [want.features[7], want.features[3]] and sub.data.k == 6
    np.testing.assert_array_equal(sub.data.acts, want.acts[[7, 3]])
    np.testing.assert_array_equal(sub.data.ctx_tokens, want.ctx_tokens[[7, 3]])
    np.testing.assert_array_equal(sub.data.q_acts, want.q_acts[[7, 3]])
    assert sub.data.feature_meta["indices"] == [7, 3]
    one = r.dashboard(5)
    assert one.data.features == [want.features[5]]
    assert calls == [sae]  # one pass over the dataset, for every latent, whatever was asked after
    # the subset's session steers by the right latent
    got = sub.session.steer(1, PROMPT, "clamp", 20.0, True)
    assert got.latent == 3
    with pytest.raises(InterplayError, match="latent=96"):
        r.dashboard([96])


def test_the_demo_models_default_dataset_and_another_model_needs_one(demo_model: Any, gpt2: Any, sae: SAE) -> None:
    texts = demo_texts()
    assert len(texts) == 256 and texts == demo_texts() and len(set(texts)) > 200
    r = features(demo_model, PROMPT, sae, top_k_examples=3)
    d = r.session.dashboard([0])
    assert d.n_tokens > 2000  # the demo sample, not just the prompt
    small = SAE(32, 16, hook="blocks.0.hook_resid_post", architecture="relu")
    other = features(gpt2, "When Mary and John", small)
    with pytest.raises(NeedsModelError, match=r"dataset=texts"):
        other.dashboard([0])


def test_steer_through_the_result_is_steer_feature(demo_model: Any, sae: SAE) -> None:
    r = features(demo_model, PROMPT, sae)
    r.session.max_new_tokens = 6
    latent = int(r.data.top_latents[-1, 0])
    got = r.steer(latent, mode="clamp", value=40.0)
    want = steer_feature(demo_model, PROMPT, sae, latent, mode="clamp", value=40.0, max_new_tokens=6)
    assert isinstance(got, FeatureSteeringResult) and got.data == want.data
    other = r.steer(latent, mode="ablate", prompt="When John and Mary went")
    assert other.data.prompt == "When John and Mary went" and other.data.mode == "ablate"


def test_the_result_saves_loads_and_shows_without_a_model(demo_model: Any, sae: SAE, tmp_path: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    r = features(demo_model, PROMPT, sae, k=4)
    df = r.to_dataframe()
    assert list(df.columns) == ["pos", "token", "rank", "latent", "activation", "label"]
    assert len(df) == int((r.data.top_latents >= 0).sum())
    assert r.plot() is not None
    panel = r.show()
    assert isinstance(panel, PromptFeaturesPanel) and panel.source is r.session
    path = r.save(tmp_path / "pf.interplay")
    back = interplay.load_result(path)
    assert isinstance(back, PromptFeaturesResult) and back.session is None and back.data == r.data
    shown = back.show()
    shown.prompt_view.selected = {"pos": 2, "latent": int(r.data.top_latents[2, 0])}
    assert shown.feature_view is None and "need a live model" in shown.prompt_view.message
    with pytest.raises(NeedsModelError, match=r"interplay.features\(model, prompt, dictionary\)"):
        back.dashboard([0])
    with pytest.raises(NeedsModelError):
        back.steer(0, mode="ablate")
