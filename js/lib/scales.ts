/**
 * Colour scales as 256-entry RGBA lookup tables (LUTs). Pure functions.
 *
 * Sequential maps: viridis (default), cividis, magma, blues. Diverging maps: rdbu (default) and
 * puor, oriented so that values above the centre are warm: rdbu runs blue (low) -> white
 * (centre) -> red (high), puor runs purple (low) -> white -> orange (high). A `_r` suffix
 * reverses any map ("rdbu_r"); "auto", "" or an unknown name gives the kind's default.
 *
 * NaN is not a colour of the ramp: it gets LUT index 256 (`NAN_INDEX`), whose RGBA is fully
 * transparent (`NAN_RGBA`). Canvas drawing paints a grey hatch under the cells (see
 * `canvas.ts`), so NaN cells show as diagonal stripes, which no solid scale colour can be mistaken
 * for (a plain mid-grey could: cividis passes through grey).
 */

import {
  interpolateBlues,
  interpolateCividis,
  interpolateMagma,
  interpolatePuOr,
  interpolateRdBu,
  interpolateViridis,
} from "d3-scale-chromatic";

import type { ScaleKind, ScaleSpec } from "./types";

export const LUT_SIZE = 256;
/** LUT index of NaN; `lut` has LUT_SIZE + 1 entries, the last one for NaN. */
export const NAN_INDEX = LUT_SIZE;
/** RGBA of NaN in images: transparent, so the hatch drawn beneath shows through. */
export const NAN_RGBA: readonly [number, number, number, number] = [0, 0, 0, 0];
/** The two greys of the NaN hatch (light stripes on a mid-grey ground), for canvas and legend. */
export const NAN_HATCH = { ground: "#b4b4b4", stripe: "#e6e6e6" } as const;

type Interpolator = (t: number) => string;

/** Name -> (interpolator over t in [0, 1], reversed so high values are warm?). */
const MAPS: Record<string, { fn: Interpolator; kind: ScaleKind; flip: boolean }> = {
  viridis: { fn: interpolateViridis, kind: "sequential", flip: false },
  cividis: { fn: interpolateCividis, kind: "sequential", flip: false },
  magma: { fn: interpolateMagma, kind: "sequential", flip: false },
  blues: { fn: interpolateBlues, kind: "sequential", flip: false },
  // d3's RdBu runs red -> blue; flip it so positive = red.
  rdbu: { fn: interpolateRdBu, kind: "diverging", flip: true },
  // d3's PuOr runs purple -> orange already: positive = orange.
  puor: { fn: interpolatePuOr, kind: "diverging", flip: false },
};

export const DEFAULT_CMAP: Record<ScaleKind, string> = { sequential: "viridis", diverging: "rdbu" };
export const CMAP_NAMES = Object.keys(MAPS);

/** Parse "#rrggbb" or "rgb(r, g, b)" (the two forms d3 interpolators return). */
export function parseColor(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(css.trim());
  if (hex) {
    const n = parseInt(hex[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/i.exec(css.trim());
  if (m) return [Math.round(+m[1]), Math.round(+m[2]), Math.round(+m[3])];
  throw new Error(`interplay scales: cannot parse colour ${JSON.stringify(css)}`);
}

/** Resolve a cmap name for a kind: lower-cased, `_r` suffix honoured, unknown -> the kind's default. */
export function resolveCmap(kind: ScaleKind, cmap: string | null | undefined): { name: string; reversed: boolean } {
  let name = (cmap ?? "").toLowerCase().replace(/[-\s]/g, "");
  let reversed = false;
  if (name.endsWith("_r")) {
    reversed = true;
    name = name.slice(0, -2);
  }
  if (!(name in MAPS)) name = DEFAULT_CMAP[kind];
  return { name, reversed };
}

const lutCache = new Map<string, Uint8ClampedArray>();

/** The (LUT_SIZE + 1) × 4 RGBA table of a map (entry NAN_INDEX is NAN_RGBA). Cached; do not mutate. */
export function buildLut(name: string, reversed = false): Uint8ClampedArray {
  const key = `${name}/${reversed}`;
  const hit = lutCache.get(key);
  if (hit) return hit;
  const map = MAPS[name];
  if (!map) throw new Error(`interplay scales: unknown colour map ${JSON.stringify(name)}; known: ${CMAP_NAMES.join(", ")}`);
  const lut = new Uint8ClampedArray((LUT_SIZE + 1) * 4);
  for (let i = 0; i < LUT_SIZE; i++) {
    let t = i / (LUT_SIZE - 1);
    if (map.flip !== reversed) t = 1 - t;
    // d3's listed maps pick entry floor(t * 256): nudge t=1 off the end so it maps to the last one.
    const [r, g, b] = parseColor(map.fn(Math.min(t, 1 - 1e-9)));
    lut.set([r, g, b, 255], i * 4);
  }
  lut.set(NAN_RGBA, NAN_INDEX * 4);
  lutCache.set(key, lut);
  return lut;
}

export interface Scale {
  kind: ScaleKind;
  cmap: string;
  reversed: boolean;
  vmin: number | null;
  vmax: number | null;
  /** The centre actually used (diverging only; null for sequential). It sits at the LUT midpoint. */
  center: number | null;
  lut: Uint8ClampedArray;
  /** LUT index of a value: 0..255, clamped at the limits; NAN_INDEX for NaN. */
  index(v: number): number;
  /** RGBA of a value. */
  rgba(v: number): [number, number, number, number];
  /** CSS colour of a value ("transparent" for NaN). */
  css(v: number): string;
}

/** Position in [0, 1] of `v` on the scale (NaN for NaN). Diverging scales put `center` at 0.5. */
export function scalePosition(v: number, vmin: number, vmax: number, center: number | null): number {
  if (Number.isNaN(v)) return NaN;
  let t: number;
  if (center === null) {
    t = vmax > vmin ? (v - vmin) / (vmax - vmin) : 0.5;
  } else if (v < center) {
    t = center > vmin ? 0.5 * ((v - vmin) / (center - vmin)) : 0;
  } else if (v > center) {
    t = vmax > center ? 0.5 + 0.5 * ((v - center) / (vmax - center)) : 1;
  } else {
    t = 0.5;
  }
  return Math.min(1, Math.max(0, t));
}

/**
 * A scale from the `scale` trait and the payload's limits (never recomputed here). With null
 * limits (no finite value), [0, 1] is used. A diverging scale without a centre centres on the
 * middle of [vmin, vmax]; a centre outside the limits is clamped into them.
 */
export function makeScale(spec: Partial<ScaleSpec> | null | undefined, vmin: number | null, vmax: number | null): Scale {
  const kind: ScaleKind = spec?.kind === "diverging" ? "diverging" : "sequential";
  const { name, reversed } = resolveCmap(kind, spec?.cmap);
  const lut = buildLut(name, reversed);
  const lo = vmin ?? 0;
  const hi = vmax ?? (vmin !== null ? vmin + 1 : 1);
  let center: number | null = null;
  if (kind === "diverging") {
    const c = spec?.center;
    center = typeof c === "number" && Number.isFinite(c) ? Math.min(hi, Math.max(lo, c)) : (lo + hi) / 2;
  }
  const index = (v: number): number => {
    const t = scalePosition(v, lo, hi, center);
    return Number.isNaN(t) ? NAN_INDEX : Math.round(t * (LUT_SIZE - 1));
  };
  const rgba = (v: number): [number, number, number, number] => {
    const i = index(v) * 4;
    return [lut[i], lut[i + 1], lut[i + 2], lut[i + 3]];
  };
  const css = (v: number): string => {
    const [r, g, b, a] = rgba(v);
    return a === 0 ? "transparent" : `rgb(${r}, ${g}, ${b})`;
  };
  return { kind, cmap: name, reversed, vmin, vmax, center, lut, index, rgba, css };
}

/** WCAG relative luminance of an sRGB colour (0 = black, 1 = white). */
export function relativeLuminance(r: number, g: number, b: number): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Black or white, whichever contrasts more with a cell colour (for text drawn inside cells). */
export function textColorOn(r: number, g: number, b: number): "#000" | "#fff" {
  // Contrast ratios against black and white are equal at luminance ~0.179.
  return relativeLuminance(r, g, b) > 0.179 ? "#000" : "#fff";
}
