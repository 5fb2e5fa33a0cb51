"""The bundled demo dictionaries: every number of their card recomputed from the committed weights,
and every threshold of the issue checked."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

pytest.importorskip("torch")

from interplay.backend.demo_dictionaries import (
    DEMO_DICTIONARIES_DIR,
    demo_dictionaries,
    demo_dictionary,
    demo_dictionary_names,
)
from interplay.backend.dictionaries import SAE, Transcoder
from interplay.errors import DictionaryError
from scripts.demo_dictionaries import card as card_md
from scripts.demo_dictionaries import evaluation

CARD = json.loads((DEMO_DICTIONARIES_DIR / "card.json").read_text())


@pytest.fixture(scope="module")
def measured(demo_model: Any) -> Any:
    """The card's numbers, measured on one CPU thread as scripts/train_dictionaries.py does (the same
    float sums in the same order; one thread also keeps a loaded CI machine from oversubscribing)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield evaluation.measure(demo_model, demo_dictionaries())
    finally:
        torch.set_num_threads(threads)


def _close(expected: Any, actual: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and expected.keys() == actual.keys(), where
        for key in expected:
            _close(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, bool) or (isinstance(expected, int) and isinstance(actual, int)):
        assert expected == actual, f"{where}: card {expected}, now {actual}"
    elif isinstance(expected, float):
        assert math.isclose(expected, actual, rel_tol=1e-4, abs_tol=1e-5), f"{where}: card {expected}, now {actual}"
    else:
        assert expected == actual, where


def test_every_card_number_matches_the_weights(measured: dict[str, Any]) -> None:
    assert list(measured) == list(CARD["dictionaries"])
    for name, numbers in measured.items():
        entry = CARD["dictionaries"][name]
        _close(entry["metrics"], numbers["metrics"], f"{name}.metrics")
        _close(entry["concepts"], numbers["concepts"], f"{name}.concepts")
    _close(CARD["summary"], evaluation.summary(measured), "summary")


def test_the_thresholds_hold() -> None:
    th = CARD["thresholds"]
    assert th == {**evaluation.THRESHOLDS, "auroc": evaluation.AUROC_THRESHOLD,
                  "concepts_at_auroc": evaluation.MIN_CONCEPTS}
    assert th["variance_explained"] == 0.8 and th["ce_loss_recovered"] == 0.8 and th["dead_fraction"] == 0.10
    for name, entry in CARD["dictionaries"].items():
        m = entry["metrics"]
        assert m["variance_explained"] >= 0.8, name
        assert m["ce_loss_recovered"] >= 0.8, name
        assert m["dead_fraction"] <= 0.10, name
    best = CARD["summary"]["best_per_concept"]
    assert sum(b["test_auroc"] >= 0.9 for b in best.values()) >= 4
    assert CARD["summary"]["concepts_pass"]


def test_the_bundle_has_what_the_issue_asks_and_fits_in_5_mb() -> None:
    dicts = CARD["dictionaries"]
    resid = {d["hook_in"] for d in dicts.values() if d["kind"] == "sae" and d["hook_in"].endswith("hook_resid_post")}
    assert len(resid) >= 2
    transcoders = {(d["hook_in"], d["hook_out"]) for d in dicts.values() if d["kind"] == "transcoder"}
    assert transcoders == {(f"blocks.{L}.ln2.hook_normalized", f"blocks.{L}.hook_mlp_out") for L in range(4)}
    assert CARD["files"] == evaluation.files(DEMO_DICTIONARIES_DIR)
    total = sum(p.stat().st_size for p in DEMO_DICTIONARIES_DIR.rglob("*") if p.is_file())
    assert total < 5_000_000


def test_the_markdown_card_is_rendered_from_card_json() -> None:
    assert (DEMO_DICTIONARIES_DIR / "DICTIONARY_CARD.md").read_text() == card_md.render(CARD)


def test_demo_dictionaries_load_by_name(demo_model: Any) -> None:
    from interplay.backend.dictionary_io import load_dictionary

    names = demo_dictionary_names()
    assert names == sorted(CARD["dictionaries"])
    sae = demo_dictionary("resid_post.1")
    assert isinstance(sae, SAE) and sae.name == "demo/resid_post.1" and sae.hook == "blocks.1.hook_resid_post"
    assert str(sae.W_enc.dtype) == "torch.float32"
    assert demo_dictionary("demo/resid_post.1").name == sae.name
    tc = load_dictionary("transcoder.2")  # H1's loader finds the bundled names too
    assert isinstance(tc, Transcoder) and tc.hook_out == "blocks.2.hook_mlp_out"
    assert demo_dictionary("transcoder.2") is not demo_dictionary("transcoder.2")  # fresh copies
    with pytest.raises(DictionaryError, match=r"not a bundled demo dictionary.*'resid_post.1'.*'transcoder.3'"):
        demo_dictionary("resid_post.9")


def test_the_training_script_builds_what_the_bundle_holds(demo_model: Any) -> None:
    from scripts import train_dictionaries as script

    built = script.build(demo_model, seed=0)
    assert [d.name for d in built] == [f"demo/{n}" for n in script.DICTIONARIES]
    for d in built:
        assert script.describe(d) == {k: CARD["dictionaries"][d.name.removeprefix("demo/")][k]
                                      for k in script.describe(d)}
    training = CARD["training"]
    assert {k: training[k] for k in script.TRAINING} == script.TRAINING
    assert training["rows"] == script.TRAIN_ROWS and training["data_seed"] == script.DATA_SEED
