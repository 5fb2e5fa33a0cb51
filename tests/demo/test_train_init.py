"""The training script's optional initialisations: sinusoidal positions and a previous-token prior."""

from __future__ import annotations

import math
import runpy
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from interplay.methods.head_scores import previous_token_score  # noqa: E402

SCRIPT = runpy.run_path(str(Path(__file__).resolve().parents[2] / "scripts" / "train_demo_model.py"))


def tiny_model(d: int = 64, heads: int = 4, positions: int = 64) -> Any:
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=50,
        n_positions=positions,
        n_embd=d,
        n_layer=2,
        n_head=heads,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = transformers.GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        model.transformer.wte.weight.normal_(0.0, 0.1)
    return model


def layer0_patterns(model: Any) -> Any:
    model.set_attn_implementation("eager")
    ids = torch.randint(1, 50, (8, 40), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return torch.stack(model(input_ids=ids, output_attentions=True).attentions, 1)


def test_sinusoidal_positions_live_in_their_own_subspace() -> None:
    model = tiny_model()
    freqs = SCRIPT["init_positions"](model, 16, 0.1)
    wpe, wte = model.transformer.wpe.weight, model.transformer.wte.weight
    assert len(freqs) == 8 and freqs[0] == 2.0 and freqs == sorted(freqs, reverse=True)
    assert torch.all(wpe[:, 16:] == 0) and torch.all(wte[:, :16] == 0)
    assert float(wpe.pow(2).mean().sqrt()) == pytest.approx(0.1, rel=1e-3)
    # position p + 1 is the same rotation of position p for every p, pair by pair
    p = wpe.double()
    for j, w in enumerate(freqs):
        pair = p[:, 2 * j : 2 * j + 2]
        c, s = math.cos(w), math.sin(w)
        rot = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
        assert torch.allclose(pair[1:], pair[:-1] @ rot, atol=1e-5)
    with pytest.raises(ValueError, match="pos-dims"):
        SCRIPT["init_positions"](model, 15, 0.1)


@pytest.mark.parametrize(("gain", "low", "high"), [(0.0, 0.0, 0.2), (1.5, 0.8, 1.0)])
def test_previous_token_prior_makes_head_0_look_one_back(gain: float, low: float, high: float) -> None:
    model = tiny_model()
    freqs = SCRIPT["init_positions"](model, 16, 0.1)
    SCRIPT["init_previous_token_prior"](model, freqs, gain)
    scores = previous_token_score(layer0_patterns(model))
    assert low <= scores[0, 0] <= high, scores[0]
    assert max(scores[0, 1:]) < 0.3 and max(scores[1]) < 0.3  # the other heads keep their random start


def test_prior_needs_sinusoidal_positions(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="needs --pos-init sinusoidal"):
        SCRIPT["main"](["--steps", "1", "--prev-token-prior", "1", "--out", str(tmp_path)])
