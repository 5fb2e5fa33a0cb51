"""Linear probes: is a token property linearly readable from the activations at some layer?

A probe is a logistic regression trained on a layer's activations at labelled tokens (Alain &
Bengio 2016, "Understanding intermediate layers using linear classifier probes"). High held-out
accuracy says the information is *there and linearly decodable*; it does not say the model uses it.
A probe can also be accurate because it memorises token identities. Hewitt & Liang (2019,
"Designing and Interpreting Probes with Control Tasks") therefore train the same probe on a
**control task**: every token *type* (token id) gets a random label, drawn from the real label
distribution, and keeps it wherever it occurs. A probe that does as well on the control task is
reading word identity, not the property; **selectivity** = accuracy - control accuracy.

:func:`probe` trains one probe per layer (L2-regularised multinomial logistic regression on
standardised features, full-batch L-BFGS in float64), splits train/test **by text** (so a test
token's context was never seen), and reports train and held-out accuracy, the control task's, and
the majority-class baseline. ``result.direction(layer, label)`` is the probe's weight vector mapped
back to activation space: a candidate direction for :func:`interplay.steer` (a ``resid_post``
direction at layer L is a ``resid_pre`` direction at layer L + 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import torch

from interplay.errors import HookNameError, InterplayError
from interplay.methods import annotations as ann

if TYPE_CHECKING:
    from interplay.backend.model import Model
    from interplay.widgets.token_heatmap import TokenHeatmap

Array = npt.NDArray[np.float64]


class ProbeError(InterplayError):
    """Probe inputs that cannot give a probe (no labelled tokens, one class, unknown layer...)."""


@dataclass(frozen=True)
class ProbeResult:
    """Per-layer probe accuracies (held out by text), control-task accuracies and probe weights.

    ``weights[layer]``: [n_classes, d] and ``biases[layer]``: [n_classes], in the activations' own
    space (standardisation folded in): class scores are ``act @ weights[layer].T + biases[layer]``.
    """

    layers: list[int]
    component: str
    classes: list[str]
    accuracy: Array
    train_accuracy: Array
    control_accuracy: Array
    control_train_accuracy: Array
    majority: float
    n_train: int
    n_test: int
    n_train_texts: int
    n_test_texts: int
    weights: dict[int, Array] = field(repr=False)
    biases: dict[int, Array] = field(repr=False)
    notes: list[str] = field(default_factory=list)

    @property
    def selectivity(self) -> Array:
        """Accuracy minus control accuracy (held out), per layer."""
        return self.accuracy - self.control_accuracy

    @property
    def best_layer(self) -> int:
        """The layer with the highest held-out accuracy (ties: the earliest)."""
        return self.layers[int(np.argmax(self.accuracy))]

    def direction(self, layer: int, label: str | None = None, *, normalize: bool = True) -> torch.Tensor:
        """The probe's direction for ``label`` at ``layer`` in activation space ([d], float32, CPU).

        Binary probes: the positive class's weight minus the other's (``label`` defaults to the
        positive class; the other label gives the negative). Multi-class: the label's weight minus
        the mean over classes. ``normalize``: unit length (choose the size with ``steer(coeff=)``).
        """
        if layer not in self.weights:
            raise ProbeError(f"no probe at layer {layer}; probed layers: {self.layers}")
        if label is None:
            if len(self.classes) != 2:
                raise ProbeError(f"a multi-class probe needs a label: one of {self.classes}")
            label = self.classes[1]
        if label not in self.classes:
            raise ProbeError(f"label {label!r} is not a class of this probe: {self.classes}")
        w = self.weights[layer]
        c = self.classes.index(label)
        vec = w[c] - w.mean(axis=0)
        if normalize:
            vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
        return torch.from_numpy(vec.astype(np.float32))

    def scores(self, model: Model, texts: str | Sequence[str], layer: int, label: str | None = None) -> list[Array]:
        """Per-token probe scores on new texts: the log-odds of ``label`` (binary: the positive class)
        against the other classes, one array per text (e.g. for ``Annotator(values=...)``)."""
        if layer not in self.weights:
            raise ProbeError(f"no probe at layer {layer}; probed layers: {self.layers}")
        label = label if label is not None else self.classes[-1] if len(self.classes) == 2 else None
        if label not in self.classes:
            raise ProbeError(f"choose a label: one of {self.classes}")
        texts = [texts] if isinstance(texts, str) else list(texts)
        acts = _activations(model, texts, [layer], self.component)[layer]
        c = self.classes.index(label)
        out = []
        for a in acts:
            logits = a @ self.weights[layer].T + self.biases[layer]
            others = np.delete(logits, c, axis=1)
            out.append(logits[:, c] - np.logaddexp.reduce(others, axis=1))
        return out

    def to_dataframe(self) -> Any:
        import pandas as pd

        return pd.DataFrame({
            "layer": self.layers, "train_accuracy": self.train_accuracy, "accuracy": self.accuracy,
            "control_accuracy": self.control_accuracy, "selectivity": self.selectivity,
        })

    def plot(self, ax: Any = None) -> Any:
        """Held-out accuracy, control accuracy and the majority baseline per layer (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 3.2))
        ax.plot(self.layers, self.accuracy, "o-", label="probe (held-out texts)")
        ax.plot(self.layers, self.train_accuracy, ".:", color="C0", alpha=0.6, label="probe (train)")
        ax.plot(self.layers, self.control_accuracy, "s--", color="C1", label="control task")
        ax.axhline(self.majority, color="grey", lw=1, ls=":", label="majority class")
        ax.set_xlabel(f"layer ({self.component})")
        ax.set_ylabel("accuracy")
        ax.set_xticks(self.layers)
        ax.set_ylim(min(0.0, float(np.nanmin(self.control_accuracy)) - 0.05), 1.02)
        ax.set_title(f"probe: {' / '.join(self.classes)}")
        ax.legend(fontsize=8, loc="lower right")
        return ax

    def show(self) -> TokenHeatmap:
        """A TokenHeatmap: one column per layer; rows accuracy, control accuracy, selectivity."""
        from interplay.widgets.token_heatmap import TokenHeatmap

        rows = np.stack([self.accuracy, self.control_accuracy, self.selectivity]).astype(np.float32)
        return TokenHeatmap([f"L{layer}" for layer in self.layers], rows,
                            labels=["accuracy", "control accuracy", "selectivity"], cmap="viridis",
                            title=f"probe {' / '.join(self.classes)} on {self.component} "
                                  f"({self.n_test} held-out tokens in {self.n_test_texts} texts)",
                            value_label="held-out accuracy")

    def __repr__(self) -> str:
        best = self.layers.index(self.best_layer)
        return (f"ProbeResult({self.component}, classes={self.classes}, best layer {self.best_layer}: "
                f"accuracy {self.accuracy[best]:.3f}, control {self.control_accuracy[best]:.3f}, "
                f"majority {self.majority:.3f}; {self.n_train} train / {self.n_test} test tokens)")


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


def control_labels(types: npt.NDArray[np.int64], y: npt.NDArray[np.int64], n_classes: int, seed: int = 0) -> npt.NDArray[np.int64]:
    """Hewitt & Liang's control task: each token type gets one label drawn from the empirical label
    distribution, the same wherever the type occurs."""
    rng = np.random.default_rng(seed)
    freq = np.bincount(y, minlength=n_classes) / len(y)
    uniq, inverse = np.unique(types, return_inverse=True)
    per_type = rng.choice(n_classes, size=len(uniq), p=freq)
    return per_type[inverse].astype(np.int64)


def probe(
    model: Model,
    data: Any,
    *,
    layers: Iterable[int] | None = None,
    component: str = "resid_post",
    label: str | None = None,
    rest: str | None = "other",
    test_size: float = 0.25,
    l2: float = 1e-3,
    control: bool = True,
    seed: int = 0,
    batch_size: int = 32,
) -> ProbeResult:
    """Train a logistic-regression probe per layer on the activations at labelled tokens.

    ``data``: an :class:`~interplay.Annotator` built with this model (``Annotator(texts, labels,
    model=model)``), or ``(texts, token_labels)`` where ``token_labels[i][k]`` is the label of
    token k of text i as the model tokenises it (a string, a set of strings, or None). Tokens with no
    label are class ``rest`` (None: left out). ``label``: a binary probe, that label against every
    other token; otherwise one class per label used (binary when only one is used). A token with
    several labels is left out of a multi-class probe. ``component``: a per-layer activation
    (``resid_post``, ``resid_pre``, ``resid_mid``, ``attn_out``, ``mlp_out``...). ``test_size``:
    the fraction of texts held out (split by text, at least one).
    """
    texts, sets = _labelled(data)
    n_layers = model.cfg.n_layers
    layer_list = list(range(n_layers)) if layers is None else [int(x) for x in layers]
    if not layer_list:
        raise ProbeError("layers is empty: give at least one layer")
    bad = [x for x in layer_list if not 0 <= x < n_layers]
    if bad:
        raise ProbeError(f"layers {bad} do not exist: the model has layers 0..{n_layers - 1}")
    try:
        model.resolve([(component, layer) for layer in layer_list])
    except HookNameError as e:
        raise ProbeError(f"unknown component {component!r} for a probe ({e})") from None
    if not 0.0 < test_size < 1.0:
        raise ProbeError(f"test_size must be between 0 and 1 (a fraction of the texts), not {test_size}")
    if len(texts) < 2:
        raise ProbeError("a held-out split by text needs at least 2 texts; give more texts")

    batch = model.tokenize(texts)
    ids = [batch.token_ids[i, :n].tolist() for i, n in enumerate(batch.lengths)]
    for i, (s, n) in enumerate(zip(sets, batch.lengths, strict=True)):
        if len(s) != n:
            raise ProbeError(
                f"text {i} has {len(s)} labelled token slots but the model splits it into {n} tokens: "
                "label tokens as the model tokenises them (build the Annotator with model=model)")

    classes, y, keep, notes = _classes(sets, label, rest)
    text_of = np.concatenate([np.full(len(s), i) for i, s in enumerate(sets)])[keep]
    types = np.concatenate([np.asarray(t, dtype=np.int64) for t in ids])[keep]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    n_test = max(1, round(test_size * len(texts)))
    test_texts = set(order[:n_test].tolist())
    is_test = np.array([t in test_texts for t in text_of])
    if is_test.all() or not is_test.any():
        raise ProbeError("the split by text left no training or no test tokens: give more texts")
    if len(np.unique(y[~is_test])) < 2:
        raise ProbeError("the training texts hold only one class: give more texts or labels")
    ctrl = control_labels(types, y, len(classes), seed=seed + 1) if control else None

    acts = _activations(model, texts, layer_list, component, batch_size=batch_size)
    acc, train_acc, c_acc, c_train = [], [], [], []
    weights: dict[int, Array] = {}
    biases: dict[int, Array] = {}
    for layer in layer_list:
        x_all = np.concatenate(acts[layer])[keep]
        mean = x_all[~is_test].mean(axis=0)
        std = np.maximum(x_all[~is_test].std(axis=0), 1e-6)
        xs = torch.from_numpy((x_all - mean) / std)
        tr = torch.from_numpy(~is_test)
        w, b = fit_logistic(xs[tr], torch.from_numpy(y[~is_test]), len(classes), l2=l2)
        pred = (xs @ w.T + b).argmax(1).numpy()
        train_acc.append(float((pred[~is_test] == y[~is_test]).mean()))
        acc.append(float((pred[is_test] == y[is_test]).mean()))
        w_raw = w.numpy() / std
        weights[layer] = w_raw
        biases[layer] = b.numpy() - w_raw @ mean
        if ctrl is not None:
            wc, bc = fit_logistic(xs[tr], torch.from_numpy(ctrl[~is_test]), len(classes), l2=l2)
            pc = (xs @ wc.T + bc).argmax(1).numpy()
            c_train.append(float((pc[~is_test] == ctrl[~is_test]).mean()))
            c_acc.append(float((pc[is_test] == ctrl[is_test]).mean()))
        else:
            c_train.append(float("nan"))
            c_acc.append(float("nan"))
    majority = float((y[is_test] == np.bincount(y[~is_test], minlength=len(classes)).argmax()).mean())
    return ProbeResult(
        layers=layer_list, component=component, classes=classes, accuracy=np.array(acc),
        train_accuracy=np.array(train_acc), control_accuracy=np.array(c_acc), control_train_accuracy=np.array(c_train),
        majority=majority, n_train=int((~is_test).sum()), n_test=int(is_test.sum()),
        n_train_texts=len(texts) - n_test, n_test_texts=n_test, weights=weights, biases=biases, notes=notes,
    )


def _labelled(data: Any) -> tuple[list[str], list[list[set[str]]]]:
    """(texts, per-token label sets) from an Annotator or (texts, token_labels)."""
    if hasattr(data, "annotations") and hasattr(data, "texts") and hasattr(data, "tokens"):
        texts = list(data.texts)
        sets = ann.token_labels(data.annotations, [len(t) for t in data.tokens])
        return texts, sets
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
        return texts, sets
    raise ProbeError("probe data must be an Annotator, or (texts, token_labels) with one label list per text")


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


def _activations(model: Model, texts: list[str], layers: list[int], component: str,
                 batch_size: int = 32) -> dict[int, list[Array]]:
    """Per layer, one [n_tokens, d] float64 array per text."""
    out: dict[int, list[Array]] = {layer: [] for layer in layers}
    names = [(component, layer) for layer in layers]
    for i in range(0, len(texts), batch_size):
        trace = model.run(texts[i:i + batch_size], capture=names)
        for layer in layers:
            t = trace[component, layer]
            act = t.reshape(t.shape[0], t.shape[1], -1).double().cpu().numpy()
            for j, n in enumerate(trace.lengths):
                out[layer].append(act[j, :n])
    return out
