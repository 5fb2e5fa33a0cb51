"""The live part of a circuit: the model and the prompts, for faithfulness runs and node details.

:class:`CircuitSession` implements :class:`~interplay.widgets.circuit.CircuitSource`: the metric
with every edge outside a mask patched (the reference runs, corrupted or mean, computed once per
ablation and kept), and for a clicked head or MLP its attention pattern on one clean prompt and
its direct logit attribution toward the metric's answer (against its wrong answer, for a logit
difference; the model's own top prediction for other metrics).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from interplay.data.graph import Graph
from interplay.errors import InterplayError
from interplay.methods.circuits.faithfulness import References, patched_metric
from interplay.methods.circuits.inputs import CircuitInputs


class CircuitSession:
    """``CircuitSession(inputs, graph)``: what :func:`interplay.circuit` leaves attached to its result."""

    def __init__(self, inputs: CircuitInputs, graph: Graph) -> None:
        self.inputs, self.graph = inputs, graph
        self._refs: dict[str, References] = {}

    @property
    def model(self) -> Any:
        return self.inputs.model

    def circuit_metric(self, mask: npt.NDArray[np.bool_], ablation: str) -> float:
        if ablation not in self._refs:
            self._refs[ablation] = References(self.inputs, self.graph, ablation)
        return patched_metric(self.inputs, self.graph, np.asarray(mask, bool), self._refs[ablation])

    def node(self, name: str, prompt: int) -> dict[str, Any]:
        from interplay.methods.dla import direct_logit_attribution

        by_name = {n.name: n for n in self.graph.nodes}
        if name not in by_name or by_name[name].kind not in ("head", "mlp"):
            raise InterplayError(f"no head or MLP named {name!r} in this graph (e.g. 'L0.H1', 'MLP0')")
        node = by_name[name]
        texts = self.inputs.pair.clean.texts
        if isinstance(prompt, bool) or not isinstance(prompt, int) or not 0 <= prompt < len(texts):
            raise InterplayError(f"prompt={prompt!r} is out of range: the circuit has {len(texts)} prompts "
                                 f"(0..{len(texts) - 1})")
        m = self.inputs.metric
        target = _item(m.answer, prompt) if m.kind in ("logit_diff", "prob") else None
        baseline = _item(m.wrong, prompt) if m.kind == "logit_diff" else None
        pattern_name = f"blocks.{node.layer}.attn.hook_pattern"
        trace = self.model.run(texts[prompt], capture=[pattern_name] if node.kind == "head" else [])
        dla = direct_logit_attribution(trace, target=target, baseline=baseline).data
        out: dict[str, Any] = {"dla_label": dla.target_label}
        if node.kind == "head":
            out["dla"] = float(dla.heads[node.layer, node.head])
            out["tokens"] = list(trace.str_tokens[0])
            out["pattern"] = trace.activations[pattern_name][0, node.head].float().cpu().numpy().astype(np.float32)
        else:
            labels = list(dla.component_labels)
            label = f"L{node.layer}.mlp"
            out["dla"] = float(dla.components[labels.index(label)]) if label in labels else None
        return out


def _item(tokens: Any, i: int) -> Any:
    if tokens is None or isinstance(tokens, (str, int)):
        return tokens
    return list(tokens)[i]
