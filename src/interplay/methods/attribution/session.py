"""The entry points (:func:`attribute`, :func:`attribute_generation`), the run of a registered method
into an :class:`~interplay.data.attribution.AttributionData`, and the live session behind a result
and its view (another token, method, score or contrast on demand)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from interplay import checks
from interplay._deprecation import positional_options
from interplay.data.attribution import AttributionData
from interplay.data.tokens import token_strings
from interplay.errors import InterplayError, PromptError, ShapeError
from interplay.methods._common import require_model, single_token_id, token_label
from interplay.methods.attribution.engine import (
    SCORES,
    AttributionContext,
    LogitFn,
    Progress,
    Target,
    forward,
    get_method,
    list_methods,
    values_at,
)
from interplay.results.attribution import AttributionResult

if TYPE_CHECKING:
    from interplay.backend.model import Model

TargetLike = str | int | tuple[str | int, str | int] | Callable[[torch.Tensor], torch.Tensor] | None


def make_target(model: Model, target: TargetLike, position: int, *, score: str = "logit",
                predicted: int | None = None) -> Target:
    """A :class:`Target` from the user's ``target`` (None: ``predicted``, the model's own top token)."""
    if score not in SCORES:
        raise InterplayError(f"score must be one of {SCORES}, got {score!r}")
    if callable(target):
        name = getattr(target, "__name__", "f")
        return Target(position=position, label=f"{'f' if name == '<lambda>' else name}(logits)", fn=target)
    contrast: int | None = None
    if isinstance(target, (tuple, list)):
        if len(target) != 2:
            raise InterplayError(f"a logit-difference target is (token, other_token), got {len(target)} items")
        target, other = target
        contrast = single_token_id(model, other, "target")
    if target is None:
        if predicted is None:
            raise InterplayError("target=None needs the model's prediction")
        tid = predicted
    else:
        tid = single_token_id(model, target, "target")
    label = f"{score}({token_label(model, tid)!r})"
    if contrast is not None:
        label += f" - {score}({token_label(model, contrast)!r})"
    return Target(position=position, label=f"{label} at pos {position}", token_id=tid, contrast_id=contrast, score=score)


def _plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A method's recorded settings as JSON values (a tensor or array becomes ``"tensor"``)."""
    return {k: "tensor" if hasattr(v, "shape") and not np.isscalar(v) else v.item() if isinstance(v, np.generic) else v
            for k, v in params.items()}


def compute(model: Model, ids: torch.Tensor, targets: Sequence[Target], method: str, *,
            progress: bool | Progress = False, n_prompt: int | None = None, **params: Any) -> AttributionData:
    """Run a registered method on token ids [pos] for ``targets``: the data covers every id."""
    spec = get_method(method)
    sig = inspect.signature(spec.fn)
    if "steps" in params and "n_steps" in sig.parameters:
        params["n_steps"] = params.pop("steps")
    unknown = [k for k in params if k not in sig.parameters or k == "ctx"]
    if unknown:
        allowed = [k for k in sig.parameters if k != "ctx"]
        raise InterplayError(f"{spec.name} got unexpected parameter(s) {unknown}; it takes {allowed}")
    n = int(ids.shape[0])
    for t in targets:
        if not 0 <= t.position < n:
            raise InterplayError(f"position {t.position} is out of range for {n} tokens")
    causal = model.cfg.causal
    # causal: positions after the last target cannot influence it; do not compute them
    cut = n if not causal or any(t.fn is not None for t in targets) else max(t.position for t in targets) + 1
    ctx = AttributionContext(model=model, ids=ids[:cut].cpu(), targets=tuple(targets), progress=progress)
    out = spec.fn(ctx, **params)
    scores = np.full((len(targets), n), np.nan, dtype=np.float32)
    s = out.scores.detach().float().cpu().numpy()
    if s.shape != (len(targets), cut):
        raise ShapeError(f"method {spec.name!r} returned scores of shape {s.shape}, expected {(len(targets), cut)}")
    for r, t in enumerate(targets):
        last = cut if not causal or t.fn is not None else t.position + 1
        scores[r, :last] = s[r, :last]
    f_x = (out.target_values if out.target_values is not None else values_at(model, ctx.ids, None, ctx.targets)).numpy()
    f_b = out.baseline_values.numpy() if out.baseline_values is not None else None
    delta = (np.nansum(scores, axis=1) - (f_x - f_b)).astype(np.float32) if f_b is not None else None
    line = [int(i) for i in ids.tolist()]
    last_t = targets[-1]
    if causal and last_t.position == n - 1 and last_t.token_id is not None:
        line.append(last_t.token_id)  # the explained token ends the line
    return AttributionData(
        tokens=token_strings(model.tokenizer, line), token_ids=np.asarray(line, np.int64),
        n_prompt=n if n_prompt is None else n_prompt, n_input=n, scores=scores,
        target_labels=[t.label for t in targets], target_positions=np.asarray([t.position for t in targets], np.int64),
        target_ids=np.asarray([-1 if t.token_id is None else t.token_id for t in targets], np.int64),
        contrast_ids=np.asarray([-1 if t.contrast_id is None else t.contrast_id for t in targets], np.int64),
        contrast_tokens=["" if t.contrast_id is None else token_label(model, t.contrast_id) for t in targets],
        score_kinds=[t.score for t in targets], method=spec.name, params=_plain_params(out.params),
        signed=spec.signed, target_values=f_x, baseline_values=f_b, delta=delta, notes=list(out.notes))


def run_method(model: Model, ids: torch.Tensor, targets: Sequence[Target], method: str, *,
               progress: bool | Progress = False, n_prompt: int | None = None, **params: Any) -> AttributionResult:
    """:func:`compute`, as a result with its live session."""
    data = compute(model, ids, targets, method, progress=progress, n_prompt=n_prompt, **params)
    return AttributionResult(data, AttributionSession(model, data, {r: t.fn for r, t in enumerate(targets) if t.fn}))


class AttributionSession:
    """The live part of an attribution: the model, the data, and the functions of the function
    targets (by row). Implements :class:`interplay.widgets.attribution.AttributionSource` and
    :class:`interplay.results.attribution.LiveAttribution`."""

    def __init__(self, model: Model, data: AttributionData, fns: Mapping[int, LogitFn] | None = None) -> None:
        self.model, self.data, self.fns = model, data, dict(fns or {})
        self.targets = tuple(self._target(r) for r in range(data.n_targets))

    def _target(self, r: int) -> Target:
        d = self.data
        if int(d.target_ids[r]) < 0:
            if r not in self.fns:
                raise InterplayError(f"target {r} is a function of the logits, and this session does not hold it")
            return Target(position=int(d.target_positions[r]), label=d.target_labels[r], fn=self.fns[r])
        contrast = int(d.contrast_ids[r])
        return Target(position=int(d.target_positions[r]), label=d.target_labels[r], token_id=int(d.target_ids[r]),
                      contrast_id=None if contrast < 0 else contrast, score=d.score_kinds[r])

    def methods(self) -> list[tuple[str, bool]]:
        return [(name, get_method(name).signed) for name in list_methods()]

    def derive(self, data: AttributionData) -> AttributionSession:
        """The session of a result this one computed (the same model and function targets)."""
        return AttributionSession(self.model, data, self.fns)

    def _settings(self, method: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The method's name, and this result's settings under ``params`` when it is the same method."""
        name = get_method(method).name
        if name != self.data.method:
            return name, params
        kept = {k: v for k, v in self.data.params.items() if not (k == "baseline" and v == "tensor")}
        return name, {**kept, **params}

    def explain(self, target_pos: int, method: str, score: str = "logit", contrast: str | int | None = None,
                progress: bool | Progress = False, **params: Any) -> AttributionData:
        """The token ``tokens[target_pos]`` attributed to the tokens before it."""
        index = self.data.check_explainable(target_pos, "target_pos")
        if not self.model.cfg.causal:
            raise InterplayError("explaining another token reads the next-token prediction: it needs a causal model")
        name, params = self._settings(method, params)
        seq = self.data.token_ids
        tid = int(seq[index])
        t = make_target(self.model, tid if contrast in (None, "") else (tid, contrast), index - 1,  # type: ignore[arg-type]
                        score=score)
        return compute(self.model, torch.tensor(seq[:index]), [t], name, progress=progress,
                       n_prompt=min(self.data.n_prompt, index), **params)

    def rerun(self, method: str, score: str = "logit", contrast: str | int | None = None,
              progress: bool | Progress = False, **params: Any) -> AttributionData:
        """Every target again, with another method, score or contrast token (a function target stays)."""
        name, params = self._settings(method, params)
        targets = [t if t.fn is not None or t.token_id is None else
                   make_target(self.model, t.token_id if contrast in (None, "") else (t.token_id, contrast),  # type: ignore[arg-type]
                               t.position, score=score)
                   for t in self.targets]
        return compute(self.model, torch.tensor(self.data.input_ids), targets, name, progress=progress,
                       n_prompt=self.data.n_prompt, **params)


def _ids(model: Model, prompt: Any, prepend_bos: bool | None, where: str) -> torch.Tensor:
    require_model(model, where)
    if prepend_bos is not None:
        checks.flag("prepend_bos", prepend_bos)
    if not isinstance(prompt, str):
        shape = f"a list of {len(prompt)} prompts" if isinstance(prompt, (list, tuple)) else f"a {type(prompt).__name__}"
        raise PromptError(f"{where}(model, prompt) explains one prompt string; got {shape}. Call it once per prompt")
    return model.tokenize(prompt, prepend_bos=prepend_bos).token_ids[0]


@positional_options(2, ("target", "method"), "attribute")
def attribute(model: Model, prompt: str, *, target: TargetLike = None, method: str = "integrated_gradients",
              position: int = -1, score: str = "logit", progress: bool | Progress = True,
              prepend_bos: bool | None = None, **params: Any) -> AttributionResult:
    """Attribute one output to the prompt's tokens.

    ``target``: a token (string or id) read at ``position`` (default the last token, whose logits
    predict the next one); ``None``: the model's own top prediction there; ``(token, other)``: the
    logit difference; a callable: any function of the logits ([batch, pos, vocab] -> [batch]).
    ``score``: ``"logit"`` (default), ``"logprob"`` or ``"prob"`` of the token(s). ``method``: see
    :func:`list_methods`; its parameters follow (``n_steps``, ``baseline``, ``internal_batch_size``...).
    """
    ids = _ids(model, prompt, prepend_bos, "attribute")
    n = int(ids.shape[0])
    if isinstance(position, bool) or not isinstance(position, int) or not -n <= position < n:
        raise InterplayError(f"position {position!r} is out of range: the prompt has {n} tokens "
                             f"(positions 0..{n - 1}, or -{n}..-1 from the end)")
    pos = position % n
    predicted = None
    if target is None:
        logits, _ = forward(model, ids[: pos + 1] if model.cfg.causal else ids, None, [pos])
        predicted = int(logits[0, 0].argmax())
    t = make_target(model, target, pos, score=score, predicted=predicted)
    return run_method(model, ids, [t], method, progress=progress, **params)


@positional_options(2, ("max_new_tokens", "method"), "attribute_generation")
def attribute_generation(model: Model, prompt: str, *, max_new_tokens: int = 10, method: str = "integrated_gradients",
                         score: str = "logit", stop_at_eos: bool = True, progress: bool | Progress = True,
                         prepend_bos: bool | None = None, **params: Any) -> AttributionResult:
    """Greedily generate up to ``max_new_tokens`` and attribute each generated token to every token
    before it: ``scores`` is a [generated, all tokens] matrix (NaN where a source comes after)."""
    if not require_model(model, "attribute_generation").cfg.causal:
        raise InterplayError("attribute_generation needs a causal language model")
    checks.flag("stop_at_eos", stop_at_eos)
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise InterplayError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    ids = _ids(model, prompt, prepend_bos, "attribute_generation")
    n_prompt = int(ids.shape[0])
    if model.cfg.n_ctx is not None and n_prompt + max_new_tokens > model.cfg.n_ctx:
        raise InterplayError(f"{n_prompt} prompt tokens + max_new_tokens={max_new_tokens} exceed the model's "
                             f"context of {model.cfg.n_ctx} tokens")
    eos = getattr(model.tokenizer, "eos_token_id", None)
    for _ in range(max_new_tokens):
        logits, _ = forward(model, ids, None, [int(ids.shape[0]) - 1])
        nxt = int(logits[0, -1].argmax())
        ids = torch.cat([ids, torch.tensor([nxt])])
        if stop_at_eos and eos is not None and nxt == eos:
            break
    targets = [make_target(model, int(ids[j]), j - 1, score=score) for j in range(n_prompt, int(ids.shape[0]))]
    return run_method(model, ids, targets, method, progress=progress, n_prompt=n_prompt, **params)
