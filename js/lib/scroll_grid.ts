/**
 * ScrollGrid: the interactive, virtualised matrix shared by the matrix views (token heatmap,
 * logit lens, DLA heads). It owns the scroll/zoom geometry, the header of column labels, the
 * row-label gutter, hover tooltips, the keyboard cursor and selection, and drawing of the visible
 * window; the view owns the data, the legend and everything around it.
 *
 * The cell and header canvases are viewport-sized and sticky inside a scroller whose track gives
 * the full scroll size, so only visible columns are ever drawn. Keyboard: arrows/Home/End/PageUp/
 * PageDown move the cursor, Enter or Space selects, Escape clears, +/- zoom (on the root element).
 */

import { cellRect, get2d, hitTest, outlineCell, sizeCanvas, type Cell, type GridGeometry, type MatrixImage } from "./canvas";
import { FrameScheduler } from "./frame";
import { columnWidthFor, drawColumnLabels, MAX_CELL_WIDTH, measureAll } from "./labels";
import { moveCursor, scrollToShow } from "./nav";
import { buildGridDom, setRowLabels, type GridDom } from "./scroll_grid_dom";
import { readTheme, type CanvasTheme } from "./theme";
import { Tooltip } from "./tooltip";

/** What the grid shows; built by the view after each data change. */
export interface GridData {
  rows: number;
  cols: number;
  image: MatrixImage;
  /** Header labels (display form), one per column. */
  columnLabels: readonly string[];
  rowLabels: readonly string[];
  cellHeight: number;
  /** Height of the header canvas above the cells; 0 hides it. */
  headerHeight: number;
  /** Strings whose widths set the natural column width (default: the column labels). */
  widthLabels?: readonly string[];
}

export interface GridHooks {
  /** Tooltip lines (text) for a cell. */
  tooltip(cell: Cell): string[];
  /** Tooltip lines for a column header. */
  columnTooltip?(col: number): string[];
  /** The user selected a cell (click, Enter, Space) or cleared the selection (Escape). */
  onSelect(cell: Cell | null): void;
  /** Extra drawing over the cells (e.g. text in them), before the outlines. */
  drawCells?(ctx: CanvasRenderingContext2D, g: GridGeometry, width: number, height: number, theme: CanvasTheme): void;
}

const FALLBACK_WIDTH = 640;
const ZOOM_STEP = 1.25;

export class ScrollGrid {
  readonly dom: GridDom;
  private data: GridData | null = null;
  private selected: Cell | null = null;
  private cellWidth = MAX_CELL_WIDTH;
  private baseWidth = MAX_CELL_WIDTH;
  private fit = false;
  private cursor: Cell = { row: 0, col: 0 };
  private focused = false;
  private keyboardTip = false;
  private lastWidth = -1;
  private readonly labelCache = new Map<string, string>();
  private readonly root: HTMLElement;
  private readonly hooks: GridHooks;
  private readonly tooltip: Tooltip;
  private readonly resizeObserver: ResizeObserver | null = null;
  private readonly frames: FrameScheduler;
  /** Listeners on the root (removed on destroy: the root belongs to the view). */
  private readonly rootListeners: [string, (e: KeyboardEvent) => void][] = [
    ["keydown", (e) => this.onKeyDown(e)],
    ["focus", () => this.onFocus(true)],
    ["blur", () => this.onFocus(false)],
  ];

  /**
   * @param root        the focusable widget root: keyboard events, focus and the tooltip live there.
   * @param canvasClass class of the cell canvas (the DOM contract of each view).
   */
  constructor(root: HTMLElement, canvasClass: string, hooks: GridHooks) {
    const doc = root.ownerDocument;
    this.root = root;
    this.hooks = hooks;
    this.dom = buildGridDom(doc, canvasClass, {
      zoomOut: () => this.zoom(1 / ZOOM_STEP),
      zoomIn: () => this.zoom(ZOOM_STEP),
      fit: () => this.setCellWidth(0),
      reset: () => this.setCellWidth(this.baseWidth),
    });
    const { canvas, header, scroller } = this.dom;
    this.frames = new FrameScheduler(doc.defaultView, () => this.draw());
    this.tooltip = new Tooltip(root, canvas);
    header.addEventListener("pointerleave", () => this.tooltip.hide());
    header.addEventListener("pointermove", this.onHeaderMove);
    canvas.addEventListener("pointermove", this.onPointerMove);
    canvas.addEventListener("click", this.onClick);
    scroller.addEventListener("scroll", this.onScroll);
    scroller.addEventListener("wheel", this.onWheel, { passive: false });
    for (const [type, fn] of this.rootListeners) root.addEventListener(type, fn as EventListener);
    const RO = doc.defaultView?.ResizeObserver;
    if (RO) {
      this.resizeObserver = new RO(() => this.onResize());
      this.resizeObserver.observe(scroller);
    }
  }

  /**
   * Show new data (null: nothing to show, e.g. while the view shows an error). `resetWidth`
   * re-measures the natural column width (new columns); otherwise the zoom is kept.
   */
  setData(data: GridData | null, resetWidth: boolean): void {
    this.data = data;
    if (!data) {
      this.tooltip.hide();
      return;
    }
    if (resetWidth) {
      const font = `12px ${readTheme(this.root).codeFont}`;
      this.baseWidth = columnWidthFor(measureAll(get2d(this.dom.header), data.widthLabels ?? data.columnLabels, font));
      this.cellWidth = this.baseWidth;
      this.fit = false;
    }
    this.cursor = { row: clamp(this.cursor.row, data.rows), col: clamp(this.cursor.col, data.cols) };
    setRowLabels(this.dom, data.rowLabels, data.cellHeight, data.headerHeight);
    this.setCellWidth(this.fit ? 0 : this.cellWidth, 0, false);
    this.frames.request();
  }

  /** Show a selection set from outside (Python); the keyboard cursor follows it when `follow`. */
  setSelected(cell: Cell | null, follow = true): void {
    const d = this.data;
    const valid = cell && d && cell.row >= 0 && cell.row < d.rows && cell.col >= 0 && cell.col < d.cols ? cell : null;
    this.selected = valid;
    if (valid && follow) this.cursor = { ...valid };
    this.frames.request();
  }

  /** Redraw on the next frame. */
  requestDraw(): void {
    this.frames.request();
  }

  destroy(): void {
    this.frames.cancel();
    this.resizeObserver?.disconnect();
    this.tooltip.destroy();
    for (const [type, fn] of this.rootListeners) this.root.removeEventListener(type, fn as EventListener);
    this.data = null;
  }

  /** Draw the visible window now (normally scheduled on the next animation frame). */
  draw(): void {
    this.frames.cancel();
    const d = this.data;
    if (!d) return;
    const theme = readTheme(this.root);
    const dpr = this.root.ownerDocument.defaultView?.devicePixelRatio ?? 1;
    const g = this.geometry();
    // The canvases span the visible columns only: no blank canvas right of the last column.
    const width = Math.min(this.viewportWidth(), Math.ceil(d.cols * g.cellWidth));
    const headerH = d.headerHeight;
    const trackH = headerH + d.rows * d.cellHeight;
    const cellsH = Math.min(this.dom.scroller.clientHeight || trackH, trackH) - headerH;
    this.dom.stage.style.width = `${width}px`;
    this.dom.gutterRows.style.height = `${cellsH}px`;
    this.dom.gutterInner.style.transform = `translateY(${-(g.scrollTop ?? 0)}px)`;
    const sel = this.selected;
    const hiCol = this.focused ? this.cursor.col : sel ? sel.col : -1;
    if (headerH > 0) {
      const hctx = sizeCanvas(this.dom.header, width, headerH, dpr);
      const style = { font: `12px ${theme.codeFont}`, color: theme.fg, highlight: hiCol >= 0 ? { col: hiCol, color: theme.highlight } : null };
      if (hctx) drawColumnLabels(hctx, d.columnLabels, g, width, headerH, style, this.labelCache);
    }
    const ctx = sizeCanvas(this.dom.canvas, width, cellsH, dpr);
    if (!ctx) return;
    d.image.draw(ctx, g, width, cellsH);
    this.hooks.drawCells?.(ctx, g, width, cellsH, theme);
    if (sel) outlineCell(ctx, cellRect(sel, g), "selected");
    const onSelection = sel !== null && sel.row === this.cursor.row && sel.col === this.cursor.col;
    if (this.focused && !onSelection) outlineCell(ctx, cellRect(this.cursor, g), "cursor", theme.focus);
  }

  /** The current geometry (column width after zoom, scroll offsets). */
  geometry(): GridGeometry {
    const d = this.data;
    return {
      rows: d?.rows ?? 0,
      cols: d?.cols ?? 0,
      cellWidth: this.cellWidth,
      cellHeight: d?.cellHeight ?? 0,
      scrollLeft: this.dom.scroller.scrollLeft,
      scrollTop: this.dom.scroller.scrollTop,
    };
  }

  private viewportWidth(): number {
    return this.dom.scroller.clientWidth || FALLBACK_WIDTH;
  }

  /** Set the column width (clamped between "fit all columns" and the largest zoom), keeping `anchorX` in place. */
  private setCellWidth(width: number, anchorX = this.viewportWidth() / 2, redraw = true): void {
    const d = this.data;
    if (!d) return;
    const fitWidth = Math.min(this.baseWidth, this.viewportWidth() / Math.max(1, d.cols));
    const maxWidth = Math.max(MAX_CELL_WIDTH, this.baseWidth) * 3;
    const next = Math.min(maxWidth, Math.max(fitWidth, width));
    const old = this.cellWidth;
    const scroll = this.dom.scroller.scrollLeft;
    this.cellWidth = next;
    this.fit = next <= fitWidth + 1e-9;
    this.dom.fitButton.setAttribute("aria-pressed", String(this.fit));
    this.labelCache.clear();
    this.dom.track.style.width = `${d.cols * next}px`;
    this.dom.track.style.height = `${d.headerHeight + d.rows * d.cellHeight}px`;
    if (old > 0 && old !== next) this.dom.scroller.scrollLeft = Math.max(0, ((scroll + anchorX) * next) / old - anchorX);
    if (redraw) this.draw();
  }

  private zoom(factor: number, anchorX?: number): void {
    this.setCellWidth(this.cellWidth * factor, anchorX);
  }

  private select(cell: Cell | null): void {
    if (cell) this.cursor = cell;
    this.selected = cell;
    this.draw();
    this.hooks.onSelect(cell);
  }

  private cellAt(e: MouseEvent): Cell | null {
    const box = this.dom.canvas.getBoundingClientRect();
    return hitTest(e.clientX - box.left, e.clientY - box.top, this.geometry());
  }

  private onPointerMove = (e: MouseEvent): void => {
    this.keyboardTip = false;
    const cell = this.cellAt(e);
    if (!cell) return this.tooltip.hide();
    this.tooltip.show(this.hooks.tooltip(cell), e.clientX, e.clientY);
  };

  private onHeaderMove = (e: MouseEvent): void => {
    const box = this.dom.header.getBoundingClientRect();
    const cell = hitTest(e.clientX - box.left, 0, { ...this.geometry(), rows: 1, scrollTop: 0 });
    if (!cell || !this.hooks.columnTooltip) return this.tooltip.hide();
    this.tooltip.show(this.hooks.columnTooltip(cell.col), e.clientX, e.clientY);
  };

  private onClick = (e: MouseEvent): void => {
    const cell = this.cellAt(e);
    if (cell) this.select(cell);
  };

  private onScroll = (): void => {
    if (!this.keyboardTip) this.tooltip.hide();
    this.frames.request();
  };

  private onWheel = (e: WheelEvent): void => {
    if (!(e.ctrlKey || e.metaKey) || !this.data) return;
    e.preventDefault();
    const box = this.dom.scroller.getBoundingClientRect();
    this.zoom(Math.exp(-e.deltaY * 0.002), e.clientX - box.left);
  };

  private onKeyDown = (e: KeyboardEvent): void => {
    const d = this.data;
    if (!d || e.target !== this.root) return;
    const page = Math.max(1, Math.floor(this.viewportWidth() / this.cellWidth) - 1);
    const next = moveCursor(this.cursor, e.key, d.rows, d.cols, { ctrl: e.ctrlKey || e.metaKey, page });
    if (next) {
      this.cursor = next;
      this.reveal(next);
    } else if (e.key === "Enter" || e.key === " ") {
      this.select(this.cursor);
    } else if (e.key === "Escape") {
      this.tooltip.hide();
      if (this.selected !== null) this.select(null);
    } else if (e.key === "+" || e.key === "=") {
      this.zoom(ZOOM_STEP);
    } else if (e.key === "-") {
      this.zoom(1 / ZOOM_STEP);
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation(); // keep handled keys from notebook shortcuts that listen while bubbling
  };

  /** Scroll the cursor into view, describe it to screen readers and show its tooltip. */
  private reveal(cell: Cell): void {
    const d = this.data;
    if (!d) return;
    const g = this.geometry();
    const cellsH = Math.max(0, (this.dom.scroller.clientHeight || Infinity) - d.headerHeight);
    this.dom.scroller.scrollLeft = scrollToShow(this.dom.scroller.scrollLeft, this.viewportWidth(), cell.col * g.cellWidth, g.cellWidth);
    if (Number.isFinite(cellsH)) this.dom.scroller.scrollTop = scrollToShow(this.dom.scroller.scrollTop, cellsH, cell.row * g.cellHeight, g.cellHeight);
    const lines = this.hooks.tooltip(cell);
    this.dom.status.textContent = lines.join(", ");
    this.keyboardTip = true;
    const r = cellRect(cell, this.geometry());
    const box = this.dom.canvas.getBoundingClientRect();
    this.tooltip.show(lines, box.left + r.x + r.w / 2, box.top + r.y + r.h);
    this.draw();
  }

  private onFocus(focused: boolean): void {
    this.focused = focused;
    if (!focused) this.tooltip.hide();
    this.frames.request();
  }

  private onResize(): void {
    const width = this.dom.scroller.clientWidth;
    if (width === this.lastWidth || !this.data) return;
    this.lastWidth = width;
    this.setCellWidth(this.fit ? 0 : this.cellWidth, 0);
  }
}

function clamp(i: number, n: number): number {
  return Math.min(Math.max(0, i), Math.max(0, n - 1));
}
