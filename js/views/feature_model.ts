/**
 * The FeatureView's state and what it derives from it, pure: the synced traits, the example rows
 * of an answer (decoded once), which features are on screen, the feature a key steps to, the
 * histogram's bars and the bin under the pointer, header and tooltip text.
 */

import { decodeArray, isPayload, type DecodedArray } from "../lib/codec";
import { formatCompact, formatFloat32 } from "../lib/format";
import { displayToken, exactToken } from "../lib/tokens";
import type { WirePayload } from "../lib/types";

export const STEER_MODES = ["scale", "clamp", "ablate", "add"] as const;

/** A set of example rows as Python sends it (`_feature_cards.encode_rows`). */
export interface RowsAnswer {
  n: number;
  table: string[];
  tokens: WirePayload;
  values: WirePayload;
  acts: WirePayload;
  where: WirePayload;
  /** Where the next examples come from: "data", "source", "rerun" (a run with larger k) or "none". */
  more?: string;
  note?: string;
}

/** One feature's card (`_feature_cards.card`). */
export interface FeatureCard {
  feature: number;
  name: string;
  n_active: number;
  n_tokens: number;
  density: number;
  max_act: number | null;
  k: number;
  n_examples: number;
  examples: RowsAnswer;
  hist_edges: WirePayload;
  hist_counts: WirePayload;
  bucket_edges: (number | null)[];
  buckets: RowsAnswer[];
  logits: { promoted: [string, number][]; suppressed: [string, number][] } | null;
  prompt: string;
}

/** A steering run (`FeatureSteeringData` as JSON, plus the feature's index). */
export interface SteeringResult {
  index: number;
  prompt: string;
  feature: string;
  mode: string;
  value: number;
  keep_error: boolean;
  baseline_text: string;
  steered_text: string;
  baseline_tokens: string[];
  steered_tokens: string[];
  changes: [string, number, number][];
  kl: number | null;
  notes: string[];
}

/** The synced traits (ARCHITECTURE.md, "FeatureView"). */
export interface FeatureState {
  feature: number;
  shown: number[];
  n_features: number;
  feature_names: string[];
  cards: Record<string, FeatureCard>;
  labels: Record<string, string>;
  page_size: number;
  context: number[];
  logit_note: string;
  feature_kind: string;
  live: boolean;
  more_source: boolean;
  steering: SteeringResult | null;
  title: string;
  notes: string[];
  saved_to: string;
  error: string;
}

export const TRAITS = [
  "feature", "shown", "n_features", "feature_names", "cards", "labels", "page_size", "context", "logit_note",
  "feature_kind", "live", "more_source", "steering", "title", "notes", "saved_to", "error",
] as const satisfies readonly (keyof FeatureState)[];

export const DEFAULT_STATE: FeatureState = {
  feature: 0,
  shown: [],
  n_features: 0,
  feature_names: [],
  cards: {},
  labels: {},
  page_size: 8,
  context: [0, 0],
  logit_note: "",
  feature_kind: "",
  live: false,
  more_source: false,
  steering: null,
  title: "",
  notes: [],
  saved_to: "",
  error: "",
};

/** One example: its tokens (null outside the sequence), the feature's value at each, the max token's value and place. */
export interface ExampleRow {
  tokens: (string | null)[];
  values: Float32Array;
  act: number;
  where: [number, number];
}

/** The rows of an answer, checked (throws with a readable message when they do not fit). */
export function decodeRows(answer: RowsAnswer): ExampleRow[] {
  if (!answer || typeof answer !== "object") throw new Error("no examples in the answer");
  if (!isPayload(answer.tokens) || !isPayload(answer.values) || !isPayload(answer.acts) || !isPayload(answer.where)) {
    throw new Error("examples: tokens, values, acts and where must be array payloads");
  }
  const tokens = decodeArray(answer.tokens);
  const values = decodeArray(answer.values);
  const acts = decodeArray(answer.acts);
  const where = decodeArray(answer.where);
  const n = acts.shape[0] ?? 0;
  const ctx = tokens.shape[1] ?? 0;
  if (tokens.shape.length !== 2 || tokens.shape[0] !== n || values.shape.join() !== tokens.shape.join()) {
    throw new Error(`examples: tokens [${tokens.shape.join(", ")}] and values [${values.shape.join(", ")}] must both be [${n}, ctx]`);
  }
  const table = Array.isArray(answer.table) ? answer.table : [];
  const v = values.values();
  const out: ExampleRow[] = [];
  for (let r = 0; r < n; r++) {
    const row: (string | null)[] = [];
    for (let c = 0; c < ctx; c++) {
      const i = tokens.get(r, c);
      if (i >= table.length) throw new Error(`examples: token index ${i} is outside the answer's table of ${table.length}`);
      row.push(i >= 0 ? String(table[i]) : null);
    }
    out.push({ tokens: row, values: v.slice(r * ctx, (r + 1) * ctx), act: acts.get(r), where: [where.get(r, 0), where.get(r, 1)] });
  }
  return out;
}

/** The colour limit of a set of rows (the payload's vmax: the feature's max activation). */
export function rowsLimit(answer: RowsAnswer): number {
  const vmax = isPayload(answer?.values) ? answer.values.vmax : null;
  return typeof vmax === "number" && vmax > 0 ? vmax : 1;
}

/** The features on screen, left to right: `shown`, then `feature` when it is not among them. */
export function displayedFeatures(state: Pick<FeatureState, "feature" | "shown">): number[] {
  const shown = Array.isArray(state.shown) ? state.shown.filter((f) => Number.isInteger(f)) : [];
  if (shown.length === 0) return [state.feature];
  return shown.includes(state.feature) ? shown : [...shown, state.feature];
}

/** The feature a key moves to (clamped), or null when the key does not step. */
export function stepFeature(feature: number, key: string, n: number): number | null {
  if (n <= 0) return null;
  const to: Record<string, number> = {
    ArrowLeft: feature - 1, ArrowRight: feature + 1, PageUp: feature - 10, PageDown: feature + 10, Home: 0, End: n - 1,
  };
  if (!(key in to)) return null;
  return Math.min(n - 1, Math.max(0, to[key]));
}

/** A token as readable text: spaces stay spaces, newlines and invisible characters become visible (↵, \uXXXX). */
export function readableToken(s: string): string {
  if (s === "") return "∅";
  return [...s].map((ch) => (ch === " " ? " " : displayToken(ch))).join("");
}

/** A percentage with 3 significant digits ("1.23%", "0.0123%"). */
export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return "NaN";
  return `${formatCompact(p * 100, 3)}%`;
}

export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "NaN";
}

/** The header's numbers: density, max activation, active tokens. */
export function statsText(card: FeatureCard): string {
  const max = card.max_act === null ? "none" : formatCompact(card.max_act, 4);
  return `density ${formatPercent(card.density)} · max ${max} · ${formatCount(card.n_active)} of ${formatCount(card.n_tokens)} tokens active`;
}

/** Tooltip lines of one token of an example. */
export function tokenLines(row: ExampleRow, c: number, centre: number): string[] {
  const tok = row.tokens[c] ?? "";
  const lines = [displayToken(tok), exactToken(tok), `value ${formatFloat32(row.values[c])}`];
  const offset = c - centre;
  lines.push(offset === 0 ? `max token · sequence ${row.where[0]}, position ${row.where[1]}` : `${offset > 0 ? "+" : ""}${offset} from the max token`);
  return lines;
}

export interface HistBin {
  index: number;
  lo: number;
  hi: number;
  count: number;
}

/** The histogram's bins (edges and counts decoded). */
export function histBins(card: FeatureCard): HistBin[] {
  if (!isPayload(card.hist_edges) || !isPayload(card.hist_counts)) return [];
  const edges: DecodedArray = decodeArray(card.hist_edges);
  const counts: DecodedArray = decodeArray(card.hist_counts);
  if (edges.size !== counts.size + 1) throw new Error(`histogram: ${edges.size} edges for ${counts.size} bins`);
  return Array.from({ length: counts.size }, (_, i) => ({ index: i, lo: edges.get(i), hi: edges.get(i + 1), count: counts.get(i) }));
}

/** The bin under x (CSS px from the canvas' left edge) of a histogram `width` wide, or null. */
export function binAt(x: number, width: number, n: number): number | null {
  if (n <= 0 || width <= 0 || x < 0 || x >= width) return null;
  return Math.min(n - 1, Math.floor((x / width) * n));
}

/** The text a hovered bin shows. */
export function binText(bin: HistBin, total: number): string {
  const share = total > 0 ? ` (${formatPercent(bin.count / total)} of active tokens)` : "";
  return `${formatCompact(bin.lo, 3)} – ${formatCompact(bin.hi, 3)}: ${formatCount(bin.count)} tokens${share}`;
}

/** The label of quantile bucket b: its range and how many examples it holds. */
export function bucketLabel(card: FeatureCard, b: number): string {
  const lo = card.bucket_edges[b];
  const hi = card.bucket_edges[b + 1];
  const fmt = (x: number | null | undefined): string => (typeof x === "number" ? formatCompact(x, 3) : "?");
  const n = card.buckets[b]?.n ?? 0;
  return `bucket ${b + 1}: ${fmt(lo)} – ${fmt(hi)} (${n} example${n === 1 ? "" : "s"})`;
}

/** A default steering value for a mode (clamp: twice the max activation). */
export function defaultSteerValue(mode: string, card: FeatureCard | null): number {
  if (mode === "clamp") return Number(formatCompact(2 * (card?.max_act ?? 1), 3));
  if (mode === "add") return 4;
  if (mode === "ablate") return 0;
  return 2;
}

/** Signed change of a probability, in percentage points. */
export function formatDelta(before: number, after: number): string {
  const d = (after - before) * 100;
  return `${d >= 0 ? "+" : "−"}${formatCompact(Math.abs(d), 3)} pp`;
}
