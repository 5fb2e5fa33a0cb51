/**
 * Heatmap drawing shared by the matrix views (token heatmap, attention patterns, logit lens).
 *
 * A [rows, cols] matrix becomes an RGBA image once (one pixel per cell, through the scale's LUT),
 * held in offscreen tile canvases (tiles keep every canvas under browser size limits, whatever
 * the matrix size). Each frame draws only the visible window of tiles, scaled up with
 * `imageSmoothingEnabled = false`, onto a viewport-sized canvas sized for devicePixelRatio.
 * Geometry (hit testing, visible ranges, backing sizes) is pure and tested without a browser.
 */

import { NAN_HATCH, NAN_INDEX, type Scale } from "./scales";

/** Where the cells sit inside a canvas: CSS pixels, before devicePixelRatio. */
export interface GridGeometry {
  rows: number;
  cols: number;
  cellWidth: number;
  cellHeight: number;
  /** Space left of column 0 inside the canvas (e.g. a row-label gutter drawn on it). */
  gutter?: number;
  /** Space above row 0 inside the canvas (e.g. a header drawn on it). */
  top?: number;
  /** Horizontal / vertical scroll of the cells (content pixels hidden on the left / top). */
  scrollLeft?: number;
  scrollTop?: number;
}

export interface Cell {
  row: number;
  col: number;
}

/** The cell under canvas point (x, y), or null over the gutter, the header or outside the grid. */
export function hitTest(x: number, y: number, g: GridGeometry): Cell | null {
  const gutter = g.gutter ?? 0;
  const top = g.top ?? 0;
  if (!(x >= gutter && y >= top) || g.cellWidth <= 0 || g.cellHeight <= 0) return null;
  const col = Math.floor((x - gutter + (g.scrollLeft ?? 0)) / g.cellWidth);
  const row = Math.floor((y - top + (g.scrollTop ?? 0)) / g.cellHeight);
  if (row < 0 || row >= g.rows || col < 0 || col >= g.cols) return null;
  return { row, col };
}

/** A cell's rectangle in canvas CSS pixels (may lie partly or wholly outside the canvas). */
export function cellRect(cell: Cell, g: GridGeometry): Rect {
  return {
    x: (g.gutter ?? 0) + cell.col * g.cellWidth - (g.scrollLeft ?? 0),
    y: (g.top ?? 0) + cell.row * g.cellHeight - (g.scrollTop ?? 0),
    w: g.cellWidth,
    h: g.cellHeight,
  };
}

/** Indices [start, end) of the cells of size `cell` that a viewport of `extent` px shows at `scroll`. */
export function visibleRange(scroll: number, extent: number, cell: number, count: number): { start: number; end: number } {
  if (cell <= 0 || extent <= 0 || count <= 0) return { start: 0, end: 0 };
  const start = Math.min(count, Math.max(0, Math.floor(scroll / cell)));
  const end = Math.min(count, Math.max(start, Math.ceil((scroll + extent) / cell)));
  return { start, end };
}

/** Backing-store size of a canvas shown at (cssWidth, cssHeight) on a screen of pixel ratio `dpr`. */
export function backingSize(cssWidth: number, cssHeight: number, dpr: number): { width: number; height: number } {
  const ratio = Number.isFinite(dpr) && dpr > 0 ? dpr : 1;
  return { width: Math.max(1, Math.round(cssWidth * ratio)), height: Math.max(1, Math.round(cssHeight * ratio)) };
}

/**
 * Size a canvas for HiDPI and return its 2D context, transformed so drawing uses CSS pixels
 * (null where canvas is unavailable, e.g. jsdom: callers then skip drawing).
 */
export function sizeCanvas(canvas: HTMLCanvasElement, cssWidth: number, cssHeight: number, dpr: number): CanvasRenderingContext2D | null {
  const { width, height } = backingSize(cssWidth, cssHeight, dpr);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  canvas.style.width = `${Math.max(0, cssWidth)}px`;
  canvas.style.height = `${Math.max(0, cssHeight)}px`;
  const ctx = get2d(canvas);
  if (!ctx) return null;
  ctx.setTransform(width / Math.max(1, cssWidth), 0, 0, height / Math.max(1, cssHeight), 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  ctx.imageSmoothingEnabled = false;
  return ctx;
}

/** A 2D context, or null where canvas is not implemented (never throws). */
export function get2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  try {
    return canvas.getContext("2d");
  } catch {
    return null;
  }
}

/** RGBA pixels of a matrix through a scale's LUT (row-major, one pixel per value). Pure. */
export function buildRgba(values: ArrayLike<number>, scale: Pick<Scale, "index" | "lut">): { rgba: Uint8ClampedArray; nanCount: number } {
  const n = values.length;
  const rgba = new Uint8ClampedArray(n * 4);
  const { lut } = scale;
  let nanCount = 0;
  for (let i = 0; i < n; i++) {
    const k = scale.index(values[i]);
    if (k === NAN_INDEX) nanCount++;
    const o = k * 4;
    const p = i * 4;
    rgba[p] = lut[o];
    rgba[p + 1] = lut[o + 1];
    rgba[p + 2] = lut[o + 2];
    rgba[p + 3] = lut[o + 3];
  }
  return { rgba, nanCount };
}

/** Largest tile side in pixels (cells): well under every browser's canvas limits. */
export const TILE = 2048;

interface Tile {
  row: number;
  col: number;
  rows: number;
  cols: number;
  canvas: HTMLCanvasElement;
}

/** A matrix as offscreen tile canvases, one pixel per cell, built once; draws any window of it. */
export class MatrixImage {
  readonly rows: number;
  readonly cols: number;
  readonly nanCount: number;
  private readonly tiles: Tile[] = [];

  constructor(doc: Document, values: ArrayLike<number>, rows: number, cols: number, scale: Pick<Scale, "index" | "lut">) {
    this.rows = rows;
    this.cols = cols;
    const { rgba, nanCount } = buildRgba(values, scale);
    this.nanCount = nanCount;
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const th = Math.min(TILE, rows - r0);
        const tw = Math.min(TILE, cols - c0);
        const canvas = doc.createElement("canvas");
        canvas.width = tw;
        canvas.height = th;
        const ctx = get2d(canvas);
        if (!ctx) return; // no canvas support: nothing to draw
        const image = ctx.createImageData(tw, th);
        for (let r = 0; r < th; r++) {
          const from = ((r0 + r) * cols + c0) * 4;
          image.data.set(rgba.subarray(from, from + tw * 4), r * tw * 4);
        }
        ctx.putImageData(image, 0, 0);
        this.tiles.push({ row: r0, col: c0, rows: th, cols: tw, canvas });
      }
    }
  }

  /**
   * Draw the block of cells [row, row + rows) × [col, col + cols), scaled into `dest` (CSS px),
   * NaN cells hatched. The caller sets clipping and `imageSmoothingEnabled`.
   */
  drawBlock(ctx: CanvasRenderingContext2D, block: { row: number; col: number; rows: number; cols: number }, dest: Rect): void {
    if (block.rows <= 0 || block.cols <= 0 || dest.w <= 0 || dest.h <= 0) return;
    const sx = dest.w / block.cols;
    const sy = dest.h / block.rows;
    if (this.nanCount > 0) {
      ctx.fillStyle = hatchPattern(ctx) ?? NAN_HATCH.ground;
      ctx.fillRect(dest.x, dest.y, dest.w, dest.h);
    }
    for (const t of this.tiles) {
      const c0 = Math.max(block.col, t.col);
      const c1 = Math.min(block.col + block.cols, t.col + t.cols);
      const r0 = Math.max(block.row, t.row);
      const r1 = Math.min(block.row + block.rows, t.row + t.rows);
      if (c1 <= c0 || r1 <= r0) continue;
      const x = dest.x + (c0 - block.col) * sx;
      const y = dest.y + (r0 - block.row) * sy;
      ctx.drawImage(t.canvas, c0 - t.col, r0 - t.row, c1 - c0, r1 - r0, x, y, (c1 - c0) * sx, (r1 - r0) * sy);
    }
  }

  /** Draw the cells visible in a (width × height) CSS-pixel viewport of `ctx`, NaN cells hatched. */
  draw(ctx: CanvasRenderingContext2D, g: GridGeometry, width: number, height: number): void {
    const gutter = g.gutter ?? 0;
    const top = g.top ?? 0;
    const cols = visibleRange(g.scrollLeft ?? 0, width - gutter, g.cellWidth, this.cols);
    const rows = visibleRange(g.scrollTop ?? 0, height - top, g.cellHeight, this.rows);
    if (cols.end <= cols.start || rows.end <= rows.start) return;
    const origin = cellRect({ row: rows.start, col: cols.start }, g);
    ctx.save();
    ctx.beginPath();
    ctx.rect(gutter, top, width - gutter, height - top);
    ctx.clip();
    ctx.imageSmoothingEnabled = false;
    if (this.nanCount > 0) {
      ctx.fillStyle = hatchPattern(ctx) ?? NAN_HATCH.ground;
      ctx.fillRect(origin.x, origin.y, (cols.end - cols.start) * g.cellWidth, (rows.end - rows.start) * g.cellHeight);
    }
    for (const t of this.tiles) {
      const c0 = Math.max(cols.start, t.col);
      const c1 = Math.min(cols.end, t.col + t.cols);
      const r0 = Math.max(rows.start, t.row);
      const r1 = Math.min(rows.end, t.row + t.rows);
      if (c1 <= c0 || r1 <= r0) continue;
      const at = cellRect({ row: r0, col: c0 }, g);
      ctx.drawImage(t.canvas, c0 - t.col, r0 - t.row, c1 - c0, r1 - r0, at.x, at.y, (c1 - c0) * g.cellWidth, (r1 - r0) * g.cellHeight);
    }
    ctx.restore();
  }
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Outline a cell: "selected" is a black ring with a white inner ring (visible on every scale
 * colour); "cursor" is a dashed ring in `color`. Tiny cells get an 8 px ring centred on them.
 */
export function outlineCell(ctx: CanvasRenderingContext2D, r: Rect, kind: "selected" | "cursor", color = "#1a73e8"): void {
  const w = Math.max(r.w, 8);
  const h = Math.max(r.h, 8);
  const x = r.x - (w - r.w) / 2;
  const y = r.y - (h - r.h) / 2;
  ctx.save();
  ctx.lineWidth = 2;
  if (kind === "cursor") {
    ctx.setLineDash([3, 2]);
    ctx.strokeStyle = color;
    ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
  } else {
    ctx.strokeStyle = "#000";
    ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(x + 2.5, y + 2.5, w - 5, h - 5);
  }
  ctx.restore();
}

const hatchCache = new WeakMap<CanvasRenderingContext2D, CanvasPattern | null>();

/** The NaN hatch (light diagonal stripes on grey) as a pattern for `ctx`, or null if unsupported. */
export function hatchPattern(ctx: CanvasRenderingContext2D): CanvasPattern | null {
  if (hatchCache.has(ctx)) return hatchCache.get(ctx) ?? null;
  const pattern = makeHatch(ctx);
  hatchCache.set(ctx, pattern);
  return pattern;
}

function makeHatch(ctx: CanvasRenderingContext2D): CanvasPattern | null {
  const tile = ctx.canvas.ownerDocument.createElement("canvas");
  tile.width = 6;
  tile.height = 6;
  const t = get2d(tile);
  if (!t) return null;
  t.fillStyle = NAN_HATCH.ground;
  t.fillRect(0, 0, 6, 6);
  t.strokeStyle = NAN_HATCH.stripe;
  t.lineWidth = 2;
  t.beginPath();
  t.moveTo(-1, 7);
  t.lineTo(7, -1);
  t.moveTo(-4, 4);
  t.lineTo(4, -4);
  t.moveTo(2, 10);
  t.lineTo(10, 2);
  t.stroke();
  return ctx.createPattern(tile, "repeat");
}
