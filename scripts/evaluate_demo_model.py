"""Measure the demo model and write MODEL_CARD.md and card.json next to its weights.

    .venv/bin/python scripts/evaluate_demo_model.py [--dir src/interplay/assets/demo-model]
    .venv/bin/python scripts/evaluate_demo_model.py --render-only   # MODEL_CARD.md from card.json

The numbers come from ``scripts/demo_model/evaluation.py`` (every forward pass through
``interplay.Model.forward``); ``--render-only`` measures nothing and rewrites MODEL_CARD.md from
the card.json already there (after a change of the card's wording in ``scripts/demo_model/card.py``).
Exits with status 1 when an acceptance threshold is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from interplay.tasks.dataset import DEMO_MODEL_DIR  # noqa: E402
from scripts._args import existing_dir  # noqa: E402
from scripts.demo_model.card import render_model_card  # noqa: E402
from scripts.demo_model.evaluation import evaluate, model_files  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", type=existing_dir, default=DEMO_MODEL_DIR)
    p.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite MODEL_CARD.md from the existing card.json without measuring anything",
    )
    args = p.parse_args(argv)
    start = time.perf_counter()
    if args.render_only:
        card = json.loads((args.dir / "card.json").read_text())
    else:
        card = evaluate(args.dir)
        training = args.dir / "training.json"
        card["training"] = json.loads(training.read_text()) if training.exists() else {}
        card["files"] = model_files(args.dir)
        (args.dir / "card.json").write_text(json.dumps(card, indent=1) + "\n")
    (args.dir / "MODEL_CARD.md").write_text(render_model_card(card))
    print(json.dumps(card["summary"], indent=1))
    what = "rendered" if args.render_only else "evaluated"
    print(f"{what} in {time.perf_counter() - start:.1f}s; wrote {args.dir / 'MODEL_CARD.md'}")
    failed = [k for k, ok in card["passed"].items() if not ok]
    if failed:
        print("FAILED thresholds:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
