/**
 * AttentionView: every head's attention at a glance, one head in detail, and the tokens.
 *
 * Framework-free and anywidget-agnostic: construct with an element, state and options (a
 * `request` function for drill-down, callbacks for what the user sets), call `update` with
 * changed traits, `destroy` when done. Parts, each in its own module:
 *   head grid (attention_grid.ts)      one canvas of thumbnails; hover, click, arrows + Enter
 *   ranking (attention_table.ts)       sort by a score; the top heads, clickable
 *   detail pane (attention_detail.ts)  the selected head's pattern, zoomable, fetched in tiles
 *   token view (attention_tokens.ts)   tokens shaded by the hovered token's attention
 * Requests go out once per change (coalesced in a microtask); their answers are kept in a
 * PatternStore, emptied when tokens or thumbnails change.
 * DOM contract (ARCHITECTURE.md): `.interplay-attention` (tabindex 0), `canvas.interplay-attention-grid`,
 * `select.interplay-score-sort`, `.interplay-head-table`, `.interplay-attention-detail`,
 * `canvas.interplay-pattern-canvas`, `.interplay-busy`, `.interplay-error`, `.interplay-token-view`,
 * `span.interplay-token[data-pos]`, `.interplay-direction`, `select.interplay-sequence`, `.interplay-notes`.
 */

import { decodeArray, type DecodedArray } from "../lib/codec";
import { FrameScheduler } from "../lib/frame";
import { moveCursor } from "../lib/nav";
import { makeScale, type Scale } from "../lib/scales";
import { ensureStyles, ensureStyleSheet, readTheme } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import type { WirePayload } from "../lib/types";
import { PatternPane, ZOOM_STEP } from "./attention_detail";
import { HeadGrid, headRect } from "./attention_grid";
import {
  DEFAULT_STATE, defaultOrder, formatScore, headLines, prepareAttention, rankHeads, scoreOf, validHead, validQuery,
  type AttentionState, type HeadRef, type PreparedAttention, type SortOrder,
} from "./attention_model";
import { PatternStore, type RequestFn } from "./attention_store";
import { buildAttentionDom, setSequences, setText, showError, type AttentionDom } from "./attention_dom";
import { ATTENTION_CSS, ATTENTION_STYLE_ID } from "./attention_style";
import { TABLE_ROWS, HeadTable } from "./attention_table";
import { TokenView } from "./attention_tokens";

export type { AttentionState, HeadRef } from "./attention_model";

export interface AttentionOptions {
  /** Ask Python (rpc.ts `request` bound to the model); without it, drill-down shows an error. */
  request?: RequestFn;
  /** Forget cached answers (called when tokens or thumbnails change). */
  invalidate?: () => void;
  onSelect?: (head: HeadRef | null) => void;
  onQuery?: (query: number | null) => void;
  onBatch?: (index: number) => void;
}

/** Heads ringed on the grid: the best few by the sort score. */
const TOP_MARKED = 5;
const FALLBACK_WIDTH = 448;

const noRequest: RequestFn = () => Promise.reject(new Error("no connection to the kernel: this view cannot ask for patterns"));

const sameHead = (a: HeadRef | null, b: HeadRef | null): boolean => a === b || (!!a && !!b && a.layer === b.layer && a.head === b.head);

export class AttentionView {
  readonly root: HTMLDivElement;
  readonly store: PatternStore;
  private state: AttentionState = { ...DEFAULT_STATE };
  private data: PreparedAttention | null = null;
  private thumbs: { payload: WirePayload; decoded: DecodedArray } | null = null;
  private shownTokens: string[] | null = null;
  private sort = 0;
  private order: SortOrder = "desc";
  private ranked: HeadRef[] = [];
  private cursor: HeadRef = { layer: 0, head: 0 };
  private focused = false;
  private syncQueued = false;
  private destroyed = false;
  private lastWidth = -1;
  private readonly scale: Scale = makeScale({ kind: "sequential", cmap: "viridis", center: null }, 0, 1);
  private readonly dom: AttentionDom;
  private readonly grid: HeadGrid;
  private readonly table: HeadTable;
  private readonly pane: PatternPane;
  private readonly tokens: TokenView;
  private readonly tooltip: Tooltip;
  private readonly frames: FrameScheduler;
  private readonly resizeObserver: ResizeObserver | null = null;

  constructor(el: HTMLElement, initial: Partial<AttentionState> = {}, private readonly options: AttentionOptions = {}) {
    const doc = el.ownerDocument;
    ensureStyles(el);
    ensureStyleSheet(el, ATTENTION_STYLE_ID, ATTENTION_CSS);
    this.dom = buildAttentionDom(doc, TOP_MARKED);
    const { root } = this.dom;
    this.root = root;
    this.frames = new FrameScheduler(doc.defaultView, () => this.draw());
    this.tooltip = new Tooltip(root);
    this.store = new PatternStore(doc, options.request ?? noRequest, this.scale, () => this.onStoreChange());
    this.grid = new HeadGrid(doc);
    this.table = new HeadTable(doc, {
      onSort: (i) => this.setSort(i, defaultOrder(this.data?.scoreNames[i] ?? "")),
      onOrder: (o) => this.setSort(this.sort, o),
      onSelect: (h) => this.select(h),
    });
    this.pane = new PatternPane(doc, this.store, this.tooltip, () => this.frames.request());
    this.tokens = new TokenView(doc, this.store, { onQuery: (q) => this.setQuery(q) });
    this.dom.gridScroll.append(this.grid.canvas);
    this.dom.left.append(this.table.element);
    this.dom.main.append(this.pane.element);
    this.dom.body.append(this.tokens.element);

    this.dom.sequence.addEventListener("change", () => this.options.onBatch?.(Number(this.dom.sequence.value)));
    this.grid.canvas.addEventListener("pointermove", this.onGridMove);
    this.grid.canvas.addEventListener("pointerleave", () => this.tooltip.hide());
    this.grid.canvas.addEventListener("click", this.onGridClick);
    root.addEventListener("keydown", this.onKeyDown);
    root.addEventListener("focus", () => this.setFocused(true));
    root.addEventListener("blur", () => this.setFocused(false));
    el.append(root);
    const RO = doc.defaultView?.ResizeObserver;
    if (RO) {
      this.resizeObserver = new RO(() => {
        const width = root.clientWidth;
        if (width === this.lastWidth) return;
        this.lastWidth = width;
        this.layout();
      });
      this.resizeObserver.observe(root);
    }
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits; what depends on them is recomputed, requests go out once. */
  update(partial: Partial<AttentionState>): void {
    const prev = this.state;
    const isNew = this.data === null && this.dom.error.hidden;
    this.state = { ...prev, ...partial };
    const s = this.state;
    const changed = (k: keyof AttentionState): boolean => k in partial && partial[k] !== prev[k];
    setText(this.dom, s.title, s.notes);
    setSequences(this.dom, s.sequences, s.batch_index, changed("sequences"));
    const dataKeys = ["tokens", "thumbnails", "scores", "score_names", "n_layers", "n_heads", "causal"] as const;
    if (isNew || dataKeys.some(changed)) this.prepare(isNew || changed("tokens") || changed("thumbnails"), changed("causal"));
    this.refresh(changed("selected"));
  }

  /** Decode the thumbnails once per payload. */
  private decodeThumbs = (payload: WirePayload): DecodedArray => {
    if (this.thumbs?.payload !== payload) this.thumbs = { payload, decoded: decodeArray(payload) };
    return this.thumbs.decoded;
  };

  private prepare(reset: boolean, causalChanged: boolean): void {
    const s = this.state;
    const before = this.data;
    try {
      this.data = prepareAttention(s, this.decodeThumbs);
      showError(this.dom, null);
    } catch (e) {
      this.data = null;
      showError(this.dom, e instanceof Error ? e.message : String(e));
      this.tooltip.hide();
    }
    const d = this.data;
    if (reset) {
      this.store.reset();
      this.options.invalidate?.();
    }
    if (!d || !before || d.thumbs !== before.thumbs) this.grid.setData(d, this.scale);
    if (d && (s.tokens !== this.shownTokens || causalChanged)) {
      this.shownTokens = s.tokens;
      this.pane.setData({ tokens: s.tokens, display: d.display, causal: s.causal !== false,
        shape: { layers: s.n_layers, heads: s.n_heads } }, this.scale);
      this.tokens.setData(s.tokens, d.display);
    }
    if (d && this.sort >= d.scoreNames.length) this.setSort(0, defaultOrder(d.scoreNames[0] ?? ""), false);
    if (d) this.cursor = validHead(this.cursor, d.layers, d.heads) ?? { layer: 0, head: 0 };
    this.layout(false);
  }

  /** Selection, query, table and scores line from the state; schedules requests and a frame. */
  private refresh(selectionChanged = false): void {
    const d = this.data;
    if (d) {
      const sel = validHead(this.state.selected, d.layers, d.heads);
      if (sel && selectionChanged) this.cursor = sel;
      const scores = d.scoreNames.map((name, i) => `${name} ${formatScore(scoreOf(d, i, sel ?? { layer: 0, head: 0 }))}`).join(" · ");
      this.pane.setHead(sel, scores);
      const q = validQuery(this.state.query, d.n);
      this.pane.setQuery(q);
      this.tokens.setHead(sel);
      this.tokens.setPinned(q);
      this.ranked = d.scoreNames.length ? rankHeads(d, this.sort, this.order, TABLE_ROWS) : [];
      this.table.render(d, this.sort, this.order, this.ranked, sel);
    }
    this.queueSync();
    this.frames.request();
  }

  /** Issue the requests the current state needs, once per burst of updates. */
  private queueSync(): void {
    if (this.syncQueued) return;
    this.syncQueued = true;
    queueMicrotask(() => {
      this.syncQueued = false;
      if (this.destroyed || !this.data) return;
      this.pane.resize(this.pane.element.clientWidth || FALLBACK_WIDTH);
      this.pane.sync();
      this.tokens.refresh();
    });
  }

  private onStoreChange(): void {
    if (this.destroyed) return;
    this.pane.sync();
    this.tokens.refresh();
    this.frames.request();
  }

  private layout(redraw = true): void {
    this.grid.layout(this.dom.left.clientWidth || FALLBACK_WIDTH);
    if (this.pane.resize(this.pane.element.clientWidth || FALLBACK_WIDTH)) this.queueSync();
    if (redraw) this.frames.request();
  }

  /** Draw the grid and the pattern now (normally scheduled on the next animation frame). */
  draw(): void {
    this.frames.cancel();
    if (!this.data || this.destroyed) return;
    const theme = readTheme(this.root);
    const dpr = this.root.ownerDocument.defaultView?.devicePixelRatio ?? 1;
    const selected = validHead(this.state.selected, this.data.layers, this.data.heads);
    this.grid.draw({ selected, cursor: this.focused ? this.cursor : null, top: this.ranked.slice(0, TOP_MARKED) }, theme, dpr);
    this.pane.draw(theme);
  }

  /** Select a head (null clears): the detail pane follows, `onSelect` tells Python. */
  select(head: HeadRef | null): void {
    if (head) this.cursor = head;
    if (sameHead(head, validHead(this.state.selected, this.data?.layers ?? 0, this.data?.heads ?? 0))) return void this.frames.request();
    this.state = { ...this.state, selected: head };
    this.refresh();
    this.options.onSelect?.(head);
  }

  private setQuery(q: number | null): void {
    this.state = { ...this.state, query: q };
    this.refresh();
    this.options.onQuery?.(q);
  }

  private setSort(score: number, order: SortOrder, redraw = true): void {
    this.sort = score;
    this.order = order;
    if (redraw) this.refresh();
  }

  private headLinesAt(h: HeadRef): string[] {
    const d = this.data;
    if (!d) return [];
    const rank = this.ranked.findIndex((r) => sameHead(r, h));
    return headLines(d, h, rank >= 0 ? rank : null, d.scoreNames[this.sort] ?? null);
  }

  private onGridMove = (e: PointerEvent): void => {
    const h = this.grid.headAt(e.clientX, e.clientY);
    if (!h || !this.data) return this.tooltip.hide();
    this.tooltip.show(this.headLinesAt(h), e.clientX, e.clientY);
  };

  private onGridClick = (e: MouseEvent): void => {
    const h = this.grid.headAt(e.clientX, e.clientY);
    if (h) this.select(h);
  };

  private onKeyDown = (e: KeyboardEvent): void => {
    const d = this.data;
    if (!d || e.target !== this.root) return;
    const next = moveCursor({ row: this.cursor.layer, col: this.cursor.head }, e.key, d.layers, d.heads, { ctrl: e.ctrlKey || e.metaKey });
    if (next) {
      this.cursor = { layer: next.row, head: next.col };
      this.revealCursor();
    } else if (e.key === "Enter" || e.key === " ") {
      this.select(this.cursor);
    } else if (e.key === "Escape") {
      this.tooltip.hide();
      this.select(null);
    } else if (e.key === "+" || e.key === "=") {
      this.pane.zoom(ZOOM_STEP);
    } else if (e.key === "-") {
      this.pane.zoom(1 / ZOOM_STEP);
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation(); // keep handled keys from notebook shortcuts that listen while bubbling
  };

  /** Describe the cursor's head to screen readers and show its tooltip. */
  private revealCursor(): void {
    const lines = this.headLinesAt(this.cursor);
    this.dom.srStatus.textContent = lines.join(", ");
    const r = headRect(this.cursor, this.grid.geometry);
    const box = this.grid.canvas.getBoundingClientRect();
    this.grid.canvas.scrollIntoView?.({ block: "nearest", inline: "nearest" });
    this.tooltip.show(lines, box.left + r.x + r.w / 2, box.top + r.y + r.h);
    this.frames.request();
  }

  private setFocused(focused: boolean): void {
    this.focused = focused;
    if (!focused) this.tooltip.hide();
    this.frames.request();
  }

  destroy(): void {
    this.destroyed = true;
    this.frames.cancel();
    this.resizeObserver?.disconnect();
    this.pane.destroy();
    this.tokens.destroy();
    this.tooltip.destroy();
    this.root.remove();
    this.data = null;
  }
}
