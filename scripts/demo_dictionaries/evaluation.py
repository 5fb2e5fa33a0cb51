"""The bundled dictionaries' card numbers, measured from their weights (the tests recompute them).

Per dictionary: :func:`interplay.methods.features.metrics.dictionary_metrics` on a held-out slice of
the demo model's training mixture (rows drawn with another seed than the dictionaries' training
stream), and for every concept of :mod:`.concepts` the latent with the highest AUROC on the
concept's train set, with its AUROC on the held-out test set.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from interplay.methods.features.metrics import dictionary_metrics, latent_auroc
from scripts.demo_dictionaries.concepts import concept_sets
from scripts.demo_model import corpus

if TYPE_CHECKING:
    from interplay.backend.dictionaries import Dictionary
    from interplay.backend.model import Model

EVAL_SEED = 4321
EVAL_ROWS = 600
#: the issue's acceptance thresholds
THRESHOLDS = {"variance_explained": 0.8, "ce_loss_recovered": 0.8, "dead_fraction": 0.10}
AUROC_THRESHOLD = 0.9
MIN_CONCEPTS = 4  #: concepts that must reach AUROC_THRESHOLD (best dictionary per concept)
METRIC_KEYS = ("n_tokens", "l0", "variance_explained", "mse", "ce_clean", "ce_spliced", "ce_zero_ablation",
               "ce_loss_recovered", "dead_fraction", "dense_fraction")


def eval_texts() -> list[str]:
    """The held-out texts the metrics are measured on."""
    return [text for _, text in corpus.training_rows(EVAL_ROWS, seed=EVAL_SEED, tag="/dictionaries-eval")]


def measure(model: Model, dictionaries: dict[str, Dictionary]) -> dict[str, Any]:
    """Every number of the card, per dictionary name."""
    out: dict[str, Any] = {}
    for name, result in dictionary_metrics(model, dictionaries, eval_texts()).items():
        m = result.to_dict()
        out[name] = {"metrics": {k: m[k] for k in METRIC_KEYS}}
    for name, scores in concept_scores(model, dictionaries).items():
        out[name]["concepts"] = scores
    return out


def concept_scores(model: Model, dictionaries: dict[str, Dictionary]) -> dict[str, dict[str, Any]]:
    """{dictionary: {concept: {latent, train_auroc, test_auroc}}}: the latent chosen on train, scored on test."""
    import torch

    from interplay.methods.features.stream import iter_batches

    hooks = sorted({d.hook_in for d in dictionaries.values()})
    acts: dict[str, dict[str, dict[str, Any]]] = {}
    for split in ("train", "test"):
        for concept, cs in concept_sets(split, model.tokenizer).items():
            captured: dict[str, list[torch.Tensor]] = {h: [] for h in hooks}
            labels: list[int] = []
            with torch.no_grad():
                for batch in iter_batches(model, cs.ids, batch_size=64):
                    out = model.forward(batch.ids, batch.mask, capture=hooks, keep_positions=[0])
                    for i, row in enumerate(batch.rows):
                        lab = cs.labels[int(row)]
                        at = [p for p, v in enumerate(lab) if v >= 0]
                        labels.extend(lab[p] for p in at)
                        for h in hooks:
                            captured[h].append(out.activations[h][i, at])
            for name, d in dictionaries.items():
                with torch.no_grad():
                    a = d.encode(torch.cat(captured[d.hook_in])).numpy()
                acts.setdefault(name, {}).setdefault(concept, {})[split] = (a, np.asarray(labels))
    scores: dict[str, dict[str, Any]] = {}
    for name, per_concept in acts.items():
        for concept, splits in per_concept.items():
            train = latent_auroc(*splits["train"])
            best = int(np.argmax(train))
            test = latent_auroc(splits["test"][0][:, best:best + 1], splits["test"][1])[0]
            scores.setdefault(name, {})[concept] = {
                "latent": best, "train_auroc": float(train[best]), "test_auroc": float(test)}
    return scores


def summary(numbers: dict[str, Any]) -> dict[str, Any]:
    """The thresholds checked: per dictionary, and the best dictionary per concept."""
    checks: dict[str, Any] = {}
    for name, entry in numbers.items():
        m = entry["metrics"]
        checks[name] = {
            "variance_explained": m["variance_explained"] >= THRESHOLDS["variance_explained"],
            "ce_loss_recovered": m["ce_loss_recovered"] >= THRESHOLDS["ce_loss_recovered"],
            "dead_fraction": m["dead_fraction"] <= THRESHOLDS["dead_fraction"],
        }
    concepts = sorted({c for entry in numbers.values() for c in entry.get("concepts", {})})
    best = {}
    for c in concepts:
        # the dictionary is chosen on the train sets too; the test AUROC is reported, never selected on
        name = max(numbers, key=lambda n: numbers[n]["concepts"][c]["train_auroc"])
        best[c] = {"dictionary": name, **numbers[name]["concepts"][c]}
    passing = [c for c in concepts if best[c]["test_auroc"] >= AUROC_THRESHOLD]
    return {"checks": checks, "best_per_concept": best, "concepts_passing": passing,
            "concepts_pass": len(passing) >= MIN_CONCEPTS}


def files(bundle: Path) -> dict[str, int]:
    """Every file of the bundle with its size in bytes (the card itself excluded)."""
    return {str(p.relative_to(bundle)): p.stat().st_size for p in sorted(bundle.rglob("*"))
            if p.is_file() and p.name not in ("card.json", "DICTIONARY_CARD.md")}
