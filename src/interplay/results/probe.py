"""ProbeResult: per-layer probe accuracies and weights (numpy), and the live model that scores new texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from interplay.data.probe import ProbeData
from interplay.errors import NeedsModelError, ProbeError
from interplay.results.base import Result
from interplay.widgets.token_heatmap import TokenHeatmapView

F64 = npt.NDArray[np.float64]


class ProbeSource(Protocol):
    """What a probe asks the live model: activations of new texts (numpy out)."""

    def activations(self, texts: list[str], layer: int, component: str, model: Any = None) -> list[F64]:
        """``component`` at ``layer`` for each text, one [n_tokens, d] array per text, from ``model``
        (None: the model the probe was trained on)."""
        ...


class ProbeResult(Result[ProbeData, ProbeSource]):
    """Linear probes, one per layer (``data``, a :class:`ProbeData`): accuracies held out by text,
    the control task's, and the weights; ``scores()`` on new texts needs the live model."""

    DATA = ProbeData
    RECOMPUTE = "interplay.probe(model, annotations, label=...)"

    @property
    def selectivity(self) -> F64:
        """Accuracy minus control accuracy (held out), per layer (Hewitt & Liang 2019)."""
        return self.data.accuracy - self.data.control_accuracy

    @property
    def best_layer(self) -> int:
        """The layer with the highest held-out accuracy (ties: the earliest)."""
        return self.data.layers[int(np.argmax(self.data.accuracy))]

    def _index(self, layer: Any) -> int:
        if layer not in self.data.layers:
            raise ProbeError(f"no probe at layer {layer!r}; probed layers: {self.data.layers}")
        return self.data.layers.index(layer)

    def _class(self, label: str | None) -> int:
        classes = self.data.classes
        if label is None:
            if len(classes) != 2:
                raise ProbeError(f"a multi-class probe needs a label: one of {classes}")
            return 1
        if label not in classes:
            raise ProbeError(f"label {label!r} is not a class of this probe: {classes}")
        return classes.index(label)

    def direction(self, layer: int, label: str | None = None, *, normalize: bool = True) -> npt.NDArray[np.float32]:
        """The probe's direction for ``label`` at ``layer`` in activation space ([d] float32 numpy,
        which :func:`interplay.steer` takes).

        Binary probes: the positive class's weight minus the other's (``label`` defaults to the
        positive class; the other label gives the negative). Multi-class: the label's weight minus
        the mean over classes. ``normalize``: unit length (choose the size with ``steer(coeff=)``).
        """
        w = self.data.weights[self._index(layer)]
        vec = w[self._class(label)] - w.mean(axis=0)
        if normalize:
            vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
        return np.asarray(vec, dtype=np.float32)

    def scores(self, model: Any = None, texts: str | Sequence[str] | None = None, layer: int | None = None,
               label: str | None = None) -> list[F64]:
        """Per-token probe scores on new texts: the log-odds of ``label`` (binary: the positive class)
        against the other classes, one array per text (e.g. for ``AnnotatorView.from_texts(values=)``).

        ``result.scores(model, texts, layer=L)`` (``model``: the model the activations come from;
        it may be left out on a live result: ``result.scores(texts, layer=L)``).
        """
        if texts is None and (isinstance(model, str) or (isinstance(model, Sequence) and model)):
            model, texts = None, model  # result.scores(texts, layer=...)
        if texts is None or layer is None:
            raise ProbeError(f"scores needs texts and a layer: result.scores(model, texts, layer=L), L one of "
                             f"{self.data.layers}")
        self._index(layer)
        c = self._class(label)
        if self.session is None:
            raise NeedsModelError("probe scores on new texts need a live model, and this ProbeResult has none (it was "
                                  "loaded from a file or built from data): make it live with the model first: from "
                                  "interplay.methods.probing import attach; result = attach(result, model)")
        batch = [texts] if isinstance(texts, str) else list(texts)
        acts = self.session.activations(batch, int(layer), self.data.component, model)
        return [self.score_activations(a, layer, self.data.classes[c]) for a in acts]

    def score_activations(self, activations: Any, layer: int, label: str | None = None) -> F64:
        """The scores of :meth:`scores` for activations you hold ([n, d] numpy or torch) at ``layer``."""
        from interplay.data.arrays import as_array

        a = as_array(activations, "activations", dims=("token", "d"), dtype=np.float64)
        i, c = self._index(layer), self._class(label)
        w, b = self.data.weights[i], self.data.biases[i]
        if a.shape[1] != w.shape[1]:
            raise ProbeError(f"activations have {a.shape[1]} dimensions; the probe at layer {layer} has {w.shape[1]}")
        logits = a @ w.T + b
        return logits[:, c] - np.logaddexp.reduce(np.delete(logits, c, axis=1), axis=1)  # type: ignore[no-any-return]

    def show(self, **kwargs: Any) -> TokenHeatmapView:
        """A TokenHeatmapView: one column per layer; rows accuracy, control accuracy, selectivity."""
        d = self.data
        rows = np.stack([d.accuracy, d.control_accuracy, self.selectivity]).astype(np.float32)
        options = {"cmap": "viridis", "value_label": "held-out accuracy",
                   "title": f"probe {' / '.join(d.classes)} on {d.component} ({d.n_test} held-out tokens in "
                            f"{d.n_test_texts} texts)", **kwargs}
        return TokenHeatmapView.from_arrays([f"L{layer}" for layer in d.layers], rows,
                                            labels=["accuracy", "control accuracy", "selectivity"], **options)

    def to_dataframe(self) -> Any:
        """One row per layer: train and held-out accuracy, control accuracy, selectivity."""
        import pandas as pd

        d = self.data
        return pd.DataFrame({"layer": d.layers, "train_accuracy": d.train_accuracy, "accuracy": d.accuracy,
                             "control_accuracy": d.control_accuracy, "selectivity": self.selectivity})

    def plot(self, ax: Any = None) -> Any:
        """Held-out accuracy, control accuracy and the majority baseline per layer (matplotlib)."""
        import matplotlib.pyplot as plt

        d = self.data
        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 3.2))
        ax.plot(d.layers, d.accuracy, "o-", label="probe (held-out texts)")
        ax.plot(d.layers, d.train_accuracy, ".:", color="C0", alpha=0.6, label="probe (train)")
        if np.isfinite(d.control_accuracy).any():
            ax.plot(d.layers, d.control_accuracy, "s--", color="C1", label="control task")
        ax.axhline(d.majority, color="grey", lw=1, ls=":", label="majority class")
        ax.set_xlabel(f"layer ({d.component})")
        ax.set_ylabel("accuracy")
        ax.set_xticks(d.layers)
        low = np.nanmin(np.concatenate([d.control_accuracy, d.accuracy, [d.majority]]))
        ax.set_ylim(min(0.0, float(low) - 0.05), 1.02)
        ax.set_title(f"probe: {' / '.join(d.classes)}")
        ax.legend(fontsize=8, loc="lower right")
        return ax

    def __repr__(self) -> str:
        d = self.data
        best = d.layers.index(self.best_layer)
        return (f"ProbeResult({d.component}, classes={d.classes}, best layer {self.best_layer}: "
                f"accuracy {d.accuracy[best]:.3f}, control {d.control_accuracy[best]:.3f}, "
                f"majority {d.majority:.3f}; {d.n_train} train / {d.n_test} test tokens)")
