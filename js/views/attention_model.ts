/**
 * The AttentionView's state and what the view derives from it: validation (with messages shown
 * instead of a blank view), head ranking by score, labels and tooltip lines. Pure.
 */

import { decodeArray, type DecodedArray } from "../lib/codec";
import { formatCompact } from "../lib/format";
import { displayToken } from "../lib/tokens";
import type { WirePayload } from "../lib/types";

/** A head: the `selected` trait. */
export interface HeadRef {
  layer: number;
  head: number;
}

/** The synced traits (ARCHITECTURE.md, "AttentionView"). */
export interface AttentionState {
  tokens: string[];
  sequences: string[];
  batch_index: number;
  n_layers: number;
  n_heads: number;
  causal: boolean;
  thumbnails: WirePayload | null;
  thumb_stride: number;
  scores: WirePayload | null;
  score_names: string[];
  selected: HeadRef | null;
  query: number | null;
  title: string;
  notes: string[];
}

export const TRAITS = [
  "tokens", "sequences", "batch_index", "n_layers", "n_heads", "causal", "thumbnails", "thumb_stride",
  "scores", "score_names", "selected", "query", "title", "notes",
] as const;

export const DEFAULT_STATE: AttentionState = {
  tokens: [],
  sequences: [],
  batch_index: 0,
  n_layers: 0,
  n_heads: 0,
  causal: true,
  thumbnails: null,
  thumb_stride: 1,
  scores: null,
  score_names: [],
  selected: null,
  query: null,
  title: "",
  notes: [],
};

/** Everything the grid, table and token view need, derived once per data change. */
export interface PreparedAttention {
  n: number;
  layers: number;
  heads: number;
  /** Thumbnail side (cells). */
  side: number;
  thumbs: DecodedArray;
  /** Scores as float32 [score, layer, head] (NaN where undefined). */
  scores: Float32Array;
  scoreNames: string[];
  /** Tokens in their visible form (␣, ↵, …). */
  display: string[];
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === "string");
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

/**
 * Validate the state and derive what the view draws; throws an Error with a readable message.
 * `decodeThumbs` lets the caller reuse the thumbnails decoded for an unchanged payload.
 */
export function prepareAttention(
  state: AttentionState,
  decodeThumbs: (payload: WirePayload) => DecodedArray = decodeArray,
): PreparedAttention {
  if (!isStringArray(state.tokens)) throw new Error("tokens must be a list of strings");
  if (state.tokens.length === 0) throw new Error("no tokens to show (the `tokens` trait is empty)");
  const layers = state.n_layers;
  const heads = state.n_heads;
  if (!Number.isInteger(layers) || layers <= 0 || !Number.isInteger(heads) || heads <= 0) {
    throw new Error(`n_layers and n_heads must be positive integers, got ${String(layers)} and ${String(heads)}`);
  }
  if (!state.thumbnails) throw new Error("no head thumbnails to show (the `thumbnails` trait is empty)");
  const thumbs = decodeThumbs(state.thumbnails);
  const ts = thumbs.shape;
  if (ts.length !== 4 || ts[0] !== layers || ts[1] !== heads || ts[2] !== ts[3] || ts[2] === 0) {
    throw new Error(`thumbnails must have shape [n_layers, n_heads, T, T] = [${layers}, ${heads}, T, T], got ${shapeText(ts)}`);
  }
  if (!isStringArray(state.score_names)) throw new Error("score_names must be a list of strings");
  let scores: Float32Array = new Float32Array(0);
  const nScores = state.score_names.length;
  if (state.scores && (state.scores as Partial<WirePayload>).dtype !== undefined) {
    const decoded = decodeArray(state.scores);
    const ss = decoded.shape;
    if (ss.length !== 3 || ss[0] !== nScores || ss[1] !== layers || ss[2] !== heads) {
      throw new Error(`scores must have shape [score, layer, head] = [${nScores}, ${layers}, ${heads}], got ${shapeText(ss)}`);
    }
    scores = decoded.values();
  } else if (nScores > 0) {
    throw new Error(`${nScores} score names but no scores`);
  }
  return {
    n: state.tokens.length,
    layers,
    heads,
    side: ts[2],
    thumbs,
    scores,
    scoreNames: state.score_names.slice(),
    display: state.tokens.map(displayToken),
  };
}

/** A head of the data, or null (for a `selected` trait that is null or out of range). */
export function validHead(sel: HeadRef | null | undefined, layers: number, heads: number): HeadRef | null {
  if (!sel || typeof sel !== "object") return null;
  const { layer, head } = sel;
  if (!Number.isInteger(layer) || !Number.isInteger(head)) return null;
  return layer >= 0 && layer < layers && head >= 0 && head < heads ? { layer, head } : null;
}

/** A query position of the sequence, or null. */
export function validQuery(q: number | null | undefined, n: number): number | null {
  return typeof q === "number" && Number.isInteger(q) && q >= 0 && q < n ? q : null;
}

/** "L1H3". */
export function headLabel(h: HeadRef): string {
  return `L${h.layer}H${h.head}`;
}

/** A score of a head (NaN when undefined or out of range). */
export function scoreOf(p: Pick<PreparedAttention, "scores" | "layers" | "heads">, score: number, h: HeadRef): number {
  const i = (score * p.layers + h.layer) * p.heads + h.head;
  return i >= 0 && i < p.scores.length ? p.scores[i] : NaN;
}

/** A score for tables and tooltips ("—" when undefined). */
export function formatScore(v: number): string {
  return Number.isNaN(v) ? "—" : formatCompact(v, 3);
}

/** Scores for which a low value marks the interesting heads (sharp attention has low entropy). */
export const ASCENDING_SCORES: ReadonlySet<string> = new Set(["entropy"]);

export type SortOrder = "desc" | "asc";

/** The default order for a score: ascending for entropy, descending for the others. */
export function defaultOrder(name: string): SortOrder {
  return ASCENDING_SCORES.has(name) ? "asc" : "desc";
}

/**
 * Heads ranked by one score, best first (`order`), NaN never ranked; at most `limit`. Ties keep
 * (layer, head) order, so the ranking is stable.
 */
export function rankHeads(
  p: Pick<PreparedAttention, "scores" | "layers" | "heads">,
  score: number,
  order: SortOrder = "desc",
  limit = 20,
): HeadRef[] {
  const out: { h: HeadRef; v: number }[] = [];
  for (let layer = 0; layer < p.layers; layer++) {
    for (let head = 0; head < p.heads; head++) {
      const v = scoreOf(p, score, { layer, head });
      if (!Number.isNaN(v)) out.push({ h: { layer, head }, v });
    }
  }
  const sign = order === "desc" ? -1 : 1;
  out.sort((a, b) => sign * (a.v - b.v) || a.h.layer - b.h.layer || a.h.head - b.h.head);
  return out.slice(0, Math.max(0, limit)).map((x) => x.h);
}

/** Tooltip lines for a head of the grid: its name, every score, and its rank by the sort score. */
export function headLines(p: PreparedAttention, h: HeadRef, rank: number | null, sortName: string | null): string[] {
  const lines = [`${headLabel(h)}  (layer ${h.layer}, head ${h.head})`];
  p.scoreNames.forEach((name, s) => lines.push(`${name}: ${formatScore(scoreOf(p, s, h))}`));
  if (rank !== null && sortName) lines.push(`#${rank + 1} by ${sortName}`);
  return lines;
}
