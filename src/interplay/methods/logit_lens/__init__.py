"""The logit lens: decode every layer's residual stream with the model's own unembedding.

nostalgebraist (2020), "interpreting GPT: the logit lens": apply the final norm and the unembedding
to the residual stream after each layer, as if the model stopped there, and read the distribution
over the next token. Where the top prediction settles on the final answer tells you at which depth a
prediction forms. The final norm is applied by default (``apply_ln=True``), which is what the model
itself does to the last layer; switching it off shows the raw projection (recorded in ``notes``).
The last row equals the model's own logits. KL is ``KL(final || layer)`` in nats.

    >>> lens = interplay.logit_lens(model, "The capital of France is")
    >>> lens.show(target=" Paris")      # type another target in the view; the model answers
    >>> lens.to_dataframe()

Package shape (as every method family): this entry point, the result
(:class:`interplay.results.logit_lens.LogitLensResult`, numpy only) and the engine (:mod:`.engine`,
torch: the decoding and the live session behind the view).
"""

from __future__ import annotations

from interplay.methods.logit_lens.engine import logit_lens
from interplay.results.logit_lens import LogitLensResult

__all__ = ["LogitLensResult", "logit_lens"]
