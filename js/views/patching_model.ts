/**
 * The PatchingExplorer's state and what the view derives from it: validation, the diverging scale
 * (centred at 0), tooltip lines, the cell → request mapping, top-k rows and the AtP-vs-exact
 * scatter geometry. Pure: no DOM.
 */

import { decodeArray, isPayload, type DecodedArray, type OptionalPayload } from "../lib/codec";
import { formatCompact, formatValue } from "../lib/format";
import { makeScale, type Scale } from "../lib/scales";
import { displayToken } from "../lib/tokens";

export interface CellSelection {
  row: number;
  col: number;
}

/** The synced traits (ARCHITECTURE.md, "PatchingExplorer"). */
export interface PatchingState {
  values: OptionalPayload;
  row_labels: string[];
  col_labels: string[];
  row_axis: string;
  col_axis: string;
  tokens: string[];
  corrupted_tokens: string[];
  differing: number[];
  component: string;
  components: string[];
  by: string;
  method: string;
  metric: string;
  metrics: string[];
  direction: string;
  value_label: string;
  title: string;
  compare: OptionalPayload;
  compare_r: number | null;
  notes: string[];
  computing: boolean;
  error: string;
  top_k: number;
  selected: CellSelection | null;
}

export const TRAITS = [
  "values", "row_labels", "col_labels", "row_axis", "col_axis", "tokens", "corrupted_tokens", "differing",
  "component", "components", "by", "method", "metric", "metrics", "direction", "value_label", "title",
  "compare", "compare_r", "notes", "computing", "error", "top_k", "selected",
] as const satisfies readonly (keyof PatchingState)[];

export const DEFAULT_STATE: PatchingState = {
  values: null, row_labels: [], col_labels: [], row_axis: "", col_axis: "", tokens: [], corrupted_tokens: [],
  differing: [], component: "", components: [], by: "", method: "exact", metric: "", metrics: [], direction: "",
  value_label: "", title: "", compare: null, compare_r: null, notes: [], computing: false, error: "", top_k: 10,
  selected: null,
};

/** One top-k list as Python sends it in the `cell` response. */
export interface TopK {
  tokens: string[];
  probs: number[];
}

/** The `cell` response. */
export interface CellResult {
  label: string;
  metric: number;
  value: number;
  clean: TopK;
  corrupted: TopK;
  patched: TopK;
}

export interface PatchingPrepared {
  rows: number;
  cols: number;
  grid: DecodedArray;
  values: Float32Array;
  scale: Scale;
  rowLabels: string[];
  colLabels: string[];
  /** Column indices that are positions where the clean and corrupted prompts differ. */
  differing: Set<number>;
}

const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === "string");

/** Validate the state and derive what the view draws; throws an Error with a readable message. */
export function prepare(state: PatchingState): PatchingPrepared {
  if (!isPayload(state.values)) throw new Error("no patching values to show (the `values` trait is empty)");
  const grid = decodeArray(state.values);
  if (grid.shape.length !== 2) throw new Error(`values must be 2-D [row, col], got shape [${grid.shape.join(", ")}]`);
  const [rows, cols] = grid.shape;
  if (!isStrings(state.row_labels) || state.row_labels.length !== rows) {
    throw new Error(`${Array.isArray(state.row_labels) ? state.row_labels.length : 0} row labels for ${rows} rows`);
  }
  if (!isStrings(state.col_labels) || state.col_labels.length !== cols) {
    throw new Error(`${Array.isArray(state.col_labels) ? state.col_labels.length : 0} column labels for ${cols} columns`);
  }
  const lo = grid.vmin === null ? null : Math.min(grid.vmin, 0);
  const hi = grid.vmax === null ? null : Math.max(grid.vmax, 0);
  const positional = state.col_axis === "pos";
  return {
    rows, cols, grid, values: grid.values(),
    scale: makeScale({ kind: "diverging", cmap: "rdbu", center: 0 }, lo, hi),
    rowLabels: state.row_labels,
    colLabels: positional ? state.col_labels.map(displayToken) : state.col_labels,
    differing: new Set(positional ? (state.differing ?? []).filter((p) => Number.isInteger(p)) : []),
  };
}

/** Tooltip lines: where the cell is, the clean/corrupted tokens at a position, the value. */
export function cellTooltip(p: PatchingPrepared, state: PatchingState, row: number, col: number): string[] {
  const lines = [`${state.row_axis || "row"} ${state.row_labels[row]}`];
  if (state.col_axis === "pos") {
    const clean = state.tokens[col];
    const corrupted = state.corrupted_tokens[col];
    lines.push(`pos ${col}: ${displayToken(clean ?? "")}` + (corrupted !== undefined && corrupted !== clean ? ` → corrupted ${displayToken(corrupted)}` : ""));
  } else {
    lines.push(`${state.col_axis || "col"} ${state.col_labels[col]}`);
  }
  lines.push(`${state.value_label || "value"}: ${formatValue(p.grid.get(row, col), p.grid.dtype, p.grid.encoding)}`);
  lines.push("click: run this patch");
  return lines;
}

/** Rows of one top-k list: [display token, "12.3%"]. */
export function topRows(list: TopK | undefined): [string, string][] {
  if (!list || !Array.isArray(list.tokens)) return [];
  return list.tokens.map((t, i) => [displayToken(t), `${formatCompact(100 * (list.probs[i] ?? NaN), 3)}%`]);
}

/** A `selected` value that points inside the grid, or null. */
export function validSelection(sel: unknown, p: Pick<PatchingPrepared, "rows" | "cols">): CellSelection | null {
  if (!sel || typeof sel !== "object") return null;
  const { row, col } = sel as Partial<CellSelection>;
  if (!Number.isInteger(row) || !Number.isInteger(col)) return null;
  return (row as number) >= 0 && (row as number) < p.rows && (col as number) >= 0 && (col as number) < p.cols ? { row: row as number, col: col as number } : null;
}

export interface ScatterPoint {
  x: number;
  y: number;
}

/** Points of the exact (x) vs attribution (y) scatter in a `size`² box with `pad` px margins. */
export function scatterPoints(compare: OptionalPayload, size: number, pad: number): { points: ScatterPoint[]; lo: number; hi: number } | null {
  if (!isPayload(compare)) return null;
  const d = decodeArray(compare);
  if (d.shape.length !== 2 || d.shape[0] !== 2) return null;
  const n = d.shape[1];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < 2 * n; i++) {
    const v = d.values()[i];
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) return { points: [], lo: 0, hi: 1 };
  if (hi === lo) hi = lo + 1;
  const span = size - 2 * pad;
  const at = (v: number): number => pad + ((v - lo) / (hi - lo)) * span;
  const points: ScatterPoint[] = [];
  for (let i = 0; i < n; i++) {
    const x = d.get(0, i);
    const y = d.get(1, i);
    if (Number.isFinite(x) && Number.isFinite(y)) points.push({ x: at(x), y: size - at(y) });
  }
  return { points, lo, hi };
}
