/**
 * Window and tile arithmetic of the attention pattern pane. Pure.
 *
 * The pane shows a square window of the [query, key] pattern: `span` positions on each side,
 * starting at (q0, k0). The whole sequence comes first, in one `pattern` request whose
 * `max_side` is about the canvas size in device pixels (so its stride is ceil(n / max_side)).
 * When the user zooms in far enough for that image to get coarse, the visible window is
 * fetched at a finer stride in tiles: stride levels are powers of two, a tile holds
 * TILE_CELLS × TILE_CELLS cells, so it spans `stride * TILE_CELLS` positions and is aligned on
 * multiples of that. Tiles are cached per (head, level, index): panning and zooming back and
 * forth fetch nothing twice. In a causal model, tiles whose keys all come after all their
 * queries are masked (zero) and never fetched.
 */

/** The visible square window, in positions (fractional starts are fine). */
export interface PatternWindow {
  q0: number;
  k0: number;
  span: number;
}

/** Fewest positions on a side when zoomed in all the way. */
export const MIN_SPAN = 4;
/** Cells on a side of one tile (its `max_side`). */
export const TILE_CELLS = 256;
/** Largest `max_side` asked for. */
export const MAX_SIDE = 1024;

/** The stride Python applies to a window (ARCHITECTURE.md): ceil(max(q1-q0, k1-k0) / max_side). */
export function strideFor(q0: number, q1: number, k0: number, k1: number, maxSide: number): number {
  return Math.max(1, Math.ceil(Math.max(q1 - q0, k1 - k0) / Math.max(1, maxSide)));
}

/** `max_side` for a canvas side of `cssPx` at pixel ratio `dpr`: device pixels, capped at MAX_SIDE. */
export function maxSideFor(cssPx: number, dpr: number): number {
  const ratio = Number.isFinite(dpr) && dpr > 0 ? dpr : 1;
  return Math.max(16, Math.min(MAX_SIDE, Math.round(cssPx * ratio)));
}

/** The whole sequence. */
export function fullWindow(n: number): PatternWindow {
  return { q0: 0, k0: 0, span: Math.max(1, n) };
}

/** The window kept inside [0, n) with a span between min(n, MIN_SPAN) and n. */
export function clampWindow(w: PatternWindow, n: number): PatternWindow {
  const span = Math.min(n, Math.max(Math.min(n, MIN_SPAN), w.span));
  const clamp = (x: number): number => Math.min(n - span, Math.max(0, x));
  return { q0: clamp(w.q0), k0: clamp(w.k0), span };
}

/** Zoom by `factor` (> 1 zooms in) keeping the position (anchorQ, anchorK) where it is on screen. */
export function zoomWindow(w: PatternWindow, n: number, factor: number, anchorQ: number, anchorK: number): PatternWindow {
  const span = Math.min(n, Math.max(Math.min(n, MIN_SPAN), w.span / factor));
  const r = span / w.span;
  return clampWindow({ q0: anchorQ - (anchorQ - w.q0) * r, k0: anchorK - (anchorK - w.k0) * r, span }, n);
}

/** Move the window by (dq, dk) positions. */
export function panWindow(w: PatternWindow, n: number, dq: number, dk: number): PatternWindow {
  return clampWindow({ q0: w.q0 + dq, k0: w.k0 + dk, span: w.span }, n);
}

/** The position under a pixel offset `px` from the window's edge at `start` (null outside [0, n)). */
export function positionAt(px: number, start: number, pxPerPos: number, n: number): number | null {
  if (pxPerPos <= 0) return null;
  const p = Math.floor(start + px / pxPerPos);
  return p >= 0 && p < n ? p : null;
}

/**
 * The tile stride for a visible span: the smallest power of two at least span / maxSide, or null
 * when the whole-sequence image (of stride `fullStride`) is already that fine.
 */
export function levelStride(span: number, maxSide: number, fullStride: number): number | null {
  const want = span / Math.max(1, maxSide);
  let s = 1;
  while (s < want) s *= 2;
  return s < fullStride ? s : null;
}

/** One tile request: the window [q0, q1) × [k0, k1) at `max_side` TILE_CELLS. */
export interface TileSpec {
  q0: number;
  q1: number;
  k0: number;
  k1: number;
  max_side: number;
  /** The stride level this tile belongs to (Python's stride is this or less at the sequence's end). */
  level: number;
}

/** Tiles of stride `level` that cover the visible window (causal: fully masked tiles left out). */
export function tilesFor(w: PatternWindow, n: number, level: number, causal: boolean, tileCells = TILE_CELLS): TileSpec[] {
  const size = level * tileCells;
  const range = (start: number): [number, number] => {
    const a = Math.max(0, Math.floor(start / size));
    const b = Math.min(Math.ceil(n / size), Math.ceil((start + w.span) / size));
    return [a, Math.max(a + 1, b)];
  };
  const [qa, qb] = range(w.q0);
  const [ka, kb] = range(w.k0);
  const out: TileSpec[] = [];
  for (let i = qa; i < qb; i++) {
    for (let j = ka; j < kb; j++) {
      const q0 = i * size;
      const k0 = j * size;
      const q1 = Math.min(n, q0 + size);
      const k1 = Math.min(n, k0 + size);
      if (q0 >= n || k0 >= n) continue;
      if (causal && k0 > q1 - 1) continue; // every key after every query: all masked
      out.push({ q0, q1, k0, k1, max_side: tileCells, level });
    }
  }
  return out;
}

/** Positions [start, end) that a cell `index` of a window starting at `origin` with `stride` covers (clipped to `limit`). */
export function cellSpan(origin: number, index: number, stride: number, limit: number): [number, number] {
  const a = origin + index * stride;
  return [a, Math.min(limit, a + stride)];
}

/** The token window of the token view for long sequences: `size` tokens around `center`. */
export function tokenWindow(n: number, center: number, size: number): { start: number; end: number } {
  if (n <= size) return { start: 0, end: n };
  const start = Math.min(n - size, Math.max(0, Math.round(center - size / 2)));
  return { start, end: start + size };
}
