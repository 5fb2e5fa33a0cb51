/**
 * TokenHeatmapView: values over tokens, one row per label, drawn on one canvas.
 *
 * Framework-free and anywidget-agnostic: construct with an element and state, call `update`
 * with changed traits, `destroy` when done; selections come back through `onSelect`.
 * Virtualised: the heatmap and header canvases are viewport-sized and sticky inside a scroller
 * whose track gives the full scroll width, so only visible columns are ever drawn.
 * DOM contract (ARCHITECTURE.md): `.interplay-token-heatmap` (tabindex 0),
 * `canvas.interplay-heatmap-canvas`, `.interplay-tooltip`, `.interplay-legend`, `.interplay-error`.
 */

import { cellRect, get2d, hitTest, MatrixImage, outlineCell, sizeCanvas, type Cell, type GridGeometry } from "../lib/canvas";
import { FrameScheduler } from "../lib/frame";
import { columnWidthFor, drawCellLabels, drawColumnLabels, MAX_CELL_WIDTH, measureAll } from "../lib/labels";
import { moveCursor, scrollToShow } from "../lib/nav";
import { ensureStyles, readTheme } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import type { Selection } from "../lib/types";
import { buildDom, setRowLabels, showError, type TokenHeatmapDom } from "./token_heatmap_dom";
import {
  cellHeightFor, columnLines, DEFAULT_STATE, prepare, tooltipLines, validSelection,
  type Prepared, type TokenHeatmapState,
} from "./token_heatmap_model";

export type { TokenHeatmapState } from "./token_heatmap_model";

export interface TokenHeatmapOptions {
  /** Called when the user selects a cell (click, Enter) or clears the selection (Escape). */
  onSelect?: (selection: Selection | null) => void;
}

const HEADER_HEIGHT = 22;
const FALLBACK_WIDTH = 640;
const ZOOM_STEP = 1.25;

export class TokenHeatmapView {
  readonly root: HTMLDivElement;
  private state: TokenHeatmapState = { ...DEFAULT_STATE };
  private data: Prepared | null = null;
  private image: MatrixImage | null = null;
  private cellWidth = MAX_CELL_WIDTH;
  private baseWidth = MAX_CELL_WIDTH;
  private fit = false;
  private cursor: Cell = { row: 0, col: 0 };
  private focused = false;
  private keyboardTip = false;
  private lastWidth = -1;
  private readonly labelCache = new Map<string, string>();
  private readonly options: TokenHeatmapOptions;
  private readonly dom: TokenHeatmapDom;
  private readonly tooltip: Tooltip;
  private readonly resizeObserver: ResizeObserver | null = null;
  private readonly frames: FrameScheduler;

  constructor(el: HTMLElement, initial: Partial<TokenHeatmapState> = {}, options: TokenHeatmapOptions = {}) {
    const doc = el.ownerDocument;
    ensureStyles(el);
    this.options = options;
    this.dom = buildDom(doc, {
      zoomOut: () => this.zoom(1 / ZOOM_STEP),
      zoomIn: () => this.zoom(ZOOM_STEP),
      fit: () => this.setCellWidth(0),
      reset: () => this.setCellWidth(this.baseWidth),
    });
    const { root, canvas, header, scroller } = this.dom;
    this.root = root;
    this.frames = new FrameScheduler(doc.defaultView, () => this.draw());
    this.tooltip = new Tooltip(root, canvas);
    header.addEventListener("pointerleave", () => this.tooltip.hide());
    canvas.addEventListener("pointermove", this.onPointerMove);
    canvas.addEventListener("click", this.onClick);
    header.addEventListener("pointermove", this.onHeaderMove);
    scroller.addEventListener("scroll", this.onScroll);
    scroller.addEventListener("wheel", this.onWheel, { passive: false });
    root.addEventListener("keydown", this.onKeyDown);
    root.addEventListener("focus", this.onFocus);
    root.addEventListener("blur", this.onBlur);
    el.append(root);
    const RO = doc.defaultView?.ResizeObserver;
    if (RO) {
      this.resizeObserver = new RO(() => this.onResize());
      this.resizeObserver.observe(scroller);
    }
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits; only what depends on them is recomputed. */
  update(partial: Partial<TokenHeatmapState>): void {
    const prev = this.state;
    this.state = { ...prev, ...partial };
    const changed = (k: keyof TokenHeatmapState): boolean => k in partial && partial[k] !== prev[k];
    this.dom.title.textContent = this.state.title;
    this.dom.title.hidden = this.state.title === "";
    this.root.setAttribute("aria-label", this.state.title || "token heatmap");
    const isNew = this.data === null;
    if (isNew || changed("values") || changed("tokens") || changed("row_labels") || changed("scale")) {
      try {
        this.data = prepare(this.state);
        if (isNew || changed("values") || changed("scale") || !this.image) {
          const d = this.data;
          this.image = new MatrixImage(this.root.ownerDocument, d.values, d.rows, d.cols, d.scale);
        }
        showError(this.dom, null);
        this.layout(isNew || changed("tokens"));
      } catch (e) {
        this.data = null;
        this.image = null;
        showError(this.dom, e instanceof Error ? e.message : String(e));
        this.tooltip.hide();
      }
    }
    if (this.data) {
      this.dom.legend.update(this.data.scale, this.state.value_label, (this.image?.nanCount ?? 0) > 0);
      const { rows, cols } = this.data;
      const sel = validSelection(this.state.selected, this.data);
      if (changed("selected") && sel) this.cursor = { row: sel.row, col: sel.pos };
      this.cursor = { row: Math.min(this.cursor.row, rows - 1), col: Math.min(this.cursor.col, cols - 1) };
    }
    this.frames.request();
  }

  destroy(): void {
    this.frames.cancel();
    this.resizeObserver?.disconnect();
    this.tooltip.destroy();
    this.root.remove();
    this.data = null;
    this.image = null;
  }

  /** Draw the visible window now (normally scheduled on the next animation frame). */
  draw(): void {
    this.frames.cancel();
    const d = this.data;
    if (!d || !this.image) return;
    const theme = readTheme(this.root);
    const dpr = this.root.ownerDocument.defaultView?.devicePixelRatio ?? 1;
    const g = this.geometry();
    const width = this.viewportWidth();
    const headerH = this.headerHeight();
    const trackH = headerH + d.rows * g.cellHeight;
    const cellsH = Math.min(this.dom.scroller.clientHeight || trackH, trackH) - headerH;
    this.dom.stage.style.width = `${width}px`;
    this.dom.gutterRows.style.height = `${cellsH}px`;
    this.dom.gutterInner.style.transform = `translateY(${-(g.scrollTop ?? 0)}px)`;
    const font = `12px ${theme.codeFont}`;
    const sel = validSelection(this.state.selected, d);
    const hiCol = this.focused ? this.cursor.col : sel ? sel.pos : -1;
    if (headerH > 0) {
      const hctx = sizeCanvas(this.dom.header, width, headerH, dpr);
      const style = { font, color: theme.fg, highlight: hiCol >= 0 ? { col: hiCol, color: theme.highlight } : null };
      if (hctx) drawColumnLabels(hctx, d.display, g, width, headerH, style, this.labelCache);
    }
    const ctx = sizeCanvas(this.dom.canvas, width, cellsH, dpr);
    if (!ctx) return;
    this.image.draw(ctx, g, width, cellsH);
    if (d.rows === 1) {
      drawCellLabels(ctx, d.display, (c) => d.scale.rgba(d.values[c]), g, width, { font, color: theme.fg }, this.labelCache);
    }
    if (sel) outlineCell(ctx, cellRect({ row: sel.row, col: sel.pos }, g), "selected");
    const onSelection = sel !== null && sel.row === this.cursor.row && sel.pos === this.cursor.col;
    if (this.focused && !onSelection) outlineCell(ctx, cellRect(this.cursor, g), "cursor", theme.focus);
  }

  /** Row heights, column width, track size and the row-label gutter, after a data change. */
  private layout(tokensChanged: boolean): void {
    const d = this.data;
    if (!d) return;
    if (tokensChanged) {
      const font = `12px ${readTheme(this.root).codeFont}`;
      this.baseWidth = columnWidthFor(measureAll(get2d(this.dom.header), d.display, font));
      this.cellWidth = this.baseWidth;
      this.fit = false;
    }
    setRowLabels(this.dom, d.rowLabels, cellHeightFor(d.rows), this.headerHeight());
    this.setCellWidth(this.fit ? 0 : this.cellWidth, 0, false);
  }

  private headerHeight(): number {
    return this.data && this.data.rows > 1 ? HEADER_HEIGHT : 0;
  }

  private viewportWidth(): number {
    return this.dom.scroller.clientWidth || FALLBACK_WIDTH;
  }

  private geometry(): GridGeometry {
    const d = this.data;
    return {
      rows: d?.rows ?? 0,
      cols: d?.cols ?? 0,
      cellWidth: this.cellWidth,
      cellHeight: cellHeightFor(d?.rows ?? 1),
      scrollLeft: this.dom.scroller.scrollLeft,
      scrollTop: this.dom.scroller.scrollTop,
    };
  }

  /** Set the column width (clamped between "fit all tokens" and the largest zoom), keeping `anchorX` in place. */
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
    this.dom.track.style.height = `${this.headerHeight() + d.rows * cellHeightFor(d.rows)}px`;
    if (old > 0 && old !== next) this.dom.scroller.scrollLeft = Math.max(0, ((scroll + anchorX) * next) / old - anchorX);
    if (redraw) this.draw();
  }

  private zoom(factor: number, anchorX?: number): void {
    this.setCellWidth(this.cellWidth * factor, anchorX);
  }

  private select(cell: Cell | null): void {
    const sel = cell && { row: cell.row, pos: cell.col };
    if (cell) this.cursor = cell;
    this.state = { ...this.state, selected: sel };
    this.draw();
    this.options.onSelect?.(sel);
  }

  private cellAt(e: MouseEvent): Cell | null {
    const box = this.dom.canvas.getBoundingClientRect();
    return hitTest(e.clientX - box.left, e.clientY - box.top, this.geometry());
  }

  private onPointerMove = (e: MouseEvent): void => {
    this.keyboardTip = false;
    const cell = this.cellAt(e);
    if (!cell || !this.data) return this.tooltip.hide();
    this.tooltip.show(tooltipLines(this.data, this.state.tokens, this.state.value_label, cell.row, cell.col), e.clientX, e.clientY);
  };

  private onHeaderMove = (e: MouseEvent): void => {
    const box = this.dom.header.getBoundingClientRect();
    const cell = hitTest(e.clientX - box.left, 0, { ...this.geometry(), rows: 1, scrollTop: 0 });
    if (!cell || !this.data) return this.tooltip.hide();
    this.tooltip.show(columnLines(this.data, this.state.tokens, cell.col), e.clientX, e.clientY);
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
      if (this.state.selected !== null) this.select(null);
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
    const cellsH = Math.max(0, (this.dom.scroller.clientHeight || Infinity) - this.headerHeight());
    this.dom.scroller.scrollLeft = scrollToShow(this.dom.scroller.scrollLeft, this.viewportWidth(), cell.col * g.cellWidth, g.cellWidth);
    if (Number.isFinite(cellsH)) this.dom.scroller.scrollTop = scrollToShow(this.dom.scroller.scrollTop, cellsH, cell.row * g.cellHeight, g.cellHeight);
    const lines = tooltipLines(d, this.state.tokens, this.state.value_label, cell.row, cell.col);
    this.dom.status.textContent = lines.join(", ");
    this.keyboardTip = true;
    const r = cellRect(cell, this.geometry());
    const box = this.dom.canvas.getBoundingClientRect();
    this.tooltip.show(lines, box.left + r.x + r.w / 2, box.top + r.y + r.h);
    this.draw();
  }

  private onFocus = (): void => {
    this.focused = true;
    this.frames.request();
  };

  private onBlur = (): void => {
    this.focused = false;
    this.tooltip.hide();
    this.frames.request();
  };

  private onResize(): void {
    const width = this.dom.scroller.clientWidth;
    if (width === this.lastWidth || !this.data) return;
    this.lastWidth = width;
    this.setCellWidth(this.fit ? 0 : this.cellWidth, 0);
  }
}
