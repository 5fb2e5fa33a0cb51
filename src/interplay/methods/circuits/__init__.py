"""Circuit discovery: which edges of the model's graph carry a behaviour?

A transformer is a graph (see :mod:`~interplay.methods.circuits.graph`): the input embeddings, every
attention head, every MLP and the logits, connected through the residual stream. A *circuit* is a
small subgraph that, on its own, reproduces the behaviour. Edge attribution patching scores every
edge at once from gradients (:mod:`~interplay.methods.circuits.eap`: EAP, Syed et al. 2023; EAP-IG,
Hanna et al. 2024); keeping the top edges and checking that they recover the metric when every
other edge is patched (:mod:`~interplay.methods.circuits.faithfulness`) finds the circuit::

    >>> ds = interplay.tasks.ioi(n=50)
    >>> c = interplay.circuit(model, ds, method="eap-ig")
    >>> c.top_edges(10)
    >>> small = c.prune(k=60)
    >>> small.faithfulness()            # fraction of the logit difference the 60 edges recover
    >>> small.show()                    # CircuitGraph widget; .plot() for a matplotlib figure
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interplay.methods.circuits._data import prepare
from interplay.methods.circuits.eap import METHODS, edge_scores
from interplay.methods.circuits.graph import Graph, expected_edges, make_graph, model_graph
from interplay.methods.circuits.result import Circuit

if TYPE_CHECKING:
    from interplay.backend.model import Model

__all__ = ["METHODS", "Circuit", "Graph", "circuit", "expected_edges", "make_graph", "model_graph"]


def circuit(model: Model, clean: Any, corrupted: Any = None, metric: Any = None, *, method: str = "eap",
            steps: int = 30, qkv: bool = False, batch_size: int | None = None, progress: bool = True) -> Circuit:
    """Score every edge of ``model``'s graph for the behaviour ``clean`` shows and ``corrupted`` lacks.

    ``clean``/``corrupted``/``metric``: as in :func:`interplay.patch` (a task dataset as ``clean`` brings
    its corrupted twins and its logit difference). ``method``: ``"eap"`` (one gradient at the clean
    run) or ``"eap-ig"`` (gradients averaged over ``steps`` points between the corrupted and clean input
    embeddings; ``steps=1`` equals EAP). ``qkv=True``: separate query, key and value inputs per head.
    ``batch_size``: prompt pairs per pass (default 32). Returns a :class:`Circuit` (every edge kept;
    ``.prune(k=...)`` selects).
    """
    graph = model_graph(model, qkv=qkv)
    data = prepare(model, clean, corrupted, metric, batch_size)
    scores = edge_scores(data, graph, method=method, steps=steps, progress=progress)
    clean_value = data.value(data.clean_logits)
    corrupted_value = data.value(data.corrupted_logits)
    n_steps = 1 if method == "eap" else steps
    notes = [
        f"{method} over {data.n} prompt pair(s)" + (f", {n_steps} interpolation steps" if method == "eap-ig" else ""),
        f"metric {data.metric.label} at each prompt's last token: clean {clean_value:.4g}, corrupted {corrupted_value:.4g}",
        "score(u->v) ~ change of the metric when edge u->v alone carries the corrupted value",
    ]
    return Circuit(graph=graph, scores=scores, method=method, steps=n_steps, metric_label=data.metric.label,
                   clean_value=clean_value, corrupted_value=corrupted_value, n_prompts=data.n, notes=notes,
                   data=data)
