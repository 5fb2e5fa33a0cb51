/**
 * The TokenHeatmap's state and what the view derives from it: validation (with messages the
 * view shows instead of a blank area), the colour scale, display tokens, tooltip lines. Pure.
 */

import { decodeArray, type DecodedArray } from "../lib/codec";
import { formatValue } from "../lib/format";
import { makeScale, type Scale } from "../lib/scales";
import { displayToken, exactToken } from "../lib/tokens";
import type { ScaleSpec, Selection, WirePayload } from "../lib/types";

/** The synced traits (ARCHITECTURE.md, "TokenHeatmap"). */
export interface TokenHeatmapState {
  tokens: string[];
  values: WirePayload | null;
  row_labels: string[];
  scale: ScaleSpec;
  title: string;
  value_label: string;
  selected: Selection | null;
}

export const TRAITS = ["tokens", "values", "row_labels", "scale", "title", "value_label", "selected"] as const;

export const DEFAULT_STATE: TokenHeatmapState = {
  tokens: [],
  values: null,
  row_labels: [],
  scale: { kind: "sequential", cmap: "viridis", center: null },
  title: "",
  value_label: "value",
  selected: null,
};

/** Everything drawing needs, derived once per data change. */
export interface Prepared {
  decoded: DecodedArray;
  rows: number;
  cols: number;
  /** Values as float32, row-major [rows, cols]. */
  values: Float32Array;
  scale: Scale;
  /** Tokens in their visible form (␣, ↵, …). */
  display: string[];
  rowLabels: string[];
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === "string");
}

/** Validate the state and derive what the view draws; throws an Error with a readable message. */
export function prepare(state: TokenHeatmapState): Prepared {
  if (state.values === null || state.values === undefined) throw new Error("no values to show (the `values` trait is empty)");
  const decoded = decodeArray(state.values);
  if (decoded.shape.length !== 2) {
    throw new Error(`values must be 2-D [row, pos], got shape [${decoded.shape.join(", ")}] with dims ${JSON.stringify(decoded.dims)}`);
  }
  const [rows, cols] = decoded.shape;
  if (!isStringArray(state.tokens)) throw new Error("tokens must be a list of strings");
  if (!isStringArray(state.row_labels)) throw new Error("row_labels must be a list of strings");
  if (state.tokens.length !== cols) {
    throw new Error(`${state.tokens.length} tokens, but values have ${cols} positions (shape [${rows}, ${cols}])`);
  }
  if (state.row_labels.length !== rows) {
    throw new Error(`${state.row_labels.length} row labels, but values have ${rows} rows (shape [${rows}, ${cols}])`);
  }
  return {
    decoded,
    rows,
    cols,
    values: decoded.values(),
    scale: makeScale(state.scale, decoded.vmin, decoded.vmax),
    display: state.tokens.map(displayToken),
    rowLabels: state.row_labels,
  };
}

/** A selection that points at a cell of the data, or null. */
export function validSelection(sel: Selection | null | undefined, p: Prepared): Selection | null {
  if (!sel || typeof sel !== "object") return null;
  const { row, pos } = sel;
  if (!Number.isInteger(row) || !Number.isInteger(pos)) return null;
  return row >= 0 && row < p.rows && pos >= 0 && pos < p.cols ? { row, pos } : null;
}

/** Tooltip lines for a cell: token (visible form), its exact JSON form, `pos N`, row label, value. */
export function tooltipLines(p: Prepared, tokens: readonly string[], valueLabel: string, row: number, col: number): string[] {
  const lines = [p.display[col], exactToken(tokens[col]), `pos ${col}`];
  if (p.rowLabels[row] !== "") lines.push(p.rowLabels[row]);
  const value = formatValue(p.decoded.get(row, col), p.decoded.dtype, p.decoded.encoding);
  lines.push(`${valueLabel || "value"}: ${value}`);
  return lines;
}

/** Tooltip lines for a column header: the token and its position. */
export function columnLines(p: Prepared, tokens: readonly string[], col: number): string[] {
  return [p.display[col], exactToken(tokens[col]), `pos ${col}`];
}

/** Row height (CSS px) for a number of rows: tall enough for text in one row, compact for many. */
export function cellHeightFor(rows: number): number {
  if (rows === 1) return 28;
  if (rows <= 8) return 24;
  if (rows <= 24) return 18;
  if (rows <= 40) return 14;
  return 12;
}
