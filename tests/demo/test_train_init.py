"""The training script's initialisations: sinusoidal positions, a previous-token prior, an induction prior."""

from __future__ import annotations

import math
import runpy
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from interplay.methods.head_scores import induction_score, previous_token_score  # noqa: E402

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
    assert float(wpe.detach().pow(2).mean().sqrt()) == pytest.approx(0.1, rel=1e-3)
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


def repeated_with_lead(period: int = 12, lead: int = 7) -> Any:
    """[16, lead + 2 period] ids: ``lead`` random tokens, then ``period`` random tokens twice."""
    g = torch.Generator().manual_seed(2)
    first = torch.stack([torch.randperm(49, generator=g)[:period] + 1 for _ in range(16)])
    return torch.cat([torch.randint(1, 50, (16, lead), generator=g), first, first], 1)


@pytest.mark.parametrize("gain", [0.0, 2.0])
def test_induction_prior_composes_with_the_previous_token_head(gain: float) -> None:
    model = tiny_model()
    freqs = SCRIPT["init_positions"](model, 16, 0.1)
    SCRIPT["init_previous_token_prior"](model, freqs, 1.5)
    if gain:
        SCRIPT["init_induction_prior"](model, 16, gain, 0.5)
    model.set_attn_implementation("eager")
    period, lead = 12, 7
    ids = repeated_with_lead(period, lead)
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True)
    scores = induction_score(torch.stack(out.attentions, 1), period, first_query=lead + period)
    nll = torch.nn.functional.cross_entropy(out.logits[:, :-1].transpose(1, 2), ids[:, 1:], reduction="none")
    drop = float(nll[:, lead : lead + period - 1].mean() - nll[:, lead + period :].mean())
    others = max(scores[0].max(), scores[1, 1:].max())
    if gain:
        # the copies start after 7 random tokens: the head finds them by content, not by position
        assert scores[1, 0] > 0.8 and others < 0.3 and drop > 0.3, (scores, drop)
    else:
        assert scores.max() < 0.3 and abs(drop) < 0.1, (scores, drop)


def test_induction_prior_needs_two_head_widths_of_token_dimensions() -> None:
    model = tiny_model()
    SCRIPT["init_induction_prior"](model, 32, 2.0)  # 32 + 2 x 16 = 64 fits
    with pytest.raises(ValueError, match="2 x 16 token dimensions beside 34"):
        SCRIPT["init_induction_prior"](model, 34, 2.0)


def test_priors_need_sinusoidal_positions(tmp_path: Path) -> None:
    out = ["--steps", "1", "--out", str(tmp_path)]
    for flags in (["--induction-prior", "0"], ["--prev-token-prior", "0"]):  # the other one is on by default
        with pytest.raises(SystemExit, match="need --pos-init sinusoidal"):
            SCRIPT["main"](["--pos-init", "normal", *flags, *out])
    with pytest.raises(SystemExit, match="--induction-prior needs --prev-token-prior"):
        SCRIPT["main"](["--prev-token-prior", "0", *out])
    with pytest.raises(SystemExit, match="2 x 32 token dimensions beside 66"):
        SCRIPT["main"](["--pos-dims", "66", *out])


def test_the_defaults_are_the_committed_run_s_recipe() -> None:
    """``python scripts/train_demo_model.py`` with no arguments trains the bundled model again."""
    import json

    from interplay.tasks.dataset import DEMO_MODEL_DIR
    from scripts.demo_model import corpus

    info = json.loads((DEMO_MODEL_DIR / "training.json").read_text())
    args = SCRIPT["build_parser"]().parse_args([])
    assert args.out == DEMO_MODEL_DIR and args.schedule is None and args.eval_every == 0
    for key in (
        "seed", "steps", "batch_size", "lr", "threads", "embed_init_std", "pos_init", "pos_dims",
        "prev_token_prior", "induction_prior", "induction_prior_ov",
    ):  # fmt: skip
        assert getattr(args, key) == info[key], key
    assert info["rows"] == args.steps * args.batch_size
    steps = corpus.phase_steps(corpus.SCHEDULE, args.steps)
    assert [{**p, "steps": n} for p, n in zip(corpus.SCHEDULE, steps, strict=True)] == info["schedule"]
    assert info["ioi_after_filler"] == corpus.IOI_AFTER_FILLER
    # the tokenizer is a function of the corpus: rebuilt, it is the committed one
    from tokenizers import Tokenizer

    built = SCRIPT["build_tokenizer"](args.seed, args.vocab_size)
    committed = Tokenizer.from_file(str(DEMO_MODEL_DIR / "tokenizer.json"))
    assert built.get_vocab() == committed.get_vocab()
    assert json.loads(built.to_str())["model"] == json.loads(committed.to_str())["model"]
