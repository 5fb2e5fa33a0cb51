/**
 * What the AttentionView fetched from Python, per head: pattern tiles (decoded once, turned into
 * images once) and exact attention rows / columns. Requests go through the view's `request`
 * function (rpc.ts in the widget); each answer is kept here until `reset` (new data), and answers
 * to requests made before a reset are dropped. Failures are kept as errors (shown in the pane)
 * until `retry`.
 */

import { MatrixImage } from "../lib/canvas";
import { decodeArray, type DecodedArray } from "../lib/codec";
import type { Scale } from "../lib/scales";
import type { WirePayload } from "../lib/types";
import type { HeadRef } from "./attention_model";

/** Ask Python (rpc.ts `request` bound to the model). */
export type RequestFn = <T>(method: string, params: Record<string, unknown>) => Promise<T>;

/** A `pattern` request's window (ARCHITECTURE.md, "AttentionView"). */
export interface WindowSpec {
  q0: number;
  q1: number;
  k0: number;
  k1: number;
  max_side: number;
}

/** A decoded `pattern` answer: cell (i, j) covers queries q0 + i*stride… and keys k0 + j*stride…, clipped to q1 / k1. */
export interface PatternTile {
  q0: number;
  q1: number;
  k0: number;
  k1: number;
  stride: number;
  rows: number;
  cols: number;
  decoded: DecodedArray;
  image: MatrixImage;
}

export type Entry = { status: "pending" } | { status: "ok"; tile: PatternTile } | { status: "error"; error: string };

export type Direction = "row" | "column";

interface PatternResult {
  pattern: WirePayload;
  q0?: number;
  k0?: number;
  stride?: number;
}

const headKey = (h: HeadRef): string => `${h.layer}/${h.head}`;
const windowKey = (h: HeadRef, w: WindowSpec): string => `${headKey(h)}/${w.q0}:${w.q1}/${w.k0}:${w.k1}/${w.max_side}`;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Decode and check a `pattern` answer for the window `w` of a sequence of `n` tokens. */
export function decodePattern(result: unknown, w: WindowSpec, n: number, doc: Document, scale: Scale): PatternTile {
  const r = result as PatternResult | null;
  if (!r || typeof r !== "object" || !r.pattern) throw new Error("the answer has no `pattern`");
  const decoded = decodeArray(r.pattern);
  if (decoded.shape.length !== 2) throw new Error(`pattern must be 2-D [query, key], got shape [${decoded.shape.join(", ")}]`);
  const [rows, cols] = decoded.shape;
  const stride = typeof r.stride === "number" && r.stride >= 1 ? r.stride : 1;
  const q0 = typeof r.q0 === "number" ? r.q0 : w.q0;
  const k0 = typeof r.k0 === "number" ? r.k0 : w.k0;
  const q1 = Math.min(w.q1, n);
  const k1 = Math.min(w.k1, n);
  if (q0 + rows * stride < q1 || k0 + cols * stride < k1) {
    throw new Error(`pattern of shape [${rows}, ${cols}] at stride ${stride} does not cover queries ${w.q0}–${w.q1}, keys ${w.k0}–${w.k1}`);
  }
  const image = new MatrixImage(doc, decoded.values(), rows, cols, scale);
  return { q0, q1, k0, k1, stride, rows, cols, decoded, image };
}

/** The value of a tile's cell holding position (q, k), or null if the tile does not cover it. */
export function tileValue(t: PatternTile, q: number, k: number): { value: number; cell: [number, number] } | null {
  if (q < t.q0 || q >= t.q1 || k < t.k0 || k >= t.k1) return null;
  const i = Math.floor((q - t.q0) / t.stride);
  const j = Math.floor((k - t.k0) / t.stride);
  return { value: t.decoded.get(i, j), cell: [i, j] };
}

export class PatternStore {
  /** Pattern and vector requests in flight (quiet ones excluded): the pane shows "computing…". */
  busy = 0;
  private readonly entries = new Map<string, Entry>();
  /** Per head, a loaded stride-1 tile of the whole sequence (its rows and columns serve the token view). */
  private readonly whole = new Map<string, PatternTile>();
  private readonly vectors = new Map<string, Float32Array | "pending" | Error>();
  private generation = 0;

  constructor(
    private readonly doc: Document,
    private readonly request: RequestFn,
    private readonly scale: Scale,
    private readonly onChange: () => void,
  ) {}

  /** Forget everything (new tokens or thumbnails): answers to earlier requests are dropped. */
  reset(): void {
    this.generation++;
    this.entries.clear();
    this.whole.clear();
    this.vectors.clear();
    this.busy = 0;
  }

  /** Drop the failures, so that asking again retries. */
  retry(): void {
    for (const [k, e] of this.entries) if (e.status === "error") this.entries.delete(k);
    for (const [k, v] of this.vectors) if (v instanceof Error) this.vectors.delete(k);
    this.onChange();
  }

  /** The pattern window of a head: cached, or requested now (`n` = sequence length). */
  pattern(h: HeadRef, w: WindowSpec, n: number): Entry {
    return this.load(h, w, n, false);
  }

  /**
   * Ask, quietly (no "computing…"), for windows the person is likely to look at next, so that
   * stepping to a neighbouring head draws from the cache instead of waiting for Python.
   */
  prefetch(heads: HeadRef[], w: WindowSpec, n: number): void {
    for (const h of heads) this.load(h, w, n, true);
  }

  private load(h: HeadRef, w: WindowSpec, n: number, quiet: boolean): Entry {
    const key = windowKey(h, w);
    const hit = this.entries.get(key);
    if (hit) return hit;
    const pending: Entry = { status: "pending" };
    this.entries.set(key, pending);
    this.track(
      this.request<unknown>("pattern", { layer: h.layer, head: h.head, ...w }),
      (result) => {
        const tile = decodePattern(result, w, n, this.doc, this.scale);
        this.entries.set(key, { status: "ok", tile });
        if (tile.stride === 1 && tile.q0 === 0 && tile.k0 === 0 && tile.q1 === n && tile.k1 === n) this.whole.set(headKey(h), tile);
      },
      (error) => this.entries.set(key, { status: "error", error }),
      quiet,
    );
    return pending;
  }

  /** Error messages of this head's failed pattern requests. */
  errors(h: HeadRef): string[] {
    const prefix = `${headKey(h)}/`;
    const out: string[] = [];
    for (const [k, e] of this.entries) if (k.startsWith(prefix) && e.status === "error" && !out.includes(e.error)) out.push(e.error);
    for (const [k, v] of this.vectors) if (k.startsWith(prefix) && v instanceof Error && !out.includes(v.message)) out.push(v.message);
    return out;
  }

  /** The head's stride-1 whole-sequence tile, if loaded. */
  wholeTile(h: HeadRef): PatternTile | null {
    return this.whole.get(headKey(h)) ?? null;
  }

  /**
   * Attention from query `index` (row) or to key `index` (column): exact if fetched, else from the
   * stride-1 whole pattern (≈, u8), else requested now (null until it arrives; `onChange` fires).
   */
  vector(h: HeadRef, dir: Direction, index: number, n: number, opts: { quiet?: boolean; fetch?: boolean } = {}): { values: Float32Array; exact: boolean } | null {
    const exact = this.exact(h, dir, index);
    if (exact) return { values: exact, exact: true };
    const whole = this.wholeTile(h);
    if (whole) return { values: sliceWhole(whole, dir, index), exact: false };
    if (opts.fetch !== false) this.fetchVector(h, dir, index, n, opts.quiet ?? false);
    return null;
  }

  /** An exact row / column already fetched (never requests). */
  exact(h: HeadRef, dir: Direction, index: number): Float32Array | null {
    const v = this.vectors.get(`${headKey(h)}/${dir}/${index}`);
    return v instanceof Float32Array ? v : null;
  }

  /** Request an exact row / column unless it is fetched or on its way. */
  fetchVector(h: HeadRef, dir: Direction, index: number, n: number, quiet: boolean): void {
    const key = `${headKey(h)}/${dir}/${index}`;
    if (this.vectors.has(key)) return;
    this.vectors.set(key, "pending");
    const params = dir === "row" ? { layer: h.layer, head: h.head, query: index } : { layer: h.layer, head: h.head, key: index };
    this.track(
      this.request<{ values?: WirePayload }>(dir, params),
      (result) => {
        if (!result || !result.values) throw new Error(`the ${dir} answer has no \`values\``);
        const values = decodeArray(result.values).values();
        if (values.length !== n) throw new Error(`${dir} ${index} has ${values.length} values for ${n} tokens`);
        this.vectors.set(key, values);
      },
      (error) => this.vectors.set(key, new Error(error)),
      quiet,
    );
  }

  private track<T>(promise: Promise<T>, ok: (r: T) => void, fail: (error: string) => void, quiet: boolean): void {
    const gen = this.generation;
    if (!quiet) this.busy++;
    promise
      .then(
        (r) => {
          if (gen !== this.generation) return;
          try {
            ok(r);
          } catch (e) {
            fail(message(e));
          }
        },
        (e: unknown) => {
          if (gen === this.generation) fail(message(e));
        },
      )
      .finally(() => {
        if (gen !== this.generation) return;
        if (!quiet) this.busy = Math.max(0, this.busy - 1);
        this.onChange();
      });
  }
}

/** Row `index` (attention from that query) or column `index` (attention to that key) of a stride-1 whole tile. */
export function sliceWhole(t: PatternTile, dir: Direction, index: number): Float32Array {
  const all = t.decoded.values();
  const n = t.cols;
  if (dir === "row") return all.slice(index * n, (index + 1) * n);
  const out = new Float32Array(t.rows);
  for (let q = 0; q < t.rows; q++) out[q] = all[q * n + index];
  return out;
}
