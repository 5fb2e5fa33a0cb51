/** Fake traits for the LogitLens and DLA views: small, non-square, with HTML-looking strings. */

import type { DlaState } from "../../js/views/dla_model";
import type { LogitLensState } from "../../js/views/logit_lens_model";
import { payloadOf } from "./helpers";

export const XSS = "<img src=x onerror=alert(1)>";

export const LAYERS = 3;
export const POSITIONS = 4;
export const K = 2;

/** 3 layers × 4 positions, top-2; the top-1 of (layer, pos) is token_table[(layer + pos) % 4]. */
export function lensState(overrides: Partial<LogitLensState> = {}): LogitLensState {
  const ids = new Int32Array(LAYERS * POSITIONS * K);
  const probs = new Float32Array(LAYERS * POSITIONS * K);
  const color = new Float32Array(LAYERS * POSITIONS);
  for (let l = 0; l < LAYERS; l++) {
    for (let p = 0; p < POSITIONS; p++) {
      const i = l * POSITIONS + p;
      ids[i * K] = (l + p) % 4;
      ids[i * K + 1] = (l + p + 1) % 4;
      probs[i * K] = 0.5 + 0.1 * l;
      probs[i * K + 1] = 0.0001 * (p + 1);
      color[i] = probs[i * K];
    }
  }
  const grid = (v: Float32Array | Int32Array, dtype: string, vmin: number, vmax: number) =>
    payloadOf(v, dtype, [LAYERS, POSITIONS], { dims: ["layer", "pos"], vmin, vmax });
  return {
    tokens: [XSS, " the", "\n", "cat"],
    layer_labels: ["embed", "L0", "<b>L1</b>"],
    token_table: [" Mary", " John", "<b>x</b>", "\t"],
    top_ids: payloadOf(ids, "int32", [LAYERS, POSITIONS, K], { dims: ["layer", "pos", "k"] }),
    top_probs: payloadOf(probs, "float32", [LAYERS, POSITIONS, K], { dims: ["layer", "pos", "k"], vmin: 0, vmax: 0.7 }),
    color: grid(color, "float32", 0, 1),
    scale: { kind: "sequential", cmap: "viridis", center: null },
    mode: "top1_prob",
    target: "",
    target_error: "",
    target_probs: {},
    target_ranks: {},
    apply_ln: true,
    notes: ["final LayerNorm applied to every layer's residual stream"],
    computing: false,
    selected: null,
    ...overrides,
  };
}

/** Target traits for " Mary": probability 0.25 everywhere except (2, 3), rank = layer. */
export function targetTraits(): Pick<LogitLensState, "target" | "target_error" | "target_probs" | "target_ranks"> {
  const probs = new Float32Array(LAYERS * POSITIONS).fill(0.25);
  probs[2 * POSITIONS + 3] = 0.9;
  const ranks = Int32Array.from({ length: LAYERS * POSITIONS }, (_, i) => Math.floor(i / POSITIONS));
  return {
    target: " Mary",
    target_error: "",
    target_probs: payloadOf(probs, "float32", [LAYERS, POSITIONS], { dims: ["layer", "pos"], vmin: 0.25, vmax: 0.9 }),
    target_ranks: payloadOf(ranks, "int32", [LAYERS, POSITIONS], { dims: ["layer", "pos"], vmin: 0, vmax: 2 }),
  };
}

export const DLA_LAYERS = 2;
export const DLA_HEADS = 3;

/** 2 layers × 3 heads; head (l, h) = (l * 3 + h) - 2, so L0 H2 is 0 and L1 H2 is 3. */
export function dlaState(overrides: Partial<DlaState> = {}): DlaState {
  const heads = Float32Array.from({ length: DLA_LAYERS * DLA_HEADS }, (_, i) => i - 2);
  const components = new Float32Array([0.5, -1.5, 2, NaN, 4]);
  return {
    heads: payloadOf(heads, "float32", [DLA_LAYERS, DLA_HEADS], { dims: ["layer", "head"], vmin: -3, vmax: 3 }),
    components: payloadOf(components, "float32", [5], { dims: ["component"], vmin: -1.5, vmax: 4 }),
    component_labels: ["embed", "L0 attn", "L0 mlp", XSS, "rest"],
    target_label: 'logit(" Mary") - logit(" John") at pos 14',
    total: 8,
    notes: ["final LayerNorm scale frozen from the clean run"],
    selected: null,
    ...overrides,
  };
}

export type Call = [string, unknown[]];

/**
 * A 2D context that records every method call (jsdom has no canvas); `fillText` calls also
 * record the fillStyle in force, as a third argument.
 */
export function recordingContext(canvas: HTMLCanvasElement, calls: Call[]): CanvasRenderingContext2D {
  const target: Record<string | symbol, unknown> = {
    canvas,
    fillStyle: "#000",
    measureText: (s: string) => ({ width: [...s].length * 7 }),
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    createPattern: () => ({}),
    fillText: (...args: unknown[]) => void calls.push(["fillText", [...args, target.fillStyle]]),
  };
  return new Proxy(target, {
    get(t, prop) {
      if (prop in t) return t[prop];
      return (...args: unknown[]) => void calls.push([String(prop), args]);
    },
    set(t, prop, value) {
      t[prop] = value;
      return true;
    },
  }) as unknown as CanvasRenderingContext2D;
}
