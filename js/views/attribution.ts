/**
 * AttributionView: prompt and generated tokens in one line, coloured by how much each drove the
 * selected output token; click any later token to explain it instead.
 *
 * Framework-free and anywidget-agnostic: `request(method, params)` asks Python (via rpc.ts in the
 * glue), `onEdit` reports what the user changed (selected token, method, score, contrast). Rows the
 * view already has (sent with the view, or answered before) are shown at once; anything else shows
 * a "computing" state with Python's progress until the answer arrives. Tokens are text only.
 * DOM contract (ARCHITECTURE.md, "AttributionView"): `.interplay-attribution`, `.interplay-attr-token`.
 */

import type { Cell } from "../lib/canvas";
import { formatFloat32 } from "../lib/format";
import { Legend } from "../lib/legend";
import { ensureStyles, ensureStyleSheet } from "../lib/theme";
import { displayToken } from "../lib/tokens";
import { Tooltip } from "../lib/tooltip";
import { buildControls, CSS, el, type Controls } from "./attribution_dom";
import { TokenLine } from "./attribution_line";
import { AttributionMatrix } from "./attribution_matrix";
import {
  DEFAULT_STATE, deltaText, isOutput, matrixFromReply, matrixFromState, rowKey, rowOf, sameSettings, scaleOf,
  settingsOf, shownFromReply, type AttributionState, type Matrix, type Settings, type Shown,
} from "./attribution_model";

export type { AttributionState } from "./attribution_model";

export type Edit = Partial<Pick<AttributionState, "selected" | "method" | "score" | "contrast">>;

export interface AttributionOptions {
  request?: (method: string, params: Record<string, unknown>) => Promise<unknown>;
  onEdit?: (edit: Edit) => void;
}

export class AttributionView {
  readonly root: HTMLDivElement;
  private state: AttributionState = { ...DEFAULT_STATE };
  private readonly options: AttributionOptions;
  private readonly controls: Controls;
  private readonly line: TokenLine;
  private readonly label: HTMLDivElement;
  private readonly delta: HTMLDivElement;
  private readonly busy: HTMLDivElement;
  private readonly bar: HTMLDivElement;
  private readonly error: HTMLDivElement;
  private readonly notes: HTMLDivElement;
  private readonly legend: Legend;
  private readonly tooltip: Tooltip;
  private readonly matrixView: AttributionMatrix;
  private readonly rows = new Map<string, Shown>();
  private shown: Shown | null = null;
  /** The matrix on screen (generations only), and every matrix known, by settings. */
  private matrix: Matrix | null = null;
  private readonly matrices = new Map<string, Matrix>();
  private readonly asked = new Set<string>();
  private readonly inflight = new Set<string>();
  private pending = 0;
  private wanted = "";

  constructor(el0: HTMLElement, initial: Partial<AttributionState> = {}, options: AttributionOptions = {}) {
    ensureStyles(el0);
    ensureStyleSheet(el0, "interplay-attribution-style", CSS);
    this.options = options;
    const doc = el0.ownerDocument;
    this.root = el(doc, "div", "interplay-root interplay-attribution");
    this.root.tabIndex = 0;
    this.controls = buildControls(doc, (edit) => this.edit(edit));
    this.line = new TokenLine(doc, () => this.tooltip, (i) => this.select(i));
    this.label = el(doc, "div", "interplay-attr-label");
    this.delta = el(doc, "div", "interplay-attr-delta");
    this.busy = el(doc, "div", "interplay-busy", "computing…");
    this.bar = el(doc, "div", "interplay-attr-bar");
    this.busy.append(el(doc, "div", "interplay-attr-track"));
    (this.busy.lastChild as HTMLElement).append(this.bar);
    this.busy.hidden = true;
    this.error = el(doc, "div", "interplay-error");
    this.error.hidden = true;
    this.notes = el(doc, "div", "interplay-attr-notes");
    this.legend = new Legend(doc);
    this.tooltip = new Tooltip(this.root, this.line.element);
    this.matrixView = new AttributionMatrix(doc, this.tooltip, {
      onHover: (c) => this.onMatrixHover(c),
      onSelect: (row) => this.matrix && this.select(this.matrix.targets[row]),
      tooltip: (c) => this.matrixLines(c),
    });
    this.root.append(this.controls.element, this.line.element, this.label, this.delta, this.busy, this.error,
      this.legend.element, this.matrixView.element, this.notes);
    el0.append(this.root);
    this.root.addEventListener("keydown", (e) => this.onKey(e));
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits. */
  update(partial: Partial<AttributionState>): void {
    const prev = this.state;
    this.state = { ...prev, ...partial };
    const s = this.state;
    const changed = (k: keyof AttributionState): boolean => k in partial && partial[k] !== prev[k];
    this.controls.title.textContent = s.title;
    this.controls.title.hidden = s.title === "";
    this.root.setAttribute("aria-label", s.title || "input attribution");
    if (changed("methods") || changed("method") || changed("score") || changed("contrast") || this.line.length === 0) {
      this.controls.set(s);
    }
    if (changed("tokens") || changed("n_prompt") || this.line.length === 0) this.line.build(s.tokens, s.n_prompt);
    if (changed("rows") || changed("tokens") || changed("row_settings")) {
      this.rows.clear();
      this.matrices.clear();
      this.asked.clear();
      try {
        const m = matrixFromState(s);
        if (m) this.remember(m, s.row_settings);
      } catch (e) {
        this.showError((e as Error).message);
      }
    }
    if (changed("progress")) this.showProgress();
    this.notes.textContent = s.notes.join(" · ");
    if (Object.keys(partial).some((k) => !["progress", "notes", "title"].includes(k))) this.refresh();
  }

  destroy(): void {
    this.matrixView.destroy();
    this.tooltip.destroy();
    this.root.remove();
  }

  /** What the view shows now (for tests and the glue). */
  get current(): Shown | null {
    return this.shown;
  }

  private settings(): Settings {
    return settingsOf(this.state);
  }

  private edit(edit: Edit): void {
    this.state = { ...this.state, ...edit };
    this.options.onEdit?.(edit);
    this.refresh();
  }

  private select(target: number | undefined): void {
    if (target === undefined || !isOutput(target, this.state.tokens.length)) return;
    this.line.setCursor(target);
    this.edit({ selected: target });
  }

  private remember(m: Matrix, settings: Settings): void {
    this.matrices.set(JSON.stringify(settingsOf(settings)), m);
    for (const t of m.targets) this.rows.set(rowKey(t, settings), rowOf(m, t) as Shown);
  }

  /** Show the selected token's row for the current settings: at once if known, else ask Python. */
  private refresh(): void {
    const s = this.state;
    const settings = this.settings();
    const m = s.matrix ? this.matrices.get(JSON.stringify(settings)) ?? null : null;
    if (s.matrix && !m) this.fetchMatrix(settings);
    if (m !== this.matrix && (m || !s.matrix)) {
      this.matrix = m;
      this.matrixView.set(m, s.tokens);
    }
    const target = s.selected;
    if (target === null || !isOutput(target, s.tokens.length)) return this.show(null);
    const key = rowKey(target, settings);
    this.wanted = key;
    const hit = this.rows.get(key);
    if (hit) return this.show(hit);
    if (s.matrix && !m && s.row_targets.includes(target) && this.options.request) return; // the matrix reply brings it
    if (!this.options.request) return this.showError("not connected to Python: this row was not computed");
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    this.setBusy(1);
    this.options.request("attribute", { target_pos: target, ...settings })
      .then((reply) => {
        const shown = shownFromReply(reply, target, s.tokens.length);
        this.rows.set(key, shown);
        if (this.wanted === key) this.show(shown);
      })
      .catch((e: unknown) => {
        if (this.wanted === key) this.showError(e instanceof Error ? e.message : String(e));
      })
      .finally(() => {
        this.inflight.delete(key);
        this.setBusy(-1);
      });
  }

  private fetchMatrix(settings: Settings): void {
    const key = JSON.stringify(settings);
    if (!this.options.request || this.asked.has(key)) return;
    this.asked.add(key);
    const s = this.state;
    this.setBusy(1);
    this.options.request("matrix", { ...settings })
      .then((reply) => {
        this.remember(matrixFromReply(reply, s), settings);
        if (sameSettings(this.settings(), settings)) this.refresh();
      })
      .catch((e: unknown) => {
        this.asked.delete(key);
        this.showError(e instanceof Error ? e.message : String(e));
      })
      .finally(() => this.setBusy(-1));
  }

  private show(shown: Shown | null): void {
    this.shown = shown;
    if (shown) this.error.hidden = true;
    this.line.paint(shown);
    this.label.textContent = shown ? `${shown.label} · ${this.state.method.replace(/_/g, " ")}` : "click a token to explain it";
    const dt = shown ? deltaText(shown.delta, shown.gap) : "";
    this.delta.textContent = dt;
    this.delta.hidden = dt === "";
    if (shown) this.legend.update(scaleOf(shown), this.state.method.replace(/_/g, " "), false);
    this.legend.element.hidden = !shown;
    if (this.matrix) this.matrixView.setSelectedRow(shown ? this.matrixRowOf(shown.target) : null);
  }

  private matrixRowOf(target: number): number | null {
    const r = this.matrix ? this.matrix.targets.indexOf(target) : -1;
    return r >= 0 ? r : null;
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  private setBusy(delta: number): void {
    this.pending = Math.max(0, this.pending + delta);
    this.busy.hidden = this.pending === 0;
    this.root.classList.toggle("interplay-computing", this.pending > 0);
    if (this.pending > 0) this.error.hidden = true;
    this.showProgress();
  }

  private showProgress(): void {
    const p = this.state.progress;
    const known = typeof p === "number" && Number.isFinite(p);
    (this.busy.firstChild as Text).textContent = known ? `computing… ${Math.round(100 * p)}%` : "computing…";
    this.bar.style.width = known ? `${Math.round(100 * p)}%` : "0%";
  }

  private onKey(e: KeyboardEvent): void {
    if (this.line.key(e.key)) e.preventDefault();
    else if (e.key === "Enter" && e.target === this.root) {
      this.select(this.line.cursor);
      e.preventDefault();
    }
  }

  private onMatrixHover(cell: Cell | null): void {
    this.line.highlight(cell && this.matrix ? [cell.col, this.matrix.targets[cell.row]] : []);
  }

  private matrixLines(c: Cell): string[] {
    const m = this.matrix;
    if (!m) return [];
    const t = m.targets[c.row];
    const v = m.values[c.row * m.cols + c.col];
    const tok = (i: number): string => displayToken(this.state.tokens[i] ?? "");
    return [`${tok(t)} ← ${tok(c.col)}`, `target pos ${t} · source pos ${c.col}`,
      Number.isNaN(v) ? "not a source (after the target)" : `score ${formatFloat32(v)}`];
  }
}
