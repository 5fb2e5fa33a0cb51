"""What feature views show: max-activating examples of many features at once, a prompt's active
latents, and a steering run by one latent.

A *feature* is one scalar per token: a neuron, an SAE or transcoder latent, a probe or steering
direction, or any function of one activation. :class:`TopActivationsData` holds, for each of many
features, what one pass over a dataset found: its top-``k`` contexts (the max token at index
``context[0]`` of each window), an activation histogram, examples drawn from quantile buckets of its
activation range, its density, and optionally its logit effects. Every token in it is stored once, as
an index into ``token_table``, so the data shows its text without a tokenizer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.base import Data, array
from interplay.errors import ShapeError

STEER_MODES = ("scale", "clamp", "ablate", "add")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class TopActivationsData(Data):
    """Max-activating examples, histograms and quantile-bucket examples of ``n_features`` features.

    Top examples (best first; rank ``r`` of feature ``f``):

    * ``acts[f, r]``: the feature's value at the max token (NaN where fewer than ``k`` tokens were seen);
    * ``where[f, r] = (sequence, position)`` of that token in the dataset (-1, -1 where none);
    * ``ctx_tokens[f, r, c]``: index into ``token_table`` of context token ``c`` (-1 outside the
      sequence), the max token at ``c == context[0]``; ``ctx_values[f, r, c]``: the feature's value there
      (NaN outside).

    Distribution: ``hist_edges[f]`` (``n_bins + 1`` increasing edges over the feature's active range)
    and ``hist_counts[f]`` (active tokens per bin; a token is active when its value is > 0);
    ``n_active[f]`` of ``n_tokens`` tokens were active (density = ``n_active / n_tokens``).

    Quantile buckets: ``bucket_edges[f]`` (``n_buckets + 1`` edges, from 0 to the max) and, for bucket
    ``b``, up to ``n_samples`` examples drawn uniformly from the tokens whose value lies in it:
    ``q_acts[f, b, s]``, ``q_where[f, b, s]``, ``q_ctx_tokens[f, b, s, c]``, ``q_ctx_values[f, b, s, c]``
    (same conventions as the top examples; NaN / -1 where a bucket has fewer tokens).

    Logit effects (optional): ``logit_ids[f, side, j]`` vocabulary ids (side 0 = most promoted, 1 = most
    suppressed) and ``logit_values[f, side, j]``: the feature's output direction through the unembedding
    (``logit_note`` states the norm convention); their text is in ``token_table`` at ``table_ids``.

    ``features[f]`` labels each feature; ``feature_meta`` says what they are (plain values:
    ``{"kind": "sae" | "transcoder" | "neuron" | "direction" | "function", "hook": name, "indices":
    [...], "dictionary": name}``); ``labels`` holds user labels by feature index (as a string key).
    ``table_ids`` is sorted and holds every id that occurs, ``token_table`` its text.
    """

    features: list[str]
    feature_meta: dict[str, Any]
    context: list[int]  #: [tokens before, tokens after] the max token
    n_tokens: int
    token_table: list[str]
    table_ids: npt.NDArray[np.int64] = array(("entry",), np.int64)
    acts: npt.NDArray[np.float32] = array(("feature", "rank"), np.float32)
    where: npt.NDArray[np.int64] = array(("feature", "rank", "coord"), np.int64)
    ctx_tokens: npt.NDArray[np.int32] = array(("feature", "rank", "ctx"), np.int32)
    ctx_values: npt.NDArray[np.float32] = array(("feature", "rank", "ctx"), np.float32)
    hist_edges: npt.NDArray[np.float32] = array(("feature", "edge"), np.float32)
    hist_counts: npt.NDArray[np.int64] = array(("feature", "bin"), np.int64)
    n_active: npt.NDArray[np.int64] = array(("feature",), np.int64)
    bucket_edges: npt.NDArray[np.float32] = array(("feature", "qedge"), np.float32)
    q_acts: npt.NDArray[np.float32] = array(("feature", "bucket", "sample"), np.float32)
    q_where: npt.NDArray[np.int64] = array(("feature", "bucket", "sample", "coord"), np.int64)
    q_ctx_tokens: npt.NDArray[np.int32] = array(("feature", "bucket", "sample", "ctx"), np.int32)
    q_ctx_values: npt.NDArray[np.float32] = array(("feature", "bucket", "sample", "ctx"), np.float32)
    logit_ids: npt.NDArray[np.int64] | None = array(("feature", "side", "k"), np.int64, optional=True)
    logit_values: npt.NDArray[np.float32] | None = array(("feature", "side", "k"), np.float32, optional=True)
    logit_note: str = ""
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        n_f, k = self.acts.shape
        n_ctx = int(self.context[0]) + 1 + int(self.context[1]) if len(self.context) == 2 else -1
        name = "TopActivationsData"
        if len(self.features) != n_f:
            raise ShapeError(f"{name}: {len(self.features)} feature labels for acts of shape [feature, rank] = "
                             f"{list(self.acts.shape)}")
        expect = {
            "where": (n_f, k, 2), "ctx_tokens": (n_f, k, n_ctx), "ctx_values": (n_f, k, n_ctx),
            "n_active": (n_f,),
        }
        for field, shape in expect.items():
            got = getattr(self, field).shape
            if got != shape:
                raise ShapeError(f"{name}.{field} has shape {list(got)}; expected {list(shape)} "
                                 f"({n_f} features, k={k}, context {self.context})")
        n_bins = self.hist_counts.shape[1] if self.hist_counts.ndim == 2 else -1
        if self.hist_counts.shape[0] != n_f or self.hist_edges.shape != (n_f, n_bins + 1):
            raise ShapeError(f"{name}: hist_edges {list(self.hist_edges.shape)} and hist_counts "
                             f"{list(self.hist_counts.shape)} must be [feature, n_bins + 1] and [feature, n_bins]")
        n_b, n_s = self.q_acts.shape[1], self.q_acts.shape[2]
        qexpect = {
            "bucket_edges": (n_f, n_b + 1), "q_acts": (n_f, n_b, n_s), "q_where": (n_f, n_b, n_s, 2),
            "q_ctx_tokens": (n_f, n_b, n_s, n_ctx), "q_ctx_values": (n_f, n_b, n_s, n_ctx),
        }
        for field, shape in qexpect.items():
            got = getattr(self, field).shape
            if got != shape:
                raise ShapeError(f"{name}.{field} has shape {list(got)}; expected {list(shape)}")
        if (self.logit_ids is None) != (self.logit_values is None) or (
                self.logit_ids is not None and self.logit_values is not None and (
                self.logit_ids.shape != self.logit_values.shape or self.logit_ids.shape[:2] != (n_f, 2))):
            raise ShapeError(f"{name}: logit_ids and logit_values must both be None or both [feature, 2, k]")
        if len(self.token_table) != len(self.table_ids):
            raise ShapeError(f"{name}: {len(self.token_table)} token strings for {len(self.table_ids)} table ids")
        for arr, field in ((self.ctx_tokens, "ctx_tokens"), (self.q_ctx_tokens, "q_ctx_tokens")):
            if arr.size and (arr.min() < -1 or arr.max() >= len(self.token_table)):
                raise ShapeError(f"{name}.{field} holds indices outside token_table (0..{len(self.token_table) - 1}, "
                                 "or -1 for outside the sequence)")

    @property
    def n_features(self) -> int:
        return int(self.acts.shape[0])

    @property
    def k(self) -> int:
        return int(self.acts.shape[1])

    @property
    def density(self) -> npt.NDArray[np.float64]:
        """Fraction of tokens on which each feature is active (> 0), [feature]."""
        return self.n_active / max(self.n_tokens, 1)

    def context_strings(self, feature: int, rank: int) -> list[str]:
        """The text of top example ``rank`` of ``feature`` (tokens outside the sequence left out)."""
        idx = self.ctx_tokens[feature, rank]
        return [self.token_table[i] for i in idx.tolist() if i >= 0]


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class PromptFeaturesData(Data):
    """A prompt read through a dictionary: for every token, its ``k`` most active latents.

    ``top_latents[pos, j]``: latent index (-1 where fewer than ``k`` are active), ``top_values[pos, j]``
    their activations (best first, NaN where none); ``max_values[pos]``: the largest activation at each
    token (0 when none is active), what the token row is coloured by; ``n_active[pos]``: how many latents
    are active there (the L0 per token). ``dictionary`` names the dictionary, ``hook`` where it reads,
    ``n_latents`` its width; ``latent_labels`` holds labels by latent index (as a string key).
    """

    tokens: list[str]
    dictionary: str
    hook: str
    n_latents: int
    top_latents: npt.NDArray[np.int64] = array(("pos", "k"), np.int64)
    top_values: npt.NDArray[np.float32] = array(("pos", "k"), np.float32)
    max_values: npt.NDArray[np.float32] = array(("pos",), np.float32)
    n_active: npt.NDArray[np.int64] = array(("pos",), np.int64)
    latent_labels: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        n_pos = len(self.tokens)
        if self.top_latents.shape != self.top_values.shape or self.top_latents.shape[0] != n_pos:
            raise ShapeError(f"PromptFeaturesData: top_latents {list(self.top_latents.shape)} and top_values "
                             f"{list(self.top_values.shape)} must both be [pos, k] with pos = {n_pos} tokens")
        if self.max_values.shape != (n_pos,) or self.n_active.shape != (n_pos,):
            raise ShapeError(f"PromptFeaturesData: max_values and n_active must be [pos] = [{n_pos}]")
        if self.top_latents.size and (self.top_latents.min() < -1 or self.top_latents.max() >= self.n_latents):
            raise ShapeError(f"PromptFeaturesData.top_latents must be latent indices in 0..{self.n_latents - 1} "
                             "(or -1 for none)")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class FeatureSteeringData(Data):
    """Greedy generation from ``prompt`` without and with one latent steered.

    ``mode``: ``scale`` (multiply the latent's activation by ``value``), ``clamp`` (set it to ``value``
    wherever the prompt and generation run), ``ablate`` (set it to 0), or ``add`` (add ``value`` times its
    decoder direction); ``keep_error``: the dictionary's error term was kept (so only the latent's change
    differs from the model). ``baseline_*`` and ``steered_*``: the continuations (text and tokens);
    ``changes``: ``[token, p_before, p_after]`` at the prompt's next token for the tokens whose probability
    moved most, largest change first; ``kl``: KL(baseline || steered) of that distribution, in nats.
    """

    prompt: str
    feature: str
    latent: int
    mode: str
    value: float
    keep_error: bool
    baseline_text: str
    steered_text: str
    baseline_tokens: list[str]
    steered_tokens: list[str]
    changes: list[list[Any]]
    kl: float
    notes: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in STEER_MODES:
            raise ShapeError(f"FeatureSteeringData.mode = {self.mode!r}; accepted: {', '.join(STEER_MODES)}")
        for i, row in enumerate(self.changes):
            if (not isinstance(row, (list, tuple)) or len(row) != 3 or not isinstance(row[0], str)
                    or not all(isinstance(x, (int, float)) for x in row[1:])):
                raise ShapeError(f"FeatureSteeringData.changes[{i}] = {row!r}: each change is [token, p_before, p_after]")
