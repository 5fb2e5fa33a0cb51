"""PromptFeaturesResult (a prompt's active latents, and the live session that gives a latent's
dashboard and steers by it) and FeatureSteeringResult (two generations, without and with one latent
steered)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from interplay.data.features import FeatureSteeringData, PromptFeaturesData, TopActivationsData
from interplay.results.base import Result
from interplay.results.steering import changes_frame, changes_html, generations_html, plot_changes
from interplay.widgets.prompt_features import PromptFeaturesPanel, PromptFeaturesSource


class PromptFeaturesResult(Result[PromptFeaturesData, PromptFeaturesSource]):
    """The ``k`` most active latents of a dictionary at each token of a prompt (``data``, a
    :class:`PromptFeaturesData`). ``show()`` links the prompt to the clicked latent's dashboard and
    steering; ``dashboard()`` and ``steer()`` need the live model."""

    DATA = PromptFeaturesData
    RECOMPUTE = "interplay.features(model, prompt, dictionary)"

    def latents_at(self, pos: int) -> list[tuple[int, float]]:
        """``[(latent, activation), ...]`` at token ``pos`` (negative counts from the end), most active first."""
        d = self.data
        n = len(d.tokens)
        if isinstance(pos, bool) or not isinstance(pos, int) or not -n <= pos < n:
            from interplay.errors import InterplayError

            raise InterplayError(f"latents_at: pos={pos!r} must be a token index in {-n}..{n - 1}")
        return [(int(i), float(v)) for i, v in zip(d.top_latents[pos], d.top_values[pos], strict=True) if i >= 0]

    def dashboard(self, latents: Sequence[int] | int | None = None) -> Any:
        """Max-activating examples of ``latents`` over the session's dataset (a ``TopActivationsResult``
        whose view steers by them); the first call computes every latent's, later ones slice it."""
        from interplay.results.features import TopActivationsResult

        session = self._live("a latent's dashboard")
        chosen = [latents] if isinstance(latents, int) else None if latents is None else list(latents)
        data: TopActivationsData = session.dashboard(chosen)
        if chosen is None:
            return TopActivationsResult(data, session)
        subset = getattr(session, "subset", None)
        return TopActivationsResult(data, subset(chosen) if callable(subset) else None)

    def steer(self, latent: int, *, mode: str = "scale", value: float | None = None, keep_error: bool = True,
              prompt: str | None = None) -> FeatureSteeringResult:
        """Steer by ``latent`` while generating from ``prompt`` (default: this result's prompt)."""
        session = self._live("steering by a latent")
        return FeatureSteeringResult(session.steer(latent, prompt or "", mode, value, keep_error))

    def show(self, **kwargs: Any) -> PromptFeaturesPanel:
        """The prompt view above the clicked latent's FeatureView (examples, steering), in one output."""
        return PromptFeaturesPanel(self.data, self.session, **kwargs)

    def to_dataframe(self) -> Any:
        """Long format: pos, token, rank, latent, activation, label (one row per active top latent)."""
        import pandas as pd

        d = self.data
        rows = [{"pos": p, "token": d.tokens[p], "rank": r, "latent": int(d.top_latents[p, r]),
                 "activation": float(d.top_values[p, r]), "label": d.latent_labels.get(str(int(d.top_latents[p, r])), "")}
                for p in range(len(d.tokens)) for r in range(d.top_latents.shape[1]) if d.top_latents[p, r] >= 0]
        return pd.DataFrame(rows, columns=["pos", "token", "rank", "latent", "activation", "label"])

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: each token's largest activation (bars), labelled with its top latent."""
        import matplotlib.pyplot as plt

        d = self.data
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4, 0.5 * len(d.tokens)), 3))
        xs = range(len(d.tokens))
        ax.bar(xs, d.max_values)
        for x in xs:
            if d.top_latents[x, 0] >= 0:
                ax.text(x, float(d.max_values[x]), f"#{int(d.top_latents[x, 0])}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(list(xs), [repr(t)[1:-1] for t in d.tokens], rotation=90)
        ax.set_ylabel("max latent activation")
        ax.set_title(f"{d.dictionary} at {d.hook}")
        return ax


class FeatureSteeringResult(Result[FeatureSteeringData, Any]):
    """Greedy continuations without and with one latent steered (``data``, a
    :class:`FeatureSteeringData`: ``baseline_text``, ``steered_text``, ``kl``, ``changes``...). Nothing
    here needs the model again, so a loaded result shows and tabulates exactly like a fresh one."""

    DATA = FeatureSteeringData
    RECOMPUTE = "interplay.steer_feature(model, prompt, dictionary, latent, mode=..., value=...)"

    def to_dataframe(self) -> Any:
        """The next tokens whose probability moved most: token, p_baseline, p_steered, change."""
        return changes_frame(self.data.changes)

    def describe(self) -> str:
        """One line: which latent, how it was steered, with or without the error term."""
        d = self.data
        how = {"scale": f"scaled x{d.value:g}", "clamp": f"clamped to {d.value:g}", "ablate": "ablated",
               "add": f"+{d.value:g} x its decoder direction"}[d.mode]
        return f"{d.feature} {how}, {'error term kept' if d.keep_error else 'on the reconstruction (no error term)'}"

    def _repr_html_(self) -> str:
        """Both continuations after the prompt, the next-token KL and the biggest changes; every model
        string (prompt, generations, tokens, the feature's name) is escaped."""
        d = self.data
        notes = "".join(f"<div style='opacity:.7;font-size:90%'>{html.escape(n)}</div>" for n in d.notes)
        return (generations_html(d.prompt, [("without steering", d.baseline_text), (f"steered: {self.describe()}",
                                                                                   d.steered_text)],
                                 cls="interplay-steering interplay-feature-steering")
                + f"<div>next-token KL(baseline || steered) = {d.kl:.4g} nats</div>{changes_html(d.changes)}{notes}")

    def show(self, **kwargs: Any) -> Any:
        """The two generations side by side (an ``ipywidgets.HTML``; ``kwargs`` go to it)."""
        import ipywidgets

        return ipywidgets.HTML(self._repr_html_(), **kwargs)

    def plot(self, ax: Any = None) -> Any:
        """Matplotlib: next-token probability before and after steering, for the tokens that moved most."""
        ax = plot_changes(self.data.changes, ax)
        ax.set_title(self.describe(), fontsize=9)
        return ax
