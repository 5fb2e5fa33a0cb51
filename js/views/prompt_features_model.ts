/**
 * The PromptFeaturesView's state and what the view derives from it: validation (with messages the
 * view shows instead of a blank area), the colour scale of the tokens, a token's top latents and the
 * tooltip lines. Pure.
 */

import { decodeArray } from "../lib/codec";
import { formatCompact, formatValue } from "../lib/format";
import { makeScale, type Scale } from "../lib/scales";
import { displayToken, exactToken } from "../lib/tokens";
import type { ScaleSpec, WirePayload } from "../lib/types";

/** The `selected` trait: a latent of a token, or null. */
export interface LatentSelection {
  pos: number;
  latent: number;
}

/** The synced traits (ARCHITECTURE.md, "PromptFeaturesView"). */
export interface PromptFeaturesState {
  tokens: string[];
  max_values: WirePayload | null;
  top_latents: WirePayload | null;
  top_values: WirePayload | null;
  n_active: WirePayload | null;
  latent_labels: Record<string, string>;
  dictionary: string;
  hook: string;
  n_latents: number;
  scale: ScaleSpec;
  title: string;
  notes: string[];
  message: string;
  message_kind: string;
  token: number | null;
  selected: LatentSelection | null;
}

export const TRAITS = [
  "tokens", "max_values", "top_latents", "top_values", "n_active", "latent_labels", "dictionary", "hook",
  "n_latents", "scale", "title", "notes", "message", "message_kind", "token", "selected",
] as const;

export const DEFAULT_STATE: PromptFeaturesState = {
  tokens: [],
  max_values: null,
  top_latents: null,
  top_values: null,
  n_active: null,
  latent_labels: {},
  dictionary: "",
  hook: "",
  n_latents: 0,
  scale: { kind: "sequential", cmap: "blues", center: null },
  title: "",
  notes: [],
  message: "",
  message_kind: "info",
  token: null,
  selected: null,
};

/** One latent of a token's list. */
export interface LatentRow {
  latent: number;
  value: number;
  label: string;
  /** The bar's length: value over the token's largest activation, in [0, 1]. */
  fraction: number;
}

/** Everything drawing needs, derived once per data change. */
export interface PromptFeaturesPrepared {
  n: number;
  k: number;
  display: string[];
  maxValues: Float32Array;
  nActive: Int32Array;
  topLatents: Int32Array;
  topValues: Float32Array;
  scale: Scale;
  maxDtype: string;
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === "string");
}

/** Validate the state and derive what the view draws; throws an Error with a readable message. */
export function prepare(state: PromptFeaturesState): PromptFeaturesPrepared {
  if (!isStringArray(state.tokens)) throw new Error("tokens must be a list of strings");
  const n = state.tokens.length;
  if (n === 0) throw new Error("the prompt has no tokens");
  for (const key of ["max_values", "top_latents", "top_values", "n_active"] as const) {
    if (state[key] === null || state[key] === undefined) throw new Error(`no ${key} to show (the \`${key}\` trait is empty)`);
  }
  const max = decodeArray(state.max_values as WirePayload);
  const lat = decodeArray(state.top_latents as WirePayload);
  const val = decodeArray(state.top_values as WirePayload);
  const act = decodeArray(state.n_active as WirePayload);
  if (max.shape.length !== 1 || max.shape[0] !== n) throw new Error(`max_values has shape [${max.shape.join(", ")}]; expected [${n}] (one per token)`);
  if (act.shape.length !== 1 || act.shape[0] !== n) throw new Error(`n_active has shape [${act.shape.join(", ")}]; expected [${n}] (one per token)`);
  if (lat.shape.length !== 2 || lat.shape[0] !== n) throw new Error(`top_latents has shape [${lat.shape.join(", ")}]; expected [${n}, k]`);
  if (val.shape.length !== 2 || val.shape[0] !== lat.shape[0] || val.shape[1] !== lat.shape[1]) {
    throw new Error(`top_values has shape [${val.shape.join(", ")}]; expected [${lat.shape.join(", ")}] like top_latents`);
  }
  return {
    n,
    k: lat.shape[1],
    display: state.tokens.map(displayToken),
    maxValues: max.values(),
    nActive: Int32Array.from(act.values()),
    topLatents: Int32Array.from(lat.dtype === "float32" || lat.dtype === "float64" ? lat.values() : (lat.data as ArrayLike<number>)),
    topValues: val.values(),
    scale: makeScale(state.scale, max.vmin, max.vmax),
    maxDtype: max.dtype,
  };
}

/** The active latents of token `pos`, most active first (none for a position out of range). */
export function latentsAt(p: PromptFeaturesPrepared, pos: number, labels: Record<string, string>): LatentRow[] {
  if (!Number.isInteger(pos) || pos < 0 || pos >= p.n) return [];
  const rows: LatentRow[] = [];
  const top = p.maxValues[pos];
  for (let j = 0; j < p.k; j++) {
    const latent = p.topLatents[pos * p.k + j];
    const value = p.topValues[pos * p.k + j];
    if (latent < 0 || Number.isNaN(value)) continue;
    const label = labels && typeof labels[String(latent)] === "string" ? labels[String(latent)] : "";
    rows.push({ latent, value, label, fraction: top > 0 ? Math.max(0, Math.min(1, value / top)) : 0 });
  }
  return rows;
}

/** A token index of the data, or null. */
export function validToken(token: unknown, p: PromptFeaturesPrepared): number | null {
  return typeof token === "number" && Number.isInteger(token) && token >= 0 && token < p.n ? token : null;
}

/** A selection that names a token of the data and a latent index (below `nLatents`), or null. */
export function validSelection(sel: unknown, p: PromptFeaturesPrepared, nLatents: number): LatentSelection | null {
  if (!sel || typeof sel !== "object") return null;
  const { pos, latent } = sel as LatentSelection;
  if (validToken(pos, p) === null || !Number.isInteger(latent) || latent < 0 || latent >= nLatents) return null;
  return { pos, latent };
}

/** Tooltip lines for a token: visible form, exact JSON form, `pos N`, largest activation and L0. */
export function tokenLines(p: PromptFeaturesPrepared, tokens: readonly string[], pos: number): string[] {
  const lines = [p.display[pos], exactToken(tokens[pos]), `pos ${pos}`,
    `max activation: ${formatValue(p.maxValues[pos], p.maxDtype)}`, `active latents: ${p.nActive[pos]}`];
  const first = p.topLatents[pos * p.k];
  if (p.k > 0 && first >= 0) lines.push(`top latent: #${first} (${formatCompact(p.topValues[pos * p.k])})`);
  return lines;
}

/** The header line above a token's latent list. */
export function listHeading(p: PromptFeaturesPrepared, pos: number, shown: number): string {
  return `pos ${pos} ${p.display[pos]}: ${shown} of ${p.nActive[pos]} active latents`;
}
