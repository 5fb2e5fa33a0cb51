"""Loading a Hugging Face model, and running it with canonical hooks."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from interplay import checks
from interplay.backend import arguments
from interplay.backend.adapters import get_adapter
from interplay.backend.hooks import (
    AttentionRoute,
    Intervention,
    Registration,
    check_intervention,
    hooked,
    module_hooks,
)
from interplay.backend.layout import Layout, ModelConfig
from interplay.backend.names import NameLike, resolve
from interplay.backend.splice import Dictionaries, Splice, plan_splice, record_order
from interplay.backend.tokens import Batch, tokenize
from interplay.backend.trace import Trace
from interplay.data.tokens import token_strings
from interplay.errors import DictionaryError, HookNameError, InterplayError, PromptError, ShapeError

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
        if not isinstance(hf_model, nn.Module):
            raise InterplayError(f"model must be a torch model object (a Hugging Face PreTrainedModel); got "
                                 f"{hf_model!r:.80} (a {type(hf_model).__name__})")
        config: Any = getattr(hf_model, "config", None)
        if config is None or not isinstance(getattr(config, "model_type", None), str) or not config.model_type:
            raise InterplayError(
                f"model={type(hf_model).__name__} has no Hugging Face config (.config.model_type): interplay reads "
                "its architecture from it; accepted: a transformers PreTrainedModel (e.g. AutoModelForCausalLM."
                "from_pretrained(...)), or a torch.nn.Module with a .config whose model_type has an adapter "
                "(interplay.register_adapter)")
        if tokenizer is None:
            raise InterplayError("tokenizer=None: a model object needs its tokenizer, which it does not carry; "
                                 "accepted: interplay.load(model, tokenizer) with a Hugging Face tokenizer")
        _check_tokenizer(tokenizer)
        _check_vocab(hf_model, tokenizer)
        self.hf_model = hf_model.eval()
        self.tokenizer = tokenizer
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
        if prepend_bos is not None:
            checks.flag("prepend_bos", prepend_bos, error=PromptError)
        return tokenize(self.tokenizer, _as_list(prompts), self.cfg.n_ctx, prepend_bos)

    def to_str_tokens(self, prompt: str, *, prepend_bos: bool | None = None) -> list[str]:
        checks.prompts("prompt", prompt, single=True)
        batch = self.tokenize(prompt, prepend_bos=prepend_bos)
        return token_strings(self.tokenizer, batch.token_ids[0].tolist())

    def resolve(self, names: NameLike | Iterable[NameLike], *, argument: str | None = None) -> list[str]:
        """Full canonical names for user names (short, full, (short, layer)); 'all' means every one
        except the memory-hungry per-head ``attn.hook_result``. ``argument``: the name of the user's
        argument the names came in (``"capture"``), which an error then names."""
        if isinstance(names, str) or (isinstance(names, tuple) and len(names) == 2 and isinstance(names[0], str)
                                      and isinstance(names[1], int)):
            names = [names]
        elif isinstance(names, (Mapping, bytes, bytearray)) or not isinstance(names, Iterable):
            raise HookNameError(
                f"{argument or 'names'} must be an activation name ('resid_post', ('pattern', 3), "
                f"'blocks.0.hook_resid_post', 'all') or a list of them; got {names!r:.80} (a {type(names).__name__})")
        out: list[str] = []
        for n in names:
            try:
                if n == "all":
                    out.extend(x for x in self.layout.names if not x.endswith("attn.hook_result"))
                else:
                    out.extend(resolve(n, self.cfg.n_layers, self.layout.names))
            except HookNameError as exc:
                if argument is None:
                    raise
                raise type(exc)(f"{argument}: {exc}") from None
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
        grad = checks.flag("grad", grad)
        keep_detached = (not grad) if detach is None else checks.flag("detach", detach)
        self._check_ids(ids, mask)
        splice = plan_splice(self.layout, self.resolve, dictionaries, include_error=include_error, detach=keep_detached)
        names = set(self.resolve(_not_records(() if capture is None else capture, splice), argument="capture"))
        by_name = self._interventions(interventions, splice)
        device = self.device
        ids = ids.to(device)
        kwargs: dict[str, Any] = {"input_ids": ids}
        if mask is not None:
            kwargs["attention_mask"] = mask.to(device)
        if self.layout.accepts_use_cache:
            kwargs["use_cache"] = False
        keep = None if keep_positions is None else _positions(keep_positions, ids.shape, device)
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
        prompts = checks.prompts("prompts", prompts)
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
        if not isinstance(x, torch.Tensor) or x.ndim < 1 or x.shape[-1] != self.cfg.d_model:
            got = f"shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else f"a {type(x).__name__}"
            raise ShapeError(f"unembed(x): x must be a tensor of residual vectors [..., d_model={self.cfg.d_model}]; "
                             f"got {got}")
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
        accepted = "accepted: (name, fn) pairs or a {name: fn} dict, e.g. [(('z', 1), fn)], fn(activation, name)"
        if interventions is None:
            interventions = ()
        if callable(interventions):
            raise InterplayError(f"interventions={interventions!r:.60} is a bare function with no name to attach it "
                                 f"to; {accepted}")
        if isinstance(interventions, (str, bytes)) or not isinstance(interventions, Iterable):
            raise InterplayError(f"interventions={interventions!r:.60} (a {type(interventions).__name__}) is not a "
                                 f"list of interventions; {accepted}")
        pairs = interventions.items() if isinstance(interventions, Mapping) else interventions
        by_name: dict[str, list[Intervention]] = {}
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InterplayError(f"interventions holds {pair!r:.60}, which is not a (name, fn) pair; {accepted}")
            key, fns = pair
            for candidate in (fns if isinstance(fns, (list, tuple)) else [fns]):
                fn = check_intervention(key, candidate)
                if splice is not None and key in splice.latent_names:
                    splice.latent_interventions.setdefault(key, []).append(fn)
                    continue
                if isinstance(key, str) and key.endswith((".sae.acts", ".transcoder.acts")):
                    have = ", ".join(sorted(splice.latent_names)) if splice is not None and splice.latent_names else "none"
                    raise DictionaryError(f"the intervention on {key!r} edits a dictionary's latents: pass that "
                                          f"dictionary in dictionaries= (spliced latents here: {have})")
                for full in self.resolve(key, argument="interventions"):
                    by_name.setdefault(full, []).append(fn)
        for name, fns in (splice.interventions.items() if splice is not None else ()):
            by_name.setdefault(name, []).extend(fns)
        return by_name


    def _check_ids(self, ids: Any, mask: Any) -> None:
        """Token ids a forward pass can take: [batch, pos] integers inside the embedding table and the
        context; a mask of the same shape."""
        if not isinstance(ids, torch.Tensor) or ids.ndim != 2 or ids.dtype.is_floating_point or ids.dtype == torch.bool \
                or ids.is_complex():
            what = f"a {ids.ndim}-D {ids.dtype} tensor" if isinstance(ids, torch.Tensor) else f"a {type(ids).__name__}"
            raise ShapeError(f"ids must be a 2-D integer tensor [batch, pos] of token ids; got {what}")
        if ids.numel() == 0:
            raise ShapeError(f"ids has shape {tuple(ids.shape)}: at least one prompt of at least one token is needed")
        n_vocab = _embedding_rows(self.hf_model)
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or (n_vocab is not None and high >= n_vocab):
            bad = low if low < 0 else high
            raise PromptError(f"ids holds the token id {bad}, outside the model's embedding table: accepted ids are "
                              f"0..{(n_vocab or 0) - 1} (is the tokenizer another model's?)")
        if self.cfg.n_ctx is not None and ids.shape[1] > self.cfg.n_ctx:
            raise PromptError(f"ids has {ids.shape[1]} positions, but the model's context is {self.cfg.n_ctx} "
                              "tokens; accepted: at most that many")
        if mask is not None and (not isinstance(mask, torch.Tensor) or tuple(mask.shape) != tuple(ids.shape)):
            got = tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise ShapeError(f"mask must be a tensor of the ids' shape {tuple(ids.shape)} (1 = a real token); got {got}")


def _embedding_rows(hf_model: nn.Module) -> int | None:
    getter: Any = getattr(hf_model, "get_input_embeddings", None)
    emb = getter() if callable(getter) else None
    rows = getattr(emb, "num_embeddings", None)
    return rows if isinstance(rows, int) else None


def _positions(keep: Any, shape: torch.Size, device: torch.device) -> torch.Tensor:
    """``keep_positions`` as a long tensor, every position inside the sequence (negative ones count from the end)."""
    try:
        t = torch.as_tensor(keep, device=device)
    except (TypeError, ValueError, RuntimeError):
        t = None
    if t is not None and t.numel() == 0:
        t = t.long()  # no position at all (torch.as_tensor([]) is float32)
    n_pos = shape[1]
    if t is None or t.dtype.is_floating_point or t.dtype == torch.bool or t.ndim not in (1, 2) \
            or (t.ndim == 2 and t.shape[0] != shape[0]):
        raise ShapeError(f"keep_positions must be a list or 1-D tensor of positions, or a [batch={shape[0]}, k] "
                         f"tensor; got {keep!r:.80}")
    if t.numel() and (int(t.min()) < -n_pos or int(t.max()) >= n_pos):
        raise ShapeError(f"keep_positions holds {int(t.max()) if int(t.max()) >= n_pos else int(t.min())}, outside "
                         f"the sequence: accepted positions are 0..{n_pos - 1} (or -{n_pos}..-1)")
    return t.long() % n_pos


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
    return checks.prompts("prompts", prompts)


def default_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


#: keyword arguments of ``from_pretrained`` that ``load`` passes through (besides the config's own fields)
_FROM_PRETRAINED = frozenset({
    "revision", "trust_remote_code", "cache_dir", "local_files_only", "token", "attn_implementation",
    "low_cpu_mem_usage", "quantization_config", "subfolder", "force_download", "use_safetensors", "variant",
    "max_memory", "offload_folder", "offload_state_dict", "proxies", "output_loading_info", "code_revision",
    "tp_plan", "key_mapping", "weights_only", "adapter_name", "adapter_kwargs",
})
#: those of them that reading the config needs too
_CONFIG_OPTIONS = frozenset({"revision", "trust_remote_code", "cache_dir", "local_files_only", "token", "subfolder",
                             "force_download", "proxies", "code_revision"})


def _check_tokenizer(tokenizer: Any) -> None:
    if isinstance(tokenizer, (str, os.PathLike)):
        raise InterplayError(
            f"tokenizer={os.fspath(tokenizer)!r} is a name, not a tokenizer: pass the tokenizer object, e.g. "
            f"transformers.AutoTokenizer.from_pretrained({os.fspath(tokenizer)!r}), or leave it out when "
            "loading by name (load('gpt2') loads the model's own)")
    missing = [a for a in ("convert_ids_to_tokens", "decode") if not callable(getattr(tokenizer, a, None))]
    if not callable(tokenizer) or missing:
        raise InterplayError(
            f"tokenizer={tokenizer!r:.80} (a {type(tokenizer).__name__}) is not a tokenizer: accepted: a Hugging Face "
            "tokenizer (callable, with convert_ids_to_tokens and decode), e.g. AutoTokenizer.from_pretrained(name)")


def _check_vocab(hf_model: nn.Module, tokenizer: Any) -> None:
    """The tokenizer's ids must all fit the model's embedding table (another model's tokenizer does not)."""
    rows = _embedding_rows(hf_model)
    try:
        size = len(tokenizer)
    except TypeError:
        return
    if isinstance(rows, int) and size > rows:
        raise InterplayError(
            f"tokenizer has {size} tokens but the model's embedding table has {rows} rows: this is the tokenizer "
            f"of another model (its ids >= {rows} would index past the table); accepted: the model's own tokenizer, "
            "with at most as many tokens as the embedding has rows")


def _local_path(source: str) -> Path | None:
    """``source`` as a local directory, None where it reads as a hub id ("gpt2", "EleutherAI/pythia-70m");
    a path that cannot be a hub id and does not exist is an error, not a hub lookup."""
    path = Path(source).expanduser()
    looks_local = (path.is_absolute() or source.startswith((".", "~")) or source.count("/") > 1
                   or "\\" in source or source.endswith("/"))
    if path.exists():
        if not path.is_dir():
            raise InterplayError(f"model={source!r} is a file; accepted: a model directory (holding config.json), "
                                 "a hub name such as 'gpt2', a model object, or 'demo'")
        if not (path / "config.json").exists():
            raise InterplayError(f"model={source!r} is a directory without config.json; accepted: a directory "
                                 "saved by save_pretrained, a hub name such as 'gpt2', a model object, or 'demo'")
        return path
    if looks_local:
        raise InterplayError(f"model={source!r} does not exist (it is a local path, not a hub name); accepted: an "
                             "existing model directory, a hub name such as 'gpt2', a model object, or 'demo'")
    return None


def _check_options(options: Mapping[str, Any], config: Any) -> None:
    unknown = [k for k in options if k not in _FROM_PRETRAINED and not hasattr(config, k)]
    if not unknown:
        return
    import difflib

    known = sorted(_FROM_PRETRAINED | {"device", "dtype", "device_map"})
    key = unknown[0]
    close = difflib.get_close_matches(key.removeprefix("torch_"), known, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise InterplayError(f"load() got an unknown option {key}={options[key]!r:.60}: it is neither a from_pretrained "
                         f"argument nor a field of the model's config.{hint} Accepted: {', '.join(known)}, or a "
                         "config field")


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
    ``device_map`` passes through to accelerate (for models larger than one GPU). Other keyword
    arguments go to ``from_pretrained`` (a name or a directory only; a model object takes none).
    """
    if model is not None and not isinstance(model, (str, os.PathLike, nn.Module)):
        raise InterplayError(f"model must be a hub name such as 'gpt2', a local directory, a torch model object or "
                             f"'demo'; got {model!r:.80} (a {type(model).__name__})")
    dev = arguments.device("device", device) if device is not None else default_device()
    torch_dtype = arguments.dtype("dtype", dtype) if dtype is not None else None
    if torch_dtype is None:
        torch_dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
    if tokenizer is not None:
        _check_tokenizer(tokenizer)
    if isinstance(model, nn.Module):
        extra = {**from_pretrained_kwargs, **({"device_map": device_map} if device_map is not None else {})}
        if extra:
            key = next(iter(extra))
            raise InterplayError(
                f"load(model_object, {key}={extra[key]!r:.60}): {key} is a from_pretrained option and means nothing "
                "for a model object that is already loaded; accepted with a model object: tokenizer, device, dtype")
        wrapped = Model(model, tokenizer)  # checks the model and tokenizer before anything moves
        if device is not None or dtype is not None:
            model.to(device=dev if device is not None else None, dtype=torch_dtype if dtype is not None else None)
        return wrapped
    if model is None or str(model) == "demo":
        if not (DEMO_MODEL_DIR / "config.json").exists():
            raise InterplayError(f"the demo model is missing at {DEMO_MODEL_DIR}: run scripts/train_demo_model.py")
        source: str = str(DEMO_MODEL_DIR)
        name = "demo"
    else:
        source = os.fspath(model)
        if not isinstance(source, str) or not source.strip():
            raise InterplayError(f"model={source!r} is empty; accepted: a hub name such as 'gpt2', a local "
                                 "directory, a model object, or 'demo' (or nothing) for the demo model")
        local = _local_path(source)
        source = str(local) if local is not None else source
        name = os.fspath(model)
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

    try:
        config = AutoConfig.from_pretrained(source, **{k: v for k, v in from_pretrained_kwargs.items() if k in _CONFIG_OPTIONS})
    except (OSError, ValueError) as exc:
        raise InterplayError(f"model={name!r} could not be read as a local directory or fetched as a hub name "
                             f"({type(exc).__name__}: {exc}); accepted: an existing model directory, a hub name "
                             "such as 'gpt2' (online, or in the local cache), a model object, or 'demo'") from None
    get_adapter(str(config.model_type))  # a clear error before loading weights of an unsupported family
    _check_options(from_pretrained_kwargs, config)
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
