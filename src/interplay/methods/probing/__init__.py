"""Linear probes: is a token property linearly readable from the activations at some layer?

A probe is a logistic regression trained on a layer's activations at labelled tokens (Alain &
Bengio 2016, "Understanding intermediate layers using linear classifier probes"). High held-out
accuracy says the information is *there and linearly decodable*; it does not say the model uses it.
A probe can also be accurate because it memorises token identities. Hewitt & Liang (2019,
"Designing and Interpreting Probes with Control Tasks") therefore train the same probe on a
**control task**: every token *type* (token id) gets a random label, drawn from the real label
distribution, and keeps it wherever it occurs. A probe that does as well on the control task is
reading word identity, not the property; **selectivity** = accuracy - control accuracy.

:func:`probe` trains one probe per layer (L2-regularised multinomial logistic regression on
standardised features, full-batch L-BFGS in float64), splits train/test **by text** (so a test
token's context was never seen), and reports train and held-out accuracy, the control task's, and
the majority-class baseline. A split whose held-out texts hold a single class is refused (its
accuracy would measure nothing); a class missing from one side is named in ``result.notes``.
``result.direction(layer, label)`` is the probe's weight vector mapped back to activation space: a
candidate direction for :func:`interplay.steer` (a ``resid_post`` direction at layer L is a
``resid_pre`` direction at layer L + 1).

    >>> ann = interplay.AnnotatorView.from_texts(texts, labels=["name"], model=model)
    >>> ann.add_where("name", lambda t: t.strip() in NAMES)
    >>> result = interplay.probe(model, ann, label="name")
    >>> result.show(); result.plot(); result.to_dataframe()
    >>> result.scores(model, new_texts, layer=result.best_layer)    # per-token log-odds

Package shape (as every method family): this entry point, the result
(:class:`interplay.results.probe.ProbeResult`, numpy only: accuracies and weights, saved and loaded
without torch) and the engine (:mod:`.engine`, torch: the fitting, and the live session that gives
activations of new texts; :func:`attach` makes a loaded probe live again).
"""

from __future__ import annotations

from interplay.errors import ProbeError
from interplay.methods.probing.engine import ProbeSession, attach, control_labels, fit_logistic, probe
from interplay.results.probe import ProbeResult

__all__ = ["ProbeError", "ProbeResult", "ProbeSession", "attach", "control_labels", "fit_logistic", "probe"]
