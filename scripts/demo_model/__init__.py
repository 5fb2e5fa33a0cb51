"""The bundled demo model's maintenance code: its training corpus, its evaluation and its card.

Not library API (nothing here is installed with interplay): ``scripts/train_demo_model.py`` trains
the model on :mod:`.corpus`, ``scripts/evaluate_demo_model.py`` measures it with :mod:`.evaluation`
and renders MODEL_CARD.md with :mod:`.card`, and ``tests/demo`` recomputes every number of the card
from the committed weights.

- :mod:`scripts.demo_model.corpus`: the training mixture, schedule and tokenizer corpus (training
  splits of :mod:`interplay.tasks` only; plain text, no torch).
- :mod:`scripts.demo_model.evaluation`: the card's numbers, every forward pass through interplay's
  own engine (:meth:`interplay.Model.forward`): attention patterns captured at ``("pattern", l)``,
  per-head mean ablation as an intervention on ``("z", l)``. Needs torch (imported on first use).
- :mod:`scripts.demo_model.card`: MODEL_CARD.md rendered from card.json, so the two cannot disagree.
"""
