"""Deprecated spellings, kept for one release (each warns, then does the new thing).

They live here, above every layer, so that no layer imports one above it: the backend's ``Model``
and ``Trace`` and the widget layer's ``AttentionView`` get their old convenience methods attached by
:func:`install_backend` / :func:`install_views` when the top-level package hands them out.

=================================  ==============================================================
old                                new
=================================  ==============================================================
``TokenHeatmap(tokens, values)``   ``TokenHeatmapView.from_arrays(tokens, values)``
``Annotator(texts, labels, ...)``  ``AnnotatorView.from_texts(texts, labels, ...)``
``PatchingExplorer(result)``       ``result.show()`` (a ``PatchingView``)
``CircuitGraph(circuit)``          ``circuit.show()`` (a ``CircuitView``)
``Circuit``                        ``CircuitResult``
``model.attention(prompt)``        ``interplay.attention(model, prompt).show()``
``trace.heatmap(key)``             ``interplay.heatmap(trace, key).show()``
``AttentionView.from_trace(t)``    ``interplay.attention(t).show()``
=================================  ==============================================================
"""

from __future__ import annotations

from typing import Any

from interplay._deprecation import warn


def install_backend() -> None:
    """Attach ``Model.attention`` and ``Trace.heatmap`` (deprecated) to the backend's classes."""
    from interplay.backend.model import Model
    from interplay.backend.trace import Trace

    if getattr(Model, "_interplay_aliases", False):
        return

    def attention(self: Any, prompts: Any, **kwargs: Any) -> Any:
        warn("model.attention(prompt)", "interplay.attention(model, prompt).show()")
        from interplay.methods.attention import attention as run

        return run(self, prompts).show(**kwargs)

    def heatmap(self: Any, key: str = "resid_post", *, batch: int = 0, reduce: str = "norm", **kwargs: Any) -> Any:
        warn("trace.heatmap(...)", "interplay.heatmap(trace, ...).show()")
        from interplay.methods.activations import heatmap as run

        return run(self, key=key, batch=batch, reduce=reduce).show(**kwargs)

    Model.attention = attention  # type: ignore[attr-defined]
    Trace.heatmap = heatmap  # type: ignore[attr-defined]
    Model._interplay_aliases = True  # type: ignore[attr-defined]


def install_views() -> None:
    """Attach ``AttentionView.from_trace`` (deprecated)."""
    from interplay.widgets.attention import AttentionView

    if "from_trace" in AttentionView.__dict__:
        return

    def from_trace(cls: Any, /, trace: Any, *, batch: int = 0, **kwargs: Any) -> Any:
        warn("AttentionView.from_trace(trace)", "interplay.attention(trace).show()")
        from interplay.methods.attention import attention as run

        return run(trace, batch=batch).show(**kwargs)

    AttentionView.from_trace = classmethod(from_trace)  # type: ignore[attr-defined]


def __getattr__(name: str) -> Any:
    makers = {"TokenHeatmap": _token_heatmap, "Annotator": _annotator, "PatchingExplorer": _patching_explorer,
              "CircuitGraph": _circuit_graph, "Circuit": _circuit}
    if name not in makers:
        raise AttributeError(f"module 'interplay._aliases' has no attribute {name!r}")
    value = makers[name]()
    globals()[name] = value
    return value


def _token_heatmap() -> Any:
    from interplay.widgets.token_heatmap import TokenHeatmapView, heatmap_data

    class TokenHeatmap(TokenHeatmapView):
        """Deprecated: ``TokenHeatmapView.from_arrays(tokens, values, ...)``."""

        def __init__(self, tokens: Any, values: Any, *, labels: Any = None, cmap: str = "auto", center: Any = None,
                     title: str = "", value_label: str = "value", **kwargs: Any) -> None:
            warn("interplay.TokenHeatmap(tokens, values)", "interplay.TokenHeatmapView.from_arrays(tokens, values)")
            data = heatmap_data(tokens, values, labels=labels, cmap=cmap, center=center, title=title,
                                value_label=value_label)
            super().__init__(data, cmap=cmap, center=center, **kwargs)

    return TokenHeatmap


def _annotator() -> Any:
    from interplay.widgets.annotator import AnnotatorView

    class Annotator(AnnotatorView):
        """Deprecated: ``AnnotatorView.from_texts(texts, labels, ...)``."""

        def __init__(self, texts_or_traces: Any, labels: Any = ("label",), model: Any = None, **kwargs: Any) -> None:
            warn("interplay.Annotator(texts, labels, ...)", "interplay.AnnotatorView.from_texts(texts, labels, ...)")
            data, options = AnnotatorView.data_from_texts(texts_or_traces, labels, model=model, **kwargs)
            super().__init__(data, **options)

    return Annotator


def _patching_explorer() -> Any:
    def PatchingExplorer(result: Any, **kwargs: Any) -> Any:
        warn("interplay.PatchingExplorer(result)", "result.show() (a PatchingView)")
        return result.show(**kwargs)

    return PatchingExplorer


def _circuit_graph() -> Any:
    def CircuitGraph(circuit: Any, **kwargs: Any) -> Any:
        warn("interplay.CircuitGraph(circuit)", "circuit.show() (a CircuitView)")
        return circuit.show(**kwargs)

    return CircuitGraph


def _circuit() -> Any:
    warn("interplay.Circuit", "interplay.CircuitResult", stacklevel=4)
    from interplay.results.circuit import CircuitResult

    return CircuitResult
