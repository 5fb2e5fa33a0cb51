"""Training sparse dictionaries (SAEs and transcoders) on a model's activations, resumably.

The recipe is Gao et al. 2024 ("Scaling and evaluating sparse autoencoders"), small enough for a
laptop CPU:

* **TopK** activation by default (``k`` latents per token, so no sparsity penalty to tune); a ReLU
  dictionary with an L1 penalty is the other option.
* **Decoder rows of unit norm**: the gradient's component along each row is removed before every
  step and the rows renormalised after it.
* **b_dec** starts at the geometric median of the first buffer's target activations (Weiszfeld's
  iterations); an SAE subtracts it from its input before encoding (``apply_b_dec_to_input``).
  The encoder starts as the decoder's transpose (an SAE) or as random unit columns (a transcoder),
  scaled so that the first reconstructions are as large as the targets (around b_dec).
* **Loss**: squared reconstruction error normalised by the target's variance (so one learning rate
  fits every hook), plus the **AuxK** loss (coefficient ``aux_coef``): the ``aux_k`` largest
  pre-activations among *dead* latents (none fired in the last ``dead_after_tokens`` tokens)
  reconstruct the main reconstruction's error, which brings dead latents back.
* Inputs and targets are divided by a scale each (an SAE: one) so that their mean norm is the square
  root of their width, and the scales are folded back into the weights at the end: one learning
  rate fits every hook of every model.
* Adam, a short linear warm-up, constant learning rate, linear decay over the last 20 % of steps.

Activations are streamed from the model through :func:`~interplay.methods.features.stream.iter_batches`
(the dataset is read in order and wrapped around as often as the steps need) into a buffer of about
``buffer_tokens`` tokens (real, non-BOS tokens only), which is shuffled and cut into batches of
``batch_tokens``; then the buffer is refilled from where the stream stopped. Buffer ``c`` is
shuffled with a generator seeded by ``(seed, c)``, so the whole run is a function of its arguments.

A checkpoint (``checkpoint=DIR``, every ``checkpoint_every`` steps and at the end) holds the
dictionaries, the optimizers, the step, the stream's position, the dead-latent counters and the RNG
state in ``DIR/checkpoint.pt``; with ``resume=True`` a run finds it and continues, giving the same
weights as a run that was never interrupted (the interrupted buffer is recomputed from the stream).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from interplay.backend.dictionaries import SAE, Dictionary, Transcoder
from interplay.backend.splice import hook_width
from interplay.errors import DictionaryError, TaskError
from interplay.methods._common import require_model
from interplay.methods._progress import progress_bar
from interplay.methods.features.metrics import counted_mask
from interplay.methods.features.stream import TokenBatch, iter_batches

if TYPE_CHECKING:
    from interplay.backend.model import Model

CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_FORMAT = "interplay.dictionary_training"
TRAINABLE = ("topk", "relu")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run's result depends on (a checkpoint only resumes a run with the same config)."""

    steps: int = 2000
    batch_tokens: int = 1024
    lr: float = 2e-3
    seed: int = 0
    buffer_tokens: int = 32768
    batch_size: int = 32  #: sequences per forward pass of the model
    seq_len: int | None = None
    aux_k: int | None = None  #: default max(2 k, d_out // 2)
    aux_coef: float = 1 / 32
    dead_after_tokens: int = 20000
    l1_coef: float = 1.0  #: ReLU dictionaries only
    warmup_steps: int | None = None  #: default min(100, steps // 20)

    def check(self) -> None:
        for key in ("steps", "batch_tokens", "buffer_tokens", "batch_size", "dead_after_tokens"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise TaskError(f"{key} must be a positive integer; got {value!r}")
        if self.buffer_tokens < self.batch_tokens:
            raise TaskError(f"buffer_tokens ({self.buffer_tokens}) must be at least batch_tokens ({self.batch_tokens})")
        if not (isinstance(self.lr, float | int) and self.lr > 0):
            raise TaskError(f"lr must be a positive number; got {self.lr!r}")
        if self.aux_coef < 0 or self.l1_coef < 0:
            raise TaskError(f"aux_coef and l1_coef must be >= 0; got {self.aux_coef!r}, {self.l1_coef!r}")

    def lr_at(self, step: int) -> float:
        warm = min(100, self.steps // 20) if self.warmup_steps is None else self.warmup_steps
        decay_from = int(self.steps * 0.8)
        scale = 1.0
        if warm and step < warm:
            scale = (step + 1) / warm
        if step >= decay_from:
            scale = min(scale, (self.steps - step) / max(self.steps - decay_from, 1))
        return float(self.lr) * scale


def train_sae(model: Model, hook: Any, data: Any, *, d_sae: int | None = None, k: int = 32,
              architecture: str = "topk", steps: int = 2000, batch_tokens: int = 1024, lr: float = 2e-3,
              seed: int = 0, checkpoint: str | os.PathLike[str] | None = None, checkpoint_every: int = 500,
              resume: bool = True, progress: bool = True, name: str = "", **options: Any) -> SAE:
    """Train a sparse autoencoder on ``hook`` (one canonical name) over the activations of ``data``.

    ``data``: anything :func:`~interplay.methods.features.stream.iter_batches` reads (texts, a task
    dataset, a ``datasets.Dataset``, token ids). ``d_sae`` defaults to 8 x the hook's width.
    ``architecture``: ``"topk"`` (``k`` latents per token) or ``"relu"`` (L1 penalty ``l1_coef``).
    ``steps`` batches of ``batch_tokens`` tokens. ``checkpoint``: a directory to checkpoint into
    every ``checkpoint_every`` steps; ``resume=True`` continues from it. More options
    (``buffer_tokens``, ``batch_size``, ``seq_len``, ``aux_k``, ``aux_coef``, ``dead_after_tokens``,
    ``l1_coef``, ``warmup_steps``): see :class:`TrainConfig`. Deterministic for a seed.
    """
    model = require_model(model, "train_sae")
    full = _one_hook(model, hook, "hook")
    d_in = _width(model, full)
    sae = SAE(d_in, d_sae if d_sae is not None else 8 * d_in, hook=full, architecture=_architecture(architecture),
              k=k, apply_b_dec_to_input=True, name=name)
    train_dictionaries(model, [sae], data, steps=steps, batch_tokens=batch_tokens, lr=lr, seed=seed,
                       checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume, progress=progress,
                       **options)
    return sae


def train_transcoder(model: Model, layer_or_hooks: int | tuple[Any, Any], data: Any, *, d_sae: int | None = None,
                     k: int = 32, architecture: str = "topk", skip: bool = False, steps: int = 2000,
                     batch_tokens: int = 1024, lr: float = 2e-3, seed: int = 0,
                     checkpoint: str | os.PathLike[str] | None = None, checkpoint_every: int = 500,
                     resume: bool = True, progress: bool = True, name: str = "", **options: Any) -> Transcoder:
    """Train a transcoder: a layer's MLP input -> its output (``layer_or_hooks=L``:
    ``blocks.L.ln2.hook_normalized`` -> ``blocks.L.hook_mlp_out``), or any ``(hook_in, hook_out)``.

    ``skip=True`` adds a linear skip connection, trained with the rest. ``d_sae`` defaults to 4 x the
    input's width. Every other argument as in :func:`train_sae`.
    """
    model = require_model(model, "train_transcoder")
    if isinstance(layer_or_hooks, int) and not isinstance(layer_or_hooks, bool):
        if not -model.cfg.n_layers <= layer_or_hooks < model.cfg.n_layers:
            raise TaskError(f"layer_or_hooks={layer_or_hooks}: the model has layers 0..{model.cfg.n_layers - 1}")
        pair: tuple[Any, Any] = (f"blocks.{layer_or_hooks % model.cfg.n_layers}.ln2.hook_normalized",
                f"blocks.{layer_or_hooks % model.cfg.n_layers}.hook_mlp_out")
    elif isinstance(layer_or_hooks, tuple) and len(layer_or_hooks) == 2:
        pair = layer_or_hooks
    else:
        raise TaskError(f"layer_or_hooks must be a layer number or a (hook_in, hook_out) pair; got {layer_or_hooks!r}")
    hook_in, hook_out = _one_hook(model, pair[0], "hook_in"), _one_hook(model, pair[1], "hook_out")
    d_in, d_out = _width(model, hook_in), _width(model, hook_out)
    tc = Transcoder(d_in, d_sae if d_sae is not None else 4 * d_in, hook_in=hook_in, hook_out=hook_out, d_out=d_out,
                    architecture=_architecture(architecture), k=k, skip=skip, name=name)
    train_dictionaries(model, [tc], data, steps=steps, batch_tokens=batch_tokens, lr=lr, seed=seed,
                       checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume, progress=progress,
                       **options)
    return tc


def train_dictionaries(model: Model, dictionaries: Sequence[Dictionary], data: Any, *,
                       checkpoint: str | os.PathLike[str] | None = None, checkpoint_every: int = 500,
                       resume: bool = True, progress: bool = True, **config: Any) -> list[Dictionary]:
    """Train several dictionaries at once, in place, on the same stream of activations (one forward
    pass of the model per buffer for all of them; each has its own optimizer). Their weights are
    (re)initialised from the seed first, or restored from ``checkpoint``. ``config``: the fields of
    :class:`TrainConfig`. A call interrupted mid-run leaves the dictionaries in their training units:
    call again with the same arguments to resume from the checkpoint."""
    unknown = set(config) - set(TrainConfig.__dataclass_fields__)
    if unknown:
        raise TaskError(f"unknown training options {sorted(unknown)}; accepted: "
                        f"{sorted(TrainConfig.__dataclass_fields__)}")
    cfg = TrainConfig(**config)
    cfg.check()
    if not dictionaries:
        raise TaskError("dictionaries must hold at least one SAE or Transcoder")
    for d in dictionaries:
        if not isinstance(d, Dictionary):
            raise DictionaryError(f"train_dictionaries trains interplay SAEs and Transcoders; got {type(d).__name__}")
        _architecture(d.architecture)
    if not isinstance(checkpoint_every, int) or isinstance(checkpoint_every, bool) or checkpoint_every < 1:
        raise TaskError(f"checkpoint_every must be a positive number of steps; got {checkpoint_every!r}")
    return _Run(model, list(dictionaries), data, cfg, checkpoint, checkpoint_every, resume, progress).train()


# ----------------------------------------------------------------------------------------------- engine
class _Stream:
    """The dataset's batches from sequence ``start`` on, wrapping around at the end (forever)."""

    def __init__(self, model: Model, data: Any, cfg: TrainConfig) -> None:
        self.model, self.cfg = model, cfg
        self.data = list(data) if _one_shot(data) else data  # a one-shot iterator is read once into memory

    def batches(self, start: int) -> Iterator[TokenBatch]:
        while True:
            empty = True
            for batch in iter_batches(self.model, self.data, batch_size=self.cfg.batch_size,
                                      seq_len=self.cfg.seq_len, start=start):
                empty = False
                yield batch
            if empty and start == 0:
                raise TaskError("data holds no token to train on")
            start = 0


class _Run:
    def __init__(self, model: Model, dicts: list[Dictionary], data: Any, cfg: TrainConfig,
                 checkpoint: str | os.PathLike[str] | None, every: int, resume: bool, progress: bool) -> None:
        self.model, self.dicts, self.cfg = model, dicts, cfg
        self.stream = _Stream(model, data, cfg)
        self.dir = None if checkpoint is None else Path(checkpoint)
        self.every, self.resume, self.progress = every, resume, progress
        self.hooks = list(dict.fromkeys(h for d in dicts for h in (d.hook_in, d.hook_out)))
        self.opts = [torch.optim.Adam(d.parameters(), lr=cfg.lr) for d in dicts]
        self.since_fired = [torch.zeros(d.d_sae, dtype=torch.long) for d in dicts]
        self.var = [1.0] * len(dicts)
        self.scales = [(1.0, 1.0)] * len(dicts)  #: (input, output) scale each dictionary trains in
        self.step = self.chunk_index = self.chunk_start = self.offset = 0
        self._buffer: dict[str, torch.Tensor] | None = None
        self._perm: torch.Tensor | None = None
        self._next_start = 0
        self._batches: Iterator[TokenBatch] | None = None

    def describe(self) -> dict[str, Any]:
        cfg = {k: getattr(self.cfg, k) for k in TrainConfig.__dataclass_fields__}
        cfg["dictionaries"] = [
            {"kind": d.kind, "architecture": d.architecture, "k": d.k, "d_in": d.d_in, "d_sae": d.d_sae,
             "d_out": d.d_out, "hook_in": d.hook_in, "hook_out": d.hook_out, "skip": d.W_skip is not None,
             "apply_b_dec_to_input": d.apply_b_dec_to_input}
            for d in self.dicts
        ]
        return cfg

    # -- the stream of buffers ------------------------------------------------------------------------
    def _fill(self) -> None:
        """Buffer ``chunk_index``: the stream from ``chunk_start`` until ``buffer_tokens`` counted tokens."""
        if self._batches is None:
            self._batches = self.stream.batches(self.chunk_start)
        parts: dict[str, list[torch.Tensor]] = {h: [] for h in self.hooks}
        n = restarts = 0
        with torch.no_grad():
            while n < self.cfg.buffer_tokens:
                batch = next(self._batches)
                if n == 0:  # where this buffer starts (0 again when the stream wrapped around)
                    self.chunk_start = int(batch.rows[0])
                    restarts += int(batch.rows[0]) == 0
                    if restarts > 1:
                        raise TaskError("data holds no token to train on besides BOS and padding")
                ids, mask = batch.ids.to(self.model.device), batch.mask.to(self.model.device)
                keep = counted_mask(self.model, ids, mask)
                out = self.model.forward(ids, mask, capture=self.hooks, keep_positions=[0])
                for h in self.hooks:
                    parts[h].append(out.activations[h][keep].float().cpu())
                n += int(keep.sum())
                last = batch
        self._next_start = int(last.rows[-1]) + 1
        self._buffer = {h: torch.cat(v) for h, v in parts.items()}
        gen = torch.Generator().manual_seed(self.cfg.seed * 1_000_003 + self.chunk_index)
        self._perm = torch.randperm(n, generator=gen)

    def _next_batch(self) -> dict[str, torch.Tensor]:
        while True:
            if self._buffer is None:
                self._fill()
            assert self._buffer is not None and self._perm is not None
            bt = self.cfg.batch_tokens
            if (self.offset + 1) * bt <= self._perm.numel():
                idx = self._perm[self.offset * bt:(self.offset + 1) * bt]
                self.offset += 1
                return {h: v[idx] for h, v in self._buffer.items()}
            # next buffer: the stream goes on where this one stopped (the rest of this one is dropped)
            self.chunk_index += 1
            self.chunk_start = self._next_start
            self.offset = 0
            self._buffer = None

    # -- initialisation -----------------------------------------------------------------------------
    def _initialise(self) -> None:
        self._fill()
        assert self._buffer is not None and self._perm is not None
        sample = self._perm[:16384]
        gen = torch.Generator().manual_seed(self.cfg.seed)
        with torch.no_grad():
            for i, d in enumerate(self.dicts):
                device = d.W_dec.device
                x, y = self._buffer[d.hook_in][sample].to(device), self._buffer[d.hook_out][sample].to(device)
                # train in units where a typical activation has norm sqrt(width) (one scale for an SAE)
                a = float(x.norm(dim=-1).mean().clamp_min(1e-12)) / math.sqrt(d.d_in)
                b = a if d.hook_in == d.hook_out else float(y.norm(dim=-1).mean().clamp_min(1e-12)) / math.sqrt(d.d_out)
                self.scales[i] = (a, b)
                x, y = x / a, y / b
                w_dec = torch.randn(d.d_sae, d.d_out, generator=gen)
                w_dec /= w_dec.norm(dim=-1, keepdim=True)
                d.W_dec.copy_(w_dec)
                if d.kind == "sae":
                    d.W_enc.copy_(w_dec.T)
                else:
                    w_enc = torch.randn(d.d_in, d.d_sae, generator=gen)
                    d.W_enc.copy_(w_enc / w_enc.norm(dim=0, keepdim=True))
                d.b_enc.zero_()
                d.b_dec.copy_(geometric_median(y))
                if d.threshold is not None:  # pragma: no cover - jumprelu is refused before
                    d.threshold.zero_()
                if d.W_skip is not None:
                    d.W_skip.zero_()
                # scale the encoder so the first reconstructions have the target's size around b_dec
                first = d.activate(d.pre_activations(x)) @ d.W_dec
                scale = (y - d.b_dec).norm(dim=-1).mean() / first.norm(dim=-1).mean().clamp_min(1e-12)
                d.W_enc.mul_(scale)
                self.var[i] = float(((y - y.mean(0)) ** 2).sum(-1).mean().clamp_min(1e-12))

    # -- checkpoints --------------------------------------------------------------------------------
    def _save(self) -> None:
        assert self.dir is not None
        self.dir.mkdir(parents=True, exist_ok=True)
        state = {
            "format": CHECKPOINT_FORMAT, "version": 1, "config": self.describe(),
            "step": self.step, "chunk_index": self.chunk_index, "chunk_start": self.chunk_start,
            "offset": self.offset, "var": list(self.var), "scales": [list(p) for p in self.scales],
            "dictionaries": [d.state_dict() for d in self.dicts],
            "optimizers": [o.state_dict() for o in self.opts],
            "since_fired": list(self.since_fired),
            "rng": torch.get_rng_state(),
        }
        tmp = self.dir / (CHECKPOINT_FILE + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.dir / CHECKPOINT_FILE)

    def _load(self) -> bool:
        if self.dir is None or not self.resume or not (self.dir / CHECKPOINT_FILE).exists():
            return False
        path = self.dir / CHECKPOINT_FILE
        try:
            state = torch.load(path, weights_only=True)
        except Exception as exc:
            raise DictionaryError(f"checkpoint {str(path)!r} cannot be read ({exc}); delete it or pass resume=False") from exc
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise DictionaryError(f"{str(path)!r} is not an interplay training checkpoint")
        mine, theirs = self.describe(), state["config"]
        if mine != theirs:
            diff = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            raise DictionaryError(
                f"checkpoint {str(path)!r} is of another run (it differs in {', '.join(diff)}); pass the same "
                "arguments to resume it, another checkpoint directory, or resume=False to start over")
        for d, sd in zip(self.dicts, state["dictionaries"], strict=True):
            d.load_state_dict(sd)
        for o, sd in zip(self.opts, state["optimizers"], strict=True):
            o.load_state_dict(sd)
        self.since_fired = [t.clone() for t in state["since_fired"]]
        self.var = [float(v) for v in state["var"]]
        self.scales = [(float(a), float(b)) for a, b in state["scales"]]
        self.step, self.chunk_index = int(state["step"]), int(state["chunk_index"])
        self.chunk_start, self.offset = int(state["chunk_start"]), int(state["offset"])
        torch.set_rng_state(state["rng"])
        # refill the interrupted buffer from the stream and skip the batches it already gave
        if self.step < self.cfg.steps:
            offset = self.offset
            self._fill()
            self.offset = offset
        return True

    # -- the loop -----------------------------------------------------------------------------------
    def train(self) -> list[Dictionary]:
        if not self._load():
            self._initialise()
        for d in self.dicts:
            d.train()
        what = (self.dicts[0].name or self.dicts[0].hook_out) if len(self.dicts) == 1 else f"{len(self.dicts)} dictionaries"
        bar = progress_bar(self.cfg.steps, f"training {what}") if self.progress else None
        if bar is not None:
            bar.update(self.step)
        try:
            while self.step < self.cfg.steps:
                batch = self._next_batch()
                lr = self.cfg.lr_at(self.step)
                losses = [self._step(i, batch, lr) for i in range(len(self.dicts))]
                self.step += 1
                if self.dir is not None and (self.step % self.every == 0 or self.step == self.cfg.steps):
                    self._save()
                if bar is not None:
                    bar.update(1)
                    if self.step % 20 == 0:
                        bar.set_postfix(fve=f"{1 - max(losses):.3f}")
        finally:
            if bar is not None:
                bar.close()
        for i, d in enumerate(self.dicts):
            d.eval()
            _fold(d, *self.scales[i])
        return self.dicts

    def _step(self, i: int, batch: dict[str, torch.Tensor], lr: float) -> float:
        d, opt, cfg = self.dicts[i], self.opts[i], self.cfg
        a, b = self.scales[i]
        x, y = batch[d.hook_in].to(d.W_dec.device) / a, batch[d.hook_out].to(d.W_dec.device) / b
        pre = d.pre_activations(x)
        acts = d.activate(pre)
        recon = d.decode(acts, x)
        mse = ((recon - y) ** 2).sum(-1).mean() / self.var[i]
        loss = mse
        dead = self.since_fired[i] >= cfg.dead_after_tokens
        if d.architecture == "relu":
            loss = loss + cfg.l1_coef * acts.sum(-1).mean() / math.sqrt(self.var[i])
        elif cfg.aux_coef > 0 and bool(dead.any()):
            err = (y - recon).detach()
            aux_k = min(cfg.aux_k or max(2 * (d.k or 32), d.d_out // 2), int(dead.sum()))
            masked = pre.masked_fill(~dead.to(pre.device), float("-inf"))
            values, index = torch.topk(masked, aux_k, dim=-1)
            aux_acts = torch.zeros_like(pre).scatter(-1, index, values.relu())
            err_hat = aux_acts @ d.W_dec
            denom = ((err - err.mean(0)) ** 2).sum(-1).mean().clamp_min(1e-12)
            loss = loss + cfg.aux_coef * ((err_hat - err) ** 2).sum(-1).mean() / denom
        fired = (acts > 0).any(0).cpu()
        self.since_fired[i] += x.shape[0]
        self.since_fired[i][fired] = 0
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        with torch.no_grad():
            w, g = d.W_dec, d.W_dec.grad
            if g is not None:
                g -= (g * w).sum(-1, keepdim=True) * w
            for group in opt.param_groups:
                group["lr"] = lr
            opt.step()
            w.div_(w.norm(dim=-1, keepdim=True).clamp_min(1e-8))
        return float(mse.detach())


# ----------------------------------------------------------------------------------------------- helpers
def _fold(d: Dictionary, a: float, b: float) -> None:
    """Weights trained on ``x / a`` -> ``y / b`` made to read ``x`` and write ``y`` (decoder rows kept unit-norm).

    With acts = b * acts' (TopK and ReLU are positively homogeneous): W_enc and W_skip scale by b / a,
    b_enc and b_dec by b (an SAE has a == b, so its b_dec, subtracted from the input, fits both).
    """
    with torch.no_grad():
        d.W_enc.mul_(b / a)
        d.b_enc.mul_(b)
        d.b_dec.mul_(b)
        if d.W_skip is not None:
            d.W_skip.mul_(b / a)


def geometric_median(points: torch.Tensor, iterations: int = 30, eps: float = 1e-6) -> torch.Tensor:
    """The point minimising the summed distances to ``points`` [n, d] (Weiszfeld's algorithm)."""
    pts = points.double()
    guess = pts.mean(0)
    for _ in range(iterations):
        dist = (pts - guess).norm(dim=-1).clamp_min(eps)
        weights = 1.0 / dist
        new = (weights[:, None] * pts).sum(0) / weights.sum()
        if float((new - guess).norm()) < eps * max(1.0, float(guess.norm())):
            guess = new
            break
        guess = new
    return guess.to(points.dtype)


def _one_shot(data: Any) -> bool:
    try:
        return iter(data) is data
    except TypeError:
        return False


def _architecture(architecture: str) -> str:
    if architecture not in TRAINABLE:
        raise DictionaryError(f"architecture={architecture!r} cannot be trained here; accepted: "
                              f"{', '.join(repr(a) for a in TRAINABLE)} (JumpReLU dictionaries can be loaded, not trained)")
    return architecture


def _one_hook(model: Model, hook: Any, argument: str) -> str:
    names = model.resolve(hook)
    if len(names) != 1:
        raise TaskError(f"{argument}={hook!r} names {len(names)} hook points; a dictionary sits at one, e.g. "
                        f"{names[0]!r}")
    return names[0]


def _width(model: Model, hook: str) -> int:
    """The width a dictionary at ``hook`` reads or writes (from the model's config, no forward pass)."""
    width = hook_width(model.layout, hook)
    if width is None:
        raise TaskError(f"{hook!r} cannot hold a dictionary (an attention pattern or per-head result); train on "
                        "resid_post, mlp_in, mlp_out, attn_out, z or post")
    return width
