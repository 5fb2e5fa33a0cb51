"""Circuit discovery: which edges of the model's graph carry a behaviour?

A transformer is a graph (see :mod:`interplay.data.graph`): the input embeddings, every attention
head, every MLP and the logits, connected through the residual stream. A *circuit* is a small
subgraph that, on its own, reproduces the behaviour. Edge attribution patching scores every edge
at once from gradients (:mod:`~interplay.methods.circuits.eap`: EAP, Syed et al. 2023; EAP-IG,
Hanna et al. 2024); keeping the top edges and checking that they recover the metric when every
other edge is patched (:mod:`~interplay.methods.circuits.faithfulness`) finds the circuit::

    >>> ds = interplay.tasks.ioi(n=50)
    >>> c = interplay.circuit(model, ds, method="eap-ig")
    >>> c.top_edges(10)
    >>> small = c.prune(k=60)
    >>> small.faithfulness()            # fraction of the logit difference the 60 edges recover
    >>> small.show()                    # CircuitView widget; .plot() for a matplotlib figure

Package shape (as every method family): this entry point; the result
(:class:`interplay.results.circuit.CircuitResult`, numpy only: selection, pruning, exports); the
graph of a loaded model (:mod:`.graph`); the one graph pass through the backend's forward engine
(:mod:`.engine`); the edge scores (:mod:`.eap`) and the patched runs (:mod:`.faithfulness`); the
batched prompts (:mod:`.inputs`) and the live session behind the result and its view
(:mod:`.session`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interplay._deprecation import positional_options
from interplay.data.circuit import CircuitData
from interplay.data.graph import Graph, expected_edges, make_graph
from interplay.errors import InterplayError
from interplay.methods.circuits.eap import METHODS, check_method, edge_scores
from interplay.methods.circuits.graph import model_graph
from interplay.methods.circuits.inputs import prepare
from interplay.methods.circuits.session import CircuitSession
from interplay.results.circuit import CircuitResult

if TYPE_CHECKING:
    from interplay.backend.model import Model

__all__ = ["METHODS", "CircuitResult", "Graph", "circuit", "expected_edges", "make_graph", "model_graph"]


@positional_options(3, ("metric",), "interplay.circuit(model, clean, corrupted, metric)")
def circuit(model: Model, clean: Any, corrupted: Any = None, *, metric: Any = None, method: str = "eap",
            steps: int = 30, qkv: bool = False, batch_size: int | None = None, progress: bool = True) -> CircuitResult:
    """Score every edge of ``model``'s graph for the behaviour ``clean`` shows and ``corrupted`` lacks.

    ``clean``/``corrupted``/``metric``: as in :func:`interplay.patch` (a task dataset as ``clean``
    brings its corrupted twins and its logit difference). ``method``: ``"eap"`` (one gradient at the
    clean run) or ``"eap-ig"`` (gradients averaged over ``steps`` points between the corrupted and
    clean input embeddings; ``steps=1`` equals EAP). ``qkv=True``: separate query, key and value
    inputs per head. ``batch_size``: prompt pairs per pass (default 32). Returns a
    :class:`CircuitResult` (every edge kept; ``.prune(k=...)`` selects).
    """
    from interplay.backend.model import Model

    if not isinstance(model, Model):
        raise InterplayError(f"circuit(model, clean, corrupted): the first argument is an interplay Model "
                             f"(interplay.load(...)), not a {type(model).__name__}")
    if not isinstance(qkv, bool):
        raise InterplayError(f"qkv={qkv!r} must be True (separate query/key/value inputs per head) or False")
    n_steps = check_method(method, steps)
    graph = model_graph(model, qkv=qkv)
    inputs = prepare(model, clean, corrupted, metric, batch_size)
    scores = edge_scores(inputs, graph, method=method, steps=n_steps, progress=progress)
    clean_value = inputs.value(inputs.clean_logits)
    corrupted_value = inputs.value(inputs.corrupted_logits)
    label = inputs.metric.label
    notes = [
        f"{method} over {inputs.n} prompt pair(s)" + (f", {n_steps} interpolation steps" if method == "eap-ig" else ""),
        f"metric {label} at each prompt's last token: clean {clean_value:.4g}, corrupted {corrupted_value:.4g}",
        "score(u->v) ~ change of the metric when edge u->v alone carries the corrupted value",
    ]
    data = CircuitData(n_layers=graph.n_layers, n_heads=graph.n_heads, qkv=graph.qkv, parallel=graph.parallel,
                       scores=scores, method=method, steps=n_steps, metric_label=label, clean_value=clean_value,
                       corrupted_value=corrupted_value, n_prompts=inputs.n, prompts=list(inputs.pair.clean.texts),
                       notes=notes)
    return CircuitResult(data, CircuitSession(inputs, graph))
