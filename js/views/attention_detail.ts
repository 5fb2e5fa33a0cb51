/**
 * The detail pane (`.interplay-attention-detail`): the selected head's [query, key] pattern on
 * `canvas.interplay-pattern-canvas`. The whole sequence is requested once at a `max_side` of
 * about the canvas size; zooming (ctrl + wheel, the +/− buttons or keys) and panning (drag)
 * request the visible window in finer tiles (see attention_window.ts), drawn over the coarse
 * image as they arrive. Hover shows the query and key tokens and the value: "≈" from the u8
 * image at once, exact once the `row` request answers. `.interplay-busy` shows while requests
 * are pending, `.interplay-error` when one failed (with a retry button).
 */

import { sizeCanvas } from "../lib/canvas";
import { Legend } from "../lib/legend";
import type { Scale } from "../lib/scales";
import type { CanvasTheme } from "../lib/theme";
import type { Tooltip } from "../lib/tooltip";
import type { HeadRef } from "./attention_model";
import { drawPattern, PANE_GUTTER, PANE_TOP, paneSide, patternLines } from "./attention_pattern";
import { type PatternStore, type PatternTile, type WindowSpec } from "./attention_store";
import {
  clampWindow, fullWindow, levelStride, maxSideFor, panWindow, positionAt, strideFor, tilesFor, zoomWindow, type PatternWindow,
} from "./attention_window";

export const ZOOM_STEP = 2;
const EXACT_DELAY_MS = 150;

export interface PaneData {
  tokens: string[];
  display: string[];
  causal: boolean;
  /** Layers and heads of the model, for prefetching the neighbours of the selected head. */
  shape?: { layers: number; heads: number };
}

/** The heads one arrow key away from `h` (next / previous head, same head one layer up / down). */
export function neighbours(h: HeadRef, shape: { layers: number; heads: number }): HeadRef[] {
  const out: HeadRef[] = [];
  for (const [dl, dh] of [[0, 1], [0, -1], [1, 0], [-1, 0]] as const) {
    const layer = h.layer + dl;
    const head = h.head + dh;
    if (layer >= 0 && layer < shape.layers && head >= 0 && head < shape.heads) out.push({ layer, head });
  }
  return out;
}

function div(doc: Document, cls: string, text?: string): HTMLDivElement {
  const e = doc.createElement("div");
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class PatternPane {
  readonly element: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  readonly busy: HTMLDivElement;
  readonly error: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly scoresLine: HTMLDivElement;
  private readonly hint: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly windowLabel: HTMLSpanElement;
  private readonly retry: HTMLButtonElement;
  private readonly legend: Legend;
  private data: PaneData | null = null;
  private head: HeadRef | null = null;
  private query: number | null = null;
  private win: PatternWindow = fullWindow(1);
  private side = 384;
  private hover: { q: number; k: number; x: number; y: number } | null = null;
  private drag: { x: number; y: number; win: PatternWindow } | null = null;
  private exactTimer: ReturnType<typeof setTimeout> | null = null;
  private scale: Scale | null = null;
  private legendNaN = false;

  constructor(
    doc: Document,
    private readonly store: PatternStore,
    private readonly tooltip: Tooltip,
    private readonly redraw: () => void,
  ) {
    this.element = div(doc, "interplay-attention-detail");
    const header = div(doc, "interplay-detail-header");
    this.title = div(doc, "interplay-detail-title");
    this.scoresLine = div(doc, "interplay-detail-scores");
    header.append(this.title, this.scoresLine);
    this.hint = div(doc, "interplay-detail-hint", "Select a head (click it in the grid or the table) to see its attention pattern.");
    this.body = div(doc, "interplay-detail-body");
    const toolbar = div(doc, "interplay-toolbar interplay-pattern-toolbar");
    const button = (cls: string, text: string, label: string, onClick: () => void): HTMLButtonElement => {
      const b = doc.createElement("button");
      b.type = "button";
      b.className = `interplay-button ${cls}`;
      b.textContent = text;
      b.title = label;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", onClick);
      toolbar.append(b);
      return b;
    };
    button("interplay-zoom-out", "−", "Zoom out", () => this.zoom(1 / ZOOM_STEP));
    button("interplay-zoom-in", "+", "Zoom in", () => this.zoom(ZOOM_STEP));
    button("interplay-zoom-reset", "Fit", "Show the whole sequence", () => this.resetZoom());
    this.windowLabel = doc.createElement("span");
    this.windowLabel.className = "interplay-window-label";
    toolbar.append(this.windowLabel);
    this.busy = div(doc, "interplay-busy", "computing…");
    this.busy.setAttribute("role", "status");
    this.busy.hidden = true;
    this.error = div(doc, "interplay-error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.retry = button("interplay-retry", "Retry", "Ask again", () => this.store.retry());
    this.retry.hidden = true;
    this.canvas = doc.createElement("canvas");
    this.canvas.className = "interplay-pattern-canvas";
    this.canvas.setAttribute("role", "img");
    this.legend = new Legend(doc);
    this.body.append(toolbar, this.busy, this.error, this.retry, this.canvas, this.legend.element);
    this.element.append(header, this.hint, this.body);
    this.canvas.addEventListener("pointermove", this.onPointerMove);
    this.canvas.addEventListener("pointerdown", this.onPointerDown);
    this.canvas.addEventListener("pointerup", this.endDrag);
    this.canvas.addEventListener("pointercancel", this.endDrag);
    this.canvas.addEventListener("pointerleave", this.onLeave);
    this.canvas.addEventListener("wheel", this.onWheel, { passive: false });
  }

  /** New sequence (or none): back to the whole-sequence window. */
  setData(data: PaneData | null, scale: Scale): void {
    this.data = data;
    this.scale = scale;
    this.win = fullWindow(data?.tokens.length ?? 1);
    this.hover = null;
    this.legendNaN = false;
    this.legend.update(scale, "attention", false);
  }

  /** The head shown (null: a hint instead), its title and score line. */
  setHead(head: HeadRef | null, scores: string): void {
    this.head = head;
    this.title.textContent = head ? `Layer ${head.layer} · Head ${head.head}` : "No head selected";
    this.scoresLine.textContent = head ? scores : "";
    this.canvas.setAttribute("aria-label", head ? `attention pattern of layer ${head.layer}, head ${head.head}` : "");
  }

  setQuery(q: number | null): void {
    this.query = q;
  }

  /** Fit to the pane's width; true when the canvas side changed (so `max_side` did). */
  resize(width: number): boolean {
    const side = paneSide(width);
    if (side === this.side) return false;
    this.side = side;
    return true;
  }

  get window(): PatternWindow {
    return this.win;
  }

  private get shape(): { layers: number; heads: number } | null {
    return this.data?.shape ?? null;
  }

  get n(): number {
    return this.data?.tokens.length ?? 0;
  }

  /** `max_side` of the requests: the canvas side in device pixels (≤ 1024). */
  maxSide(): number {
    return maxSideFor(this.side, this.dpr());
  }

  /** The whole-sequence request, and the finer tiles the current zoom needs (none when the whole image is as fine). */
  requests(): { whole: WindowSpec; tiles: WindowSpec[]; stride: number } {
    const n = this.n;
    const m = this.maxSide();
    const whole = { q0: 0, q1: n, k0: 0, k1: n, max_side: m };
    const fullStride = strideFor(0, n, 0, n, m);
    const level = levelStride(this.win.span, m, fullStride);
    if (level === null) return { whole, tiles: [], stride: fullStride };
    const tiles = tilesFor(this.win, n, level, this.data?.causal ?? false).map(({ q0, q1, k0, k1, max_side }) => ({ q0, q1, k0, k1, max_side }));
    return { whole, tiles, stride: level };
  }

  /** Ask for what the window shows (cached requests cost nothing) and show busy / error / hint states. */
  sync(): void {
    const head = this.head;
    const ready = head !== null && this.data !== null;
    this.hint.hidden = ready;
    this.body.hidden = !ready;
    if (!ready || !head) return;
    const n = this.n;
    const { whole, tiles, stride } = this.requests();
    const mine = this.store.pattern(head, whole, n);
    for (const t of tiles) this.store.pattern(head, t, n);
    if (mine.status === "ok" && this.shape) this.store.prefetch(neighbours(head, this.shape), whole, n);
    const errors = this.store.errors(head);
    this.error.textContent = errors.length ? `Could not load this head's attention: ${errors.join("; ")}` : "";
    this.error.hidden = this.retry.hidden = errors.length === 0;
    this.busy.hidden = this.store.busy === 0;
    const { q0, k0, span } = this.win;
    const range = (a: number): string => `${Math.floor(a)}–${Math.min(n, Math.ceil(a + span)) - 1}`;
    this.windowLabel.textContent = `queries ${range(q0)} · keys ${range(k0)} · ${stride === 1 ? "every position" : `max over ${stride}×${stride}`}`;
    const hasNaN = this.loaded().some((t) => t.image.nanCount > 0);
    if (hasNaN !== this.legendNaN && this.scale) {
      this.legendNaN = hasNaN;
      this.legend.update(this.scale, "attention", hasNaN);
    }
    if (this.hover) this.showTooltip();
  }

  /** The loaded tiles to draw, coarse first (whole sequence, then the current level). */
  private loaded(): PatternTile[] {
    const head = this.head;
    if (!head) return [];
    const { whole, tiles } = this.requests();
    const out: PatternTile[] = [];
    for (const spec of [whole, ...tiles]) {
      const e = this.store.pattern(head, spec, this.n);
      if (e.status === "ok") out.push(e.tile);
    }
    return out;
  }

  draw(theme: CanvasTheme): void {
    const data = this.data;
    const ctx = sizeCanvas(this.canvas, PANE_GUTTER + this.side, PANE_TOP + this.side, this.dpr());
    if (!ctx || !data || !this.head) return;
    const tiles = this.loaded();
    drawPattern(ctx, {
      side: this.side, win: this.win, n: this.n, tiles, display: data.display, query: this.query, hover: this.hover, theme,
    });
    // What is on the canvas, for tests and benchmarks (cheap to read, unlike the pixels).
    this.canvas.dataset.head = `${this.head.layer}/${this.head.head}`;
    this.canvas.dataset.loaded = tiles.length > 0 ? "1" : "0";
  }

  zoom(factor: number, anchorQ?: number, anchorK?: number): void {
    const { q0, k0, span } = this.win;
    this.setWindow(zoomWindow(this.win, this.n, factor, anchorQ ?? q0 + span / 2, anchorK ?? k0 + span / 2));
  }

  resetZoom(): void {
    this.setWindow(fullWindow(this.n));
  }

  private setWindow(w: PatternWindow): void {
    this.win = clampWindow(w, Math.max(1, this.n));
    this.sync();
    this.redraw();
  }

  /** Tooltip lines for position (q, k); asks for the exact row (after a short pause) when only "≈" is known. */
  lines(q: number, k: number): string[] {
    const data = this.data;
    const head = this.head;
    if (!data || !head) return [];
    const exact = this.store.exact(head, "row", q);
    const masked = data.causal && k > q;
    if (!exact && !masked) this.scheduleExact(head, q);
    return patternLines(data, q, k, exact, this.loaded());
  }

  private scheduleExact(head: HeadRef, q: number): void {
    if (this.exactTimer !== null) clearTimeout(this.exactTimer);
    this.exactTimer = setTimeout(() => {
      this.exactTimer = null;
      if (this.hover && this.hover.q === q && this.head === head) this.store.fetchVector(head, "row", q, this.n, true);
    }, EXACT_DELAY_MS);
  }

  private showTooltip(): void {
    const h = this.hover;
    if (!h || !this.head) return this.tooltip.hide();
    this.tooltip.show(this.lines(h.q, h.k), h.x, h.y);
  }

  private positionOf(e: MouseEvent): { q: number; k: number; fq: number; fk: number } | null {
    const box = this.canvas.getBoundingClientRect();
    const x = e.clientX - box.left - PANE_GUTTER;
    const y = e.clientY - box.top - PANE_TOP;
    if (x < 0 || y < 0 || x >= this.side || y >= this.side) return null;
    const ppp = this.side / this.win.span;
    const q = positionAt(y, this.win.q0, ppp, this.n);
    const k = positionAt(x, this.win.k0, ppp, this.n);
    return q === null || k === null ? null : { q, k, fq: this.win.q0 + y / ppp, fk: this.win.k0 + x / ppp };
  }

  private onPointerMove = (e: PointerEvent): void => {
    if (this.drag) {
      const ppp = this.side / this.win.span;
      this.win = panWindow(this.drag.win, this.n, -(e.clientY - this.drag.y) / ppp, -(e.clientX - this.drag.x) / ppp);
      this.sync();
      this.redraw();
      return;
    }
    const pos = this.positionOf(e);
    this.hover = pos ? { q: pos.q, k: pos.k, x: e.clientX, y: e.clientY } : null;
    this.showTooltip();
    this.redraw();
  };

  private onPointerDown = (e: PointerEvent): void => {
    if (e.button !== 0 || this.win.span >= this.n) return;
    this.drag = { x: e.clientX, y: e.clientY, win: this.win };
    this.canvas.setPointerCapture?.(e.pointerId);
    this.tooltip.hide();
  };

  private endDrag = (): void => {
    this.drag = null;
  };

  private onLeave = (): void => {
    this.hover = null;
    this.tooltip.hide();
    this.redraw();
  };

  private onWheel = (e: WheelEvent): void => {
    if (!(e.ctrlKey || e.metaKey) || !this.head) return;
    e.preventDefault();
    const pos = this.positionOf(e);
    this.zoom(Math.exp(-e.deltaY * 0.002), pos?.fq, pos?.fk);
  };

  private dpr(): number {
    return this.element.ownerDocument.defaultView?.devicePixelRatio ?? 1;
  }

  destroy(): void {
    if (this.exactTimer !== null) clearTimeout(this.exactTimer);
  }
}
