"""Steering by one dictionary latent (SAE and transcoder) against hand-written interventions on the
model's own hook, the no-op identity, errors, and the result's HTML / file round trip."""

from __future__ import annotations

import copy
import html
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.backend.dictionaries import SAE, Transcoder
from interplay.data.features import STEER_MODES
from interplay.data.tokens import token_strings
from interplay.errors import DictionaryError, InterplayError, PromptError
from interplay.methods.features.steer import steer_feature
from interplay.methods.interventions import Spec
from interplay.methods.steering.engine import greedy_generate
from interplay.results.prompt_features import FeatureSteeringResult

PROMPT = "When Mary and John went to the store, John gave a drink to"
HOOK = "blocks.2.hook_resid_post"
TC_IN, TC_OUT = "blocks.1.ln2.hook_normalized", "blocks.1.hook_mlp_out"


@pytest.fixture(scope="module")
def sae() -> SAE:
    torch.manual_seed(0)
    d = SAE(128, 256, hook=HOOK, architecture="relu", name="test/resid_post.2")
    with torch.no_grad():
        d.b_dec.normal_(0, 0.1)
        d.b_enc.normal_(0, 0.1)
    return d


@pytest.fixture(scope="module")
def transcoder() -> Transcoder:
    torch.manual_seed(1)
    d = Transcoder(128, 192, hook_in=TC_IN, hook_out=TC_OUT, architecture="relu", skip=True, name="test/mlp.1")
    with torch.no_grad():
        d.W_skip.normal_(0, 0.05)
        d.b_dec.normal_(0, 0.1)
    return d


def _ids(model: Any, prompt: str = PROMPT) -> list[int]:
    return [int(i) for i in model.tokenize(prompt).token_ids[0].tolist()]


def _active_latent(model: Any, d: Any) -> tuple[int, float]:
    """The latent most active at the prompt's last token, and its activation."""
    trace = model.run(PROMPT, capture=[d.hook_in])
    with torch.no_grad():
        acts = d.encode(trace[d.hook_in][0, -1])
    return int(acts.argmax()), float(acts.max())


def _new_value(mode: str, a: torch.Tensor, value: float) -> torch.Tensor:
    return {"scale": a * value, "clamp": torch.full_like(a, value), "ablate": torch.zeros_like(a),
            "add": a + value}[mode]


def _hand_spec(d: Any, latent: int, mode: str, value: float) -> list[Spec]:
    """The steered activation written by hand on the model's own hook: act + (new_l - a_l) W_dec[l]."""
    seen: dict[str, torch.Tensor] = {}
    direction = d.W_dec[latent].detach()

    def read(act: torch.Tensor, _name: str) -> None:
        seen["x"] = act

    def write(act: torch.Tensor, _name: str) -> torch.Tensor:
        x = seen.pop("x") if d.kind == "transcoder" else act
        a = d.encode(x)[..., latent].detach()
        return act + (_new_value(mode, a, value) - a)[..., None] * direction

    return ([Spec(d.hook_in, read)] if d.kind == "transcoder" else []) + [Spec(d.hook_out, write)]


def test_scale_by_one_with_the_error_term_is_the_model(demo_model: Any, sae: SAE, transcoder: Transcoder) -> None:
    for d in (sae, transcoder):
        latent, _ = _active_latent(demo_model, d)
        r = steer_feature(demo_model, PROMPT, d, latent, mode="scale", value=1.0, max_new_tokens=8)
        assert r.data.steered_tokens == r.data.baseline_tokens and r.data.steered_text == r.data.baseline_text
        assert r.data.kl < 1e-6
        for _, before, after in r.data.changes:
            assert after == pytest.approx(before, abs=1e-5)


@pytest.mark.parametrize("mode, value", [("ablate", None), ("scale", 3.0), ("clamp", 25.0), ("add", -8.0)])
@pytest.mark.parametrize("which", ["sae", "transcoder"])
def test_each_mode_equals_a_hand_intervention_on_the_decoder_direction(
        demo_model: Any, sae: SAE, transcoder: Transcoder, which: str, mode: str, value: float | None) -> None:
    """ablate == subtracting act * W_dec[latent] at the hook; every mode adds (new - act) * W_dec[latent]."""
    d = sae if which == "sae" else transcoder
    latent, act = _active_latent(demo_model, d)
    assert act > 0.05, "the test needs an active latent"
    r = steer_feature(demo_model, PROMPT, d, latent, mode=mode, value=value, max_new_tokens=6, k=12)
    hand_ids, hand_first = greedy_generate(demo_model, _ids(demo_model), _hand_spec(d, latent, mode, value or 0.0), 6)
    base_ids, base_first = greedy_generate(demo_model, _ids(demo_model), [], 6)
    tok = demo_model.tokenizer
    assert r.data.steered_text == tok.decode(hand_ids)
    assert r.data.baseline_text == tok.decode(base_ids)
    p_hand, p_base = hand_first.softmax(-1), base_first.softmax(-1)
    moved = (p_hand - p_base).abs().topk(12).indices.tolist()
    assert [c[0] for c in r.data.changes] == token_strings(tok, moved)
    for (_, before, after), i in zip(r.data.changes, moved, strict=True):
        assert before == pytest.approx(float(p_base[i]), abs=1e-5)
        assert after == pytest.approx(float(p_hand[i]), abs=1e-5)
    lp, lq = p_base.log(), p_hand.log()
    assert r.data.kl == pytest.approx(float((p_base * (lp - lq)).sum()), abs=1e-5)


def test_a_strong_clamp_changes_the_output_and_ablating_an_inactive_latent_does_not(demo_model: Any, sae: SAE) -> None:
    latent, _ = _active_latent(demo_model, sae)
    strong = steer_feature(demo_model, PROMPT, sae, latent, mode="clamp", value=200.0, max_new_tokens=4)
    assert strong.data.kl > 0.01
    quiet = copy.deepcopy(sae)
    with torch.no_grad():
        quiet.b_enc[11] = -1e4  # latent 11 is never active
    none = steer_feature(demo_model, PROMPT, quiet, 11, mode="ablate", max_new_tokens=4)
    assert none.data.kl < 1e-6 and none.data.steered_text == none.data.baseline_text


def test_without_the_error_term_the_model_runs_on_the_edited_reconstruction(demo_model: Any, sae: SAE) -> None:
    latent, _ = _active_latent(demo_model, sae)

    def recon(act: torch.Tensor, _name: str) -> torch.Tensor:
        acts = sae.encode(act)
        acts = acts.clone()
        acts[..., latent] = 0.0
        return sae.decode(acts).detach()

    r = steer_feature(demo_model, PROMPT, sae, latent, mode="ablate", keep_error=False, max_new_tokens=5)
    hand_ids, hand_first = greedy_generate(demo_model, _ids(demo_model), [Spec(HOOK, recon)], 5)
    _, base_first = greedy_generate(demo_model, _ids(demo_model), [], 0)
    assert r.data.steered_text == demo_model.tokenizer.decode(hand_ids)
    lp, lq = base_first.log_softmax(-1), hand_first.log_softmax(-1)
    assert r.data.kl == pytest.approx(float((lp.exp() * (lp - lq)).sum()), abs=1e-5)
    assert r.data.keep_error is False and "no error term" in r.data.notes[0]
    # the reconstruction of a random SAE is far from the model's activation: the run changes a lot
    assert r.data.kl > 0.01


def test_the_data_says_what_was_done(demo_model: Any, sae: SAE) -> None:
    r = steer_feature(demo_model, PROMPT, sae, 5, mode="clamp", value=4.5, max_new_tokens=3)
    d = r.data
    assert (d.latent, d.mode, d.value, d.keep_error, d.prompt) == (5, "clamp", 4.5, True, PROMPT)
    assert d.feature == "test/resid_post.2 #5"
    assert len(d.baseline_tokens) == 3 and len(d.changes) == 10
    assert "clamped to 4.5" in d.notes[0]
    abl = steer_feature(demo_model, PROMPT, sae, 5, mode="ablate", max_new_tokens=0)
    assert abl.data.value == 0.0 and abl.data.baseline_tokens == [] and abl.data.steered_tokens == []


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "boost", "value": 1.0}, "'scale', 'clamp', 'ablate', 'add'"),
    ({"mode": "clamp"}, "needs value="),
    ({"mode": "scale"}, "needs value="),
    ({"mode": "add", "value": float("nan")}, "finite number"),
    ({"mode": "scale", "value": "2"}, "finite number"),
    ({"mode": "scale", "value": True}, "finite number"),
    ({"mode": "ablate", "value": "x"}, "takes no value"),
    ({"mode": "scale", "value": 1.0, "keep_error": "yes"}, "keep_error"),
    ({"mode": "scale", "value": 1.0, "max_new_tokens": -1}, "max_new_tokens"),
    ({"mode": "scale", "value": 1.0, "k": 0}, "k=0"),
])
def test_bad_arguments_name_the_accepted_values(demo_model: Any, sae: SAE, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InterplayError, match=message.replace("(", r"\(").replace("[", r"\[")):
        steer_feature(demo_model, PROMPT, sae, 0, **kwargs)


@pytest.mark.parametrize("latent", [-1, 256, 3.0, True, "3", None])
def test_a_bad_latent_names_the_range(demo_model: Any, sae: SAE, latent: Any) -> None:
    with pytest.raises(InterplayError, match=r"latent=.* 0\.\.255 \(it has d_sae = 256"):
        steer_feature(demo_model, PROMPT, sae, latent, mode="ablate")


def test_bad_model_prompt_or_dictionary(demo_model: Any, sae: SAE) -> None:
    with pytest.raises(InterplayError, match="interplay Model first"):
        steer_feature("demo", PROMPT, sae, 0, mode="ablate")
    with pytest.raises(PromptError, match="non-empty prompt"):
        steer_feature(demo_model, "", sae, 0, mode="ablate")
    with pytest.raises(DictionaryError, match="SAE or Transcoder"):
        steer_feature(demo_model, PROMPT, torch.nn.Linear(128, 128), 0, mode="ablate")
    wide = SAE(64, 16, hook=HOOK, architecture="relu")
    with pytest.raises(DictionaryError, match="d_in=64"):
        steer_feature(demo_model, PROMPT, wide, 0, mode="ablate")
    assert set(STEER_MODES) == {"scale", "clamp", "ablate", "add"}


# ------------------------------------------------------------------------------ the result
def test_result_html_escapes_and_round_trips(demo_model: Any, sae: SAE, tmp_path: Any) -> None:
    evil = "<img src=x onerror=alert(1)> When Mary"
    r = steer_feature(demo_model, evil, sae, 7, mode="clamp", value=30.0, max_new_tokens=4)
    page = r._repr_html_()
    assert "<img" not in page and html.escape("<img src=x onerror=alert(1)>") in page
    assert "clamped to 30" in page and "KL(baseline || steered)" in page
    widget = r.show()
    assert widget.value == page
    df = r.to_dataframe()
    assert list(df.columns) == ["token", "p_baseline", "p_steered", "change"] and len(df) == 10
    assert np.allclose(df.change, df.p_steered - df.p_baseline)
    path = r.save(tmp_path / "steer.interplay")
    back = interplay.load_result(path)
    assert isinstance(back, FeatureSteeringResult) and back.session is None
    assert back.data.steered_text == r.data.steered_text and back.data.changes == r.data.changes
    assert back._repr_html_() == page
    import matplotlib

    matplotlib.use("Agg")
    ax = r.plot()
    assert len(ax.patches) == 20
