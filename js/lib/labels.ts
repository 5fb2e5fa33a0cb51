/**
 * Text on canvas for matrix views: column labels in a header, labels inside cells, and the
 * measuring they need. Text only ever goes through `fillText`.
 */

import { visibleRange, type GridGeometry } from "./canvas";
import { textColorOn } from "./scales";

/** Column widths (CSS px) the views use: token labels are fitted into [MIN, MAX]. */
export const MIN_CELL_WIDTH = 28;
export const MAX_CELL_WIDTH = 72;
/** Below this cell width, labels give way to position ticks. */
export const MIN_LABEL_WIDTH = 14;
const PAD = 6;

/** Uniform column width for labels of the given measured widths, clamped to [min, max]. Pure. */
export function columnWidthFor(labelWidths: readonly number[], min = MIN_CELL_WIDTH, max = MAX_CELL_WIDTH): number {
  let widest = 0;
  for (const w of labelWidths) if (w > widest) widest = w;
  return Math.min(max, Math.max(min, Math.ceil(widest + 2 * PAD)));
}

/** Spacing of position ticks when labels do not fit: the smallest 1-2-5 step at least `minGap` px apart. Pure. */
export function tickStep(cellWidth: number, minGap = 40): number {
  if (cellWidth <= 0) return 1;
  for (let decade = 1; ; decade *= 10) {
    for (const m of [1, 2, 5]) if (m * decade * cellWidth >= minGap) return m * decade;
  }
}

/** Measure each string with a context's font, or estimate (for tests and canvas-less DOMs). */
export function measureAll(ctx: CanvasRenderingContext2D | null, strings: readonly string[], font: string): number[] {
  if (!ctx) return strings.map((s) => [...s].length * 7.5);
  ctx.font = font;
  return strings.map((s) => ctx.measureText(s).width);
}

/** Truncate `s` with an ellipsis so that it fits `maxWidth` in the context's current font. */
export function fitText(ctx: CanvasRenderingContext2D, s: string, maxWidth: number, cache?: Map<string, string>): string {
  const hit = cache?.get(s);
  if (hit !== undefined) return hit;
  let out = s;
  if (ctx.measureText(s).width > maxWidth) {
    const chars = [...s];
    let lo = 0;
    let hi = chars.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(chars.slice(0, mid).join("") + "…").width <= maxWidth) lo = mid;
      else hi = mid - 1;
    }
    out = lo > 0 ? chars.slice(0, lo).join("") + "…" : "";
  }
  cache?.set(s, out);
  return out;
}

export interface LabelStyle {
  font: string;
  color: string;
  /** Background behind one highlighted column (e.g. the cursor's), or null. */
  highlight?: { col: number; color: string } | null;
}

/** Column labels centred over each visible column, or position ticks when columns are narrow. */
export function drawColumnLabels(
  ctx: CanvasRenderingContext2D,
  labels: readonly string[],
  g: GridGeometry,
  width: number,
  height: number,
  style: LabelStyle,
  cache?: Map<string, string>,
): void {
  const gutter = g.gutter ?? 0;
  const scroll = g.scrollLeft ?? 0;
  const { start, end } = visibleRange(scroll, width - gutter, g.cellWidth, g.cols);
  const xOf = (col: number): number => gutter + col * g.cellWidth - scroll;
  ctx.save();
  ctx.font = style.font;
  ctx.textBaseline = "middle";
  ctx.textAlign = "center";
  const hl = style.highlight;
  if (hl && hl.col >= start && hl.col < end) {
    ctx.fillStyle = hl.color;
    ctx.fillRect(xOf(hl.col), 0, g.cellWidth, height);
  }
  ctx.fillStyle = style.color;
  if (g.cellWidth >= MIN_LABEL_WIDTH) {
    for (let c = start; c < end; c++) {
      const text = fitText(ctx, labels[c] ?? "", g.cellWidth - 4, cache);
      ctx.fillText(text, xOf(c) + g.cellWidth / 2, height / 2);
    }
  } else {
    const step = tickStep(g.cellWidth);
    ctx.strokeStyle = style.color;
    ctx.textAlign = "left";
    for (let c = Math.ceil(start / step) * step; c < end; c += step) {
      const x = Math.round(xOf(c)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, height - 5);
      ctx.lineTo(x, height);
      ctx.stroke();
      ctx.fillText(String(c), x + 2, height / 2 - 2);
    }
  }
  ctx.restore();
}

/** Labels drawn inside the cells of one row (coloured text), black or white by contrast. */
export function drawCellLabels(
  ctx: CanvasRenderingContext2D,
  labels: readonly string[],
  rgbaOf: (col: number) => readonly number[],
  g: GridGeometry,
  width: number,
  style: LabelStyle,
  cache?: Map<string, string>,
): void {
  if (g.cellWidth < MIN_LABEL_WIDTH) return;
  const gutter = g.gutter ?? 0;
  const scroll = g.scrollLeft ?? 0;
  const { start, end } = visibleRange(scroll, width - gutter, g.cellWidth, g.cols);
  const y = (g.top ?? 0) - (g.scrollTop ?? 0) + g.cellHeight / 2;
  ctx.save();
  ctx.font = style.font;
  ctx.textBaseline = "middle";
  ctx.textAlign = "center";
  for (let c = start; c < end; c++) {
    const [r, gr, b, a] = rgbaOf(c);
    ctx.fillStyle = a === 0 ? "#000" : textColorOn(r, gr, b);
    const text = fitText(ctx, labels[c] ?? "", g.cellWidth - 4, cache);
    ctx.fillText(text, gutter + c * g.cellWidth - scroll + g.cellWidth / 2, y);
  }
  ctx.restore();
}

/** Below this row height, row labels give way to position ticks. */
export const MIN_LABEL_HEIGHT = 13;

/** Row labels right-aligned in the left gutter beside each visible row, or position ticks when rows are short. */
export function drawRowLabels(
  ctx: CanvasRenderingContext2D,
  labels: readonly string[],
  g: GridGeometry,
  height: number,
  style: LabelStyle,
  cache?: Map<string, string>,
): void {
  const gutter = g.gutter ?? 0;
  const top = g.top ?? 0;
  const scroll = g.scrollTop ?? 0;
  const { start, end } = visibleRange(scroll, height - top, g.cellHeight, g.rows);
  const yOf = (row: number): number => top + row * g.cellHeight - scroll;
  ctx.save();
  ctx.font = style.font;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  const hl = style.highlight;
  if (hl && hl.col >= start && hl.col < end) {
    ctx.fillStyle = hl.color;
    ctx.fillRect(0, yOf(hl.col), gutter, g.cellHeight);
  }
  ctx.fillStyle = style.color;
  if (g.cellHeight >= MIN_LABEL_HEIGHT) {
    for (let r = start; r < end; r++) {
      const text = fitText(ctx, labels[r] ?? "", gutter - 6, cache);
      ctx.fillText(text, gutter - 4, yOf(r) + g.cellHeight / 2);
    }
  } else {
    const step = tickStep(g.cellHeight, 24);
    ctx.strokeStyle = style.color;
    for (let r = Math.ceil(start / step) * step; r < end; r += step) {
      const y = Math.round(yOf(r)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(gutter - 4, y);
      ctx.lineTo(gutter, y);
      ctx.stroke();
      ctx.fillText(String(r), gutter - 6, y + 5);
    }
  }
  ctx.restore();
}
