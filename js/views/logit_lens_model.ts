/**
 * The LogitLens's state and what the view derives from it: validation (with messages the view
 * shows instead of a blank area), the colour scale, display tokens, the top-1 text of each cell,
 * tooltip lines. Pure.
 */

import { decodeArray, isPayload, type DecodedArray, type OptionalPayload } from "../lib/codec";
import { formatCompact, formatValue } from "../lib/format";
import { makeScale, type Scale } from "../lib/scales";
import { displayToken, exactToken } from "../lib/tokens";
import type { ScaleSpec, WirePayload } from "../lib/types";

export type LensMode = "top1_prob" | "target_prob" | "target_rank" | "kl";

/** The modes in menu order, with their labels. */
export const MODES: readonly { value: LensMode; label: string; needsTarget: boolean }[] = [
  { value: "top1_prob", label: "top-1 probability", needsTarget: false },
  { value: "target_prob", label: "target probability", needsTarget: true },
  { value: "target_rank", label: "target rank", needsTarget: true },
  { value: "kl", label: "KL to final", needsTarget: false },
];

/** The `selected` trait of the lens: a (layer, position) cell, or null. */
export interface LensSelection {
  layer: number;
  pos: number;
}

/** The synced traits (ARCHITECTURE.md, "LogitLens"). */
export interface LogitLensState {
  tokens: string[];
  layer_labels: string[];
  token_table: string[];
  top_ids: OptionalPayload;
  top_probs: OptionalPayload;
  color: OptionalPayload;
  scale: ScaleSpec;
  mode: string;
  target: string;
  target_error: string;
  target_probs: OptionalPayload;
  target_ranks: OptionalPayload;
  apply_ln: boolean;
  notes: string[];
  computing: boolean;
  selected: LensSelection | null;
}

export const TRAITS = [
  "tokens", "layer_labels", "token_table", "top_ids", "top_probs", "color", "scale", "mode", "target",
  "target_error", "target_probs", "target_ranks", "apply_ln", "notes", "computing", "selected",
] as const satisfies readonly (keyof LogitLensState)[];

/** Traits the grid's data depends on (the rest only touch controls, legend text and tooltips). */
export const DATA_TRAITS = ["tokens", "layer_labels", "token_table", "top_ids", "top_probs", "color", "scale", "target_probs", "target_ranks"] as const;

export const DEFAULT_STATE: LogitLensState = {
  tokens: [],
  layer_labels: [],
  token_table: [],
  top_ids: null,
  top_probs: null,
  color: null,
  scale: { kind: "sequential", cmap: "viridis", center: null },
  mode: "top1_prob",
  target: "",
  target_error: "",
  target_probs: null,
  target_ranks: null,
  apply_ln: true,
  notes: [],
  computing: false,
  selected: null,
};

/** Everything drawing needs, derived once per data change. */
export interface LensPrepared {
  rows: number;
  cols: number;
  k: number;
  topIds: DecodedArray;
  topProbs: DecodedArray;
  color: DecodedArray;
  /** Colour values as float32, row-major [layers, positions]. */
  values: Float32Array;
  scale: Scale;
  targetProbs: DecodedArray | null;
  targetRanks: DecodedArray | null;
  /** Input tokens in their visible form (␣, ↵, …). */
  display: string[];
  /** `token_table` in its visible form. */
  table: string[];
  layerLabels: string[];
  /** Top-1 display strings per layer, built on first use. */
  top1: Map<number, string[]>;
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === "string");
}

const decoded = new WeakMap<object, DecodedArray>();

/** Decode once per payload object (traits are re-read on every change of any trait). */
function decode(payload: WirePayload): DecodedArray {
  const hit = decoded.get(payload);
  if (hit) return hit;
  const d = decodeArray(payload);
  decoded.set(payload, d);
  return d;
}

const shapeText = (d: DecodedArray): string => `[${d.shape.join(", ")}]`;

function expectGrid(name: string, d: DecodedArray, rows: number, cols: number): void {
  if (d.shape.length !== 2 || d.shape[0] !== rows || d.shape[1] !== cols) {
    throw new Error(`${name} must have shape [layer, pos] = [${rows}, ${cols}], got ${shapeText(d)}`);
  }
}

/** Validate the state and derive what the view draws; throws an Error with a readable message. */
export function prepare(state: LogitLensState): LensPrepared {
  if (!isStringArray(state.tokens)) throw new Error("tokens must be a list of strings");
  if (!isStringArray(state.layer_labels)) throw new Error("layer_labels must be a list of strings");
  if (!isStringArray(state.token_table)) throw new Error("token_table must be a list of strings");
  if (!isPayload(state.color)) throw new Error("no values to show (the `color` trait is empty)");
  if (!isPayload(state.top_ids) || !isPayload(state.top_probs)) throw new Error("no predictions to show (`top_ids` / `top_probs` are empty)");
  const color = decode(state.color);
  if (color.shape.length !== 2) throw new Error(`color must be 2-D [layer, pos], got shape ${shapeText(color)}`);
  const [rows, cols] = color.shape;
  if (state.tokens.length !== cols) throw new Error(`${state.tokens.length} tokens, but color has ${cols} positions (shape ${shapeText(color)})`);
  if (state.layer_labels.length !== rows) {
    throw new Error(`${state.layer_labels.length} layer labels, but color has ${rows} layers (shape ${shapeText(color)})`);
  }
  const topIds = decode(state.top_ids);
  const topProbs = decode(state.top_probs);
  const k = topIds.shape[2];
  if (topIds.shape.length !== 3 || topIds.shape[0] !== rows || topIds.shape[1] !== cols || !(k >= 1)) {
    throw new Error(`top_ids must have shape [layer, pos, k] = [${rows}, ${cols}, k ≥ 1], got ${shapeText(topIds)}`);
  }
  if (topProbs.shape.join() !== topIds.shape.join()) throw new Error(`top_probs has shape ${shapeText(topProbs)}, but top_ids has ${shapeText(topIds)}`);
  const n = state.token_table.length;
  const ids = topIds.data;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= n) throw new Error(`top_ids holds ${id}, outside the token_table of ${n} strings`);
  }
  const targetProbs = isPayload(state.target_probs) ? decode(state.target_probs) : null;
  const targetRanks = isPayload(state.target_ranks) ? decode(state.target_ranks) : null;
  if (targetProbs) expectGrid("target_probs", targetProbs, rows, cols);
  if (targetRanks) expectGrid("target_ranks", targetRanks, rows, cols);
  return {
    rows,
    cols,
    k,
    topIds,
    topProbs,
    color,
    values: color.values(),
    scale: makeScale(state.scale, color.vmin, color.vmax),
    targetProbs,
    targetRanks,
    display: state.tokens.map(displayToken),
    table: state.token_table.map(displayToken),
    layerLabels: state.layer_labels,
    top1: new Map(),
  };
}

/** The top-1 prediction (display form) of every position of one layer. */
export function top1Row(p: LensPrepared, layer: number): string[] {
  let row = p.top1.get(layer);
  if (!row) {
    const ids = p.topIds.data;
    const base = layer * p.cols * p.k;
    row = Array.from({ length: p.cols }, (_, pos) => p.table[ids[base + pos * p.k]]);
    p.top1.set(layer, row);
  }
  return row;
}

/**
 * True when the target modes can be used: Python accepted a target and sent its probabilities.
 * (A later refused target leaves them in place, with `target_error` saying why.)
 */
export function hasTarget(state: Pick<LogitLensState, "target_probs">): boolean {
  return isPayload(state.target_probs);
}

export function modeLabel(mode: string): string {
  return MODES.find((m) => m.value === mode)?.label ?? mode;
}

/** Legend caption: the mode, and the target for the target modes. */
export function legendCaption(state: Pick<LogitLensState, "mode" | "target">): string {
  const needsTarget = MODES.find((m) => m.value === state.mode)?.needsTarget ?? false;
  return needsTarget && state.target !== "" ? `${modeLabel(state.mode)} of ${displayToken(state.target)}` : modeLabel(state.mode);
}

/** A probability for tooltips: 3 decimals, or 3 significant digits below 0.001. */
export function formatProb(p: number): string {
  if (Number.isNaN(p)) return "NaN";
  return p !== 0 && Math.abs(p) < 1e-3 ? formatCompact(p, 3) : p.toFixed(3);
}

/**
 * Tooltip lines for a cell: where it is (layer, position, input token), the top-k predictions
 * with their probabilities, the target's probability and rank when there is a target, and the
 * KL value in KL mode.
 */
export function tooltipLines(p: LensPrepared, state: Pick<LogitLensState, "mode" | "target">, layer: number, pos: number): string[] {
  const lines = [`${p.layerLabels[layer]} · pos ${pos} · ${p.display[pos]}`];
  for (let j = 0; j < p.k; j++) {
    const id = p.topIds.get(layer, pos, j);
    lines.push(`${j + 1}. ${p.table[id]}  ${formatProb(p.topProbs.get(layer, pos, j))}`);
  }
  if (p.targetProbs || p.targetRanks) {
    const parts: string[] = [];
    if (p.targetProbs) parts.push(formatProb(p.targetProbs.get(layer, pos)));
    if (p.targetRanks) parts.push(`rank ${formatValue(p.targetRanks.get(layer, pos), p.targetRanks.dtype)} (0 = top)`);
    lines.push(`target ${displayToken(state.target)}: ${parts.join(", ")}`);
  }
  if (state.mode === "kl") lines.push(`${modeLabel("kl")}: ${formatValue(p.color.get(layer, pos), p.color.dtype, p.color.encoding)}`);
  return lines;
}

/** Tooltip lines for a column header: the input token and its position. */
export function columnLines(p: LensPrepared, tokens: readonly string[], pos: number): string[] {
  return [p.display[pos], exactToken(tokens[pos]), `pos ${pos}`];
}

/** Row height (CSS px): tall enough for a line of text in each cell. */
export function lensCellHeight(rows: number): number {
  return rows <= 32 ? 20 : 16;
}

/** A `selected` value that points at a cell of the data, or null. */
export function validSelection(sel: unknown, p: Pick<LensPrepared, "rows" | "cols">): LensSelection | null {
  if (!sel || typeof sel !== "object") return null;
  const { layer, pos } = sel as Partial<LensSelection>;
  if (!Number.isInteger(layer) || !Number.isInteger(pos)) return null;
  const l = layer as number;
  const q = pos as number;
  return l >= 0 && l < p.rows && q >= 0 && q < p.cols ? { layer: l, pos: q } : null;
}
