"""Activation steering: add a direction to the residual stream and watch the output change.

Activation addition (Turner et al. 2023, "Steering Language Models With Activation Engineering")
adds ``coeff * v`` to the residual stream at one layer while the model runs. Contrastive activation
addition (Rimsky et al. 2023, "Steering Llama 2 via Contrastive Activation Addition") takes ``v``
as the mean difference of the activations on contrast pairs (prompts with and without the
property): :func:`steering_vector`. If the model represents the property linearly at that layer,
adding the direction makes the model act as if the prompt had it.

:func:`steer` generates greedily with and without the vector and reports both texts and the change
in the next-token distribution (KL and the tokens whose probability moved most), so a claim like
"this direction encodes sentiment" can be checked on the output, not only on a probe::

    >>> vec = interplay.steering_vector(model, ds.clean[:12], ds.corrupted[:12], layer=3)
    >>> steered = interplay.steer(model, prompt, vec, layer=3, coeff=12.0, max_new_tokens=8)
    >>> steered.kl, steered.to_dataframe()     # next-token KL (nats); the tokens that moved most
    >>> steered.show()                         # both continuations side by side

A probe's direction (a numpy array) steers as well: ``interplay.steer(model, prompt,
probe.direction(layer, "name"), layer=layer, component="resid_post")``. To combine steering with
other interventions in one run, use :func:`interplay.steer_spec` with ``model.run``.

Package shape (as every method family): these entry points, the result
(:class:`interplay.results.steering.SteeringResult`, numpy only: a
:class:`~interplay.data.steering.SteeringData`, nothing live) and the engine (:mod:`.engine`, torch).
"""

from __future__ import annotations

from interplay.methods.steering.engine import steer, steering_vector
from interplay.results.steering import SteeringResult

__all__ = ["SteeringResult", "steer", "steering_vector"]
