/**
 * The token view (`.interplay-token-view`): the sequence as text, one `span.interplay-token`
 * (with `data-pos`) per token, display form, `textContent` only. Hovering token i shades every
 * token j by the selected head's attention from i to j ("attends to") or from j to i ("attended
 * by", the `.interplay-direction` control): background alpha ∝ value / the largest value.
 * Data comes from the whole stride-1 pattern when it is loaded (no round trip), else from
 * `row` / `column` requests (cached; a short pause first, so sweeping the pointer asks nothing).
 * Clicking a token pins it (the `query` trait); Escape or a second click unpins. Long sequences
 * (more than LONG tokens) show WINDOW tokens at a time, around the pinned token, with buttons to
 * move the window, so the DOM stays small.
 */

import { formatCompact } from "../lib/format";
import { exactToken } from "../lib/tokens";
import type { HeadRef } from "./attention_model";
import type { Direction, PatternStore } from "./attention_store";
import { tokenWindow } from "./attention_window";

export const LONG = 1024;
export const WINDOW = 512;
const FETCH_DELAY_MS = 120;
/** The shade: a blue that reads on light and dark backgrounds. */
const SHADE = "33, 113, 181";

export interface TokenViewActions {
  onQuery(q: number | null): void;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Background alphas for a vector of attention values: value / max (0 where NaN or max ≤ 0). Pure. */
export function shadeAlphas(values: ArrayLike<number>): Float32Array {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  const out = new Float32Array(values.length);
  if (max > 0) for (let i = 0; i < values.length; i++) out[i] = values[i] > 0 ? values[i] / max : 0;
  return out;
}

export class TokenView {
  readonly element: HTMLDivElement;
  readonly direction: HTMLSelectElement;
  readonly text: HTMLDivElement;
  private readonly nav: HTMLDivElement;
  private readonly range: HTMLSpanElement;
  private readonly status: HTMLDivElement;
  private tokens: string[] = [];
  private display: string[] = [];
  private head: HeadRef | null = null;
  private pinned: number | null = null;
  private hovered: number | null = null;
  private start = 0;
  private end = 0;
  private fetchTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(doc: Document, private readonly store: PatternStore, private readonly actions: TokenViewActions) {
    this.element = el(doc, "div", "interplay-token-view");
    const controls = el(doc, "div", "interplay-controls");
    const label = el(doc, "label", "interplay-control-label", "hovered token ");
    this.direction = el(doc, "select", "interplay-direction");
    this.direction.setAttribute("aria-label", "shade tokens by the attention the hovered token pays, or receives");
    for (const [value, text] of [["row", "attends to"], ["column", "attended by"]]) {
      const o = el(doc, "option", "", text);
      o.value = value;
      this.direction.append(o);
    }
    label.append(this.direction);
    this.nav = el(doc, "div", "interplay-token-nav");
    const prev = el(doc, "button", "interplay-button interplay-token-prev", "◀");
    const next = el(doc, "button", "interplay-button interplay-token-next", "▶");
    prev.type = next.type = "button";
    prev.setAttribute("aria-label", "earlier tokens");
    next.setAttribute("aria-label", "later tokens");
    this.range = el(doc, "span", "interplay-token-range");
    this.nav.append(prev, this.range, next);
    controls.append(label, this.nav);
    this.text = el(doc, "div", "interplay-token-text");
    this.text.tabIndex = 0;
    this.text.setAttribute("aria-label", "tokens: click one to pin it as the query; arrows move the pin");
    this.status = el(doc, "div", "interplay-token-status");
    this.status.setAttribute("aria-live", "polite");
    this.element.append(controls, this.text, this.status);
    this.direction.addEventListener("change", () => this.refresh());
    prev.addEventListener("click", () => this.moveWindow(-WINDOW / 2));
    next.addEventListener("click", () => this.moveWindow(WINDOW / 2));
    this.text.addEventListener("pointerover", this.onOver);
    this.text.addEventListener("pointerleave", this.onLeave);
    this.text.addEventListener("click", this.onClick);
    this.text.addEventListener("keydown", this.onKeyDown);
  }

  get dir(): Direction {
    return this.direction.value === "column" ? "column" : "row";
  }

  setData(tokens: string[], display: string[]): void {
    this.tokens = tokens;
    this.display = display;
    this.hovered = null;
    this.placeWindow(this.pinned ?? 0, true);
  }

  setHead(head: HeadRef | null): void {
    this.head = head;
    this.refresh();
  }

  setPinned(q: number | null): void {
    this.pinned = q;
    if (q !== null && (q < this.start || q >= this.end)) this.placeWindow(q, true);
    else this.refresh();
  }

  /** The window [start, end) of tokens in the DOM. */
  get shown(): { start: number; end: number } {
    return { start: this.start, end: this.end };
  }

  private placeWindow(center: number, force = false): void {
    const n = this.tokens.length;
    const size = n > LONG ? WINDOW : n;
    const { start, end } = tokenWindow(n, center, size);
    if (!force && start === this.start && end === this.end) return;
    this.start = start;
    this.end = end;
    const doc = this.element.ownerDocument;
    const spans: HTMLSpanElement[] = [];
    for (let i = start; i < end; i++) {
      const s = el(doc, "span", "interplay-token", this.display[i]);
      s.dataset.pos = String(i);
      spans.push(s);
    }
    this.text.replaceChildren(...spans);
    this.nav.hidden = n <= LONG;
    this.range.textContent = `tokens ${start}–${end - 1} of ${n}`;
    this.refresh();
  }

  private moveWindow(delta: number): void {
    this.placeWindow(this.start + (this.end - this.start) / 2 + delta);
  }

  /** Shade the tokens for the hovered (else pinned) token, from cached data or after a request. */
  refresh(): void {
    const focus = this.hovered ?? this.pinned;
    const head = this.head;
    const spans = this.text.children;
    let vec: Float32Array | null = null;
    if (focus !== null && head) {
      const hit = this.store.vector(head, this.dir, focus, this.tokens.length, { fetch: false });
      if (hit) vec = hit.values;
      else this.scheduleFetch(head, focus);
    }
    const alphas = vec ? shadeAlphas(vec) : null;
    for (let k = 0; k < spans.length; k++) {
      const s = spans[k] as HTMLElement;
      const i = this.start + k;
      const a = alphas ? alphas[i] * 0.85 : 0;
      s.style.backgroundColor = a > 0.01 ? `rgba(${SHADE}, ${a.toFixed(3)})` : "";
      s.classList.toggle("interplay-token-strong", a > 0.5);
      s.classList.toggle("interplay-token-focus", i === focus);
      s.classList.toggle("interplay-token-pinned", i === this.pinned);
    }
    this.status.textContent = this.describe(focus, vec);
  }

  /** "‘x’ (pos 3) attends to: ‘a’ (0) 0.52, …" for the top three, or a hint. */
  private describe(focus: number | null, vec: Float32Array | null): string {
    if (!this.head) return "Select a head to shade the tokens by its attention.";
    if (focus === null) return "Hover a token to see where it attends; click to pin it.";
    const who = `${exactToken(this.tokens[focus])} (pos ${focus})`;
    const verb = this.dir === "row" ? "attends to" : "is attended by";
    if (!vec) return `${who} ${verb}: computing…`;
    const order = Array.from(vec.keys()).filter((i) => !Number.isNaN(vec[i])).sort((a, b) => vec[b] - vec[a]).slice(0, 3);
    const top = order.map((i) => `${exactToken(this.tokens[i])} (${i}) ${formatCompact(vec[i], 3)}`).join(", ");
    return `${who} ${verb}: ${top}`;
  }

  private scheduleFetch(head: HeadRef, focus: number): void {
    if (this.fetchTimer !== null) clearTimeout(this.fetchTimer);
    this.fetchTimer = setTimeout(() => {
      this.fetchTimer = null;
      if ((this.hovered ?? this.pinned) === focus && this.head === head) {
        this.store.fetchVector(head, this.dir, focus, this.tokens.length, false);
      }
    }, FETCH_DELAY_MS);
  }

  private posOf(e: Event): number | null {
    const t = (e.target as HTMLElement | null)?.closest?.("span.interplay-token") as HTMLElement | null;
    if (!t || t.dataset.pos === undefined) return null;
    const p = Number(t.dataset.pos);
    return Number.isInteger(p) ? p : null;
  }

  private onOver = (e: Event): void => {
    const p = this.posOf(e);
    if (p === null || p === this.hovered) return;
    this.hovered = p;
    this.refresh();
  };

  private onLeave = (): void => {
    this.hovered = null;
    this.refresh();
  };

  private onClick = (e: Event): void => {
    const p = this.posOf(e);
    if (p === null) return;
    this.actions.onQuery(p === this.pinned ? null : p);
  };

  private onKeyDown = (e: KeyboardEvent): void => {
    const n = this.tokens.length;
    let next: number | null | undefined;
    if (e.key === "ArrowLeft") next = Math.max(0, (this.pinned ?? 1) - 1);
    else if (e.key === "ArrowRight") next = Math.min(n - 1, (this.pinned ?? -1) + 1);
    else if (e.key === "Escape") next = null;
    if (next === undefined) return;
    e.preventDefault();
    e.stopPropagation();
    this.actions.onQuery(next);
  };

  destroy(): void {
    if (this.fetchTimer !== null) clearTimeout(this.fetchTimer);
  }
}
