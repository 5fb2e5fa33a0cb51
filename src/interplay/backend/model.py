"""Loading a Hugging Face model, and running it with canonical hooks."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from interplay.backend.adapters import get_adapter
from interplay.backend.hooks import AttentionRoute, Intervention, Registration, hooked, module_hooks
from interplay.backend.layout import Layout, ModelConfig
from interplay.backend.names import NameLike, resolve
from interplay.backend.splice import Dictionaries, Splice, plan_splice, record_order
from interplay.backend.tokens import Batch, tokenize
from interplay.backend.trace import Trace
from interplay.data.tokens import token_strings
from interplay.errors import DictionaryError, InterplayError, PromptError

#: ``(name, fn)`` pairs, or ``{name: fn or [fn, ...]}`` (names in any form ``Model.resolve`` takes)
Interventions = Iterable[tuple[NameLike, Intervention]] | Mapping[Any, Intervention | Sequence[Intervention]]


class Forward(NamedTuple):
    """What :meth:`Model.forward` returns: the logits (at the kept positions) and the captures."""

    logits: torch.Tensor | None
    activations: dict[str, torch.Tensor]


DEMO_MODEL_DIR = Path(__file__).resolve().parents[1] / "assets" / "demo-model"
_ENCODER_TYPES = ("bert", "roberta")


class Model:
    """A Hugging Face model with its tokenizer and architecture adapter.

    ``model.run(prompts, capture=[...])`` runs one forward pass and returns a :class:`Trace`.
    The wrapped model is never modified: hooks exist only during a run.
    """

    def __init__(self, hf_model: nn.Module, tokenizer: Any, *, name: str | None = None) -> None:
        if tokenizer is None:
            raise InterplayError("a model object needs its tokenizer: interplay.load(model, tokenizer)")
        self.hf_model = hf_model.eval()
        self.tokenizer = tokenizer
        config: Any = hf_model.config
        self.adapter = get_adapter(str(config.model_type))
        self.layout = Layout(hf_model, self.adapter)
        self.cfg: ModelConfig = self.layout.cfg
        self.name = name or getattr(hf_model.config, "_name_or_path", "") or type(hf_model).__name__

    @property
    def device(self) -> torch.device:
        return next(self.hf_model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.hf_model.parameters()).dtype

    @property
    def hook_names(self) -> list[str]:
        """Every canonical activation name this model has, in forward order."""
        return list(self.layout.names)

    def __repr__(self) -> str:
        c = self.cfg
        return (f"Model({self.name!r}, {c.model_type}: {c.n_layers} layers x {c.n_heads} heads, "
                f"d_model={c.d_model}, device={self.device}, dtype={self.dtype})")

    def tokenize(self, prompts: str | Sequence[str], *, prepend_bos: bool | None = None) -> Batch:
        return tokenize(self.tokenizer, _as_list(prompts), self.cfg.n_ctx, prepend_bos)

    def to_str_tokens(self, prompt: str, *, prepend_bos: bool | None = None) -> list[str]:
        batch = self.tokenize(prompt, prepend_bos=prepend_bos)
        return token_strings(self.tokenizer, batch.token_ids[0].tolist())

    def resolve(self, names: NameLike | Iterable[NameLike]) -> list[str]:
        """Full canonical names for user names (short, full, (short, layer)); 'all' means every one
        except the memory-hungry per-head ``attn.hook_result``."""
        if isinstance(names, str) or (
            isinstance(names, tuple) and len(names) == 2 and isinstance(names[0], str) and isinstance(names[1], int)
        ):
            names = [names]
        out: list[str] = []
        for n in names:
            if n == "all":
                out.extend(x for x in self.layout.names if not x.endswith("attn.hook_result"))
            else:
                out.extend(resolve(n, self.cfg.n_layers, self.layout.names))
        return list(dict.fromkeys(out))

    def forward(
        self,
        ids: torch.Tensor,
        mask: torch.Tensor | None = None,
        *,
        keep_positions: Sequence[int] | torch.Tensor | None = None,
        capture: NameLike | Iterable[NameLike] = (),
        interventions: Interventions = (),
        grad: bool = False,
        detach: bool | None = None,
        hooks: Sequence[Registration | AttentionRoute] = (),
        dictionaries: Dictionaries | None = None,
        include_error: bool = True,
    ) -> Forward:
        """One forward pass of token ids: the engine under :meth:`run` and every method.

        ``ids``/``mask``: [batch, pos] (any device; moved to the model's); ``mask`` None means every
        token is real. ``keep_positions``: compute logits only there: None = every position
        ([batch, pos, vocab]); a list or 1-D tensor = the same positions of every row
        ([batch, k, vocab]); a 2-D tensor [batch, k] = positions per row ([batch, k, vocab]).
        ``capture``/``interventions`` as in :meth:`run`. ``grad``: run with autograd; captured
        activations then stay in the graph unless ``detach=True``. ``hooks``: module-level hooks of a
        method's own (:class:`~interplay.backend.hooks.Registration`, and at most one
        :class:`~interplay.backend.hooks.AttentionRoute`), held for this pass only.
        ``dictionaries``/``include_error``: SAEs and transcoders spliced in, as in :meth:`run`. Every
        hook is removed on the way out, whatever raised.
        """
        keep_detached = (not grad) if detach is None else detach
        splice = plan_splice(self.layout, self.resolve, dictionaries, include_error=include_error, detach=keep_detached)
        names = set(self.resolve(_not_records(capture, splice)))
        by_name = self._interventions(interventions, splice)
        device = self.device
        ids = ids.to(device)
        kwargs: dict[str, Any] = {"input_ids": ids}
        if mask is not None:
            kwargs["attention_mask"] = mask.to(device)
        if self.layout.accepts_use_cache:
            kwargs["use_cache"] = False
        keep = None if keep_positions is None else torch.as_tensor(keep_positions, dtype=torch.long, device=device)
        if keep is not None and self.layout.keeps_logits:
            kwargs["logits_to_keep"] = keep
        if any(isinstance(h, AttentionRoute) for h in hooks) and any(
                n.rsplit(".", 1)[-1] in ("hook_q", "hook_k", "hook_v", "hook_pattern") for n in names | set(by_name)):
            raise InterplayError("a method's own attention route cannot be combined with capturing or intervening "
                                 "on q, k, v or the pattern in the same pass")
        with hooked(self.layout, names | set(by_name), names, by_name, detach=keep_detached) as store, \
                module_hooks(hooks, self.hf_model), torch.set_grad_enabled(grad):
            out = self.hf_model(**kwargs)
        logits = getattr(out, "logits", None)
        if logits is not None and keep is not None and "logits_to_keep" not in kwargs:
            logits = logits[:, keep] if keep.ndim == 1 else logits[torch.arange(ids.shape[0], device=device)[:, None], keep]
        if logits is not None and keep_detached:
            logits = logits.detach()
        records = {**store, **splice.store}
        return Forward(logits, dict(sorted(records.items(), key=lambda kv: record_order(self.layout, splice, kv[0]))))

    def run(
        self,
        prompts: str | Sequence[str],
        capture: NameLike | Iterable[NameLike] = (),
        *,
        interventions: Interventions = (),
        prepend_bos: bool | None = None,
        grad: bool = False,
        detach: bool = True,
        dictionaries: Dictionaries | None = None,
        include_error: bool = True,
    ) -> Trace:
        """Run ``prompts`` (a string, or a list padded on the right) through the model.

        ``capture``: names to keep (``"resid_post"`` = every layer, ``("pattern", 3)``, full names,
        ``"all"``). ``interventions``: ``(name, fn)`` pairs, ``fn(activation, name)`` returning the
        replacement (same shape) or ``None``. ``grad=True`` runs with autograd (for attributions).

        ``dictionaries``: SAEs and transcoders to splice in (``{hook: sae}``, ``[sae, transcoder]``
        or one): the trace gains ``f"{hook}.sae.acts"`` / ``.sae.recon`` / ``.sae.error`` (a
        transcoder: ``f"{hook_out}.transcoder.acts"`` ...). ``include_error=True`` keeps the model's
        own values (recon + error: the plain model's logits); ``False`` runs it on the
        reconstruction. An intervention on ``f"{hook}.sae.acts"`` edits the latents before decoding.
        See :mod:`interplay.backend.splice`.
        """
        batched = not isinstance(prompts, str)
        batch = self.tokenize(prompts, prepend_bos=prepend_bos)
        out = self.forward(batch.token_ids, batch.attention_mask, capture=capture, interventions=interventions,
                           grad=grad, detach=detach, dictionaries=dictionaries, include_error=include_error)
        return Trace(
            model=self,
            prompts=_as_list(prompts),
            token_ids=batch.token_ids,
            attention_mask=batch.attention_mask,
            lengths=batch.lengths,
            logits=out.logits,
            activations=out.activations,
            batched=batched,
            str_tokens=[token_strings(self.tokenizer, batch.token_ids[i, :n].tolist()) for i, n in enumerate(batch.lengths)],
        )

    def unembed(self, x: torch.Tensor) -> torch.Tensor:
        """Logits from (normalised) residual vectors [..., d_model], softcapped as the family does."""
        module = self.layout.unembed()
        if module is None:
            raise InterplayError(f"{self.cfg.model_type} has no unembedding (an encoder without an LM head)")
        logits: torch.Tensor = module(x.to(self.dtype))
        cap = self.layout.logit_softcap
        return cap * torch.tanh(logits / cap) if cap else logits

    def final_norm(self) -> nn.Module:
        norm = self.layout.final_norm()
        if norm is None:
            raise InterplayError(f"{self.cfg.model_type} has no final norm")
        return norm

    def _interventions(self, interventions: Interventions, splice: Splice | None = None) -> dict[str, list[Intervention]]:
        """Interventions by full name; those on a spliced dictionary's latents go to ``splice``, and
        its own interventions come after the user's at each hook."""
        if callable(interventions):
            raise InterplayError("interventions must be (name, fn) pairs or a {name: fn} dict, e.g. "
                                 "[(('z', 1), fn)]; got a bare function with no name to attach it to")
        pairs = interventions.items() if isinstance(interventions, Mapping) else interventions
        by_name: dict[str, list[Intervention]] = {}
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InterplayError(f"each intervention is a (name, fn) pair; got {pair!r}")
            key, fns = pair
            for fn in (fns if isinstance(fns, (list, tuple)) else [fns]):
                if not callable(fn):
                    raise InterplayError(f"the intervention for {key!r} is a {type(fn).__name__}, not a function")
                if splice is not None and key in splice.latent_names:
                    splice.latent_interventions.setdefault(key, []).append(fn)
                    continue
                if isinstance(key, str) and key.endswith((".sae.acts", ".transcoder.acts")):
                    have = ", ".join(sorted(splice.latent_names)) if splice is not None and splice.latent_names else "none"
                    raise DictionaryError(f"the intervention on {key!r} edits a dictionary's latents: pass that "
                                          f"dictionary in dictionaries= (spliced latents here: {have})")
                for full in self.resolve(key):
                    by_name.setdefault(full, []).append(fn)
        for name, fns in (splice.interventions.items() if splice is not None else ()):
            by_name.setdefault(name, []).extend(fns)
        return by_name


def _not_records(capture: NameLike | Iterable[NameLike], splice: Splice) -> NameLike | Iterable[NameLike]:
    """``capture`` without the names of a dictionary's records (those are always kept)."""
    if not splice.anchors:
        return capture
    if isinstance(capture, str):
        return () if _is_record(capture, splice) else capture
    if isinstance(capture, tuple) and len(capture) == 2 and isinstance(capture[1], int):
        return capture
    return [n for n in capture if not (isinstance(n, str) and _is_record(n, splice))]


def _is_record(name: str, splice: Splice) -> bool:
    return any(name.startswith(prefix + ".") for prefix in splice.anchors)


def _as_list(prompts: str | Sequence[str]) -> list[str]:
    if isinstance(prompts, str):
        return [prompts]
    if not isinstance(prompts, Sequence):
        raise PromptError(f"prompts must be a string or a list of strings, not {type(prompts).__name__}")
    return list(prompts)


def default_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def load(
    model: str | os.PathLike[str] | nn.Module | None = None,
    tokenizer: Any = None,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype | str | None = None,
    device_map: str | Mapping[str, Any] | None = None,
    **from_pretrained_kwargs: Any,
) -> Model:
    """Load a model: an HF hub name, a local directory, a model object (with ``tokenizer``), or
    nothing / ``"demo"`` for the bundled demo model (offline).

    Device: CUDA if present, else MPS, else CPU; dtype bf16 on CUDA, float32 elsewhere.
    ``device_map`` passes through to accelerate (for models larger than one GPU).
    """
    dev = torch.device(device) if device is not None else default_device()
    torch_dtype: torch.dtype | None = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    if torch_dtype is None:
        torch_dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
    if isinstance(model, nn.Module):
        if device is not None or dtype is not None:
            model = model.to(device=dev if device is not None else None, dtype=torch_dtype if dtype is not None else None)
        return Model(model, tokenizer)
    if model is None or str(model) == "demo":
        if not (DEMO_MODEL_DIR / "config.json").exists():
            raise InterplayError(f"the demo model is missing at {DEMO_MODEL_DIR}: run scripts/train_demo_model.py")
        source: str = str(DEMO_MODEL_DIR)
        name = "demo"
    else:
        source = os.fspath(model)
        name = source
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

    config = AutoConfig.from_pretrained(source)
    get_adapter(str(config.model_type))  # a clear error before loading weights of an unsupported family
    if config.model_type in _ENCODER_TYPES:
        archs = getattr(config, "architectures", None) or []
        auto: Any = AutoModelForMaskedLM if any("MaskedLM" in a for a in archs) else AutoModel
    else:
        auto = AutoModelForCausalLM
    kwargs: dict[str, Any] = {"dtype": torch_dtype, **from_pretrained_kwargs}
    if device_map is not None:
        kwargs["device_map"] = device_map
    hf_model = auto.from_pretrained(source, **kwargs)
    if device_map is None:
        hf_model = hf_model.to(dev)
    tok = tokenizer if tokenizer is not None else AutoTokenizer.from_pretrained(source)
    return Model(hf_model, tok, name=name)
