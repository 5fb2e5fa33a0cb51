/**
 * LogitLensView: what each layer's residual stream predicts at each position, as a heatmap of
 * layers (rows) × positions (columns) with the top-1 predicted token written in each cell.
 *
 * Framework-free and anywidget-agnostic: construct with an element and state, call `update` with
 * changed traits, `destroy` when done. User edits (selection, mode, target, final norm) come back
 * through `onEdit` as trait changes; Python recomputes and sends new data. Virtualised like the
 * token heatmap (the shared `ScrollGrid`). DOM contract (ARCHITECTURE.md, "LogitLens"):
 *
 *   .interplay-root.interplay-logit-lens  (tabindex 0)
 *     .interplay-lens-controls > select.interplay-lens-mode, input.interplay-lens-target,
 *                                input.interplay-lens-ln, .interplay-busy
 *     .interplay-target-error, .interplay-error
 *     .interplay-body > … canvas.interplay-lens-canvas
 *     .interplay-footer > .interplay-legend, .interplay-toolbar
 *     .interplay-notes
 */

import { MatrixImage, visibleRange, type GridGeometry } from "../lib/canvas";
import { drawCellLabels } from "../lib/labels";
import { Legend } from "../lib/legend";
import { ScrollGrid, type GridData } from "../lib/scroll_grid";
import { div, errorBox, makeRoot, setError, setNotes } from "../lib/scroll_grid_dom";
import { ensureStyles, ensureStyleSheet, type CanvasTheme } from "../lib/theme";
import { LENS_CSS, LENS_STYLE_ID, LensControls } from "./logit_lens_controls";
import {
  columnLines, DATA_TRAITS, DEFAULT_STATE, hasTarget, legendCaption, lensCellHeight, MODES, prepare, top1Row, tooltipLines,
  validSelection, type LensPrepared, type LogitLensState,
} from "./logit_lens_model";

export type { LensSelection, LogitLensState } from "./logit_lens_model";

/** Trait changes made by the user, to be written to the model together (one save). */
export type LensEdit = Partial<Pick<LogitLensState, "mode" | "target" | "apply_ln" | "selected">>;

export interface LogitLensOptions {
  onEdit?: (edit: LensEdit) => void;
}

const HEADER_HEIGHT = 22;
/** Cells narrower or shorter than this show colour only, no predicted token. */
const MIN_TEXT_WIDTH = 24;
const MIN_TEXT_HEIGHT = 14;
/** At most this many distinct strings are measured to choose the natural column width. */
const MAX_MEASURED = 2000;

const isTargetMode = (mode: string): boolean => MODES.some((m) => m.value === mode && m.needsTarget);

export class LogitLensView {
  readonly root: HTMLDivElement;
  private state: LogitLensState = { ...DEFAULT_STATE };
  private data: LensPrepared | null = null;
  private image: MatrixImage | null = null;
  private shown = false;
  private acceptedTarget = "";
  private textCache = new Map<string, string>();
  private textCacheWidth = -1;
  private readonly options: LogitLensOptions;
  private readonly grid: ScrollGrid;
  private readonly controls: LensControls;
  private readonly legend: Legend;
  private readonly error: HTMLDivElement;
  private readonly footer: HTMLDivElement;
  private readonly notes: HTMLDivElement;

  constructor(el: HTMLElement, initial: Partial<LogitLensState> = {}, options: LogitLensOptions = {}) {
    const doc = el.ownerDocument;
    ensureStyles(el);
    ensureStyleSheet(el, LENS_STYLE_ID, LENS_CSS);
    this.options = options;
    this.root = makeRoot(doc, "interplay-logit-lens", "logit lens");
    this.root.setAttribute("aria-label", "logit lens");
    this.grid = new ScrollGrid(this.root, "interplay-lens-canvas", {
      tooltip: (c) => (this.data ? tooltipLines(this.data, { mode: this.state.mode, target: this.acceptedTarget }, c.row, c.col) : []),
      columnTooltip: (col) => (this.data ? columnLines(this.data, this.state.tokens, col) : []),
      onSelect: (c) => this.edit({ selected: c && { layer: c.row, pos: c.col } }),
      drawCells: (ctx, g, width, height, theme) => this.drawCellText(ctx, g, width, height, theme),
    });
    this.controls = new LensControls(doc, {
      setMode: (mode) => this.edit({ mode }),
      setTarget: (target) => this.submitTarget(target),
      setApplyLn: (on) => this.edit({ apply_ln: on }),
    });
    this.legend = new Legend(doc);
    this.error = errorBox(doc);
    this.footer = div(doc, "interplay-footer");
    this.footer.append(this.legend.element, this.grid.dom.toolbar);
    this.notes = div(doc, "interplay-notes");
    this.root.append(this.controls.element, this.controls.targetError, this.error, this.grid.dom.body, this.footer, this.notes, this.grid.dom.status);
    el.append(this.root);
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits; only what depends on them is recomputed. */
  update(partial: Partial<LogitLensState>): void {
    const prev = this.state;
    this.state = { ...prev, ...partial };
    const changed = (k: keyof LogitLensState): boolean => k in partial && partial[k] !== prev[k];
    // The target that `target_probs` belongs to: what was typed, once Python has answered it.
    if (!hasTarget(this.state)) this.acceptedTarget = "";
    else if (changed("target_probs") || (changed("target_error") && this.state.target_error === "")) this.acceptedTarget = this.state.target;
    if (this.data === null || DATA_TRAITS.some(changed)) this.rebuild(changed);
    this.controls.update(this.state);
    setNotes(this.notes, this.state.notes);
    this.root.setAttribute("aria-busy", String(Boolean(this.state.computing)));
    if (this.data) {
      this.legend.update(this.data.scale, legendCaption({ mode: this.state.mode, target: this.acceptedTarget }), (this.image?.nanCount ?? 0) > 0);
      const sel = validSelection(this.state.selected, this.data);
      this.grid.setSelected(sel && { row: sel.layer, col: sel.pos }, changed("selected"));
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

  private rebuild(changed: (k: keyof LogitLensState) => boolean): void {
    try {
      const d = prepare(this.state);
      const fresh = this.data === null;
      this.data = d;
      if (fresh || changed("color") || changed("scale") || !this.image) {
        this.image = new MatrixImage(this.root.ownerDocument, d.values, d.rows, d.cols, d.scale);
      }
      setError(this.error, null, [this.grid.dom.body, this.footer]);
      this.textCache.clear();
      const resetWidth = !this.shown || changed("tokens");
      this.shown = true;
      const grid: GridData = {
        rows: d.rows,
        cols: d.cols,
        image: this.image,
        columnLabels: d.display,
        rowLabels: d.layerLabels,
        cellHeight: lensCellHeight(d.rows),
        headerHeight: HEADER_HEIGHT,
        widthLabels: resetWidth ? widthLabels(d) : undefined,
      };
      this.grid.setData(grid, resetWidth);
    } catch (e) {
      this.data = null;
      this.image = null;
      setError(this.error, `Cannot show this logit lens: ${e instanceof Error ? e.message : String(e)}`, [this.grid.dom.body, this.footer]);
      this.grid.setData(null, false);
    }
  }

  /** The top-1 prediction inside each visible cell, black or white by the cell's luminance. */
  private drawCellText(ctx: CanvasRenderingContext2D, g: GridGeometry, width: number, height: number, theme: CanvasTheme): void {
    const d = this.data;
    if (!d || g.cellWidth < MIN_TEXT_WIDTH || g.cellHeight < MIN_TEXT_HEIGHT) return;
    if (this.textCacheWidth !== g.cellWidth) {
      this.textCache.clear();
      this.textCacheWidth = g.cellWidth;
    }
    const font = `${g.cellHeight >= 18 ? 11 : 10}px ${theme.codeFont}`;
    const rows = visibleRange(g.scrollTop ?? 0, height, g.cellHeight, d.rows);
    for (let r = rows.start; r < rows.end; r++) {
      const base = r * d.cols;
      const rgbaOf = (c: number): number[] => d.scale.rgba(d.values[base + c]);
      drawCellLabels(ctx, top1Row(d, r), rgbaOf, { ...g, top: (g.top ?? 0) + r * g.cellHeight }, width, { font, color: theme.fg }, this.textCache);
    }
  }

  /** A submitted target: set it and colour by it (an empty one clears it and leaves the target modes). */
  private submitTarget(target: string): void {
    const mode = this.state.mode;
    if (target === "") this.edit(isTargetMode(mode) ? { target, mode: "top1_prob" } : { target });
    else this.edit({ target, mode: isTargetMode(mode) ? mode : "target_prob" });
  }

  private edit(changes: LensEdit): void {
    if ("selected" in changes) this.state = { ...this.state, selected: changes.selected ?? null };
    this.options.onEdit?.(changes);
  }
}

/** Header tokens and (a bounded sample of) top-1 predictions: the strings a column should fit. */
function widthLabels(d: LensPrepared): string[] {
  const seen = new Set<string>(d.display.slice(0, MAX_MEASURED));
  for (let r = 0; r < d.rows && seen.size < MAX_MEASURED; r++) {
    for (const s of top1Row(d, r)) {
      seen.add(s);
      if (seen.size >= MAX_MEASURED) break;
    }
  }
  return [...seen];
}
