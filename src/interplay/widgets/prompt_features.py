"""PromptFeaturesView: a prompt read through a sparse dictionary, token by token.

The prompt's tokens are coloured by their largest latent activation; a click (or Enter) on a token
lists its most active latents (index, label, an activation bar), and a click on a latent sets
``selected = {"pos": p, "latent": l}``, which Python observes. Everything it shows is in its
:class:`~interplay.data.features.PromptFeaturesData`, so the view works from saved data alone.

:class:`PromptFeaturesPanel` links it to a :class:`~interplay.widgets.feature.FeatureView` in one
output: the clicked latent's dashboard (max-activating examples over a dataset, asked of the source)
shows below the prompt, and its steering controls ask the source too
(``interplay.features(model, prompt, sae).show()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import ipywidgets
import numpy as np
import numpy.typing as npt
import traitlets

from interplay.data.features import FeatureSteeringData, PromptFeaturesData, TopActivationsData
from interplay.errors import InterplayError, ViewError
from interplay.widgets._base import BaseWidget, bundle, view_input
from interplay.widgets.feature import FeatureView
from interplay.widgets.traits import Array, Index, Selection

__all__ = ["PromptFeaturesPanel", "PromptFeaturesSource", "PromptFeaturesView"]

DEFAULT_SCALE = {"kind": "sequential", "cmap": "blues", "center": None}


class PromptFeaturesSource(Protocol):
    """What a prompt's live session answers (numpy and data objects in and out): a latent's dashboard
    and a steering run (the :class:`~interplay.widgets.feature.FeatureSource` calls)."""

    def dashboard(self, latents: Sequence[int] | None = None) -> TopActivationsData:
        """Max-activating examples of ``latents`` (None: every latent, in latent order)."""
        ...

    def steer(self, feature: int, prompt: str, mode: str, value: float | None, keep_error: bool
              ) -> FeatureSteeringData:
        """Greedy generations from ``prompt`` without and with latent ``feature`` steered."""
        ...


def _limits(_w: Any, a: npt.NDArray[Any]) -> tuple[float, float]:
    finite = a[np.isfinite(a)]
    top = float(finite.max()) if finite.size else 0.0
    return 0.0, top if top > 0 else 1.0


class PromptFeaturesView(BaseWidget):
    """``PromptFeaturesView(data, source=None)``: the prompt's tokens coloured by their largest latent
    activation, and the selected token's top latents.

    ``token`` (int or None) is the token whose latents are listed (a click or Enter on a token sets
    it; Python may too). ``selected = {"pos", "latent"}`` is set by a click (or Enter) on a latent of
    that list, or by Python. ``latent_labels`` (``{"17": "names"}``) labels latents; set it to relabel.
    ``message`` (with ``message_kind`` ``"info"``, ``"busy"`` or ``"error"``) is a line the linked
    panel shows under the latents (what it is doing, or why it cannot). ``source`` (a
    :class:`PromptFeaturesSource`, the live session) is kept for the panel.
    """

    _esm = bundle("prompt_features")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_values = Array(("pos",), np.float32, limits=_limits)
    top_latents = Array(("pos", "k"), np.int32)
    top_values = Array(("pos", "k"), np.float32)
    n_active = Array(("pos",), np.int32)
    latent_labels = traitlets.Dict(value_trait=traitlets.Unicode(), key_trait=traitlets.Unicode()).tag(sync=True)
    dictionary = traitlets.Unicode("").tag(sync=True)
    hook = traitlets.Unicode("").tag(sync=True)
    n_latents = traitlets.Int(0).tag(sync=True)
    scale = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    message_kind = traitlets.Enum(("info", "busy", "error"), "info").tag(sync=True)
    token = Index(lambda w: len(w.tokens))
    selected = Selection({"pos": lambda w: len(w.tokens), "latent": lambda w: max(w.n_latents, 0)})

    def __init__(self, data: PromptFeaturesData, source: PromptFeaturesSource | None = None, *,
                 cmap: str = "blues", **kwargs: Any) -> None:
        data, source = view_input(data, source, PromptFeaturesData, "PromptFeaturesView",
                                  "make one with interplay.features(model, prompt, dictionary)")
        token, selected = kwargs.pop("token", None), kwargs.pop("selected", None)
        kwargs.setdefault("title", f"{data.dictionary} on the prompt")
        super().__init__(**kwargs)
        self.data = data
        self.source = source
        with self.hold_sync():
            self.tokens = list(data.tokens)
            self.dictionary, self.hook, self.n_latents = data.dictionary, data.hook, int(data.n_latents)
            self.max_values = data.max_values
            self.top_latents = data.top_latents.astype(np.int32)
            self.top_values = data.top_values
            self.n_active = data.n_active.astype(np.int32)
            self.latent_labels = dict(data.latent_labels)
            self.notes = list(data.notes)
            self.scale = {**DEFAULT_SCALE, "cmap": str(cmap)}
        self.token = token
        self.selected = selected

    @traitlets.observe("selected")
    def _follow_selection(self, change: dict[str, Any]) -> None:
        """A selected latent lists its token's latents too (so Python's selection shows in the page)."""
        new = change["new"]
        if new is not None and self.token != new["pos"]:
            self.token = new["pos"]

    def latents_at(self, pos: int) -> list[tuple[int, float]]:
        """``[(latent, activation), ...]`` of token ``pos``, most active first (active latents only)."""
        n = len(self.data.tokens)
        if isinstance(pos, bool) or not isinstance(pos, (int, np.integer)) or not -n <= int(pos) < n:
            raise ViewError(f"PromptFeaturesView.latents_at: pos={pos!r} must be a token index in 0..{n - 1}")
        row_l, row_v = self.data.top_latents[int(pos)], self.data.top_values[int(pos)]
        return [(int(i), float(v)) for i, v in zip(row_l, row_v, strict=True) if i >= 0]


#: what the panel says before a latent is picked, and without a live model
PICK_HINT = "Click a token, then one of its latents, to see the latent's max-activating examples and steer by it."


class PromptFeaturesPanel(ipywidgets.VBox):  # type: ignore[misc]
    """``PromptFeaturesPanel(data, source=None)``: a :class:`PromptFeaturesView` above the dashboard
    (a :class:`~interplay.widgets.feature.FeatureView`) of the latent picked in it, in one output.

    Picking a latent (``prompt_view.selected``) asks the source for the dictionary's dashboard (every
    latent, computed once) and shows that latent in the FeatureView (``feature_view.feature``); its
    steering panel steers by the latent through the same source. Labels typed in the FeatureView
    label the latents of the prompt view too. Without a source the prompt view works alone and the
    message says that examples need a live model.
    """

    def __init__(self, data: PromptFeaturesData, source: PromptFeaturesSource | None = None, **view_kwargs: Any
                 ) -> None:
        self.prompt_view = PromptFeaturesView(data, source, **view_kwargs)
        self.source = source
        self.feature_view: FeatureView | None = None
        if not self.prompt_view.message:
            self.prompt_view.message = PICK_HINT
        super().__init__([self.prompt_view])
        self.prompt_view.observe(self._on_selected, names="selected")
        if self.prompt_view.selected is not None:
            self._on_selected({"new": self.prompt_view.selected})

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The panel's output, after an output holding the prompt view's saved view (``_fallback``):
        what a saved notebook shows once the kernel is gone (the dashboard needs the model anyway)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            from interplay.widgets._fallback import display_fallback

            display_fallback(self.prompt_view)
        return bundle

    @property
    def selected(self) -> dict[str, int] | None:
        """The picked ``{"pos", "latent"}`` (the prompt view's ``selected``)."""
        return self.prompt_view.selected  # type: ignore[no-any-return]

    def _on_selected(self, change: dict[str, Any]) -> None:
        sel = change["new"]
        if sel is None:
            return
        latent = int(sel["latent"])
        if self.source is None:
            self._say(f"Latent {latent}'s examples and steering need a live model, and this view shows saved data: "
                      "recompute with interplay.features(model, prompt, dictionary).show().", kind="error")
            return
        if self.feature_view is None:
            self._say(f"Finding the max-activating examples of every latent over the dataset (once), for latent "
                      f"{latent}…", kind="busy")
        try:
            data = self.source.dashboard(None)
            if self.feature_view is None:
                self.feature_view = FeatureView(data, self.source, feature=latent)
                self.feature_view.observe(self._on_labels, names="labels")
                # the prompt's labels seed the dashboard's (those typed there win), then follow them
                self.feature_view.labels = {**self.prompt_view.latent_labels, **self.feature_view.labels}
                self.children = [self.prompt_view, self.feature_view]
            else:
                self.feature_view.feature = latent
        except InterplayError as exc:
            self._say(f"Latent {latent}'s examples could not be shown: {exc}", kind="error")
            return
        self._say(f"Latent {latent} (token {sel['pos']}): its max-activating examples and steering below.")

    def _on_labels(self, change: dict[str, Any]) -> None:
        """The dashboard's labels are the prompt view's (one set of labels per dictionary)."""
        self.prompt_view.latent_labels = {str(k): str(v) for k, v in (change["new"] or {}).items() if v}

    def _say(self, text: str, *, kind: str = "info") -> None:
        with self.prompt_view.hold_sync():
            self.prompt_view.message, self.prompt_view.message_kind = text, kind
