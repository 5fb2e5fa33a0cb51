/**
 * The generation's [generated token × source token] attribution matrix, on one canvas: generated
 * tokens label the rows (drawn with fillText), hovering a cell highlights its row and column (and,
 * through `onHover`, both tokens in the token line), clicking a row explains that token.
 * Hover never leaves the browser.
 */

import { cellRect, get2d, hitTest, MatrixImage, sizeCanvas, type Cell, type GridGeometry } from "../lib/canvas";
import { fitText } from "../lib/labels";
import { readTheme } from "../lib/theme";
import { displayToken } from "../lib/tokens";
import type { Tooltip } from "../lib/tooltip";
import { matrixLayout, scaleOf, type Matrix } from "./attribution_model";

const GUTTER = 96;
const MAX_WIDTH = 900;

export interface MatrixCallbacks {
  onHover(cell: Cell | null): void;
  onSelect(row: number): void;
  tooltip(cell: Cell): string[];
}

export class AttributionMatrix {
  readonly element: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly tooltip: Tooltip;
  private readonly cb: MatrixCallbacks;
  private matrix: Matrix | null = null;
  private image: MatrixImage | null = null;
  private labels: string[] = [];
  private geometry: GridGeometry | null = null;
  private size = { width: 0, height: 0 };
  private hover: Cell | null = null;
  private selectedRow: number | null = null;
  private readonly listeners: [string, EventListener][] = [];

  constructor(doc: Document, tooltip: Tooltip, cb: MatrixCallbacks) {
    this.tooltip = tooltip;
    this.cb = cb;
    this.element = doc.createElement("div");
    this.element.className = "interplay-attr-matrix-wrap";
    this.canvas = doc.createElement("canvas");
    this.canvas.className = "interplay-attr-matrix";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "attribution matrix: generated tokens (rows) by source tokens (columns)");
    this.element.append(this.canvas);
    this.listen("pointermove", (e) => this.onMove(e as PointerEvent));
    this.listen("pointerleave", () => this.setHover(null));
    this.listen("click", (e) => {
      const cell = this.cellAt(e as MouseEvent);
      if (cell) this.cb.onSelect(cell.row);
    });
  }

  /** Show a matrix (null hides it); `tokens` label the rows with the tokens they explain. */
  set(matrix: Matrix | null, tokens: readonly string[]): void {
    this.matrix = matrix;
    this.element.hidden = matrix === null;
    this.hover = null;
    if (!matrix) {
      this.image = null;
      return;
    }
    this.labels = matrix.targets.map((t) => displayToken(tokens[t] ?? ""));
    this.image = new MatrixImage(this.canvas.ownerDocument, matrix.values, matrix.rows, matrix.cols, scaleOf(matrix));
    const layout = matrixLayout(matrix.rows, matrix.cols, MAX_WIDTH, GUTTER);
    this.geometry = { rows: matrix.rows, cols: matrix.cols, cellWidth: layout.cellWidth, cellHeight: layout.cellHeight, gutter: GUTTER };
    this.size = { width: layout.width, height: layout.height };
    this.draw();
  }

  setSelectedRow(row: number | null): void {
    this.selectedRow = row;
    this.draw();
  }

  get hovered(): Cell | null {
    return this.hover;
  }

  draw(): void {
    const g = this.geometry;
    if (!this.matrix || !g) return;
    const dpr = this.canvas.ownerDocument.defaultView?.devicePixelRatio ?? 1;
    const ctx = sizeCanvas(this.canvas, this.size.width, this.size.height, dpr);
    if (!ctx) return;
    this.image?.draw(ctx, g, this.size.width, this.size.height);
    const theme = readTheme(this.element.parentElement ?? this.element);
    ctx.font = `12px ${theme.codeFont}`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (let r = 0; r < this.labels.length; r++) {
      ctx.fillStyle = r === this.selectedRow || r === this.hover?.row ? theme.fg : theme.muted;
      ctx.fillText(fitText(ctx, this.labels[r], GUTTER - 8), GUTTER - 6, (r + 0.5) * g.cellHeight);
    }
    if (this.hover) {
      const at = cellRect(this.hover, g);
      ctx.save();
      ctx.strokeStyle = theme.focus;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(GUTTER + 0.5, at.y + 0.5, g.cols * g.cellWidth - 1, g.cellHeight - 1);
      ctx.strokeRect(at.x + 0.5, 0.5, g.cellWidth - 1, g.rows * g.cellHeight - 1);
      ctx.restore();
    }
    if (this.selectedRow !== null && this.selectedRow < g.rows) {
      ctx.save();
      ctx.strokeStyle = theme.fg;
      ctx.lineWidth = 2;
      ctx.strokeRect(GUTTER + 1, this.selectedRow * g.cellHeight + 1, g.cols * g.cellWidth - 2, g.cellHeight - 2);
      ctx.restore();
    }
  }

  destroy(): void {
    for (const [type, fn] of this.listeners) this.canvas.removeEventListener(type, fn);
    this.element.remove();
  }

  private listen(type: string, fn: EventListener): void {
    this.canvas.addEventListener(type, fn);
    this.listeners.push([type, fn]);
  }

  private cellAt(e: MouseEvent): Cell | null {
    if (!this.geometry) return null;
    const box = this.canvas.getBoundingClientRect();
    return hitTest(e.clientX - box.left, e.clientY - box.top, this.geometry);
  }

  private onMove(e: PointerEvent): void {
    const cell = this.cellAt(e);
    this.setHover(cell);
    if (cell) this.tooltip.show(this.cb.tooltip(cell), e.clientX, e.clientY);
  }

  private setHover(cell: Cell | null): void {
    const same = cell === this.hover || (cell && this.hover && cell.row === this.hover.row && cell.col === this.hover.col);
    if (!cell) this.tooltip.hide();
    if (same) return;
    this.hover = cell;
    this.cb.onHover(cell);
    this.draw();
  }
}

/** Whether `get2d` works here (false in jsdom): tests use it to skip pixel checks. */
export function canDraw(doc: Document): boolean {
  return get2d(doc.createElement("canvas")) !== null;
}
