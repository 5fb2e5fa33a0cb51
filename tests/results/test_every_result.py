"""Every kind of result: data only (numpy, strings, numbers), saved and loaded to identical data,
shown and exported without its session, and refused by the wrong loader."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.data.base import Data
from interplay.results import KINDS
from tests.results.builders import BUILDERS

STATIC = {"HeatmapResult", "SteeringResult", "FeatureSteeringResult"}  # nothing more to ask the model: no session


def test_every_kind_has_a_builder() -> None:
    assert set(BUILDERS) == set(KINDS)


@pytest.fixture(scope="module")
def results(request: pytest.FixtureRequest) -> dict[str, Any]:
    gpt2 = request.getfixturevalue("gpt2_module")
    return {kind: build(gpt2) for kind, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def gpt2_module() -> Any:
    from tests.conftest import build_tokenizer, make_hf_model

    tok = build_tokenizer()
    return interplay.load(make_hf_model("gpt2", len(tok)), tok)


def _plain(value: Any, where: str) -> None:
    """Data holds arrays, strings, numbers, None, lists/dicts of those, or nested data."""
    if isinstance(value, Data):
        for f in dataclasses.fields(value):
            _plain(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, np.ndarray):
        assert value.dtype != object, where
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _plain(v, f"{where}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), where
            _plain(v, f"{where}[{k!r}]")
    else:
        assert value is None or isinstance(value, (str, bool, int, float)), f"{where} is a {type(value).__name__}"


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_round_trip(kind: str, results: dict[str, Any], tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    live = results[kind]
    assert type(live).__name__ == kind and live.live == (kind not in STATIC)
    _plain(live.data, kind)
    path = live.save(tmp_path / f"{kind}.interplay")
    for loaded in (interplay.load_result(path), getattr(interplay, kind).load(path)):
        assert type(loaded) is type(live) and loaded.session is None and not loaded.live
        assert loaded.data == live.data  # every array equal, exactly
        assert repr(loaded).startswith(f"{kind}(")
        assert loaded.show() is not None
        assert loaded.to_dataframe().shape == live.to_dataframe().shape
        assert loaded.plot() is not None
        plt.close("all")
    with pytest.raises(AttributeError, match="frozen"):
        live.data = None
    other = next(k for k in sorted(BUILDERS) if k != kind)
    with pytest.raises(interplay.ResultFileError, match=f"holds a {kind}, not a {other}"):
        getattr(interplay, other).load(path)


def test_compressed_files_are_smaller_and_equal(results: dict[str, Any], tmp_path: Path) -> None:
    r = results["AttentionResult"]
    plain, packed = r.save(tmp_path / "a.interplay"), r.save(tmp_path / "b.interplay", compress=True)
    assert packed.stat().st_size < plain.stat().st_size
    assert interplay.load_result(packed).data == r.data


def test_a_loaded_result_needs_the_model_for_more(results: dict[str, Any], tmp_path: Path) -> None:
    asks = {
        "LogitLensResult": lambda r: r.target(" Mary"),
        "AttributionResult": lambda r: r.explain(3),
        "PatchingResult": lambda r: r.top_k((0, 0)),
        "CircuitResult": lambda r: r.faithfulness(k=3),
        "ProbeResult": lambda r: r.scores(["Mary went home"], layer=0),
    }
    for kind, ask in asks.items():
        loaded = interplay.load_result(results[kind].save(tmp_path / f"{kind}.interplay"))
        with pytest.raises(interplay.NeedsModelError, match=r"needs? a live model"):
            ask(loaded)
