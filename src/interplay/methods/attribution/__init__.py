"""Input attribution: which input tokens drove an output, scored per source token.

Every method here explains one scalar ``f`` read from the logits (a token's logit, log-probability
or probability at a position, a logit difference between two tokens, or any function of the logits)
in terms of the *token embeddings* ``x`` (``hook_embed``: the embedding table's output, before
positional embeddings or any scaling, the same layer Captum's ``LayerIntegratedGradients`` is given
in our agreement tests). A token's score sums (or takes the norm of) its ``d_model`` entries.

* **Saliency** (Simonyan et al. 2014, "Deep Inside Convolutional Networks"): ``‖∂f/∂x_i‖``, the
  L2 norm (``norm="l2"``, default), the L1 norm (``"l1"``) or the signed sum (``"sum"``) over the
  embedding. How sensitive ``f`` is to each token; never says in which direction.
* **Gradient × input** (Shrikumar et al. 2016, "Not Just a Black Box"): ``Σ_d x_i · ∂f/∂x_i``, a
  first-order Taylor estimate of each token's contribution (exact for a model linear in ``x``).
* **Integrated gradients** (Sundararajan et al. 2017, "Axiomatic Attribution for Deep Networks"):
  ``(x - x') · ∫₀¹ ∂f/∂x (x' + α(x - x')) dα``, summed over the embedding, from a baseline ``x'``:
  ``"pad"`` (default: the pad token's embedding at every position, else the unknown or end-of-text
  token's), ``"unk"``, ``"zero"``, any token, or a tensor you give. (A zero baseline in a model
  without absolute positions sends the whole residual stream to zero, where RMS/LayerNorm is
  singular: nearly all of the path's change happens at tiny α and the quadrature misses it; the
  delta shows it.) It is
  *complete*: the scores sum to ``f(x) - f(x')``. The integral is a quadrature over ``n_steps``
  points (``integration="gausslegendre"`` by default, as in Captum, or ``"riemann_left"``, ``_right``,
  ``_middle``, ``_trapezoid``), run
  ``internal_batch_size`` interpolations per forward pass, halving the batch instead of failing when
  memory runs out. Every result reports the **convergence delta**
  ``Σ scores - (f(x) - f(x'))``: large means too few steps.
* **Attention rollout** (Abnar & Zuidema 2020, see :mod:`interplay.methods.attribution.rollout`): attention
  multiplied through the layers with the residual connection; a flow of attention, not of gradient.

Methods live in a registry: ``register_method(name, fn, signed=...)`` adds one, where
``fn(ctx: AttributionContext, **params) -> MethodOutput`` returns ``scores`` [target, pos].

    >>> res = interplay.attribute(model, "When Mary and John went to the store, John gave a drink to",
    ...                           target=" Mary", method="integrated_gradients", n_steps=64)
    >>> res.delta, res.to_dataframe(), res.show()   # click another token in the view: the model explains it
    >>> gen = interplay.attribute_generation(model, "The capital of France is", max_new_tokens=8)
    >>> res.save("ig.interplay"); interplay.load_result("ig.interplay").show()   # numpy only, no model

A method of your own is ``fn(ctx, **params)``: ``ctx.embeddings()`` gives the token embeddings
[pos, d_model], ``ctx.targets`` the targets, and ``ctx.grads(total, embeds_for, target_of, consume,
batch_size, desc)`` runs batched backward passes (``consume(start, stop, grads, values)`` receives
each batch), backing off when memory runs out.

Package shape (as every method family): the entry points and the live session (:mod:`.session`),
the gradient engine and the registry (:mod:`.engine`, torch), the built-in methods
(:mod:`.builtin`, :mod:`.rollout`), and the result
(:class:`interplay.results.attribution.AttributionResult`, numpy only) over its data
(:class:`interplay.data.attribution.AttributionData`).
"""

from __future__ import annotations

from interplay.methods.attribution import builtin as _builtin  # noqa: F401  (registers the built-in methods)
from interplay.methods.attribution.engine import (
    AttributionContext,
    MethodOutput,
    MethodSpec,
    Target,
    get_method,
    list_methods,
    register_method,
)
from interplay.methods.attribution.session import attribute, attribute_generation
from interplay.results.attribution import AttributionResult

__all__ = ["AttributionContext", "AttributionResult", "MethodOutput", "MethodSpec", "Target", "attribute",
           "attribute_generation", "get_method", "list_methods", "register_method"]
