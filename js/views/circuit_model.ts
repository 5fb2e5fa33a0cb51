/**
 * CircuitView's data and pure geometry: decoded traits, the layered layout, top-k selection with
 * pruning to input-to-logits paths (the same rule as Python's `CircuitData.select`), and the paths
 * through a node. No DOM here: tested in node.
 */

import { decodeArray, type OptionalPayload } from "../lib/codec";
import type { WirePayload } from "../lib/types";

export interface GraphNode {
  name: string;
  kind: "input" | "head" | "mlp" | "logits";
  layer: number;
  head: number;
}

export interface GraphSpec {
  n_layers: number;
  n_heads: number;
  qkv: boolean;
  parallel: boolean;
  nodes: GraphNode[];
  dests?: string[];
}

export interface Faithfulness {
  k: number;
  edges: number;
  value: number | null;
  metric?: number;
  ablation?: string;
  /** Why there is no value: e.g. the view has no live model to measure it. */
  note?: string;
}

export interface CircuitState {
  graph: GraphSpec | Record<string, never>;
  edge_src: OptionalPayload;
  edge_dst: OptionalPayload;
  edge_kind: OptionalPayload;
  edge_score: OptionalPayload;
  n_edges_total: number;
  k: number;
  faithfulness: Faithfulness | null;
  method: string;
  metric_label: string;
  clean_value: number;
  corrupted_value: number;
  prompts: string[];
  prompt_index: number;
  title: string;
  notes: string[];
  selected: { node: string } | null;
}

export const TRAITS: readonly (keyof CircuitState & string)[] = [
  "graph", "edge_src", "edge_dst", "edge_kind", "edge_score", "n_edges_total", "k", "faithfulness", "method",
  "metric_label", "clean_value", "corrupted_value", "prompts", "prompt_index", "title", "notes", "selected",
];

export const DEFAULT_STATE: CircuitState = {
  graph: {}, edge_src: null, edge_dst: null, edge_kind: null, edge_score: null, n_edges_total: 0, k: 0,
  faithfulness: null, method: "", metric_label: "", clean_value: 0, corrupted_value: 0, prompts: [], prompt_index: 0,
  title: "", notes: [], selected: null,
};

/** Edges sorted by |score| (as sent): node indices of source and destination, input kind, score. */
export interface EdgeData {
  src: Int32Array;
  dst: Int32Array;
  /** 0 = the node's whole input, 1/2/3 = its query/key/value input. */
  kind: Uint8Array;
  score: Float32Array;
  vmin: number | null;
  vmax: number | null;
  count: number;
}

export function isGraph(g: CircuitState["graph"]): g is GraphSpec {
  return Array.isArray((g as GraphSpec).nodes);
}

export function decodeEdges(s: Pick<CircuitState, "edge_src" | "edge_dst" | "edge_kind" | "edge_score">): EdgeData | null {
  const payloads = [s.edge_src, s.edge_dst, s.edge_kind, s.edge_score];
  if (payloads.some((p) => !p || !("data" in p))) return null;
  const [src, dst, kind, score] = payloads.map((p) => decodeArray(p as WirePayload));
  const count = score.size;
  if (src.size !== count || dst.size !== count || kind.size !== count) {
    throw new Error(`circuit edges: payload sizes differ (${src.size}, ${dst.size}, ${kind.size}, ${count})`);
  }
  return {
    src: Int32Array.from(src.data as ArrayLike<number>),
    dst: Int32Array.from(dst.data as ArrayLike<number>),
    kind: Uint8Array.from(kind.data as ArrayLike<number>),
    score: score.values(),
    vmin: score.vmin,
    vmax: score.vmax,
    count,
  };
}

// ---------------------------------------------------------------------------------- layout
export const COL_W = 46;
export const ROW_H = 84;
export const GUTTER = 44;
export const MARGIN = 24;
export const HEAD_R = 10;

export interface NodeBox {
  x: number;
  y: number;
  /** Half width / half height of the node's shape. */
  hw: number;
  hh: number;
  label: string;
}

export interface Layout {
  width: number;
  height: number;
  nodes: NodeBox[];
  /** y of each layer's row of heads (row labels "L0".. sit at x = GUTTER - 8). */
  rows: number[];
}

/** Layers as rows (input at the bottom, logits at the top), heads in order, the MLP after them half a row up. */
export function layoutGraph(g: GraphSpec): Layout {
  const H = g.n_heads;
  const L = g.n_layers;
  const width = GUTTER + (H + 1) * COL_W + MARGIN;
  const height = MARGIN * 2 + (L + 1) * ROW_H;
  const yOfRow = (row: number): number => height - MARGIN - row * ROW_H; // row 0 = input
  const mid = GUTTER + ((H + 1) * COL_W) / 2;
  const rows: number[] = [];
  for (let l = 0; l < L; l++) rows.push(yOfRow(l + 1) + ROW_H * 0.2);
  const nodes = g.nodes.map((n): NodeBox => {
    if (n.kind === "input") return { x: mid, y: yOfRow(0), hw: 26, hh: 10, label: "input" };
    if (n.kind === "logits") return { x: mid, y: yOfRow(L + 1), hw: 26, hh: 10, label: "logits" };
    if (n.kind === "head") return { x: GUTTER + (n.head + 0.5) * COL_W, y: rows[n.layer], hw: HEAD_R, hh: HEAD_R, label: String(n.head) };
    return { x: GUTTER + (H + 0.5) * COL_W, y: rows[n.layer] - ROW_H * 0.4, hw: 18, hh: 9, label: "MLP" };
  });
  return { width, height, nodes, rows };
}

/** SVG path of an edge from the top of `a` to the bottom of `b` (q/k/v inputs at the left/middle/right). */
export function edgePath(a: NodeBox, b: NodeBox, kind: number): string {
  const x1 = a.x;
  const y1 = a.y - a.hh;
  const x2 = b.x + (kind === 0 ? 0 : (kind - 2) * b.hw * 0.7);
  const y2 = b.y + b.hh;
  const my = (y1 + y2) / 2;
  const f = (v: number): string => v.toFixed(1);
  return `M${f(x1)},${f(y1)}C${f(x1)},${f(my)} ${f(x2)},${f(my)} ${f(x2)},${f(y2)}`;
}

// ------------------------------------------------------------------------------- selection
/**
 * Indices (into the sent edges) of the top `k` edges that lie on a path from the input node to the
 * logits node through top-`k` edges. Node indices are topological (the graph's order).
 */
export function selectEdges(e: EdgeData, k: number, nNodes: number): number[] {
  const n = Math.max(0, Math.min(k, e.count));
  const fwd = new Uint8Array(nNodes);
  const back = new Uint8Array(nNodes);
  fwd[0] = 1;
  back[nNodes - 1] = 1;
  const order = Array.from({ length: n }, (_, i) => i);
  for (const i of [...order].sort((a, b) => e.dst[a] - e.dst[b])) if (fwd[e.src[i]]) fwd[e.dst[i]] = 1;
  for (const i of [...order].sort((a, b) => e.src[b] - e.src[a])) if (back[e.dst[i]]) back[e.src[i]] = 1;
  return order.filter((i) => fwd[e.src[i]] && back[e.dst[i]]);
}

/** Nodes and edges on paths through `node` among the selected edges (its ancestors and descendants). */
export function pathsThrough(e: EdgeData, selected: readonly number[], node: number): { nodes: Set<number>; edges: Set<number> } {
  const up = new Set<number>([node]);
  const down = new Set<number>([node]);
  const bySrcDesc = [...selected].sort((a, b) => e.src[b] - e.src[a]);
  for (const i of bySrcDesc) if (up.has(e.dst[i])) up.add(e.src[i]);
  const byDstAsc = [...selected].sort((a, b) => e.dst[a] - e.dst[b]);
  for (const i of byDstAsc) if (down.has(e.src[i])) down.add(e.dst[i]);
  const edges = new Set<number>();
  for (const i of selected) {
    if ((up.has(e.src[i]) && up.has(e.dst[i])) || (down.has(e.src[i]) && down.has(e.dst[i]))) edges.add(i);
  }
  return { nodes: new Set([...up, ...down]), edges };
}

/** Nodes touched by the selected edges. */
export function usedNodes(e: EdgeData, selected: readonly number[]): Set<number> {
  const s = new Set<number>();
  for (const i of selected) {
    s.add(e.src[i]);
    s.add(e.dst[i]);
  }
  return s;
}

export const KIND_LABEL = ["", "q", "k", "v"] as const;

export function edgeLabel(g: GraphSpec, e: EdgeData, i: number): string {
  const kind = KIND_LABEL[e.kind[i]] ?? "";
  return `${g.nodes[e.src[i]].name} → ${g.nodes[e.dst[i]].name}${kind ? ` (${kind})` : ""}`;
}

/**
 * How an edge is drawn among `visible` edges whose largest |score| is `limit`: the value to colour
 * (a square-root scale, so that weaker edges keep a visible colour beside a dominant one) and the
 * stroke width, sqrt(|score| / limit) of a maximum that shrinks as more edges are shown.
 */
export function edgeStyle(score: number, limit: number, visible: number): { colourValue: number; width: number } {
  const t = limit > 0 ? Math.sqrt(Math.min(1, Math.abs(score) / limit)) : 0;
  const maxWidth = 4.5 * Math.min(1, Math.max(0.35, Math.sqrt(60 / Math.max(1, visible))));
  return { colourValue: Math.sign(score) * t * limit, width: 0.6 + (maxWidth - 0.6) * t };
}

/** The largest |score| among the edges `indices` (1 when there are none). */
export function maxAbs(scores: ArrayLike<number>, indices: readonly number[]): number {
  let m = 0;
  for (const i of indices) m = Math.max(m, Math.abs(scores[i]));
  return m > 0 ? m : 1;
}
