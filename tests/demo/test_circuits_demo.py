"""On the bundled demo model, EAP-IG finds small circuits for IOI and induction that recover most of
the metric; the IOI circuit contains the heads the model card marks as important, the induction
circuit the card's previous-token (and induction) heads.

The card is read at run time (the demo model gets retrained): nothing here names a head.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import interplay
from interplay.tasks.dataset import DEMO_MODEL_DIR
from scripts.demo_model.evaluation import composable_induction_scores

CARD = json.loads((DEMO_MODEL_DIR / "card.json").read_text())
LADDER = (10, 20, 30, 40, 60, 80)
_MODEL: list[Any] = []


def _model() -> Any:
    import torch

    torch.set_num_threads(1)
    if not _MODEL:
        _MODEL.append(interplay.load("demo", device="cpu"))
    return _MODEL[0]


def _smallest_faithful(c: Any, target: float = 0.8) -> tuple[int, float, list[tuple[int, float]]]:
    seen = []
    for k in LADDER:
        f = c.faithfulness(k=k)
        seen.append((k, f))
        if f >= target:
            return k, f, seen
    return -1, float("nan"), seen


def _heads(nodes: list[str]) -> set[tuple[int, int]]:
    out = set()
    for n in nodes:
        if n.startswith("L") and ".H" in n:
            layer, head = n[1:].split(".H")
            out.add((int(layer), int(head)))
    return out


def test_ioi_circuit_is_faithful_and_holds_the_important_heads() -> None:
    model = _model()
    ds = interplay.tasks.ioi(n=40, seed=3)
    c = interplay.circuit(model, ds, method="eap-ig", steps=10, progress=False)
    assert c.clean_value - c.corrupted_value > 0.5, "the demo model does not do IOI on these prompts"
    k, _, seen = _smallest_faithful(c)
    print(f"IOI: faithfulness by k {[(kk, round(ff, 3)) for kk, ff in seen]}; {c.graph.n_edges} edges in all")
    assert k > 0, f"no circuit of <= {LADDER[-1]} edges recovers 80% of the logit difference: {seen}"
    # The card ranks heads by mean ablation, which also knocks out work that does not depend on which
    # name is repeated (the ABC corruption leaves it intact, so patching cannot see it). The heads whose
    # ablation removes at least half the logit difference must be in the circuit once it is faithful.
    base = abs(CARD["ioi_ablation"]["baseline_logit_diff"])
    strongest = {
        (h["layer"], h["head"]) for h in CARD["ioi_ablation"]["important"] if abs(h["effect"]) >= 0.5 * base
    }
    assert strongest, "the card lists no head whose ablation removes half the logit difference"
    k90, _, _ = _smallest_faithful(c, target=0.9)
    found = _heads(c.prune(k=max(k90, 20)).nodes)
    assert strongest <= found, (
        f"card's strongest heads {sorted(strongest)} not all in the circuit {sorted(found)}"
    )


def test_induction_circuit_is_faithful_and_holds_the_induction_heads() -> None:
    model = _model()
    ds = interplay.tasks.induction(n=40, seed=3)
    c = interplay.circuit(model, ds, method="eap-ig", steps=10, progress=False)
    k, _, seen = _smallest_faithful(c)
    print(
        f"induction: clean {c.clean_value:.3f}, corrupted {c.corrupted_value:.3f}; faithfulness by k "
        f"{[(kk, round(ff, 3)) for kk, ff in seen]}"
    )
    assert k > 0, f"no circuit of <= {LADDER[-1]} edges recovers 80% of the metric: {seen}"
    # The card's previous-token and induction heads (score at or above the 0.5) must be in it.
    marked: set[tuple[int, int]] = set()
    for score, key in (("previous_token", "max_previous_token_score"), ("induction", "max_induction_score")):
        scores = np.asarray(CARD["head_scores"][score])
        if score == "induction":  # first-layer heads cannot compose
            scores = composable_induction_scores(scores)
        threshold = float(CARD["thresholds"][key])
        marked |= {(int(a), int(b)) for a, b in zip(*np.nonzero(scores >= threshold), strict=True)}
    assert marked, "the card marks no previous-token or induction head at or above 0.5"
    found = _heads(c.prune(k=max(k, 20)).nodes)
    assert marked <= found, (
        f"card's previous-token/induction heads {sorted(marked)} not in the circuit {sorted(found)}"
    )
