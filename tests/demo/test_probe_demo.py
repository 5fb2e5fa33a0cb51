"""On the bundled demo model, a linear probe reads "this token is a name" from the residual stream.

The tokens are labelled the way a user would (an AnnotatorView built with the model, names marked from
Python), the probe is held out by text, and the control task (random labels per token type, Hewitt &
Liang 2019) must do clearly worse. No accuracy of the demo model is hard-coded beyond the issue's bar.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import interplay
from interplay.tasks import vocab


def test_name_probe_on_the_demo_model() -> None:
    model = interplay.load()
    texts = list(interplay.tasks.ioi(n=48, seed=3, split="test").clean)
    texts += list(interplay.tasks.facts(n=16, seed=3).clean)
    a = interplay.AnnotatorView.from_texts(texts, labels=["name"], model=model)
    names = set(vocab.NAMES)
    assert a.add_where("name", lambda tok: tok.strip() in names) > 50
    r = interplay.probe(model, a, label="name")
    best = int(np.argmax(r.accuracy))
    assert r.accuracy[best] >= 0.95, r.to_dataframe()
    assert r.accuracy[best] > r.majority + 0.05, r
    # well above the control task: at least 3x fewer held-out errors, and a clear selectivity
    assert 1 - r.control_accuracy[best] >= 3 * (1 - r.accuracy[best]), r.to_dataframe()
    assert r.selectivity[best] >= 0.05, r.to_dataframe()
    # the direction points from "other" to "name": names score higher along it on new prompts
    new = interplay.tasks.ioi(n=4, seed=11, split="test").clean[0]
    toks = model.to_str_tokens(new)
    s = r.scores(model, new, layer=r.best_layer)[0]
    is_name = np.array([t.strip() in names for t in toks])
    assert s[is_name].min() > np.median(s[~is_name])
