"""Direct logit attribution: contributions add up to the logit under the frozen final-norm scale."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.data.dla import DLAData
from interplay.results.dla import DLAResult

PROMPT = "When Mary and John went to the store, John gave a drink to"


@pytest.mark.parametrize("family", ["gpt2", "llama", "neox", "neox_sequential", "gemma", "qwen2"])
def test_contributions_sum_to_the_logit(model: Any) -> None:
    trace = model.run(PROMPT)
    for target, baseline in [(" Mary", None), (" Mary", " John"), (None, None)]:
        res = interplay.direct_logit_attribution(trace, target=target, baseline=baseline)
        assert res.data.components.sum() == pytest.approx(res.data.total, abs=1e-4 * max(1.0, abs(res.data.total)))
    assert res.data.heads.shape == (model.cfg.n_layers, model.cfg.n_heads)
    labels = res.data.component_labels
    assert labels[-1] == "bias" and "L0.attn" in labels and f"L{model.cfg.n_layers - 1}.mlp" in labels
    # target=None is the model's own top prediction, and total is its logit there
    top = int(trace.logits[0, -1].argmax())
    assert res.data.total == pytest.approx(float(trace.logits[0, -1, top]), rel=1e-6)


def test_heads_add_up_to_their_layer(gpt2: Any) -> None:
    res = interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary", baseline=" John")
    d = res.data
    # an independent LayerNorm-frozen projection of each layer's output bias (zero in this random
    # model, so the check reads: a layer's attention is the sum of its heads)
    resid = gpt2.run(PROMPT, capture=("resid_post", 1))["resid_post", 1][0, -1].float()
    ln = gpt2.final_norm()
    mary, john = (gpt2.tokenizer(t, add_special_tokens=False)["input_ids"][0] for t in (" Mary", " John"))
    w_u = gpt2.layout.unembed().weight.detach()
    direction = w_u[mary] - w_u[john]
    scale = float(torch.sqrt(resid.var(unbiased=False) + ln.eps))
    assert d.scale == pytest.approx(scale, rel=1e-5)
    for layer in range(2):
        attn = d.components[d.component_labels.index(f"L{layer}.attn")]
        assert attn != pytest.approx(0)
        b_o = gpt2.layout.o_proj(layer).bias.detach()
        share = float(((b_o - b_o.mean()) / scale * ln.weight.detach()) @ direction)
        assert attn == pytest.approx(float(d.heads[layer].sum()) + share, rel=1e-4, abs=1e-5)
    assert "frozen at" in d.notes[0] and d.scale > 0
    assert d.target_label.startswith("logit(' Mary') - logit(' John') at pos")
    df = res.to_dataframe()
    assert len(df) == 8 + len(d.component_labels)
    assert list(df.columns) == ["component", "layer", "head", "value"]
    assert d.top_heads(2)[0][1] == pytest.approx(float(d.heads.flat[np.abs(d.heads).argmax()]))


def test_the_norm_kind_comes_from_the_adapter(gpt2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the adapter saying RMSNorm for GPT-2's LayerNorm, the decomposition stops being exact:
    the norm is read from the adapter, not guessed from the module's class."""
    exact = interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary").data
    assert exact.components.sum() == pytest.approx(exact.total, abs=1e-4 * max(1.0, abs(exact.total)))
    monkeypatch.setattr(gpt2.layout, "adapter", dataclasses.replace(gpt2.layout.adapter, norm="rmsnorm"))
    wrong = interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary").data
    assert wrong.total == pytest.approx(exact.total)
    exact_error = abs(float(exact.components.sum()) - exact.total)
    wrong_error = abs(float(wrong.components.sum()) - wrong.total)
    assert wrong_error > 0.01 * abs(wrong.total) and wrong_error > 10 * exact_error


def test_old_call_shapes_warn_and_give_the_same_data(gpt2: Any) -> None:
    trace = gpt2.run(PROMPT)
    new = interplay.direct_logit_attribution(trace, target=" Mary", baseline=" John").data
    with pytest.warns(DeprecationWarning, match=r"direct_logit_attribution\(trace, target, baseline\)"):
        old_trace = interplay.direct_logit_attribution(trace, " Mary", " John").data
    with pytest.warns(DeprecationWarning, match=r"prompt=\.\.\.\) is deprecated"):
        old_model = interplay.direct_logit_attribution(gpt2, " Mary", " John", prompt=PROMPT).data
    assert old_trace == new
    np.testing.assert_allclose(old_model.components, new.components, rtol=1e-5, atol=1e-6)
    assert old_model.target_label == new.target_label
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new grammar, the prompt also as a keyword: no warning
        kw = interplay.direct_logit_attribution(gpt2, prompt=PROMPT, target=" Mary", baseline=" John").data
    np.testing.assert_allclose(kw.heads, new.heads, rtol=1e-5, atol=1e-6)


def test_position_and_errors(gpt2: Any) -> None:
    first = interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary", position=0)
    assert first.position == 0 and first.data.target_label.endswith(f"at pos 0 ({first.tokens[0]!r})")
    with pytest.raises(interplay.InterplayError, match="position 99 is out of range"):
        interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary", position=99)
    with pytest.raises(interplay.InterplayError, match="position must be an integer"):
        interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary", position=1.5)  # type: ignore[arg-type]
    with pytest.raises(interplay.InterplayError, match="not a single token"):
        interplay.direct_logit_attribution(gpt2, PROMPT, target="Mary and John")
    with pytest.raises(interplay.InterplayError, match="the prompt is missing"):
        interplay.direct_logit_attribution(gpt2, target=" Mary")
    with pytest.raises(interplay.InterplayError, match="batch=2 is out of range"):
        interplay.direct_logit_attribution(gpt2, PROMPT, batch=2)
    with pytest.raises(TypeError, match=r"every option as a keyword: direct_logit_attribution\(model_or_trace, "):
        interplay.direct_logit_attribution(gpt2, PROMPT, " Mary")
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['targte'\]"):
        interplay.direct_logit_attribution(gpt2, PROMPT, targte=" Mary")
    with pytest.raises(interplay.InterplayError, match="takes an interplay Model"):
        interplay.direct_logit_attribution("gpt2", PROMPT)  # type: ignore[arg-type]


def test_batched_trace_reads_one_prompt(gpt2: Any) -> None:
    prompts = ["When Mary and John went", PROMPT]
    batched = interplay.direct_logit_attribution(gpt2.run(prompts), target=" Mary", batch=1).data
    alone = interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary").data
    assert batched.batch == 1 and batched.tokens == alone.tokens and batched.position == alone.position
    np.testing.assert_allclose(batched.heads, alone.heads, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("family", ["gemma2", "bert"])
def test_nonlinear_head_paths_are_refused(model: Any) -> None:
    with pytest.raises(interplay.InterplayError, match="write linearly"):
        interplay.direct_logit_attribution(model, "When Mary")


def test_save_load_round_trip(gpt2: Any, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    res = interplay.direct_logit_attribution(gpt2, PROMPT, target=" Mary", baseline=" John")
    path = res.save(tmp_path / "dla.interplay")
    for loaded in (DLAResult.load(path), interplay.load_result(path)):
        assert isinstance(loaded, DLAResult) and loaded.data == res.data and loaded.session is None
        assert loaded.data.tokens == res.data.tokens and loaded.data.scale == res.data.scale
        with pytest.raises(interplay.NeedsModelError, match="needs a live model"):
            loaded.attention()
        view = loaded.show()  # the DLAView alone, saying why the attention view is missing
        assert isinstance(view, interplay.DLAView)
        assert "linked attention view needs a live model" in view.notes[-1]
        fresh = res.show(attention=False)
        for trait in ("component_labels", "target_label", "total"):
            assert getattr(view, trait) == getattr(fresh, trait)
        assert view.notes[:-1] == fresh.notes
        assert loaded.to_dataframe().equals(res.to_dataframe())
        assert loaded.plot() is not None


def test_nan_total_survives_a_file(tmp_path: Path) -> None:
    data = DLAData(heads=np.zeros((2, 3)), components=[1.0, 2.0], component_labels=["embed", "bias"],
                   target_label="logit('x')", tokens=["a", "b"], position=1)
    path = DLAResult(data).save(tmp_path / "nan.interplay")
    loaded = interplay.load_result(path)
    assert loaded.data == data and np.isnan(loaded.data.total)
    assert loaded.show(attention=False).total is None


def test_bad_data_is_refused() -> None:
    with pytest.raises(interplay.ShapeError, match=r"1 component labels for components of shape \[component\] = \[2\]"):
        DLAData(heads=np.zeros((2, 3)), components=[1.0, 2.0], component_labels=["embed"])
    with pytest.raises(interplay.ShapeError, match=r"DLAData.heads must have 2 axes \[layer, head\]"):
        DLAData(heads=np.zeros(3), components=[1.0], component_labels=["embed"])


def test_the_view_needs_no_torch(tmp_path: Path) -> None:
    data = DLAData(heads=np.arange(6.0).reshape(2, 3) - 2, components=[1.0, -2.0], component_labels=["embed", "bias"],
                   total=-1.0, target_label="logit('x')", tokens=["a", "b"], position=1)
    path = DLAResult(data).save(tmp_path / "dla.interplay")
    code = (
        "import sys, interplay\n"
        f"r = interplay.load_result({str(path)!r})\n"
        "v = r.show()\n"
        "assert v.component_labels == ['embed', 'bias'] and v.total == -1.0\n"
        "v.selected = {'layer': 1, 'head': 2}\n"
        "assert 'torch' not in sys.modules, 'showing a saved DLA imported torch'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
