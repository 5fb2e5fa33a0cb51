"""Max-activating examples at dataset scale: one pass, many features, bounded memory.

``interplay.top_activations(model, feature, dataset)`` streams ``dataset`` once
(:mod:`~interplay.methods.features.stream`), runs the model on each batch only as far as the hook the
features read (no logits), computes every feature's value at every token in one batched call
(:meth:`FeatureSpec.values`: a matmul for latents and directions) and folds the batch into
accumulators whose size depends on the number of features and the options, never on the dataset
(:mod:`~interplay.methods.features._accumulators`):

* the top ``k`` tokens of each feature, exactly (ties: earlier (sequence, position) first), with a
  context window of ``context = (before, after)`` tokens and the feature's values there;
* an exact histogram of its active values (> 0) and its density (active / tokens);
* ``n_samples`` tokens sampled uniformly (seeded) from each of ``n_buckets`` buckets of its range;
* its logit effects, when it writes to the residual stream (:meth:`FeatureSpec.logit_effects`).

This is the table of max-activating dataset examples that feature dashboards show (Bricken et al.
2023, "Towards Monosemanticity", and its open reimplementations sae_vis / SAEDashboard), computed in
one streaming pass so that it scales to thousands of latents and any number of tokens.

Special tokens (the tokenizer's BOS, EOS, pad, unk) are excluded from the candidates, counts and
samples when ``exclude_special`` (they still show in the context windows). With ``checkpoint=path``
the state is written there every ``checkpoint_every`` batches (an ``.npz``); a run started again
with the same arguments resumes after the sequences done and gives exactly the result of an
uninterrupted run (the result depends on the dataset alone, not on the batch size). Resuming
re-reads (tokenizes, without running the model) the sequences done, to check that they are the
same ones.

Memory: ~80 MiB per 1,000 features with the defaults, most of it the bucket samples' context windows,
and independent of the dataset's size.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.data.features import TopActivationsData
from interplay.data.tokens import token_strings
from interplay.errors import InterplayError, ResultFileError, TaskError
from interplay.methods._common import special_ids
from interplay.methods._progress import progress_bar
from interplay.methods.features._accumulators import BatchView, Distribution, TopK, sample_keys
from interplay.methods.features.spec import FeatureSpec, capture, resolve_features
from interplay.methods.features.stream import iter_batches, iter_sequences
from interplay.results.features import TopActivationsResult

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.data.features import FeatureSteeringData

CHECKPOINT_FORMAT = "interplay.top_activations.checkpoint/1"


def top_activations(
    model: Model,
    feature: Any,
    dataset: Any,
    *,
    k: int = 20,
    context: tuple[int, int] | list[int] = (16, 4),
    batch_size: int = 32,
    seq_len: int | None = None,
    n_bins: int = 50,
    n_buckets: int = 10,
    n_samples: int = 5,
    seed: int = 0,
    progress: bool = True,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = True,
    checkpoint_every: int = 20,
    hook: Any = None,
    exclude_special: bool = True,
    logit_k: int = 10,
) -> TopActivationsResult:
    """The top-``k`` contexts, histogram, density, quantile-bucket samples and logit effects of every
    feature in ``feature`` over ``dataset``, in one pass (module docstring).

    ``feature``: a neuron ``("mlp.post", layer, index | [indices])``, a dictionary latent
    ``(sae, index)`` / ``(sae, [indices])`` / ``sae`` (every latent), a direction [d] or [n, d] with
    ``hook=``, or a function ``fn(activation) -> [batch, pos, n]`` with ``hook=``
    (:func:`~interplay.methods.features.spec.resolve_features`). ``dataset``: texts, a
    ``TaskDataset``, a ``datasets.Dataset`` or token ids (:mod:`~interplay.methods.features.stream`);
    ``seq_len`` cuts longer sequences into windows. ``context=(before, after)``: tokens kept around
    each example. ``n_bins``: histogram bins; ``n_buckets`` x ``n_samples``: bucket samples (``seed``
    draws them). ``checkpoint``: an ``.npz`` path written every ``checkpoint_every`` batches;
    ``resume=False`` starts afresh over an existing one. ``logit_k``: tokens per side of the logit
    effects.
    """
    from interplay.backend.model import Model

    if not isinstance(model, Model):
        raise InterplayError(f"top_activations takes an interplay Model first (interplay.load(...)), not a "
                             f"{type(model).__name__}")
    before, after = _context(context)
    opts = {name: _positive(name, value) for name, value in (
        ("k", k), ("n_bins", n_bins), ("n_buckets", n_buckets), ("n_samples", n_samples),
        ("checkpoint_every", checkpoint_every), ("logit_k", logit_k))}
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InterplayError(f"top_activations: seed={seed!r} must be an integer")
    if seq_len is not None:
        _positive("seq_len", seq_len)
    for name, flag in (("progress", progress), ("resume", resume), ("exclude_special", exclude_special)):
        if not isinstance(flag, bool):
            raise InterplayError(f"top_activations: {name}={flag!r} must be True or False")
    spec = resolve_features(model, feature, hook=hook)
    device = _device(spec, model)
    n_f = spec.n_features
    state = _State(n_f, opts["k"], before, after, n_bins=opts["n_bins"], n_buckets=opts["n_buckets"],
                   n_samples=opts["n_samples"], device=device)
    fingerprint = _fingerprint(model, spec, k=opts["k"], context=[before, after], n_bins=opts["n_bins"],
                               n_buckets=opts["n_buckets"], n_samples=opts["n_samples"], seed=int(seed),
                               seq_len=seq_len, exclude_special=exclude_special)
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists() and resume:
        state.restore(path, fingerprint)
        _check_done_rows(model, dataset, seq_len, state)
    special = special_ids(model) if exclude_special else []
    special_t = torch.tensor(special, dtype=torch.long, device=device)
    bar = progress_bar(total=_total(dataset), desc="top activations") if progress else None
    if bar is not None and state.rows_done:
        bar.update(state.rows_done)
    try:
        batches = iter_batches(model, dataset, batch_size=batch_size, seq_len=seq_len, start=state.rows_done)
        for n_batches, batch in enumerate(batches, start=1):
            act = capture(model, batch.ids, batch.mask, spec.hook)
            values = spec.values(act).to(device)
            if values.ndim != 3 or values.shape[2] != n_f or tuple(values.shape[:2]) != tuple(batch.ids.shape):
                raise InterplayError(f"the features gave values of shape {list(values.shape)} for a batch of shape "
                                     f"{list(batch.ids.shape)}; expected [batch, pos, {n_f}]")
            state.update(batch, values, special_t, int(seed))
            if path is not None and n_batches % opts["checkpoint_every"] == 0:
                state.save(path, fingerprint)
            if bar is not None:
                if bar.total is not None and bar.n + len(batch.rows) > bar.total:
                    bar.total = None
                bar.update(len(batch.rows))
    finally:
        if bar is not None:
            bar.close()
    if state.rows_done == 0:
        raise TaskError(f"dataset holds no sequence to read (got {dataset!r:.60}, a {type(dataset).__name__}): "
                        "give a non-empty list of texts, a TaskDataset, a datasets.Dataset or token ids")
    if path is not None:
        state.save(path, fingerprint)
    data = state.finish(model, spec, logit_k=opts["logit_k"], exclude_special=exclude_special, special=special)
    return TopActivationsResult(data, TopActivationsSession(model, spec))


class TopActivationsSession:
    """The live part of a :class:`~interplay.results.features.TopActivationsResult`: the model and the
    features. Implements :class:`~interplay.widgets.feature.FeatureSource`'s ``steer`` for dictionary
    latents; top examples past the data's ``k`` need a re-run with a larger ``k`` (the view says so)."""

    def __init__(self, model: Model, spec: FeatureSpec) -> None:
        self.model = model
        self.spec = spec

    def steer(self, feature: int, prompt: str, mode: str, value: float, keep_error: bool) -> FeatureSteeringData:
        """Greedy generation from ``prompt`` without and with latent ``feature`` (an index into the
        data's features) steered: :func:`~interplay.methods.features.steer.steer_feature`."""
        spec = self.spec
        if spec.kind not in ("sae", "transcoder") or spec.indices is None:
            raise InterplayError(f"steering by a {spec.kind} feature is not supported here: steering needs a "
                                 "dictionary latent (top_activations(model, (sae, latents), ...)); for a direction "
                                 "use interplay.steer(model, prompt, vector, layer=...)")
        if isinstance(feature, bool) or not isinstance(feature, int) or not 0 <= feature < spec.n_features:
            raise InterplayError(f"steer: feature={feature!r} must be an index 0..{spec.n_features - 1}")
        from interplay.methods.features.steer import steer_feature

        latent = spec.indices[feature]
        return steer_feature(self.model, prompt, spec.dictionary, latent, mode=mode,
                             value=None if mode == "ablate" else value, keep_error=keep_error).data


# ----------------------------------------------------------------------------------- state
class _State:
    """Everything one pass keeps: the accumulators, the tokens seen, the rows done and their hash."""

    def __init__(self, n_features: int, k: int, before: int, after: int, *, n_bins: int, n_buckets: int,
                 n_samples: int, device: torch.device) -> None:
        self.device = device
        self.before, self.after = before, after
        self.topk = TopK(n_features, k, before, after, device)
        self.dist = Distribution(n_features, n_bins=n_bins, n_buckets=n_buckets, n_samples=n_samples,
                                 before=before, after=after, device=device)
        self.n_tokens = 0
        self.rows_done = 0
        self.digest = hashlib.blake2b(digest_size=16)

    def update(self, batch: Any, values: torch.Tensor, special: torch.Tensor, seed: int) -> None:
        dev = self.device
        ids = batch.ids.to(dev)
        cand = batch.mask.to(dev).bool()
        if special.numel():
            cand &= ~torch.isin(ids, special)
        p = ids.shape[1]
        keys = torch.from_numpy(sample_keys(seed, batch.rows[:, None], np.arange(p)[None, :])).to(dev)
        bv = BatchView(values, ids, torch.as_tensor(batch.lengths, device=dev), torch.from_numpy(batch.rows).to(dev),
                       cand, keys)
        batch_max = self.topk.update(bv)
        self.dist.update(bv, batch_max)
        self.n_tokens += int(cand.sum())
        for i, n in enumerate(batch.lengths):
            self.digest.update(batch.ids[i, :n].numpy().astype(np.int64).tobytes())
        self.rows_done = int(batch.rows[-1]) + 1

    # -------------------------------------------------------------------------- checkpoints
    def save(self, path: Path, fingerprint: dict[str, Any]) -> None:
        arrays = {f"topk.{n}": t.cpu().numpy() for n, t in self.topk.state().items()}
        arrays.update({f"dist.{n}": t.cpu().numpy() for n, t in self.dist.state().items()})
        meta = {"format": CHECKPOINT_FORMAT, "fingerprint": fingerprint, "n_tokens": self.n_tokens,
                "rows_done": self.rows_done, "digest": self.digest.hexdigest()}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)

    def restore(self, path: Path, fingerprint: dict[str, Any]) -> None:
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                arrays = {name: z[name] for name in z.files if name != "meta"}
        except (OSError, ValueError, KeyError) as exc:
            raise ResultFileError(f"checkpoint={str(path)!r} is not a top_activations checkpoint ({exc}); delete it "
                                  "or pass resume=False to start afresh") from None
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise ResultFileError(f"checkpoint={str(path)!r} is not a top_activations checkpoint")
        theirs = meta.get("fingerprint", {})
        diff = sorted(key for key in set(theirs) | set(fingerprint) if theirs.get(key) != fingerprint.get(key))
        if diff:
            raise ResultFileError(f"checkpoint={str(path)!r} belongs to another run (it differs in {', '.join(diff)}); "
                                  "pass the same arguments, another path, or resume=False to start afresh")
        try:
            self.topk.load({n[5:]: a for n, a in arrays.items() if n.startswith("topk.")})
            self.dist.load({n[5:]: a for n, a in arrays.items() if n.startswith("dist.")})
        except (KeyError, RuntimeError) as exc:
            raise ResultFileError(f"checkpoint={str(path)!r} is incomplete or damaged ({exc}); pass resume=False") from None
        self.n_tokens = int(meta["n_tokens"])
        self.rows_done = int(meta["rows_done"])
        self.resumed_digest = str(meta["digest"])

    # ------------------------------------------------------------------------------ finish
    def finish(self, model: Model, spec: FeatureSpec, *, logit_k: int, exclude_special: bool,
               special: list[int]) -> TopActivationsData:
        top = self.topk.finish()
        dist = self.dist.finish(top["acts"][:, 0])
        effects = spec.logit_effects(model, logit_k)
        logit_ids = effects[0] if effects is not None else None
        ids_used = [top["ctx_ids"], dist["q_ctx_ids"]] + ([logit_ids] if logit_ids is not None else [])
        table_ids = np.unique(np.concatenate([a.reshape(-1) for a in ids_used]))
        table_ids = table_ids[table_ids >= 0].astype(np.int64)
        table = token_strings(model.tokenizer, table_ids.tolist()) if len(table_ids) else []

        def index(a: npt.NDArray[Any]) -> npt.NDArray[np.int32]:
            out = np.searchsorted(table_ids, np.maximum(a, 0)).astype(np.int32)
            return np.where(a >= 0, out, -1).astype(np.int32)

        notes = []
        never = int(np.sum(dist["n_active"] == 0))
        if never:
            notes.append(f"{never} of {spec.n_features} features were never active (> 0) on the dataset")
        if exclude_special and special:
            notes.append(f"special tokens (ids {special}) are left out of the examples, counts and samples")
        if spec.kind in ("direction", "function", "neuron"):
            notes.append("a token counts as active when the feature's value is > 0; examples, histogram and "
                         "samples show the positive side")
        if effects is None and spec.kind != "function":
            notes.append("no logit effects: " + (spec.output_directions(model)[1] or "the model has no unembedding"))
        return TopActivationsData(
            features=list(spec.labels), feature_meta=spec.meta(), context=[self.before, self.after],
            n_tokens=int(self.n_tokens), table_ids=table_ids, token_table=table,
            acts=top["acts"], where=top["where"].astype(np.int64), ctx_tokens=index(top["ctx_ids"]),
            ctx_values=top["ctx_values"], hist_edges=dist["hist_edges"], hist_counts=dist["hist_counts"],
            n_active=dist["n_active"].astype(np.int64), bucket_edges=dist["bucket_edges"], q_acts=dist["q_acts"],
            q_where=dist["q_where"], q_ctx_tokens=index(dist["q_ctx_ids"]), q_ctx_values=dist["q_ctx_values"],
            logit_ids=logit_ids, logit_values=effects[1] if effects is not None else None,
            logit_note=effects[2] if effects is not None else "", notes=notes)


# --------------------------------------------------------------------------------- helpers
def _context(context: Any) -> tuple[int, int]:
    if (not isinstance(context, (tuple, list)) or len(context) != 2
            or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c >= 0 for c in context)):
        raise InterplayError(f"top_activations: context={context!r} must be (tokens before, tokens after), two "
                             "integers >= 0, e.g. (16, 4)")
    return int(context[0]), int(context[1])


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InterplayError(f"top_activations: {name}={value!r} must be a positive integer")
    return int(value)


def _device(spec: FeatureSpec, model: Model) -> torch.device:
    w = getattr(spec.dictionary, "W_dec", None)
    return w.device if isinstance(w, torch.Tensor) else model.device


def _total(dataset: Any) -> int | None:
    try:
        return len(dataset)
    except TypeError:
        return None


def _fingerprint(model: Model, spec: FeatureSpec, **options: Any) -> dict[str, Any]:
    labels = hashlib.blake2b("\n".join(spec.labels).encode(), digest_size=8).hexdigest()
    return {"model": str(model.name), "d_vocab": int(model.cfg.d_vocab), "n_layers": int(model.cfg.n_layers),
            "kind": spec.kind, "hook": spec.hook, "features": labels, "n_features": spec.n_features,
            **{k: v for k, v in options.items()}}


def _check_done_rows(model: Model, dataset: Any, seq_len: int | None, state: _State) -> None:
    """The sequences a checkpoint says are done must be this dataset's first ones (same tokens)."""
    digest = hashlib.blake2b(digest_size=16)
    n = 0
    for seq in iter_sequences(model, dataset, seq_len=seq_len):
        if n == state.rows_done:
            break
        digest.update(np.asarray(seq, dtype=np.int64).tobytes())
        n += 1
    if n < state.rows_done or digest.hexdigest() != state.resumed_digest:
        raise ResultFileError(f"the checkpoint covers {state.rows_done} sequences that are not this dataset's first "
                              f"{state.rows_done} (a different dataset or seq_len); pass resume=False to start afresh")
    state.digest = digest
