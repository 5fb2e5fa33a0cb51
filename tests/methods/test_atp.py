"""Attribution patching: identities, exactness where the metric is linear, and agreement with exact
patching (on the demo model's IOI task when it is present)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.errors import InterplayError
from interplay.tasks.dataset import DEMO_MODEL_DIR
from tests.conftest import hook_counts

CLEAN = ["When Mary and John went to the store, John gave a drink to",
         "When John and Mary went to the store, Mary gave a drink to"]
CORRUPTED = ["When Mary and John went to the store, Mary gave a drink to",
             "When John and Mary went to the store, John gave a drink to"]


def metric() -> Any:
    return interplay.logit_diff([" Mary", " John"], [" John", " Mary"])


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_atp_of_clean_into_clean_is_zero_effect(model: Any) -> None:
    r = interplay.patch(model, CLEAN, CLEAN, metric=metric(), component="z", by="layer_head_pos", method="attribution")
    np.testing.assert_allclose(r.raw, r.clean_value, atol=1e-6)
    assert hook_counts(model.hf_model) == 0


def test_atp_is_exact_at_the_last_residual_for_a_linear_metric(gpt2: Any) -> None:
    """After the last block only the final norm separates the residual stream from the (linear)
    logit difference, so AtP there tracks exact patching closely."""
    kw = {"metric": metric(), "component": "resid_post", "layers": [1]}
    exact = interplay.patch(gpt2, CLEAN, CORRUPTED, progress=False, **kw)
    atp = interplay.patch(gpt2, CLEAN, CORRUPTED, method="attribution", **kw)
    assert atp.method == "attribution" and exact.shape == atp.shape
    r = np.corrcoef(exact.raw.ravel(), atp.raw.ravel())[0, 1]
    assert r > 0.9


def test_atp_correlates_with_exact_on_heads(gpt2: Any) -> None:
    kw = {"metric": metric(), "component": "z", "by": "layer_head_pos"}
    exact = interplay.patch(gpt2, CLEAN, CORRUPTED, progress=False, **kw)
    atp = interplay.patch(gpt2, CLEAN, CORRUPTED, method="attribution", **kw)
    e, a = exact.raw - exact.corrupted_value, atp.raw - atp.corrupted_value
    assert np.corrcoef(e.ravel(), a.ravel())[0, 1] > 0.8


def test_non_differentiable_metric_is_refused(gpt2: Any) -> None:
    with pytest.raises(InterplayError, match="not differentiable"):
        interplay.patch(gpt2, CLEAN, CORRUPTED, metric=lambda lg: torch.tensor(float(lg[0, 0].detach())), method="attribution")
    assert hook_counts(gpt2.hf_model) == 0


@pytest.fixture(scope="module")
def demo() -> Any:
    if not (DEMO_MODEL_DIR / "model.safetensors").exists() or not (DEMO_MODEL_DIR / "card.json").exists():
        pytest.skip(f"the demo model is not built yet ({DEMO_MODEL_DIR}); run scripts/train_demo_model.py")
    return interplay.load(device="cpu", dtype="float32")


@pytest.mark.slow
def test_demo_ioi_atp_correlates_with_exact_and_finds_the_card_heads(demo: Any) -> None:
    ds = interplay.tasks.ioi(n=24, seed=1, split="test")
    exact = interplay.patch(demo, ds, component="z", by="layer_head", progress=False)
    atp = interplay.patch(demo, ds, component="z", by="layer_head", method="attribution")
    r = float(np.corrcoef(exact.values.ravel(), atp.values.ravel())[0, 1])
    print(f"AtP vs exact on demo IOI (z, layer x head, 24 prompts): r = {r:.3f}")
    assert r > 0.5
    card = json.loads((DEMO_MODEL_DIR / "card.json").read_text())
    important = [(h["layer"], h["head"]) for h in card["ioi_ablation"]["important"]]
    if not important:
        pytest.skip("the model card lists no important IOI heads")
    noised = interplay.patch(demo, ds, component="z", by="layer_head", direction="noising", progress=False)
    effect = np.abs(1.0 - noised.values)  # how much of the clean logit difference is lost without the head
    k = max(len(important), 3)
    top = {(int(i // effect.shape[1]), int(i % effect.shape[1])) for i in np.argsort(-effect.ravel())[:k]}
    found = top & set(important)
    print(f"card heads {important}; top {k} by noising {sorted(top)}")
    assert len(found) >= min(2, len(important))
