"""Patching metrics: functions of the last-token logits that say how "clean" a run looks.

Every intervention method (:func:`~interplay.patch`, :func:`~interplay.ablate`, attribution
patching) scores each patched run with a metric: a function of the logits at each prompt's last
real token, ``[n_prompts, vocab]``, returning one number (averaged over the prompts). Heimersheim &
Nanda (2024, "How to use and interpret activation patching") recommend the logit difference
between the right and the wrong answer: it is linear in the residual stream, so it is neither
saturated like a probability nor blind to the wrong answer like a single logit.

The factories below build metrics that the methods bind to a model (token strings become ids) and
to the clean and corrupted runs (:func:`kl_div` needs the clean distribution)::

    interplay.logit_diff(" Mary", " John")   # logit(" Mary") - logit(" John"), mean over prompts
    interplay.token_prob(" Mary")            # probability of " Mary"
    interplay.kl_div()                       # KL(clean || patched) in nats

``answer``/``wrong`` may be one token for every prompt or a list with one per prompt. Any callable
``fn(logits) -> scalar`` works as a metric too (``logits``: ``[n_prompts, vocab]``, a torch tensor;
keep it differentiable for ``method="attribution"``), and so does a task dataset's ``ds.metric``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from interplay import checks
from interplay.errors import InterplayError, MetricError
from interplay.methods._common import single_token_id

if TYPE_CHECKING:
    from interplay.backend.model import Model

TokenLike = str | int
Tokens = TokenLike | Sequence[TokenLike]
#: a bound metric: last-token logits [n_prompts, vocab] -> 0-d tensor
MetricFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Metric:
    """An unbound metric: ``bind(model, clean_logits, corrupted_logits)`` gives the function to call.

    ``kind`` is ``"logit_diff"``, ``"prob"``, ``"kl"`` or ``"custom"``; ``label`` is shown in views.
    """

    kind: str
    label: str
    answer: Tokens | None = None
    wrong: Tokens | None = None
    fn: Callable[[torch.Tensor], Any] | None = None

    def bind(self, model: Model, clean: torch.Tensor, corrupted: torch.Tensor | None = None) -> MetricFn:
        """The metric as a function of last-token logits, for the prompts of ``clean`` ([n, vocab])."""
        n = clean.shape[0]
        if self.kind == "logit_diff":
            a = _ids(model, self.answer, n, "answer").to(clean.device)
            w = _ids(model, self.wrong, n, "wrong").to(clean.device)
            rows = torch.arange(n, device=clean.device)
            return lambda logits: (logits[rows, a] - logits[rows, w]).float().mean()
        if self.kind == "prob":
            a = _ids(model, self.answer, n, "token").to(clean.device)
            rows = torch.arange(n, device=clean.device)
            return lambda logits: logits.float().softmax(-1)[rows, a].mean()
        if self.kind == "kl":
            ref = clean.detach().float().log_softmax(-1)
            return lambda logits: (ref.exp() * (ref - logits.float().log_softmax(-1))).sum(-1).mean()
        assert self.fn is not None
        fn = self.fn
        return lambda logits: _scalar(fn(logits), self.label)

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        raise InterplayError("a Metric is bound to a model first: pass it to interplay.patch(..., metric=...)")


def logit_diff(answer: Tokens, wrong: Tokens) -> Metric:
    """``logit(answer) - logit(wrong)`` at the last token, averaged over prompts (one token or one per prompt)."""
    _check_tokens("logit_diff(answer=)", answer)
    _check_tokens("logit_diff(wrong=)", wrong)
    return Metric("logit_diff", f"logit diff {_show(answer)} - {_show(wrong)}", answer=answer, wrong=wrong)


def token_prob(token: Tokens) -> Metric:
    """Probability of ``token`` at the last token, averaged over prompts."""
    _check_tokens("token_prob(token=)", token)
    return Metric("prob", f"p({_show(token)})", answer=token)


def kl_div() -> Metric:
    """``KL(clean || patched)`` of the next-token distributions, in nats (0 for the clean run)."""
    return Metric("kl", "KL(clean || patched)")


def as_metric(metric: Any, dataset: Any = None) -> Metric:
    """A :class:`Metric` from what a user passed: a Metric, None (the dataset's logit difference),
    a task dataset's ``metric`` method, or any callable of the last-token logits."""
    if isinstance(metric, Metric):
        return metric
    owner = getattr(metric, "__self__", None)
    if metric is None or (owner is not None and getattr(metric, "__name__", "") in ("metric", "per_prompt_metric")
                          and hasattr(owner, "answer") and hasattr(owner, "wrong")):
        ds = owner if metric is not None else dataset
        if ds is None:
            raise MetricError("no metric given: pass metric=interplay.logit_diff(' right', ' wrong'), "
                              "interplay.token_prob(...), interplay.kl_div() or a function of the logits")
        return Metric("logit_diff", "logit diff answer - wrong", answer=list(ds.answer), wrong=list(ds.wrong))
    if callable(metric):
        return Metric("custom", getattr(metric, "__name__", "metric"), fn=metric)
    raise MetricError(f"metric must be a Metric, a function of the logits, or None; got {type(metric).__name__}")


def _scalar(value: Any, label: str) -> torch.Tensor:
    """What a user's metric returned, as a 0-d float tensor (kept in the autograd graph)."""
    what = f"the metric {label!r}"
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise MetricError(
                f"{what} returned shape {tuple(value.shape)}; it must return one number per run "
                "(e.g. .mean() over the prompts). It is called with the last-token logits [n_prompts, vocab]"
            )
        checks.scalar(what, value.detach())
        return value.reshape(()).float()
    return torch.tensor(checks.scalar(what, value), dtype=torch.float32)


def _ids(model: Model, tokens: Tokens | None, n: int, what: str) -> torch.Tensor:
    if tokens is None:
        raise MetricError(f"the metric has no {what} token")
    if isinstance(tokens, (str, int)):
        return torch.full((n,), single_token_id(model, tokens, what), dtype=torch.long)
    if isinstance(tokens, numbers.Integral):  # a numpy integer
        return torch.full((n,), single_token_id(model, int(tokens), what), dtype=torch.long)
    items = list(tokens)
    if len(items) != n:
        raise MetricError(f"the metric has {len(items)} {what} tokens but there are {n} prompts (give one, or one per prompt)")
    try:
        return torch.tensor([single_token_id(model, t, f"{what}[{i}]") for i, t in enumerate(items)], dtype=torch.long)
    except InterplayError as exc:
        raise MetricError(f"{what} token: {exc}") from None


def _check_tokens(name: str, tokens: Any) -> None:
    """A token (a string or an id) or a non-empty list of them (one per prompt)."""
    want = "a token (a string such as ' Mary', or an id) or a non-empty list of them, one per prompt"
    if _is_token(tokens):
        return
    if not isinstance(tokens, Sequence) or isinstance(tokens, (str, bytes)) or not tokens:
        raise MetricError(f"{name} must be {want}; got {tokens!r} (a {type(tokens).__name__})")
    for i, t in enumerate(tokens):
        if not _is_token(t):
            raise MetricError(f"{name}[{i}] is {t!r} (a {type(t).__name__}); {name} must be {want}")


def _is_token(t: Any) -> bool:
    return (isinstance(t, str) and t != "") or (isinstance(t, numbers.Integral) and not isinstance(t, bool))


def _show(tokens: Tokens) -> str:
    if isinstance(tokens, (str, int)):
        return repr(tokens)
    if isinstance(tokens, numbers.Integral):  # a numpy integer
        return repr(int(tokens))
    items = list(tokens)
    return repr(items[0]) + ("…" if len(set(map(str, items))) > 1 else "")
