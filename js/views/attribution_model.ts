/**
 * The AttributionView's state and what the view derives from it: which row to show for a token
 * and settings, its colour scale, the convergence-delta text, tooltip lines and the matrix layout.
 * Pure (no DOM), tested in node.
 */

import { decodeArray } from "../lib/codec";
import { formatCompact, formatFloat32 } from "../lib/format";
import { makeScale, type Scale } from "../lib/scales";
import { displayToken, exactToken } from "../lib/tokens";
import type { WirePayload } from "../lib/types";

export interface Settings {
  method: string;
  score: string;
  contrast: string;
}

/** The synced traits (ARCHITECTURE.md, "AttributionView"). */
export interface AttributionState extends Settings {
  tokens: string[];
  n_prompt: number;
  methods: string[];
  signed_methods: string[];
  rows: WirePayload | null;
  row_targets: number[];
  row_labels: string[];
  row_deltas: (number | null)[];
  row_gaps: (number | null)[];
  row_limits: [number | null, number | null][];
  row_settings: Settings;
  selected: number | null;
  matrix: boolean;
  progress: number | null;
  title: string;
  notes: string[];
}

export const TRAITS = [
  "tokens", "n_prompt", "methods", "signed_methods", "method", "score", "contrast", "rows", "row_targets",
  "row_labels", "row_deltas", "row_gaps", "row_limits", "row_settings", "selected", "matrix", "progress",
  "title", "notes",
] as const;

export const SCORES = ["logit", "logprob", "prob"] as const;

export const DEFAULT_STATE: AttributionState = {
  tokens: [],
  n_prompt: 0,
  methods: [],
  signed_methods: [],
  method: "",
  score: "logit",
  contrast: "",
  rows: null,
  row_targets: [],
  row_labels: [],
  row_deltas: [],
  row_gaps: [],
  row_limits: [],
  row_settings: { method: "", score: "logit", contrast: "" },
  selected: null,
  matrix: false,
  progress: null,
  title: "",
  notes: [],
};

/** One attribution as shown: the scores of every token (NaN where it is not a source) for one target. */
export interface Shown {
  target: number;
  values: Float32Array;
  vmin: number | null;
  vmax: number | null;
  signed: boolean;
  label: string;
  delta: number | null;
  gap: number | null;
}

/** Several targets at once: the generation's [target, source] matrix. */
export interface Matrix {
  targets: number[];
  labels: string[];
  values: Float32Array;
  rows: number;
  cols: number;
  vmin: number | null;
  vmax: number | null;
  limits: [number | null, number | null][];
  deltas: (number | null)[];
  gaps: (number | null)[];
  signed: boolean;
}

export function settingsOf(s: Settings): Settings {
  return { method: s.method, score: s.score, contrast: s.contrast };
}

export function sameSettings(a: Settings, b: Settings): boolean {
  return a.method === b.method && a.score === b.score && a.contrast === b.contrast;
}

/** A key for caching one row (target + settings). */
export function rowKey(target: number, s: Settings): string {
  return JSON.stringify([target, s.method, s.score, s.contrast]);
}

/** The view's precomputed rows as a Matrix (throws a readable Error when they do not fit the tokens). */
export function matrixFromState(state: AttributionState): Matrix | null {
  if (state.rows === null || state.rows === undefined) return null;
  const d = decodeArray(state.rows);
  if (d.shape.length !== 2) throw new Error(`rows must be [target, source], got shape [${d.shape.join(", ")}]`);
  const [rows, cols] = d.shape;
  if (cols !== state.tokens.length) throw new Error(`rows have ${cols} sources but there are ${state.tokens.length} tokens`);
  if (state.row_targets.length !== rows) throw new Error(`${state.row_targets.length} row targets for ${rows} rows`);
  return {
    targets: state.row_targets.slice(),
    labels: state.row_labels.slice(),
    values: d.values(),
    rows,
    cols,
    vmin: d.vmin,
    vmax: d.vmax,
    limits: state.row_limits.slice(),
    deltas: state.row_deltas.slice(),
    gaps: state.row_gaps.slice(),
    signed: state.signed_methods.includes(state.row_settings.method),
  };
}

/** Row `target` of a matrix as a Shown (null if the matrix does not explain that token). */
export function rowOf(m: Matrix, target: number): Shown | null {
  const r = m.targets.indexOf(target);
  if (r < 0) return null;
  const [vmin, vmax] = m.limits[r] ?? [m.vmin, m.vmax];
  return {
    target,
    values: m.values.subarray(r * m.cols, (r + 1) * m.cols),
    vmin,
    vmax,
    signed: m.signed,
    label: m.labels[r] ?? "",
    delta: m.deltas[r] ?? null,
    gap: m.gaps[r] ?? null,
  };
}

interface AttributeReply {
  scores: WirePayload;
  limits: [number | null, number | null];
  label: string;
  signed: boolean;
  delta: number | null;
  gap: number | null;
}

interface MatrixReply {
  scores: WirePayload;
  limits: [number | null, number | null][];
  labels: string[];
  signed: boolean;
  deltas: (number | null)[] | null;
  gaps: (number | null)[] | null;
}

/** Python's answer to an "attribute" request, checked against the tokens. */
export function shownFromReply(reply: unknown, target: number, nTokens: number): Shown {
  const r = reply as AttributeReply;
  const d = decodeArray(r.scores);
  if (d.size !== nTokens) throw new Error(`the reply has ${d.size} scores for ${nTokens} tokens`);
  return {
    target,
    values: d.values(),
    vmin: r.limits?.[0] ?? d.vmin,
    vmax: r.limits?.[1] ?? d.vmax,
    signed: Boolean(r.signed),
    label: String(r.label ?? ""),
    delta: r.delta ?? null,
    gap: r.gap ?? null,
  };
}

/** Python's answer to a "matrix" request, for the state's row targets. */
export function matrixFromReply(reply: unknown, state: AttributionState): Matrix {
  const r = reply as MatrixReply;
  const d = decodeArray(r.scores);
  const [rows, cols] = d.shape;
  if (d.shape.length !== 2 || cols !== state.tokens.length || rows !== state.row_targets.length) {
    throw new Error(`the matrix reply has shape [${d.shape.join(", ")}], expected [${state.row_targets.length}, ${state.tokens.length}]`);
  }
  const none = (): null[] => new Array<null>(rows).fill(null);
  return {
    targets: state.row_targets.slice(),
    labels: r.labels ?? [],
    values: d.values(),
    rows,
    cols,
    vmin: d.vmin,
    vmax: d.vmax,
    limits: r.limits ?? [],
    deltas: r.deltas ?? none(),
    gaps: r.gaps ?? none(),
    signed: Boolean(r.signed),
  };
}

/** The colour scale of a row: diverging around 0 for signed methods, sequential otherwise. */
export function scaleOf(x: { signed: boolean; vmin: number | null; vmax: number | null }): Scale {
  return x.signed
    ? makeScale({ kind: "diverging", cmap: "rdbu", center: 0 }, x.vmin, x.vmax)
    : makeScale({ kind: "sequential", cmap: "viridis", center: null }, x.vmin, x.vmax);
}

/** "convergence delta 1.2e-4 (0.05% of f(x) − f(x′) = 0.31)", or "" when the method has none. */
export function deltaText(delta: number | null, gap: number | null): string {
  if (delta === null || delta === undefined || Number.isNaN(delta)) return "";
  let text = `convergence delta ${formatCompact(delta, 2)}`;
  if (gap !== null && gap !== undefined && Number.isFinite(gap)) {
    const pct = gap !== 0 ? ` (${formatCompact((100 * Math.abs(delta)) / Math.abs(gap), 2)}% of` : " (of";
    text += `${pct} f(x) − f(x′) = ${formatCompact(gap, 3)})`;
  }
  return text;
}

/** Whether token `i` can be explained (it has tokens before it). */
export function isOutput(i: number, nTokens: number): boolean {
  return i >= 1 && i < nTokens;
}

/** Tooltip lines of token `i`, with its score in the shown row (if any). */
export function tokenLines(tokens: readonly string[], i: number, nPrompt: number, shown: Shown | null): string[] {
  const tok = tokens[i] ?? "";
  const lines = [displayToken(tok), `pos ${i} · ${i < nPrompt ? "prompt" : "generated"} · ${exactToken(tok)}`];
  if (shown) {
    if (i === shown.target) lines.push("the explained token");
    else {
      const v = shown.values[i];
      lines.push(Number.isNaN(v) ? "not a source (after the target)" : `score ${formatFloat32(v)}`);
    }
  }
  if (isOutput(i, tokens.length) && (!shown || i !== shown.target)) lines.push("click to explain this token");
  return lines;
}

/** Cell sizes of the matrix canvas that fit `maxWidth` CSS px after a `gutter` of row labels. Pure. */
export function matrixLayout(rows: number, cols: number, maxWidth: number, gutter: number): { cellWidth: number; cellHeight: number; width: number; height: number } {
  const fit = cols > 0 ? Math.floor((maxWidth - gutter) / cols) : 0;
  const cellWidth = Math.max(3, Math.min(28, fit));
  const cellHeight = Math.max(10, Math.min(20, cellWidth));
  return { cellWidth, cellHeight, width: gutter + cols * cellWidth, height: rows * cellHeight };
}
