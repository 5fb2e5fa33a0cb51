/**
 * The AttributionView's token line: one `span.interplay-attr-token` per token (text only), coloured
 * by the shown row; a keyboard cursor; clicks and hovers reported to the view. Hover stays here.
 */

import { textColorOn } from "../lib/scales";
import { displayToken } from "../lib/tokens";
import type { Tooltip } from "../lib/tooltip";
import { isOutput, scaleOf, tokenLines, type Shown } from "./attribution_model";
import { el } from "./attribution_dom";

export class TokenLine {
  readonly element: HTMLDivElement;
  private spans: HTMLSpanElement[] = [];
  private tokens: string[] = [];
  private nPrompt = 0;
  private shown: Shown | null = null;
  private cursorAt = 1;

  constructor(doc: Document, private readonly tooltip: () => Tooltip, onSelect: (i: number) => void) {
    this.element = el(doc, "div", "interplay-attr-tokens");
    this.element.setAttribute("role", "listbox");
    this.element.setAttribute("aria-label", "tokens: click one to explain it");
    this.element.addEventListener("click", (e) => {
      const i = this.indexOf(e);
      if (i !== null) onSelect(i);
    });
    this.element.addEventListener("pointermove", (e) => {
      const i = this.indexOf(e);
      if (i === null) return this.tooltip().hide();
      this.tooltip().show(tokenLines(this.tokens, i, this.nPrompt, this.shown), e.clientX, e.clientY);
    });
  }

  get length(): number {
    return this.spans.length;
  }

  get cursor(): number {
    return this.cursorAt;
  }

  /** One span per token; outputs (index >= 1) clickable, generated ones (index >= nPrompt) marked. */
  build(tokens: string[], nPrompt: number): void {
    const doc = this.element.ownerDocument;
    this.tokens = tokens;
    this.nPrompt = nPrompt;
    this.spans = tokens.map((tok, i) => {
      const span = el(doc, "span", "interplay-attr-token", displayToken(tok));
      span.dataset.pos = String(i);
      span.setAttribute("role", "option");
      if (isOutput(i, tokens.length)) span.classList.add("interplay-attr-output");
      if (i >= nPrompt) span.classList.add("interplay-attr-generated");
      return span;
    });
    this.element.replaceChildren(...this.spans);
    this.setCursor(Math.min(Math.max(1, this.cursorAt), Math.max(1, tokens.length - 1)));
    this.paint(this.shown);
  }

  /** Colour the sources of `shown` (nothing when null) and outline its target. */
  paint(shown: Shown | null): void {
    this.shown = shown;
    const scale = shown ? scaleOf(shown) : null;
    this.spans.forEach((span, i) => {
      const v = shown ? shown.values[i] : NaN;
      const target = shown !== null && i === shown.target;
      span.classList.toggle("interplay-attr-target", target);
      span.classList.toggle("interplay-attr-source", shown !== null && !Number.isNaN(v));
      span.setAttribute("aria-selected", String(target));
      if (scale && !Number.isNaN(v)) {
        const [r, g, b] = scale.rgba(v);
        span.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
        span.style.color = textColorOn(r, g, b);
      } else {
        span.style.backgroundColor = "";
        span.style.color = "";
      }
    });
  }

  /** Move the keyboard cursor for a navigation key; true if the key was one. */
  key(key: string): boolean {
    const n = this.spans.length;
    const moves: Record<string, number> = { ArrowLeft: this.cursorAt - 1, ArrowRight: this.cursorAt + 1, Home: 1, End: n - 1 };
    if (!(key in moves)) return false;
    this.setCursor(Math.min(n - 1, Math.max(1, moves[key])));
    return true;
  }

  setCursor(i: number): void {
    this.spans[this.cursorAt]?.classList.remove("interplay-attr-cursor");
    this.cursorAt = i;
    this.spans[i]?.classList.add("interplay-attr-cursor");
    this.spans[i]?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
  }

  /** Highlight these token indices (matrix hover); an empty list clears. */
  highlight(indices: readonly number[]): void {
    for (const s of this.element.querySelectorAll(".interplay-attr-hover")) s.classList.remove("interplay-attr-hover");
    for (const i of indices) this.spans[i]?.classList.add("interplay-attr-hover");
  }

  private indexOf(e: Event): number | null {
    const t = (e.target as HTMLElement | null)?.closest?.(".interplay-attr-token") as HTMLElement | null;
    const i = t?.dataset.pos !== undefined ? Number(t.dataset.pos) : NaN;
    return Number.isInteger(i) ? i : null;
  }
}
