"""TopActivationsResult: max-activating examples, histograms and logit effects of many features (numpy),
and the live model that can steer them."""

from __future__ import annotations

from typing import Any

import numpy as np

from interplay.data.features import TopActivationsData
from interplay.errors import InterplayError
from interplay.results.base import Result


class TopActivationsResult(Result[TopActivationsData, Any]):
    """What one pass of :func:`interplay.top_activations` found (``data``, a
    :class:`~interplay.data.features.TopActivationsData`): per feature its top ``k`` contexts,
    histogram, density, quantile-bucket samples and logit effects. ``session`` (live results only)
    holds the model and the features; a :class:`~interplay.widgets.feature.FeatureView` asks it to
    steer a latent."""

    DATA = TopActivationsData
    RECOMPUTE = "interplay.top_activations(model, feature, dataset)"

    def show(self, **kwargs: Any) -> Any:
        """A :class:`~interplay.widgets.feature.FeatureView` (``kwargs``: ``feature=``, ``page_size=``,
        ``path=`` for a labels file)."""
        from interplay.widgets.feature import FeatureView

        return FeatureView(self.data, self.session, **kwargs)

    def _feature(self, feature: Any) -> int:
        n = self.data.n_features
        if isinstance(feature, str):
            if feature not in self.data.features:
                raise InterplayError(f"feature={feature!r} is not one of this result's features "
                                     f"({', '.join(self.data.features[:5])}{'...' if n > 5 else ''})")
            return self.data.features.index(feature)
        if isinstance(feature, bool) or not isinstance(feature, (int, np.integer)) or not 0 <= feature < n:
            raise InterplayError(f"feature={feature!r} must be an index 0..{n - 1} or a feature label")
        return int(feature)

    def examples(self, feature: Any = 0) -> list[dict[str, Any]]:
        """The top examples of ``feature`` (an index or a label), best first: ``{"rank", "act", "sequence",
        "position", "tokens", "values", "max_at"}`` (tokens outside the sequence left out)."""
        d = self.data
        f = self._feature(feature)
        out = []
        before = int(d.context[0])
        for r in range(d.k):
            if not np.isfinite(d.acts[f, r]):
                break
            idx = d.ctx_tokens[f, r]
            inside = idx >= 0
            out.append({"rank": r, "act": float(d.acts[f, r]), "sequence": int(d.where[f, r, 0]),
                        "position": int(d.where[f, r, 1]), "tokens": d.context_strings(f, r),
                        "values": d.ctx_values[f, r][inside].tolist(), "max_at": int(inside[:before].sum())})
        return out

    def to_dataframe(self) -> Any:
        """One row per feature x rank (examples that exist): feature, label, rank, act, sequence,
        position, token (the max token), context (the window's text), density."""
        import pandas as pd

        d = self.data
        before = int(d.context[0])
        f_idx, r_idx = np.nonzero(np.isfinite(d.acts))
        table = d.token_table
        rows = []
        for f, r in zip(f_idx.tolist(), r_idx.tolist(), strict=True):
            ids = d.ctx_tokens[f, r]
            rows.append({"feature": f, "label": d.features[f], "rank": r, "act": float(d.acts[f, r]),
                         "sequence": int(d.where[f, r, 0]), "position": int(d.where[f, r, 1]),
                         "token": table[int(ids[before])] if ids[before] >= 0 else "",
                         "context": "".join(table[i] for i in ids.tolist() if i >= 0),
                         "density": float(d.density[f])})
        columns = ["feature", "label", "rank", "act", "sequence", "position", "token", "context", "density"]
        return pd.DataFrame(rows, columns=columns)

    def plot(self, ax: Any = None, *, feature: Any = 0) -> Any:
        """Matplotlib: the activation histogram of ``feature`` (active tokens per bin), density in the title."""
        import matplotlib.pyplot as plt

        d = self.data
        f = self._feature(feature)
        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 3.0))
        edges, counts = d.hist_edges[f], d.hist_counts[f]
        ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="C0", edgecolor="none")
        ax.set_xlabel("activation")
        ax.set_ylabel("active tokens")
        ax.set_title(f"{d.features[f]}: density {d.density[f]:.3%} of {d.n_tokens:,} tokens", fontsize=9)
        return ax

    def __repr__(self) -> str:
        d = self.data
        meta = d.feature_meta or {}
        live = self.session is not None
        return (f"TopActivationsResult({d.n_features} {meta.get('kind', '')} features at {meta.get('hook', '?')}, "
                f"top {d.k} of {d.n_tokens:,} tokens, live={live})")
