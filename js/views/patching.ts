/**
 * PatchingExplorer: a patching sweep as a heatmap (layer × position with token labels, layer ×
 * head, …) on a diverging scale centred at 0. Clicking a cell (or Enter) asks Python to run that one
 * patched forward (`cell` request) and shows the top-k next tokens of the clean, corrupted and
 * patched runs side by side. Controls switch component, metric and exact/AtP (Python re-runs the
 * sweep); once both methods are known, a scatter compares them.
 *
 * DOM contract (ARCHITECTURE.md, "PatchingExplorer"):
 *
 *   .interplay-root.interplay-patching  (tabindex 0)
 *     .interplay-patching-title
 *     .interplay-patching-controls > select.interplay-patching-{component,metric,method}, .interplay-busy
 *     .interplay-error
 *     .interplay-body > … canvas.interplay-patching-canvas   (the shared ScrollGrid)
 *     .interplay-footer > .interplay-legend, .interplay-toolbar
 *     .interplay-patching-detail > .interplay-topk.interplay-topk-{clean,corrupted,patched}
 *     .interplay-patching-scatter-box > canvas.interplay-patching-scatter
 *     .interplay-notes
 */

import { MatrixImage, type GridGeometry } from "../lib/canvas";
import { Legend } from "../lib/legend";
import { ScrollGrid } from "../lib/scroll_grid";
import { canvasEl, div, errorBox, makeRoot, setError, setNotes } from "../lib/scroll_grid_dom";
import { ensureStyles, ensureStyleSheet, type CanvasTheme } from "../lib/theme";
import { PatchingControls, PATCHING_CSS, PATCHING_STYLE_ID, renderDetail, renderScatter } from "./patching_panels";
import {
  cellTooltip, DEFAULT_STATE, prepare, validSelection,
  type CellResult, type CellSelection, type PatchingPrepared, type PatchingState,
} from "./patching_model";

export type { CellSelection, PatchingState } from "./patching_model";

export type RequestFn = (method: string, params: object) => Promise<unknown>;

export interface PatchingOptions {
  /** Ask Python (rpc.ts `request` bound to the model). */
  request?: RequestFn;
  /** The user selected a cell (or cleared the selection). */
  onSelect?: (cell: CellSelection | null) => void;
  /** The user changed a setting that Python recomputes. */
  onSet?: (trait: "component" | "metric" | "method", value: string) => void;
}

const HEADER_HEIGHT = 64;

export class PatchingView {
  readonly root: HTMLDivElement;
  private state: PatchingState = { ...DEFAULT_STATE };
  private data: PatchingPrepared | null = null;
  private image: MatrixImage | null = null;
  private shown = false;
  private ticket = 0;
  private cols = -1;
  private colAxis = "";
  private readonly options: PatchingOptions;
  private readonly grid: ScrollGrid;
  private readonly legend: Legend;
  private readonly title: HTMLDivElement;
  private readonly controls: PatchingControls;
  private readonly error: HTMLDivElement;
  private readonly detail: HTMLDivElement;
  private readonly detailBusy: HTMLDivElement;
  private readonly scatterBox: HTMLDivElement;
  private readonly scatter: HTMLCanvasElement;
  private readonly scatterCaption: HTMLDivElement;
  private readonly notes: HTMLDivElement;
  private readonly panes: HTMLElement[];

  constructor(el: HTMLElement, initial: Partial<PatchingState> = {}, options: PatchingOptions = {}) {
    const doc = el.ownerDocument;
    ensureStyles(el);
    ensureStyleSheet(el, PATCHING_STYLE_ID, PATCHING_CSS);
    this.options = options;
    this.root = makeRoot(doc, "interplay-patching", "activation patching");
    this.root.setAttribute("aria-label", "activation patching");
    this.grid = new ScrollGrid(this.root, "interplay-patching-canvas", {
      tooltip: (c) => (this.data ? cellTooltip(this.data, this.state, c.row, c.col) : []),
      onSelect: (c) => this.onGridSelect(c && { row: c.row, col: c.col }),
      drawCells: (ctx, g, w, h, theme) => this.markDiffering(ctx, g, w, h, theme),
    });
    this.legend = new Legend(doc);
    this.title = div(doc, "interplay-patching-title");
    this.controls = new PatchingControls(doc, { set: (trait, value) => this.options.onSet?.(trait, value) });
    this.error = errorBox(doc);
    const footer = div(doc, "interplay-footer");
    footer.append(this.legend.element, this.grid.dom.toolbar);
    this.detailBusy = div(doc, "interplay-busy", "computing…");
    this.detailBusy.hidden = true;
    this.detail = div(doc, "interplay-patching-detail");
    this.clearDetail();
    this.scatterBox = div(doc, "interplay-patching-scatter-box");
    this.scatter = canvasEl(doc, "interplay-patching-scatter");
    this.scatterCaption = div(doc, "interplay-patching-scatter-caption");
    this.scatterBox.append(this.scatterCaption, this.scatter);
    this.scatterBox.hidden = true;
    this.notes = div(doc, "interplay-notes");
    this.panes = [this.grid.dom.body, footer];
    this.root.append(this.title, this.controls.element, this.error, ...this.panes, this.detailBusy, this.detail,
      this.scatterBox, this.notes, this.grid.dom.status);
    el.append(this.root);
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits; only what depends on them is recomputed. */
  update(partial: Partial<PatchingState>): void {
    const prev = this.state;
    this.state = { ...prev, ...partial };
    const changed = (k: keyof PatchingState): boolean => k in partial && partial[k] !== prev[k];
    const s = this.state;
    this.title.textContent = s.title ?? "";
    this.controls.update(s);
    this.controls.busy.hidden = !s.computing;
    this.root.setAttribute("aria-busy", s.computing ? "true" : "false");
    setNotes(this.notes, s.notes);
    if (this.data === null || changed("values") || changed("row_labels") || changed("col_labels") || changed("differing")) {
      if (this.data !== null && changed("values")) this.clearDetail();
      this.rebuild();
    }
    if (changed("compare") || changed("compare_r")) renderScatter(this.scatterBox, this.scatter, this.scatterCaption, s);
    if (s.error && !this.data) setError(this.error, s.error, this.panes);
    else if (this.data) setError(this.error, s.error || null, []);
    if (this.data) this.grid.setSelected(validSelection(s.selected, this.data), changed("selected"));
    this.grid.requestDraw();
  }

  destroy(): void {
    this.grid.destroy();
    this.root.remove();
    this.data = null;
    this.image = null;
  }

  draw(): void {
    this.grid.draw();
  }

  private rebuild(): void {
    try {
      const d = prepare(this.state);
      this.data = d;
      this.image = new MatrixImage(this.root.ownerDocument, d.values, d.rows, d.cols, d.scale);
      setError(this.error, null, this.panes);
      const resetWidth = !this.shown || d.cols !== this.cols || this.state.col_axis !== this.colAxis;
      this.cols = d.cols;
      this.colAxis = this.state.col_axis;
      this.shown = true;
      const cellHeight = d.rows <= 24 ? 22 : d.rows <= 64 ? 16 : 12;
      const header = this.state.col_axis === "pos" ? HEADER_HEIGHT : 22;
      this.grid.setData({ rows: d.rows, cols: d.cols, image: this.image, columnLabels: d.colLabels, rowLabels: d.rowLabels,
        cellHeight, headerHeight: header }, resetWidth);
      this.legend.update(d.scale, this.state.value_label, this.image.nanCount > 0);
      renderScatter(this.scatterBox, this.scatter, this.scatterCaption, this.state);
    } catch (e) {
      this.data = null;
      this.image = null;
      setError(this.error, `Cannot show this patching result: ${e instanceof Error ? e.message : String(e)}`, this.panes);
      this.grid.setData(null, false);
    }
  }

  /** Back to the hint: a new sweep invalidates the shown cell. */
  private clearDetail(): void {
    this.ticket++;
    this.detailBusy.hidden = true;
    const doc = this.root.ownerDocument;
    this.detail.replaceChildren(div(doc, "interplay-patching-hint", "Click a cell to run that patch and compare the top tokens."));
  }

  /** Underline the columns of positions where clean and corrupted differ. */
  private markDiffering(ctx: CanvasRenderingContext2D, g: GridGeometry, width: number, height: number, theme: CanvasTheme): void {
    const d = this.data;
    if (!d || d.differing.size === 0) return;
    ctx.save();
    ctx.strokeStyle = theme.fg;
    ctx.lineWidth = 2;
    for (const col of d.differing) {
      const x = (g.gutter ?? 0) + col * g.cellWidth - (g.scrollLeft ?? 0);
      if (x + g.cellWidth < 0 || x > width) continue;
      const y = Math.min(height, (g.top ?? 0) + d.rows * g.cellHeight - (g.scrollTop ?? 0)) - 1;
      ctx.beginPath();
      ctx.moveTo(x + 1, y);
      ctx.lineTo(x + g.cellWidth - 1, y);
      ctx.stroke();
    }
    ctx.restore();
  }

  private onGridSelect(sel: CellSelection | null): void {
    this.state = { ...this.state, selected: sel };
    this.options.onSelect?.(sel);
    if (sel) void this.runCell(sel);
  }

  /** Ask Python for the cell's patched run and show the three top-k lists. */
  private async runCell(sel: CellSelection): Promise<void> {
    const request = this.options.request;
    if (!request) {
      setError(this.error, "this view is not connected to Python: cannot run the patch", []);
      return;
    }
    const ticket = ++this.ticket;
    this.detailBusy.hidden = false;
    try {
      const res = (await request("cell", { row: sel.row, col: sel.col, k: this.state.top_k || 10 })) as CellResult;
      if (ticket !== this.ticket) return;
      renderDetail(this.detail, res, this.state.direction ?? "");
      setError(this.error, this.state.error || null, []);
    } catch (e) {
      if (ticket === this.ticket) setError(this.error, e instanceof Error ? e.message : String(e), []);
    } finally {
      if (ticket === this.ticket) this.detailBusy.hidden = true;
    }
  }
}
