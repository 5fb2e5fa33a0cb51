"""DICTIONARY_CARD.md rendered from card.json, so the two cannot disagree."""

from __future__ import annotations

from typing import Any

from scripts.demo_dictionaries.concepts import CONCEPTS


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(card: dict[str, Any]) -> str:
    dicts, summary, th, tr = card["dictionaries"], card["summary"], card["thresholds"], card["training"]
    lines = [
        "# interplay demo dictionaries",
        "",
        "Sparse dictionaries for the bundled demo model (`interplay.load()`), trained by",
        "`scripts/train_dictionaries.py`: TopK SAEs on the residual stream and a TopK transcoder for every",
        "MLP (`blocks.L.ln2.hook_normalized` -> `blocks.L.hook_mlp_out`). Load them with",
        "`interplay.demo_dictionary(\"resid_post.1\")` or `interplay.demo_dictionaries()`. Every number below",
        "was measured by `scripts/demo_dictionaries/evaluation.py` on the stored (float16) weights, and",
        "`tests/demo/test_dictionary_card.py` recomputes each one.",
        "",
        "## Dictionaries",
        "",
        "| name | kind | reads | writes | latents | k |",
        "|---|---|---|---|---|---|",
    ]
    for name, d in dicts.items():
        lines.append(f"| {name} | {d['kind']} | `{d['hook_in']}` | `{d['hook_out']}` | {d['d_sae']} | {d['k']} |")
    lines += [
        "",
        "The later layers' activations are lower-dimensional: with 1024 latents (512 for their MLPs) 11-14% of",
        "those dictionaries' latents stayed dead in development runs, so they are half as wide.",
        "", "## Training", ""]
    if tr:
        lines.append(
            f"{tr.get('steps')} steps of {tr.get('batch_tokens')} tokens ({tr.get('tokens', 0):,} tokens), all "
            f"dictionaries on one activation stream, Adam at learning rate {tr.get('lr')} (warm-up, linear decay over "
            f"the last 20%), AuxK coefficient {tr.get('aux_coef', 1 / 32):.4g}, seed {tr.get('seed')}, "
            f"{tr.get('threads')} CPU thread(s): **{tr.get('seconds', 0) / 60:.1f} minutes** wall time. Text: "
            f"{tr.get('rows')} rows of the demo model's training mixture (`scripts/demo_model/corpus.py`, seed "
            f"{tr.get('data_seed')}); BOS and padding tokens are never trained on. Stored as {tr.get('storage')}.")
    ev = card["evaluation"]
    lines += [
        "",
        "## Quality",
        "",
        f"Measured on {ev['rows']} held-out rows of the same mixture (seed {ev['seed']}) by "
        "`interplay.dictionary_metrics`: L0 = mean active latents per token; variance explained =",
        "1 - sum |y - y_hat|^2 / sum |y - mean y|^2 over tokens and dimensions (y: the output hook's",
        "activation); CE loss recovered = (CE_zero - CE_spliced) / (CE_zero - CE_clean), the reconstruction",
        "spliced in without its error term, against zero-ablating the hook; dead = never active on the",
        "held-out tokens; dense = active on more than 10% of them. BOS and padding are not counted (and",
        "BOS is neither spliced nor ablated).",
        "",
        f"| name | L0 | variance explained (>= {th['variance_explained']}) | CE clean | CE spliced | CE zero-ablated | "
        f"CE loss recovered (>= {th['ce_loss_recovered']}) | dead (<= {th['dead_fraction']:.0%}) | dense | pass |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, d in dicts.items():
        m, ok = d["metrics"], summary["checks"][name]
        lines.append(
            f"| {name} | {m['l0']:.1f} | {m['variance_explained']:.3f} | {m['ce_clean']:.3f} | {m['ce_spliced']:.3f} | "
            f"{m['ce_zero_ablation']:.3f} | {m['ce_loss_recovered']:.3f} | {m['dead_fraction']:.1%} | "
            f"{m['dense_fraction']:.1%} | {_yes(all(ok.values()))} |")
    lines += [
        "",
        "## Named features",
        "",
        "For each concept the tasks define (`scripts/demo_dictionaries/concepts.py`), the latent of each",
        "dictionary with the highest AUROC on the concept's train set, and that latent's AUROC on the",
        "held-out test set (held-out names and templates, the other half of the countries and people,",
        "held-out bracket and repeated sequences). Best: the dictionary whose chosen latent scored highest on",
        f"the train set. Required: held-out AUROC >= {th['auroc']} for at least {th['concepts_at_auroc']} concepts.",
        "",
        "| concept | positive vs negative | best dictionary | latent | train AUROC | held-out AUROC | pass |",
        "|---|---|---|---|---|---|---|",
    ]
    for concept, best in summary["best_per_concept"].items():
        _, pos, neg = CONCEPTS[concept]
        lines.append(f"| {concept} | {pos} vs {neg} | {best['dictionary']} | {best['latent']} | "
                     f"{best['train_auroc']:.3f} | {best['test_auroc']:.3f} | {_yes(best['test_auroc'] >= th['auroc'])} |")
    names = list(dicts)
    lines += ["", "Per dictionary (latent: held-out AUROC):", "",
              "| concept | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for concept in summary["best_per_concept"]:
        cells = [f"{dicts[n]['concepts'][concept]['latent']}: {dicts[n]['concepts'][concept]['test_auroc']:.3f}"
                 for n in names]
        lines.append(f"| {concept} | " + " | ".join(cells) + " |")
    n_pass = len(summary["concepts_passing"])
    lines += ["", f"{n_pass} of {len(summary['best_per_concept'])} concepts reach AUROC {th['auroc']}: "
              f"{_yes(summary['concepts_pass'])}."]
    failing = [c for c in summary["best_per_concept"] if c not in summary["concepts_passing"]]
    if "open_vs_close_bracket" in failing:
        lines += ["", "No single latent tells the four opening brackets from the four closing ones: the latents that",
                  "fire on brackets are specific to one or two bracket types (and the model's own residual stream",
                  "separates openers from closers only partly), so that concept stays below the threshold."]
    lines += ["", "## Files", "", "| file | bytes |", "|---|---|"]
    for f, size in card["files"].items():
        lines.append(f"| {f} | {size:,} |")
    lines.append(f"| total | {sum(card['files'].values()):,} |")
    return "\n".join(lines) + "\n"
