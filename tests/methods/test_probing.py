"""Probing: the logistic regression against analytic answers, the control task, the split, the
result as data (save/load, no torch), and errors."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import interplay
from interplay.errors import NeedsModelError, ProbeError
from interplay.methods.probing import attach, control_labels, fit_logistic, probe
from interplay.results.probe import ProbeResult
from interplay.widgets.annotator import AnnotatorView

TEXTS = [
    "When Mary and John went to the store, John gave a drink to Mary.",
    "The capital of France is Paris. The quick brown fox jumps over the lazy dog.",
    "When Mary and John went to the store, Mary gave a drink to John.",
    "The quick brown fox jumps over the lazy dog.",
]


def test_fit_matches_the_analytic_optimum() -> None:
    """Two points x = +1 (class 1) and x = -1 (class 0): by symmetry b = 0 and W = [[-a], [a]] with
    1 / (1 + exp(2a)) = l2 * a (the stationarity condition), solved here by bisection."""
    l2 = 0.1
    x = torch.tensor([[1.0], [-1.0]])
    y = torch.tensor([1, 0])
    w, b = fit_logistic(x, y, 2, l2=l2)
    lo, hi = 0.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 1 / (1 + math.exp(2 * mid)) > l2 * mid else (lo, mid)
    a = (lo + hi) / 2
    np.testing.assert_allclose(w.numpy().ravel(), [-a, a], atol=1e-6)
    np.testing.assert_allclose(b.numpy(), [0.0, 0.0], atol=1e-6)


def test_fit_is_the_minimiser() -> None:
    """On random 3-class data the objective's gradient vanishes at the returned weights (the
    objective is strictly convex in W, so this is the unique optimum)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 5, generator=g, dtype=torch.float64)
    y = (x[:, 0] + 0.5 * torch.randn(200, generator=g, dtype=torch.float64) > 0).long() + (x[:, 1] > 1).long()
    w, b = fit_logistic(x, y, 3, l2=0.05)
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(x @ w.T + b, y) + 0.025 * (w * w).sum()
    gw, gb = torch.autograd.grad(loss, [w, b])
    assert float(gw.abs().max()) < 1e-7 and float(gb.abs().max()) < 1e-7


def test_separable_direction_is_recovered() -> None:
    rng = np.random.default_rng(0)
    mu = rng.normal(size=16)
    mu /= np.linalg.norm(mu)
    y = rng.integers(0, 2, 400)
    x = rng.normal(size=(400, 16)) * 0.3 + np.outer(2 * y - 1, mu) * 2
    w, _ = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), 2, l2=1e-2)
    d = (w[1] - w[0]).numpy()
    assert d @ mu / np.linalg.norm(d) > 0.95


def test_control_labels_are_per_type() -> None:
    types = np.array([5, 7, 5, 9, 7, 5, 11, 12, 13, 14] * 20)
    y = np.array([0, 1] * 100)
    c = control_labels(types, y, 2, seed=0)
    for t in np.unique(types):
        assert len(set(c[types == t].tolist())) == 1
    assert set(c.tolist()) <= {0, 1}


def _labels(model: Any, texts: list[str], words: set[str]) -> list[list[str | None]]:
    return [["name" if tok.strip() in words else None for tok in model.to_str_tokens(t)] for t in texts]


def test_probe_on_a_tiny_model(gpt2: Any) -> None:
    labels = _labels(gpt2, TEXTS, {"Mary", "John", "Paris", "France"})
    r = probe(gpt2, (TEXTS, labels), layers=[0, 1], test_size=0.5)
    assert r.layers == [0, 1] and r.classes == ["other", "name"] and r.component == "resid_post"
    assert r.accuracy.shape == (2,) and np.all((r.accuracy >= 0) & (r.accuracy <= 1))
    assert r.n_train_texts == 2 and r.n_test_texts == 2
    assert r.weights.shape == (2, 2, gpt2.cfg.d_model) and r.biases.shape == (2, 2)
    np.testing.assert_allclose(r.selectivity, r.accuracy - r.control_accuracy)
    v = r.direction(1, "name")
    assert isinstance(v, np.ndarray) and v.shape == (gpt2.cfg.d_model,) and v.dtype == np.float32
    assert abs(float(np.linalg.norm(v)) - 1) < 1e-5
    np.testing.assert_allclose(r.direction(1, "other"), -v)
    # the weights live in activation space: scores on the raw activations give the probe's own
    # predictions, so they reproduce its train and held-out accuracies (split: texts 2 and 0 held out)
    s = r.scores(gpt2, TEXTS, layer=1)
    assert len(s) == len(TEXTS) and all(x.shape == (len(lab),) for x, lab in zip(s, labels, strict=True))
    correct = [(x > 0) == np.array([lab == "name" for lab in row]) for x, row in zip(s, labels, strict=True)]
    test = [2, 0]
    assert np.concatenate([correct[i] for i in test]).mean() == pytest.approx(r.accuracy[1])
    assert np.concatenate([correct[i] for i in (1, 3)]).mean() == pytest.approx(r.train_accuracy[1])
    # a live result needs no model; one text alone vs in a padded batch: float32 rounding only
    np.testing.assert_allclose(r.scores(TEXTS[0], layer=1)[0], s[0], rtol=1e-6, atol=1e-5)
    df = r.to_dataframe()
    assert list(df.columns) == ["layer", "train_accuracy", "accuracy", "control_accuracy", "selectivity"]
    w = r.show()
    assert w.tokens == ["L0", "L1"] and w.row_labels == ["accuracy", "control accuracy", "selectivity"]
    import matplotlib

    matplotlib.use("Agg")
    assert r.plot() is not None
    assert repr(r).startswith("ProbeResult(resid_post, classes=['other', 'name'], best layer")
    # the direction steers (a numpy vector, as interplay.steer takes)
    out = interplay.steer(gpt2, "When Mary and", v, layer=1, component="resid_post", coeff=2.0, max_new_tokens=2)
    assert out is not None


def test_save_load_round_trip(gpt2: Any, tmp_path: Path) -> None:
    labels = _labels(gpt2, TEXTS, {"Mary", "John", "Paris", "France"})
    r = probe(gpt2, (TEXTS, labels), layers=[0, 1], test_size=0.5)
    path = r.save(tmp_path / "probe.interplay")
    for loaded in (ProbeResult.load(path), interplay.load_result(path)):
        assert isinstance(loaded, ProbeResult) and loaded.data == r.data and loaded.session is None
        assert repr(loaded) == repr(r) and loaded.best_layer == r.best_layer
        np.testing.assert_array_equal(loaded.direction(1, "name"), r.direction(1, "name"))
        a, b = loaded.show(), r.show()
        keys = ["tokens", "row_labels", "values", "scale", "title", "value_label"]
        assert a.get_state(keys) == b.get_state(keys)
        for args in ((TEXTS,), (gpt2, TEXTS)):  # with or without the model: attach it first
            with pytest.raises(NeedsModelError, match=r"import attach; result = attach\(result, model\)"):
                loaded.scores(*args, layer=1)
    live = attach(ProbeResult.load(path), gpt2)
    for x, y in zip(live.scores(gpt2, TEXTS, layer=1), r.scores(gpt2, TEXTS, layer=1), strict=True):
        np.testing.assert_array_equal(x, y)
    # the held-out scores of activations you hold need no model either
    acts = gpt2.run(TEXTS[0], capture=[("resid_post", 1)])["resid_post", 1][0]
    np.testing.assert_allclose(ProbeResult.load(path).score_activations(acts, 1), r.scores(gpt2, TEXTS[0], layer=1)[0])


def test_a_saved_probe_loads_and_shows_without_torch(gpt2: Any, tmp_path: Path) -> None:
    labels = _labels(gpt2, TEXTS, {"Mary", "John", "Paris", "France"})
    path = probe(gpt2, (TEXTS, labels), layers=[0, 1], test_size=0.5).save(tmp_path / "probe.interplay")
    code = f"""
import sys
import interplay
r = interplay.load_result({str(path)!r})
r.show(); r.to_dataframe(); print(r); r.direction(1, "name")
try:
    r.scores(["new text"], layer=1)
except interplay.NeedsModelError:
    pass
print(sorted(m for m in ("torch", "interplay.backend", "interplay.methods") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_a_held_out_split_without_a_class_is_refused_or_noted(gpt2: Any) -> None:
    """Today's probe could report 1.00 on held-out texts without a single positive token (it only
    counted correct "other" answers). Now a held-out split with one class is an error, and a class
    missing from the held-out texts of a multi-class probe is a note."""
    labels = _labels(gpt2, TEXTS, {"fox"})  # only texts 1 and 3 have a fox; seed 0 holds out text 2
    with pytest.raises(ProbeError, match="held-out texts hold only 'other' tokens"):
        probe(gpt2, (TEXTS, labels), layers=[0])
    r = probe(gpt2, (TEXTS, labels), layers=[0], seed=2)  # another split holds out text 3, with a fox
    assert r.n_test > 0 and not any("held-out" in n for n in r.notes)
    a = AnnotatorView.from_texts(TEXTS, labels=["name", "place", "animal"], model=gpt2)
    a.add_where("name", lambda t: t.strip() in ("Mary", "John"))
    a.add_where("place", lambda t: t.strip() in ("Paris", "France", "store"))
    a.add_where("animal", lambda t: t.strip() in ("fox", "dog"))
    m = probe(gpt2, a, layers=[0], rest=None)  # held out: text 2, names and a place, no animal
    assert "no held-out token of class 'animal': the held-out accuracy does not measure recognising it" in m.notes


def test_multiclass_and_annotator_input(gpt2: Any) -> None:
    a = AnnotatorView.from_texts(TEXTS, labels=["name", "place", "animal"], model=gpt2)
    a.add_where("name", lambda t: t.strip() in ("Mary", "John"))
    a.add_where("place", lambda t: t.strip() in ("Paris", "France", "store"))
    a.add_where("animal", lambda t: t.strip() in ("fox", "dog"))
    r = probe(gpt2, a, layers=[0], rest=None)
    assert r.classes == ["animal", "name", "place"]
    assert r.n_train + r.n_test == len(a.annotations)  # single-token labels, no overlaps, rest=None
    with pytest.raises(ProbeError, match="needs a label"):
        r.direction(0)
    assert r.direction(0, "place").shape == (gpt2.cfg.d_model,)
    rb = probe(gpt2, a, layers=[0], label="name")
    assert rb.classes == ["other", "name"]
    assert probe(gpt2, a.data, layers=[0], label="name").data == rb.data  # the view's data works the same


def test_probe_errors(gpt2: Any) -> None:
    labels = _labels(gpt2, TEXTS, {"Mary", "John"})
    with pytest.raises(ProbeError, match="do not exist"):
        probe(gpt2, (TEXTS, labels), layers=[7])
    with pytest.raises(ProbeError, match="unknown component"):
        probe(gpt2, (TEXTS, labels), component="resid_sideways")
    with pytest.raises(ProbeError, match="no token is labelled"):
        probe(gpt2, (TEXTS, [[None] * len(x) for x in labels]))
    with pytest.raises(ProbeError, match="only one class"):
        probe(gpt2, (TEXTS, labels), rest=None)
    with pytest.raises(ProbeError, match="at least 2 texts"):
        probe(gpt2, (TEXTS[:1], labels[:1]))
    with pytest.raises(ProbeError, match="model splits it into"):
        probe(gpt2, (TEXTS, [x[:-1] for x in labels]))
    with pytest.raises(ProbeError, match="no token has the label"):
        probe(gpt2, (TEXTS, labels), label="place")
    with pytest.raises(ProbeError, match=r"must be an AnnotatorView .* got a list"):
        probe(gpt2, TEXTS)
    with pytest.raises(ProbeError, match="test_size must be between 0 and 1"):
        probe(gpt2, (TEXTS, labels), test_size=True)
    with pytest.raises(ProbeError, match="batch_size must be a positive integer"):
        probe(gpt2, (TEXTS, labels), batch_size=0)
    with pytest.raises(ProbeError, match="repeat a layer"):
        probe(gpt2, (TEXTS, labels), layers=[0, 0])
    # split at spaces, not as the model does (the tiny tokenizer was trained on TEXTS: they agree there)
    words = AnnotatorView.from_texts([*TEXTS[:3], "Paris is lovely, naïvely."], labels=["name"])
    words.add_where("name", lambda t: t.strip() == "Mary")
    with pytest.raises(ProbeError, match="text 3 has 6 labelled token slots but the model splits it into"):
        probe(gpt2, words)
    d = AnnotatorView.from_texts(TEXTS, labels=["name"], model=gpt2).data
    same_count = dataclasses.replace(d, tokens=[["X", *t[1:]] for t in d.tokens])  # right count, wrong tokens
    with pytest.raises(ProbeError, match="token 0 is 'X' in the labels but"):
        probe(gpt2, same_count)
    r = probe(gpt2, (TEXTS, labels), layers=[0])
    with pytest.raises(ProbeError, match="no probe at layer 1"):
        r.direction(1)
    with pytest.raises(ProbeError, match="not a class"):
        r.direction(0, "place")
    with pytest.raises(ProbeError, match="no probe at layer 1"):
        r.scores(gpt2, TEXTS, layer=1)
    with pytest.raises(ProbeError, match="scores needs texts and a layer"):
        r.scores(gpt2, TEXTS)
    with pytest.raises(interplay.ShapeError, match="activations must have 2 axes"):
        r.score_activations(np.zeros(3), 0)


def test_annotator_positions_feed_patch(gpt2: Any) -> None:
    """AnnotatorView.positions gives what patch(..., positions=) takes: only those positions are swept."""
    clean = ["When Mary and John went to the store, John gave a drink to"]
    corrupted = ["When Mary and John went to the store, Mary gave a drink to"]
    a = AnnotatorView.from_texts(clean, labels=["name"], model=gpt2)
    a.add_where("name", lambda t: t.strip() in ("Mary", "John"))
    pos = a.positions("name")
    assert len(pos) == 3
    res = interplay.patch(gpt2, clean, corrupted, metric=interplay.logit_diff(" Mary", " John"), by="layer_pos",
                          positions=pos, layers=[0])
    assert res.values.shape[-1] == len(pos)
