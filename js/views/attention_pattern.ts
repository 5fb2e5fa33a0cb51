/**
 * Drawing of the attention pattern pane's canvas: the loaded tiles of the visible window (each
 * scaled with smoothing off, clipped to the positions it covers), the pinned query row, the
 * hovered cell, and token labels along both axes (queries down the left, keys along the top);
 * and the hover tooltip's text.
 */

import { outlineCell, type GridGeometry, type Rect } from "../lib/canvas";
import { formatValue } from "../lib/format";
import { drawColumnLabels, drawRowLabels } from "../lib/labels";
import type { CanvasTheme } from "../lib/theme";
import { exactToken } from "../lib/tokens";
import { tileValue, type PatternTile } from "./attention_store";
import type { PatternWindow } from "./attention_window";

/** Query labels left of the pattern, key labels above it (CSS px). */
export const PANE_GUTTER = 56;
export const PANE_TOP = 20;

/** Canvas side (CSS px) for a pane `width` px wide: steps of 64 px (so resizing rarely re-requests), 192–640. */
export function paneSide(width: number): number {
  const avail = Math.floor((width - PANE_GUTTER - 8) / 64) * 64;
  return Math.min(640, Math.max(192, avail));
}

export interface PatternFrame {
  /** Side of the square plot (CSS px). */
  side: number;
  win: PatternWindow;
  n: number;
  /** Loaded tiles, coarse first: later ones draw over earlier ones. */
  tiles: readonly PatternTile[];
  display: readonly string[];
  query: number | null;
  hover: { q: number; k: number } | null;
  theme: CanvasTheme;
}

/** The cells of `t` that the window shows: rows [i0, i1) × cols [j0, j1). Pure. */
export function visibleCells(t: Pick<PatternTile, "q0" | "k0" | "rows" | "cols" | "stride">, w: PatternWindow): { i0: number; i1: number; j0: number; j1: number } {
  const s = t.stride;
  return {
    i0: Math.max(0, Math.floor((w.q0 - t.q0) / s)),
    i1: Math.min(t.rows, Math.ceil((w.q0 + w.span - t.q0) / s)),
    j0: Math.max(0, Math.floor((w.k0 - t.k0) / s)),
    j1: Math.min(t.cols, Math.ceil((w.k0 + w.span - t.k0) / s)),
  };
}

function drawTile(ctx: CanvasRenderingContext2D, t: PatternTile, w: PatternWindow, ppp: number): void {
  const { i0, i1, j0, j1 } = visibleCells(t, w);
  if (i1 <= i0 || j1 <= j0) return;
  const s = t.stride;
  ctx.save();
  ctx.beginPath();
  ctx.rect(PANE_GUTTER + (t.k0 - w.k0) * ppp, PANE_TOP + (t.q0 - w.q0) * ppp, (t.k1 - t.k0) * ppp, (t.q1 - t.q0) * ppp);
  ctx.clip();
  ctx.imageSmoothingEnabled = false;
  const dest = {
    x: PANE_GUTTER + (t.k0 + j0 * s - w.k0) * ppp,
    y: PANE_TOP + (t.q0 + i0 * s - w.q0) * ppp,
    w: (j1 - j0) * s * ppp,
    h: (i1 - i0) * s * ppp,
  };
  t.image.drawBlock(ctx, { row: i0, col: j0, rows: i1 - i0, cols: j1 - j0 }, dest);
  ctx.restore();
}

/** Draw a frame on a context already sized to (PANE_GUTTER + side) × (PANE_TOP + side) CSS px. */
export function drawPattern(ctx: CanvasRenderingContext2D, f: PatternFrame): void {
  const { side, win, theme } = f;
  const { q0, k0 } = win;
  const ppp = side / win.span;
  ctx.save();
  ctx.beginPath();
  ctx.rect(PANE_GUTTER, PANE_TOP, side, side);
  ctx.clip();
  ctx.fillStyle = theme.highlight;
  ctx.fillRect(PANE_GUTTER, PANE_TOP, side, side);
  for (const t of f.tiles) drawTile(ctx, t, win, ppp);
  const at = (q: number, k: number): Rect => ({ x: PANE_GUTTER + (k - k0) * ppp, y: PANE_TOP + (q - q0) * ppp, w: ppp, h: ppp });
  if (f.query !== null) {
    const r = at(f.query, k0);
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2;
    ctx.setLineDash([4, 3]);
    ctx.strokeRect(PANE_GUTTER + 1, r.y - 1, side - 2, Math.max(2, ppp) + 2);
    ctx.setLineDash([]);
  }
  if (f.hover) outlineCell(ctx, at(f.hover.q, f.hover.k), "cursor", theme.focus);
  ctx.restore();

  const g: GridGeometry = {
    rows: f.n, cols: f.n, cellWidth: ppp, cellHeight: ppp, gutter: PANE_GUTTER, top: PANE_TOP, scrollLeft: k0 * ppp, scrollTop: q0 * ppp,
  };
  const font = `11px ${theme.codeFont}`;
  ctx.save();
  ctx.beginPath();
  ctx.rect(PANE_GUTTER, 0, side, PANE_TOP);
  ctx.clip();
  drawColumnLabels(ctx, f.display, g, PANE_GUTTER + side, PANE_TOP, {
    font, color: theme.fg, highlight: f.hover ? { col: f.hover.k, color: theme.highlight } : null,
  });
  ctx.restore();
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, PANE_TOP, PANE_GUTTER, side);
  ctx.clip();
  drawRowLabels(ctx, f.display, g, PANE_TOP + side, {
    font, color: theme.fg, highlight: f.hover ? { col: f.hover.q, color: theme.highlight } : null,
  });
  ctx.restore();
  ctx.font = `10px ${theme.codeFont}`;
  ctx.fillStyle = theme.muted;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  ctx.fillText("q↓ k→", 2, PANE_TOP / 2);
}

/**
 * Tooltip lines for position (q, k): both tokens (display form, then exact), and the value:
 * exact when the row was fetched, else "≈" from the finest loaded tile (the block maximum when
 * its stride is over 1), 0 for a causally masked cell. Pure.
 */
export function patternLines(
  data: { tokens: readonly string[]; display: readonly string[]; causal: boolean },
  q: number,
  k: number,
  exactRow: ArrayLike<number> | null,
  tiles: readonly PatternTile[],
): string[] {
  const lines = [`${data.display[q]} → ${data.display[k]}`, `query ${q}: ${exactToken(data.tokens[q])}`, `key ${k}: ${exactToken(data.tokens[k])}`];
  if (data.causal && k > q) return [...lines, "attention: 0 (masked: the key comes after the query)"];
  if (exactRow) return [...lines, `attention: ${formatValue(exactRow[k], "float32")}`];
  let best: { value: number; stride: number } | null = null;
  for (const t of tiles) {
    const v = tileValue(t, q, k);
    if (v && (!best || t.stride <= best.stride)) best = { value: v.value, stride: t.stride };
  }
  if (!best) return [...lines, "attention: …"];
  const approx = formatValue(best.value, "uint8", "u8-linear");
  return [...lines, best.stride === 1 ? `attention ${approx}` : `attention: max over ${best.stride}×${best.stride} positions ${approx}`];
}
