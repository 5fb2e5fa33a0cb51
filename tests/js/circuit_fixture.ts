/** A CircuitView state for tests: 2 layers x 3 heads (non-square on purpose), hand-made edges. */

import type { CircuitState, GraphNode } from "../../js/views/circuit_model";
import { payloadOf } from "./helpers";

export function graphNodes(layers = 2, heads = 3): GraphNode[] {
  const nodes: GraphNode[] = [{ name: "input", kind: "input", layer: -1, head: -1 }];
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) nodes.push({ name: `L${l}.H${h}`, kind: "head", layer: l, head: h });
    nodes.push({ name: `MLP${l}`, kind: "mlp", layer: l, head: -1 });
  }
  nodes.push({ name: "logits", kind: "logits", layer: layers, head: -1 });
  return nodes;
}

// node indices: 0 input, 1-3 L0 heads, 4 MLP0, 5-7 L1 heads, 8 MLP1, 9 logits
export const EDGES: [number, number, number, number][] = [
  // src, dst, kind, score (sorted by |score|)
  [0, 1, 0, -2.0],
  [1, 9, 0, 1.5],
  [6, 8, 0, -1.0], // L1.H1 -> MLP1: L1.H1 is fed only by the 5th edge
  [8, 9, 0, 0.8],
  [0, 6, 2, 0.5], // input -> L1.H1 (key input)
  [3, 4, 0, -0.2], // dangling: nothing feeds L0.H2 in the top edges, MLP0 never reaches the logits
];

export function circuitState(): CircuitState {
  const col = (j: number): number[] => EDGES.map((e) => e[j]);
  const score = Float32Array.from(col(3));
  return {
    graph: { n_layers: 2, n_heads: 3, qkv: true, parallel: false, nodes: graphNodes() },
    edge_src: payloadOf(Int32Array.from(col(0)), "int32", [EDGES.length]),
    edge_dst: payloadOf(Int32Array.from(col(1)), "int32", [EDGES.length]),
    edge_kind: payloadOf(Uint8Array.from(col(2)), "uint8", [EDGES.length]),
    edge_score: payloadOf(score, "float32", [EDGES.length], { vmin: -2, vmax: 2 }),
    n_edges_total: 80,
    k: 4,
    faithfulness: null,
    method: "eap",
    metric_label: "logit diff",
    clean_value: 3,
    corrupted_value: 0,
    prompts: ["When Mary and John went", "When Anna and Bob went"],
    prompt_index: 0,
    title: "eap circuit",
    notes: ["a note"],
    selected: null,
  };
}
