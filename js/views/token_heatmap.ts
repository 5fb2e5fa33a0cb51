/**
 * TokenHeatmapView: values over tokens, one row per label, drawn on one canvas.
 *
 * Framework-free and anywidget-agnostic: construct with an element and state, call `update`
 * with changed traits, `destroy` when done; selections come back through `onSelect`.
 * Virtualised (see `lib/scroll_grid.ts`): only visible columns are ever drawn.
 * DOM contract (ARCHITECTURE.md): `.interplay-token-heatmap` (tabindex 0),
 * `canvas.interplay-heatmap-canvas`, `.interplay-tooltip`, `.interplay-legend`, `.interplay-error`.
 */

import { MatrixImage, type Cell, type GridGeometry } from "../lib/canvas";
import { drawCellLabels } from "../lib/labels";
import { ScrollGrid } from "../lib/scroll_grid";
import { ensureStyles, type CanvasTheme } from "../lib/theme";
import type { Selection } from "../lib/types";
import { assemble, buildRoot, showError, type TokenHeatmapDom } from "./token_heatmap_dom";
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

export class TokenHeatmapView {
  readonly root: HTMLDivElement;
  private state: TokenHeatmapState = { ...DEFAULT_STATE };
  private data: Prepared | null = null;
  private image: MatrixImage | null = null;
  private readonly labelCache = new Map<string, string>();
  private readonly options: TokenHeatmapOptions;
  private readonly dom: TokenHeatmapDom;
  private readonly grid: ScrollGrid;

  constructor(el: HTMLElement, initial: Partial<TokenHeatmapState> = {}, options: TokenHeatmapOptions = {}) {
    ensureStyles(el);
    this.options = options;
    this.root = buildRoot(el.ownerDocument);
    this.grid = new ScrollGrid(this.root, "interplay-heatmap-canvas", {
      tooltip: (c) => (this.data ? tooltipLines(this.data, this.state.tokens, this.state.value_label, c.row, c.col) : []),
      columnTooltip: (col) => (this.data ? columnLines(this.data, this.state.tokens, col) : []),
      onSelect: (c) => this.onGridSelect(c),
      drawCells: (ctx, g, width, _h, theme) => this.drawCellText(ctx, g, width, theme),
    });
    this.dom = assemble(this.root, this.grid.dom);
    el.append(this.root);
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
        const d = prepare(this.state);
        this.data = d;
        if (isNew || changed("values") || changed("scale") || !this.image) {
          this.image = new MatrixImage(this.root.ownerDocument, d.values, d.rows, d.cols, d.scale);
        }
        showError(this.dom, null);
        this.labelCache.clear();
        const headerHeight = d.rows > 1 ? HEADER_HEIGHT : 0;
        const grid = { rows: d.rows, cols: d.cols, image: this.image, columnLabels: d.display, rowLabels: d.rowLabels, cellHeight: cellHeightFor(d.rows), headerHeight };
        this.grid.setData(grid, isNew || changed("tokens"));
      } catch (e) {
        this.data = null;
        this.image = null;
        showError(this.dom, e instanceof Error ? e.message : String(e));
        this.grid.setData(null, false);
      }
    }
    if (this.data) {
      this.dom.legend.update(this.data.scale, this.state.value_label, (this.image?.nanCount ?? 0) > 0);
      const sel = validSelection(this.state.selected, this.data);
      this.grid.setSelected(sel && { row: sel.row, col: sel.pos }, changed("selected"));
    }
    this.grid.requestDraw();
  }

  destroy(): void {
    this.grid.destroy();
    this.root.remove();
    this.data = null;
    this.image = null;
  }

  /** Draw the visible window now (normally scheduled on the next animation frame). */
  draw(): void {
    this.grid.draw();
  }

  /** One row: the tokens are drawn inside their cells (there is no header). */
  private drawCellText(ctx: CanvasRenderingContext2D, g: GridGeometry, width: number, theme: CanvasTheme): void {
    const d = this.data;
    if (!d || d.rows !== 1) return;
    const font = `12px ${theme.codeFont}`;
    drawCellLabels(ctx, d.display, (c) => d.scale.rgba(d.values[c]), g, width, { font, color: theme.fg }, this.labelCache);
  }

  private onGridSelect(cell: Cell | null): void {
    const sel = cell && { row: cell.row, pos: cell.col };
    this.state = { ...this.state, selected: sel };
    this.options.onSelect?.(sel);
  }
}
