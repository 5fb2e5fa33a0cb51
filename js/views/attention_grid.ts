/**
 * The head grid: every head's thumbnail (rows = layers, columns = heads) on ONE canvas, with
 * layer / head labels. The thumbnails payload [layer, head, T, T] is, in C order, a matrix of
 * (layer * heads * T) rows × T columns, so it becomes one `MatrixImage` (built once) and each
 * head is a block of it. The thumbnails and labels are rendered once into an offscreen base
 * layer; a frame only copies it and draws the rings (top heads, selection, keyboard cursor).
 * Geometry is pure and tested without a browser.
 */

import { cellRect, hitTest, MatrixImage, outlineCell, sizeCanvas, type GridGeometry, type Rect } from "../lib/canvas";
import { tickStep } from "../lib/labels";
import type { Scale } from "../lib/scales";
import type { CanvasTheme } from "../lib/theme";
import type { HeadRef, PreparedAttention } from "./attention_model";

/** Where the thumbnails sit on the grid canvas (CSS px). */
export interface HeadGridGeometry {
  layers: number;
  heads: number;
  /** Thumbnail side. */
  thumb: number;
  /** Space between thumbnails. */
  gap: number;
  /** Layer labels, left of head 0. */
  gutter: number;
  /** Head labels, above layer 0. */
  top: number;
}

export const GRID_GUTTER = 32;
export const GRID_TOP = 16;
export const GRID_GAP = 3;
export const MIN_THUMB = 10;
export const MAX_THUMB = 64;

/**
 * Thumbnails as large as `width` allows (within [MIN_THUMB, MAX_THUMB]); rounded down to a whole
 * number of px per cell when that costs at most a third of the size (crisper cells).
 */
export function gridGeometry(width: number, layers: number, heads: number, side: number): HeadGridGeometry {
  let thumb = Math.floor((width - GRID_GUTTER) / Math.max(1, heads)) - GRID_GAP;
  thumb = Math.min(MAX_THUMB, Math.max(MIN_THUMB, thumb));
  const whole = side > 0 ? Math.floor(thumb / side) * side : 0;
  if (whole > 0 && whole * 1.5 >= thumb) thumb = whole;
  return { layers, heads, thumb, gap: GRID_GAP, gutter: GRID_GUTTER, top: GRID_TOP };
}

/** The canvas size (CSS px) that holds the whole grid. */
export function gridSize(g: HeadGridGeometry): { width: number; height: number } {
  const pitch = g.thumb + g.gap;
  return { width: g.gutter + g.heads * pitch, height: g.top + g.layers * pitch };
}

/** The same grid as a cell grid of the shared canvas helpers (one cell = thumbnail + gap). */
function cells(g: HeadGridGeometry): GridGeometry {
  const pitch = g.thumb + g.gap;
  return { rows: g.layers, cols: g.heads, cellWidth: pitch, cellHeight: pitch, gutter: g.gutter, top: g.top };
}

/** The head under canvas point (x, y): null over labels, gaps between thumbnails, or outside. */
export function headAt(x: number, y: number, g: HeadGridGeometry): HeadRef | null {
  const cell = hitTest(x, y, cells(g));
  if (!cell) return null;
  const r = cellRect(cell, cells(g));
  if (x - r.x >= g.thumb || y - r.y >= g.thumb) return null;
  return { layer: cell.row, head: cell.col };
}

/** A head's thumbnail rectangle (CSS px). */
export function headRect(h: HeadRef, g: HeadGridGeometry): Rect {
  const r = cellRect({ row: h.layer, col: h.head }, cells(g));
  return { x: r.x, y: r.y, w: g.thumb, h: g.thumb };
}

/** Rows of the thumbnail matrix (C order [layer, head, T, T] seen as [(layer·heads + head)·T + q, k]) of a head. */
export function thumbBlock(h: HeadRef, heads: number, side: number): { row: number; col: number; rows: number; cols: number } {
  return { row: (h.layer * heads + h.head) * side, col: 0, rows: side, cols: side };
}

export interface GridMarks {
  selected: HeadRef | null;
  cursor: HeadRef | null;
  /** Heads ranked highest by the sort score (ringed). */
  top: readonly HeadRef[];
}

const TOP_RING = "#e08a00";

export class HeadGrid {
  readonly canvas: HTMLCanvasElement;
  geometry: HeadGridGeometry = gridGeometry(0, 0, 0, 0);
  private data: PreparedAttention | null = null;
  private image: MatrixImage | null = null;
  private base: HTMLCanvasElement | null = null;
  private baseKey = "";

  constructor(doc: Document) {
    this.canvas = doc.createElement("canvas");
    this.canvas.className = "interplay-attention-grid";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "attention pattern of every head (rows: layers, columns: heads)");
  }

  /** New data: the thumbnail image is built once here. */
  setData(p: PreparedAttention | null, scale: Scale): void {
    this.data = p;
    this.image = p ? new MatrixImage(this.canvas.ownerDocument, p.thumbs.values(), p.layers * p.heads * p.side, p.side, scale) : null;
    this.base = null;
  }

  /** Fit the grid to `width` CSS px. */
  layout(width: number): void {
    const p = this.data;
    this.geometry = gridGeometry(width, p?.layers ?? 0, p?.heads ?? 0, p?.side ?? 0);
  }

  headAt(clientX: number, clientY: number): HeadRef | null {
    const box = this.canvas.getBoundingClientRect();
    return headAt(clientX - box.left, clientY - box.top, this.geometry);
  }

  draw(marks: GridMarks, theme: CanvasTheme, dpr: number): void {
    const g = this.geometry;
    const { width, height } = gridSize(g);
    const ctx = sizeCanvas(this.canvas, width, height, dpr);
    if (!ctx || !this.data) return;
    const key = `${width}x${height}@${dpr}/${theme.fg}/${theme.muted}`;
    if (!this.base || this.baseKey !== key) {
      this.base = this.renderBase(width, height, dpr, theme);
      this.baseKey = key;
    }
    if (this.base) ctx.drawImage(this.base, 0, 0, width, height);
    ctx.save();
    ctx.lineWidth = 2;
    ctx.strokeStyle = TOP_RING;
    for (const h of marks.top) {
      const r = headRect(h, g);
      ctx.strokeRect(r.x - 1, r.y - 1, r.w + 2, r.h + 2);
    }
    ctx.restore();
    const { selected, cursor } = marks;
    if (selected) outlineCell(ctx, headRect(selected, g), "selected");
    if (cursor && !(selected && selected.layer === cursor.layer && selected.head === cursor.head)) {
      outlineCell(ctx, headRect(cursor, g), "cursor", theme.focus);
    }
  }

  /** Thumbnails and labels, drawn once per size / theme into an offscreen canvas. */
  private renderBase(width: number, height: number, dpr: number, theme: CanvasTheme): HTMLCanvasElement | null {
    const p = this.data;
    const image = this.image;
    if (!p || !image) return null;
    const base = this.canvas.ownerDocument.createElement("canvas");
    const ctx = sizeCanvas(base, width, height, dpr);
    if (!ctx) return null;
    const g = this.geometry;
    const pitch = g.thumb + g.gap;
    ctx.font = `11px ${theme.codeFont}`;
    ctx.fillStyle = theme.muted;
    ctx.textBaseline = "middle";
    const hStep = tickStep(pitch, g.heads > 9 ? 22 : 14);
    ctx.textAlign = "center";
    for (let h = 0; h < g.heads; h += hStep) ctx.fillText(pitch >= 22 ? `H${h}` : String(h), g.gutter + h * pitch + g.thumb / 2, g.top / 2);
    const lStep = tickStep(pitch, 14);
    ctx.textAlign = "right";
    for (let l = 0; l < g.layers; l += lStep) ctx.fillText(`L${l}`, g.gutter - 4, g.top + l * pitch + g.thumb / 2);
    // Shrinking a thumbnail drops cells: average them then; enlarging keeps cells crisp.
    ctx.imageSmoothingEnabled = g.thumb < p.side;
    for (let layer = 0; layer < p.layers; layer++) {
      for (let head = 0; head < p.heads; head++) {
        const h = { layer, head };
        const r = headRect(h, g);
        image.drawBlock(ctx, thumbBlock(h, p.heads, p.side), r);
      }
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = theme.muted;
    ctx.globalAlpha = 0.35;
    for (let layer = 0; layer < p.layers; layer++) {
      for (let head = 0; head < p.heads; head++) {
        const r = headRect({ layer, head }, g);
        ctx.strokeRect(r.x - 0.5, r.y - 0.5, r.w + 1, r.h + 1);
      }
    }
    return base;
  }
}
