"""Direct logit attribution: how much each head, MLP and embedding writes straight into a logit.

The residual stream at the last layer is a sum of every component's output (embeddings, each head's
result, each attention bias, each MLP). The final norm is not linear, but with its scale frozen at the
value it had in this run it is (Elhage et al. 2021, "A Mathematical Framework for Transformer
Circuits"; used for IOI in Wang et al. 2022): LayerNorm maps ``x`` to ``(x - mean(x)) / s * w + b``, so
component ``c`` contributes ``((c - mean(c)) / s * w) . u`` to the logit along unembedding direction
``u`` (RMSNorm: ``c / s * w . u``, with ``w`` read as ``1 + w`` in Gemma). The contributions plus the
bias term (``b . u`` + the unembedding's bias) sum exactly to the logit (or logit difference, with a
baseline token). The frozen scale ``s`` is recorded in the result, because it is what makes the
decomposition exact only for this run. A "direct" effect is not the whole effect: a head can matter
through the heads and MLPs that read its output (use interplay.patch for that).

    >>> dla = interplay.direct_logit_attribution(model, prompt, target=" Mary", baseline=" John")
    >>> dla.show()              # heads and components, linked to the attention of the same prompt
    >>> dla.to_dataframe()
    >>> dla.data.top_heads(3)

Package shape (as every method family): this entry point, the result
(:class:`interplay.results.dla.DLAResult`, numpy only) and the engine (:mod:`.engine`, torch: the
frozen-norm decomposition and the live session behind the linked attention view).
"""

from __future__ import annotations

from interplay.methods.dla.engine import direct_logit_attribution
from interplay.results.dla import DLAResult

__all__ = ["DLAResult", "direct_logit_attribution"]
