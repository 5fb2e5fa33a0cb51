"""The probe's engine: activations through ``Model.run``, one L-BFGS logistic regression per layer
(and one on the control task), and the live session that gives activations of new texts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay import checks
from interplay.data.annotations import AnnotationData
from interplay.data.probe import ProbeData
from interplay.data.tokens import token_strings
from interplay.errors import HookNameError, ProbeError
from interplay.methods._common import require_model
from interplay.results.probe import ProbeResult

if TYPE_CHECKING:
    from interplay.backend.model import Model

F64 = npt.NDArray[np.float64]


def fit_logistic(x: torch.Tensor, y: torch.Tensor, n_classes: int, *, l2: float = 1e-3,
                 max_iter: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """Multinomial logistic regression: minimise mean cross-entropy + ``l2/2 * ||W||^2`` (bias
    not penalised) by full-batch L-BFGS. ``x`` [n, d], ``y`` [n] in 0..n_classes-1. Returns
    (W [n_classes, d], b [n_classes])."""
    x = x.double()
    w = torch.zeros(n_classes, x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=max_iter, tolerance_grad=1e-10, tolerance_change=1e-14,
                            history_size=20, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w.T + b, y) + 0.5 * l2 * (w * w).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    opt.step(closure)  # type: ignore[no-untyped-call]
    return w.detach(), b.detach()


def control_labels(types: npt.NDArray[np.int64], y: npt.NDArray[np.int64], n_classes: int,
                   seed: int = 0) -> npt.NDArray[np.int64]:
    """Hewitt & Liang's control task: each token type gets one label drawn from the empirical label
    distribution, the same wherever the type occurs."""
    rng = np.random.default_rng(seed)
    freq = np.bincount(y, minlength=n_classes) / len(y)
    uniq, inverse = np.unique(types, return_inverse=True)
    per_type = rng.choice(n_classes, size=len(uniq), p=freq)
    return per_type[inverse].astype(np.int64)


def probe(model: Model, data: Any, *, layers: Iterable[int] | None = None, component: str = "resid_post",
          label: str | None = None, rest: str | None = "other", test_size: float = 0.25, l2: float = 1e-3,
          control: bool = True, seed: int = 0, batch_size: int = 32) -> ProbeResult:
    """Train a logistic-regression probe per layer on the activations at labelled tokens.

    ``data``: an :class:`~interplay.AnnotatorView` built with this model
    (``AnnotatorView.from_texts(texts, labels, model=model)``) or its ``.data``, or ``(texts,
    token_labels)`` where ``token_labels[i][k]`` is the label of token k of text i as the model
    tokenises it (a string, a set of strings, or None). Tokens with no label are class ``rest``
    (None: left out). ``label``: a binary probe, that label against every other token; otherwise one
    class per label used (binary when only one is used). A token with several labels is left out of
    a multi-class probe. ``component``: a per-layer activation (``resid_post``, ``resid_pre``,
    ``resid_mid``, ``attn_out``, ``mlp_out``...). ``test_size``: the fraction of texts held out (split
    by text, at least one). The held-out texts must hold at least two classes (else the accuracy
    would only say how often the probe gives one answer); a class missing there is named in ``notes``.
    """
    model = require_model(model, "probe")
    texts, sets, tokens = _labelled(data)
    layer_list = _layers(model, layers, component)
    checks.number("l2", l2, low=0.0, error=ProbeError)
    checks.flag("control", control, error=ProbeError)
    checks.count("seed", seed, error=ProbeError)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not 0.0 < test_size < 1.0:
        raise ProbeError(f"test_size must be between 0 and 1 (a fraction of the texts), not {test_size!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ProbeError(f"batch_size must be a positive integer, not {batch_size!r}")
    if len(texts) < 2:
        raise ProbeError("a held-out split by text needs at least 2 texts; give more texts")
    batch = model.tokenize(texts)
    ids = [batch.token_ids[i, :n].tolist() for i, n in enumerate(batch.lengths)]
    _check_tokens(model, sets, tokens, ids)

    classes, y, keep, notes = _classes(sets, label, rest)
    text_of = np.concatenate([np.full(len(s), i) for i, s in enumerate(sets)])[keep]
    types = np.concatenate([np.asarray(t, dtype=np.int64) for t in ids])[keep]
    order = np.random.default_rng(seed).permutation(len(texts))
    n_test = max(1, round(test_size * len(texts)))
    is_test = np.isin(text_of, order[:n_test])
    _check_split(classes, y, is_test, notes)
    ctrl = control_labels(types, y, len(classes), seed=seed + 1) if control else None

    acts = _activations(model, texts, layer_list, component, batch_size)
    fits = [_fit_layer(np.concatenate(acts[layer])[keep], y, ctrl, is_test, len(classes), l2) for layer in layer_list]
    majority = float((y[is_test] == np.bincount(y[~is_test], minlength=len(classes)).argmax()).mean())
    data_out = ProbeData(
        layers=layer_list, component=component, classes=classes,
        accuracy=np.array([f["acc"] for f in fits]), train_accuracy=np.array([f["train_acc"] for f in fits]),
        control_accuracy=np.array([f["c_acc"] for f in fits]),
        control_train_accuracy=np.array([f["c_train"] for f in fits]), majority=majority,
        n_train=int((~is_test).sum()), n_test=int(is_test.sum()), n_train_texts=len(texts) - n_test,
        n_test_texts=n_test, weights=np.stack([f["w"] for f in fits]), biases=np.stack([f["b"] for f in fits]),
        notes=notes)
    return ProbeResult(data_out, ProbeSession(model, batch_size))


class ProbeSession:
    """The live part of a probe: the model, to get activations of new texts (implements
    :class:`interplay.results.probe.ProbeSource`)."""

    def __init__(self, model: Model, batch_size: int = 32) -> None:
        self.model, self.batch_size = model, batch_size

    def activations(self, texts: list[str], layer: int, component: str, model: Any = None) -> list[F64]:
        return _activations(model if model is not None else self.model, texts, [layer], component,
                            self.batch_size)[layer]


def attach(result: ProbeResult, model: Model, *, batch_size: int = 32) -> ProbeResult:
    """A probe loaded from a file, made live again with ``model`` (for ``result.scores``)."""
    if not isinstance(result, ProbeResult):
        raise ProbeError(f"attach takes a ProbeResult, not a {type(result).__name__}")
    _layers(model, result.data.layers, result.data.component)
    return ProbeResult(result.data, ProbeSession(model, batch_size))


def _fit_layer(x_all: F64, y: npt.NDArray[np.int64], ctrl: npt.NDArray[np.int64] | None,
               is_test: npt.NDArray[np.bool_], n_classes: int, l2: float) -> dict[str, Any]:
    """One layer's probe (on standardised features) and its control; weights back in activation space."""
    tr = ~is_test
    mean = x_all[tr].mean(axis=0)
    std = np.maximum(x_all[tr].std(axis=0), 1e-6)
    xs = torch.from_numpy((x_all - mean) / std)
    w, b = fit_logistic(xs[torch.from_numpy(tr)], torch.from_numpy(y[tr]), n_classes, l2=l2)
    pred = (xs @ w.T + b).argmax(1).numpy()
    w_raw = w.numpy() / std
    out = {"train_acc": float((pred[tr] == y[tr]).mean()), "acc": float((pred[is_test] == y[is_test]).mean()),
           "w": w_raw, "b": b.numpy() - w_raw @ mean, "c_acc": float("nan"), "c_train": float("nan")}
    if ctrl is not None:
        wc, bc = fit_logistic(xs[torch.from_numpy(tr)], torch.from_numpy(ctrl[tr]), n_classes, l2=l2)
        pc = (xs @ wc.T + bc).argmax(1).numpy()
        out["c_train"] = float((pc[tr] == ctrl[tr]).mean())
        out["c_acc"] = float((pc[is_test] == ctrl[is_test]).mean())
    return out


def _activations(model: Model, texts: list[str], layers: list[int], component: str,
                 batch_size: int) -> dict[int, list[F64]]:
    """Per layer, one [n_tokens, d] float64 array per text (``component`` captured by ``Model.run``)."""
    out: dict[int, list[F64]] = {layer: [] for layer in layers}
    names = [(component, layer) for layer in layers]
    for i in range(0, len(texts), batch_size):
        trace = model.run(texts[i:i + batch_size], capture=names)
        for layer in layers:
            t = trace[component, layer]
            act = t.reshape(t.shape[0], t.shape[1], -1).double().cpu().numpy()
            for j, n in enumerate(trace.lengths):
                out[layer].append(act[j, :n])
    return out


def _layers(model: Model, layers: Iterable[int] | None, component: str) -> list[int]:
    n_layers = model.cfg.n_layers
    layer_list = list(range(n_layers)) if layers is None else [int(x) for x in layers]
    if not layer_list:
        raise ProbeError("layers is empty: give at least one layer")
    bad = [x for x in layer_list if not 0 <= x < n_layers]
    if bad:
        raise ProbeError(f"layers {bad} do not exist: the model has layers 0..{n_layers - 1}")
    if len(set(layer_list)) != len(layer_list):
        raise ProbeError(f"layers {layer_list} repeat a layer: give each once")
    try:
        model.resolve([(component, layer) for layer in layer_list])
    except HookNameError as e:
        raise ProbeError(f"unknown component {component!r} for a probe ({e})") from None
    return layer_list


def _labelled(data: Any) -> tuple[list[str], list[list[set[str]]], list[list[str]] | None]:
    """(texts, per-token label sets, the labelled tokens or None) from annotations or (texts, labels)."""
    if isinstance(getattr(data, "data", None), AnnotationData):  # an AnnotatorView
        data = data.data
    if isinstance(data, AnnotationData):
        return list(data.texts), data.token_labels(), data.tokens
    if isinstance(data, tuple) and len(data) == 2:
        texts, labels = data
        texts = [texts] if isinstance(texts, str) else list(texts)
        labels = list(labels)
        if len(labels) != len(texts):
            raise ProbeError(f"{len(texts)} texts but {len(labels)} label lists (one list per text)")
        sets = []
        for i, row in enumerate(labels):
            if isinstance(row, str):
                raise ProbeError(f"labels for text {i} must be a list (one entry per token), not a string")
            sets.append([set() if x is None else {x} if isinstance(x, str) else set(x) for x in row])
        return texts, sets, None
    raise ProbeError("probe data must be an AnnotatorView (or its .data, an AnnotationData), or (texts, "
                     f"token_labels) with one label list per text; got a {type(data).__name__}")


def _check_tokens(model: Model, sets: list[list[set[str]]], tokens: list[list[str]] | None,
                  ids: list[list[int]]) -> None:
    """The labels must sit on the model's own tokens (same count; for annotations, the same strings)."""
    hint = "label tokens as the model tokenises them (build the view with AnnotatorView.from_texts(..., model=model))"
    for i, (s, row) in enumerate(zip(sets, ids, strict=True)):
        if len(s) != len(row):
            raise ProbeError(f"text {i} has {len(s)} labelled token slots but the model splits it into {len(row)} "
                             f"tokens: {hint}")
        if tokens is not None:
            mine = token_strings(model.tokenizer, row)
            diff = next((k for k, (a, b) in enumerate(zip(tokens[i], mine, strict=True)) if a != b), None)
            if diff is not None:
                raise ProbeError(f"text {i}: token {diff} is {tokens[i][diff]!r} in the labels but {mine[diff]!r} "
                                 f"for the model: {hint}")


def _classes(sets: list[list[set[str]]], label: str | None, rest: str | None
             ) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.bool_], list[str]]:
    flat = [s for row in sets for s in row]
    used = sorted({x for s in flat for x in s})
    if not used:
        raise ProbeError("no token is labelled: label some tokens first")
    notes: list[str] = []
    if label is not None or len(used) == 1:
        positive = label if label is not None else used[0]
        if positive not in used:
            raise ProbeError(f"no token has the label {positive!r}; labels used: {used}")
        negative = rest or "rest"
        if negative == positive:
            raise ProbeError(f"rest={rest!r} is also a label: choose another name for the unlabelled class")
        classes = [negative, positive]
        y = np.array([1 if positive in s else 0 for s in flat], dtype=np.int64)
        keep = np.array([positive in s or rest is not None or bool(s) for s in flat])
        if rest is None:
            notes.append("unlabelled tokens left out (rest=None): the negatives are the other labels")
    else:
        classes = used + ([rest] if rest is not None else [])
        if rest is not None and rest in used:
            raise ProbeError(f"rest={rest!r} is also a label: choose another name for the unlabelled class")
        keep = np.array([len(s) == 1 or (len(s) == 0 and rest is not None) for s in flat])
        y = np.array([classes.index(next(iter(s))) if len(s) == 1 else (len(classes) - 1) for s in flat], dtype=np.int64)
        skipped = sum(1 for s in flat if len(s) > 1)
        if skipped:
            notes.append(f"{skipped} tokens with several labels left out")
    y = y[keep]
    if len(np.unique(y)) < 2:
        raise ProbeError(f"only one class ({classes[int(y[0])] if len(y) else 'none'}) among the tokens: a probe "
                         "needs at least two (label more, or keep unlabelled tokens with rest=...)")
    return classes, y, keep, notes


def _check_split(classes: list[str], y: npt.NDArray[np.int64], is_test: npt.NDArray[np.bool_],
                 notes: list[str]) -> None:
    """Enough of each side of the split by text to train and to measure (else an error; notes)."""
    if is_test.all() or not is_test.any():
        raise ProbeError("the split by text left no training or no test tokens: give more texts")
    train, test = set(np.unique(y[~is_test]).tolist()), set(np.unique(y[is_test]).tolist())
    if len(train) < 2:
        raise ProbeError("the training texts hold only one class: give more texts or labels")
    if len(test) < 2:
        only = classes[next(iter(test))]
        raise ProbeError(f"the held-out texts hold only {only!r} tokens: their accuracy would only count how often "
                         f"the probe answers {only!r}, not whether it tells the classes apart; give more texts "
                         "(with every class), a larger test_size, or another seed")
    for where, have, what in (("held-out", test, "the held-out accuracy does not measure recognising it"),
                              ("training", train, "the probe never predicts it")):
        missing = [c for k, c in enumerate(classes) if k not in have]
        if missing:
            notes.append(f"no {where} token of class {', '.join(map(repr, missing))}: {what}")
