"""Task datasets for interpretability exercises, with the demo model's held-out splits.

Every generator returns a :class:`TaskDataset`: ``clean`` prompts, ``corrupted`` twins of the
same token length, ``answer`` and ``wrong`` token strings, and ``metric(logits)``, the mean logit
difference of answer over wrong at each prompt's last token. Patching, attribution and circuit
methods take a dataset directly.

    >>> import interplay.tasks as tasks
    >>> ds = tasks.ioi(n=50, seed=0, split="test")
    >>> ds.clean[0], ds.answer[0], ds.wrong[0]

Generators: :func:`ioi` (indirect object identification), :func:`induction` (repeated random
words or sentences), :func:`facts` (recall over an invented world), :func:`brackets` (bracket
matching). ``split="test"`` (the default) uses only names, templates, phrasings or sequences that
the demo model never saw in that role during training.

Nothing here imports torch (numpy and the ``tokenizers`` library only): datasets are plain lists
of strings and ids, and ``metric`` works on numpy arrays and torch tensors alike. Bad arguments
raise :class:`interplay.TaskError` (a ``ValueError``) naming the argument and what is accepted.

The demo model's training corpus, its evaluation (the model card's numbers) and the card itself are
maintenance code, not API: they live in the repository's ``scripts/demo_model/`` package.
"""

from __future__ import annotations

from interplay.tasks.brackets import brackets
from interplay.tasks.dataset import TaskDataset, demo_tokenizer
from interplay.tasks.facts import facts
from interplay.tasks.facts import templates_for as fact_templates
from interplay.tasks.induction import induction
from interplay.tasks.ioi import ioi
from interplay.tasks.ioi import templates_for as ioi_templates

__all__ = [
    "TaskDataset",
    "brackets",
    "demo_tokenizer",
    "fact_templates",
    "facts",
    "induction",
    "ioi",
    "ioi_templates",
]
