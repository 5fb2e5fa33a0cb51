/**
 * DLAView: direct logit attribution. Each head's direct contribution to a target (a logit or a
 * logit difference) as a layer × head heatmap on a diverging scale centred at 0, and the
 * contribution of every component (embeddings, each layer's attention and MLP, the rest) as bars.
 *
 * Framework-free and anywidget-agnostic, like the other views: `update` with changed traits,
 * `destroy` when done; a selected head comes back through `onSelect`. DOM contract
 * (ARCHITECTURE.md, "DLAView"):
 *
 *   .interplay-root.interplay-dla  (tabindex 0)
 *     .interplay-dla-header > .interplay-dla-target, .interplay-dla-total
 *     .interplay-error
 *     .interplay-body > … canvas.interplay-dla-canvas   (the shared ScrollGrid)
 *     .interplay-footer > .interplay-legend, .interplay-toolbar
 *     .interplay-dla-bars > svg
 *     .interplay-notes
 */

import { MatrixImage, visibleRange, type GridGeometry } from "../lib/canvas";
import { formatCompact } from "../lib/format";
import { drawCellLabels } from "../lib/labels";
import { Legend } from "../lib/legend";
import { ScrollGrid } from "../lib/scroll_grid";
import { div, errorBox, makeRoot, setError, setNotes } from "../lib/scroll_grid_dom";
import { ensureStyles, ensureStyleSheet, type CanvasTheme } from "../lib/theme";
import { DLA_CSS, DLA_STYLE_ID, renderBars } from "./dla_bars";
import {
  DEFAULT_STATE, headCellHeight, headTooltipLines, prepare, totalText, validSelection,
  type DlaPrepared, type DlaState, type HeadSelection,
} from "./dla_model";

export type { DlaState, HeadSelection } from "./dla_model";

export interface DlaOptions {
  /** Called when the user selects a head (click, Enter) or clears the selection (Escape). */
  onSelect?: (selection: HeadSelection | null) => void;
}

const HEADER_HEIGHT = 22;
/** Cells at least this wide (after zooming in) show their value. */
const MIN_VALUE_WIDTH = 40;

export class DLAView {
  readonly root: HTMLDivElement;
  private state: DlaState = { ...DEFAULT_STATE };
  private data: DlaPrepared | null = null;
  private image: MatrixImage | null = null;
  private shown = false;
  private readonly valueText = new Map<number, string[]>();
  private readonly options: DlaOptions;
  private readonly grid: ScrollGrid;
  private readonly legend: Legend;
  private readonly target: HTMLDivElement;
  private readonly total: HTMLDivElement;
  private readonly error: HTMLDivElement;
  private readonly panes: HTMLElement[];
  private readonly bars: HTMLDivElement;
  private readonly notes: HTMLDivElement;

  constructor(el: HTMLElement, initial: Partial<DlaState> = {}, options: DlaOptions = {}) {
    const doc = el.ownerDocument;
    ensureStyles(el);
    ensureStyleSheet(el, DLA_STYLE_ID, DLA_CSS);
    this.options = options;
    this.root = makeRoot(doc, "interplay-dla", "direct logit attribution");
    this.root.setAttribute("aria-label", "direct logit attribution");
    this.grid = new ScrollGrid(this.root, "interplay-dla-canvas", {
      tooltip: (c) => (this.data ? headTooltipLines(this.data, this.state.total, c.row, c.col) : []),
      onSelect: (c) => this.onGridSelect(c && { layer: c.row, head: c.col }),
      drawCells: (ctx, g, width, height, theme) => this.drawValues(ctx, g, width, height, theme),
    });
    this.legend = new Legend(doc);
    const header = div(doc, "interplay-dla-header");
    this.target = div(doc, "interplay-dla-target");
    this.total = div(doc, "interplay-dla-total");
    header.append(this.target, this.total);
    this.error = errorBox(doc);
    const headsTitle = div(doc, "interplay-dla-section", "heads: direct contribution (layer × head)");
    const footer = div(doc, "interplay-footer");
    footer.append(this.legend.element, this.grid.dom.toolbar);
    const barsTitle = div(doc, "interplay-dla-section", "components");
    this.bars = div(doc, "interplay-dla-bars");
    this.notes = div(doc, "interplay-notes");
    this.panes = [headsTitle, this.grid.dom.body, footer, barsTitle, this.bars];
    this.root.append(header, this.error, ...this.panes, this.notes, this.grid.dom.status);
    el.append(this.root);
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits; only what depends on them is recomputed. */
  update(partial: Partial<DlaState>): void {
    const prev = this.state;
    this.state = { ...prev, ...partial };
    const changed = (k: keyof DlaState): boolean => k in partial && partial[k] !== prev[k];
    const label = typeof this.state.target_label === "string" ? this.state.target_label : "";
    this.target.textContent = label;
    this.target.hidden = label === "";
    this.total.textContent = totalText(this.state.total);
    this.total.title = typeof this.state.total === "number" ? String(this.state.total) : "";
    setNotes(this.notes, this.state.notes);
    if (this.data === null || changed("heads") || changed("components") || changed("component_labels")) this.rebuild();
    if (this.data && (changed("total") || changed("components") || changed("component_labels"))) renderBars(this.bars, this.data, this.state.total);
    if (this.data) {
      const sel = validSelection(this.state.selected, this.data);
      this.grid.setSelected(sel && { row: sel.layer, col: sel.head }, changed("selected"));
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

  private rebuild(): void {
    try {
      const d = prepare(this.state);
      this.data = d;
      this.image = new MatrixImage(this.root.ownerDocument, d.values, d.layers, d.nHeads, d.headScale);
      this.valueText.clear();
      setError(this.error, null, this.panes);
      const resetWidth = !this.shown;
      this.shown = true;
      this.grid.setData(
        { rows: d.layers, cols: d.nHeads, image: this.image, columnLabels: d.colLabels, rowLabels: d.rowLabels, cellHeight: headCellHeight(d.layers), headerHeight: HEADER_HEIGHT },
        resetWidth,
      );
      this.legend.update(d.headScale, "direct contribution", this.image.nanCount > 0);
      renderBars(this.bars, d, this.state.total);
    } catch (e) {
      this.data = null;
      this.image = null;
      setError(this.error, `Cannot show this attribution: ${e instanceof Error ? e.message : String(e)}`, this.panes);
      this.grid.setData(null, false);
    }
  }

  /** Each visible head's value inside its cell, once the cells are zoomed wide enough. */
  private drawValues(ctx: CanvasRenderingContext2D, g: GridGeometry, width: number, height: number, theme: CanvasTheme): void {
    const d = this.data;
    if (!d || g.cellWidth < MIN_VALUE_WIDTH || g.cellHeight < 14) return;
    const font = `10px ${theme.codeFont}`;
    const rows = visibleRange(g.scrollTop ?? 0, height, g.cellHeight, d.layers);
    for (let r = rows.start; r < rows.end; r++) {
      let texts = this.valueText.get(r);
      if (!texts) {
        const base = r * d.nHeads;
        texts = Array.from({ length: d.nHeads }, (_, h) => formatCompact(d.values[base + h], 2));
        this.valueText.set(r, texts);
      }
      const base = r * d.nHeads;
      drawCellLabels(ctx, texts, (c) => d.headScale.rgba(d.values[base + c]), { ...g, top: (g.top ?? 0) + r * g.cellHeight }, width, { font, color: theme.fg });
    }
  }

  private onGridSelect(sel: HeadSelection | null): void {
    this.state = { ...this.state, selected: sel };
    this.options.onSelect?.(sel);
  }
}
