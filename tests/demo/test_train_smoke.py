"""The training and evaluation scripts run end to end (a handful of steps, a tiny model)."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_train_then_evaluate_a_few_steps(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from scripts.demo_model import corpus

    out = tmp_path / "model"
    schedule = tmp_path / "schedule.json"
    schedule.write_text(
        json.dumps(
            [
                {
                    "name": "first",
                    "share": 0.25,
                    "mixture": {"echo": 0.5, "induction": 0.5},
                    "echo_without_names": True,
                },
                {"name": "mixture", "share": None, "mixture": {"ioi": 0.5, "induction": 0.5}},
            ]
        )
    )
    args = [
        "--steps",
        "4",
        "--batch-size",
        "4",
        "--d-model",
        "64",  # room for positions (8) and the induction prior's two head-wide subspaces (2 x 16)
        "--layers",
        "2",
        "--heads",
        "4",
        "--log-every",
        "2",
        "--eval-every",  # the card's numbers, logged during training
        "2",
        "--schedule",  # every phase runs: 1 step, then 3 on the mixture
        str(schedule),
        "--pos-init",
        "sinusoidal",
        "--pos-dims",
        "8",
        "--prev-token-prior",
        "1.0",
        "--induction-prior",
        "2.0",
    ]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_demo_model.py"), *args, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "step 4/4" in proc.stdout
    assert "eval 2: ioi" in proc.stdout and "eval 4: ioi" in proc.stdout, proc.stdout
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "training.json",
    ):
        assert (out / name).exists(), name
    info = json.loads((out / "training.json").read_text())
    assert info["steps"] == 4 and info["wall_time_s"] > 0
    assert (info["pos_init"], info["pos_dims"], info["prev_token_prior"]) == ("sinusoidal", 8, 1.0)
    assert (info["induction_prior"], info["induction_prior_ov"]) == (2.0, 0.5)
    assert info["ioi_after_filler"] == corpus.IOI_AFTER_FILLER
    assert [(p["name"], p["steps"]) for p in info["schedule"]] == [("first", 1), ("mixture", 3)]
    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    assert model.config.n_layer == 2 and model.config.vocab_size == len(tok)

    evaluate_script = runpy.run_path(str(ROOT / "scripts" / "evaluate_demo_model.py"))
    assert evaluate_script["main"](["--dir", str(out)]) == 1  # four steps do not meet the thresholds
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["steps"] == 4 and not all(card["passed"].values())
    assert (out / "MODEL_CARD.md").read_text().startswith("# interplay demo model")
