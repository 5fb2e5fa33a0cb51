/**
 * Annotator: one text at a time, tokens as the tokenizer split them (text only), optionally coloured
 * by per-token values, with label underlines stacked beneath (overlapping labels each get a lane).
 *
 * Select a token by click, a span by drag or shift-click (or shift+arrows); label it with a button or
 * a number key 1..9; Backspace/Delete removes labels at the selection; z / Ctrl+Z undoes, Ctrl+Shift+Z
 * (or Shift+Z, Ctrl+Y) redoes; PageUp/PageDown or [ and ] change text. Every change of the records is
 * reported whole through `onEdit({annotations})`: the records live in the synced trait, undo/redo
 * history stays here. DOM contract: ARCHITECTURE.md, "Annotator".
 */

import { decodeArray, isPayload, type DecodedArray } from "../lib/codec";
import { formatFloat32 } from "../lib/format";
import { Legend } from "../lib/legend";
import { makeScale, textColorOn, type Scale } from "../lib/scales";
import { ensureStyles, ensureStyleSheet } from "../lib/theme";
import { displayToken, exactToken } from "../lib/tokens";
import { Tooltip } from "../lib/tooltip";
import { button, CSS, el, labelButton, tokenElement, type LaneCell } from "./annotator_dom";
import {
  addEdit, applyEdit, assignLanes, colorOf, DEFAULT_STATE, History, keyAction, keyOf, moveTo, removeEdit, selRange,
  type Action, type AnnotatorState, type Edit, type Selection,
} from "./annotator_model";

export type { AnnotatorState } from "./annotator_model";

export type AnnotatorEdit = Partial<Pick<AnnotatorState, "annotations" | "index">>;

export interface AnnotatorOptions {
  onEdit?: (edit: AnnotatorEdit) => void;
}

export class AnnotatorView {
  readonly root: HTMLDivElement;
  readonly history = new History();
  private state: AnnotatorState = { ...DEFAULT_STATE };
  private readonly options: AnnotatorOptions;
  private readonly title: HTMLDivElement;
  private readonly labelBox: HTMLSpanElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly redoButton: HTMLButtonElement;
  private readonly saved: HTMLSpanElement;
  private readonly pager: HTMLSpanElement;
  private readonly page: HTMLSpanElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly line: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly error: HTMLDivElement;
  private readonly legend: Legend;
  private readonly tooltip: Tooltip;
  private spans: HTMLSpanElement[] = [];
  private sel: Selection = { anchor: 0, cursor: 0 };
  private dragging = false;
  private decoded: DecodedArray | null = null;
  private scale: Scale | null = null;
  private readonly onUp = (): void => {
    this.dragging = false;
  };

  constructor(host: HTMLElement, initial: Partial<AnnotatorState> = {}, options: AnnotatorOptions = {}) {
    ensureStyles(host);
    ensureStyleSheet(host, "interplay-annotator-style", CSS);
    this.options = options;
    const doc = host.ownerDocument;
    this.root = el(doc, "div", "interplay-root interplay-annotator");
    this.root.tabIndex = 0;
    this.root.setAttribute("data-lm-suppress-shortcuts", "true");
    this.title = el(doc, "div", "interplay-title");
    const bar = el(doc, "div", "interplay-ann-bar");
    this.labelBox = el(doc, "span", "interplay-ann-labels");
    this.undoButton = button(doc, "interplay-ann-undo", "↶ undo", "undo (z or Ctrl+Z)");
    this.redoButton = button(doc, "interplay-ann-redo", "↷ redo", "redo (Shift+Z or Ctrl+Shift+Z)");
    this.saved = el(doc, "span", "interplay-ann-saved");
    this.pager = el(doc, "span", "interplay-ann-pager");
    this.prev = button(doc, "interplay-ann-prev", "‹", "previous text (PageUp or [)");
    this.next = button(doc, "interplay-ann-next", "›", "next text (PageDown or ])");
    this.page = el(doc, "span", "interplay-ann-page");
    this.pager.append(this.prev, this.page, this.next);
    bar.append(this.labelBox, this.undoButton, this.redoButton, this.saved, this.pager);
    this.line = el(doc, "div", "interplay-ann-tokens");
    this.line.setAttribute("role", "listbox");
    this.line.setAttribute("aria-multiselectable", "true");
    this.status = el(doc, "div", "interplay-ann-status");
    this.status.setAttribute("aria-live", "polite");
    this.error = el(doc, "div", "interplay-error");
    this.error.hidden = true;
    this.legend = new Legend(doc);
    this.root.append(this.title, bar, this.line, this.status, this.error, this.legend.element);
    host.append(this.root);
    this.tooltip = new Tooltip(this.root, this.line);

    this.root.addEventListener("keydown", (e) => this.onKey(e));
    this.line.addEventListener("mousedown", (e) => this.onDown(e));
    this.line.addEventListener("mousemove", (e) => this.onMove(e));
    this.line.addEventListener("mouseover", (e) => this.onMove(e));
    doc.addEventListener("mouseup", this.onUp);
    this.labelBox.addEventListener("click", (e) => {
      const b = (e.target as HTMLElement | null)?.closest?.(".interplay-ann-label") as HTMLElement | null;
      if (b?.dataset.label !== undefined) this.label(b.dataset.label);
      this.root.focus();
    });
    this.undoButton.addEventListener("click", () => this.run({ kind: "undo" }));
    this.redoButton.addEventListener("click", () => this.run({ kind: "redo" }));
    this.prev.addEventListener("click", () => this.run({ kind: "page", delta: -1 }));
    this.next.addEventListener("click", () => this.run({ kind: "page", delta: 1 }));
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits (from Python, or the initial state). */
  update(partial: Partial<AnnotatorState>): void {
    const prev = this.state;
    this.state = { ...prev, ...partial };
    const s = this.state;
    const changed = (k: keyof AnnotatorState): boolean => k in partial && partial[k] !== prev[k];
    this.title.textContent = s.title;
    this.title.hidden = s.title === "";
    this.root.setAttribute("aria-label", s.title || "token annotator");
    if (changed("labels") || changed("label_colors") || this.labelBox.childElementCount === 0) this.buildLabels();
    if (changed("values") || changed("scale")) this.decodeValues();
    if (changed("index") || changed("tokens")) this.sel = { anchor: 0, cursor: 0 };
    this.error.textContent = s.error;
    this.error.hidden = s.error === "";
    this.saved.textContent = s.saved_to ? `saved to ${s.saved_to}` : "";
    this.saved.title = s.saved_to ? `every label is written to ${s.saved_to} as it is made; the same path resumes them` : "";
    this.saved.hidden = !s.saved_to;
    this.render();
  }

  destroy(): void {
    this.root.ownerDocument.removeEventListener("mouseup", this.onUp);
    this.tooltip.destroy();
    this.root.remove();
  }

  /** The selection as [start, end) token indices. */
  get selection(): [number, number] {
    return selRange(this.sel);
  }

  get annotations(): AnnotatorState["annotations"] {
    return this.state.annotations;
  }

  /** Select tokens [start, end) (cursor at the last one). */
  select(start: number, end = start + 1): void {
    const n = this.nTokens();
    if (n === 0) return;
    const a = Math.max(0, Math.min(n - 1, start));
    const b = Math.max(0, Math.min(n - 1, end - 1));
    this.sel = { anchor: a, cursor: b };
    this.paintSelection();
  }

  /** Label the selection (a label name, or its index). */
  label(which: string | number): void {
    const s = this.state;
    const name = typeof which === "number" ? s.labels[which] : which;
    if (name === undefined || !s.labels.includes(name) || this.nTokens() === 0) return;
    const [start, end] = this.selection;
    const e = addEdit(s, s.index, start, end, name);
    if (e) this.commit(e);
  }

  /** Run a keyboard action (also used by the buttons). */
  run(a: Action): void {
    const s = this.state;
    const n = this.nTokens();
    switch (a.kind) {
      case "move": {
        const cursor = moveTo(this.sel.cursor, a.to, n);
        this.sel = { anchor: a.extend ? this.sel.anchor : cursor, cursor };
        this.paintSelection();
        this.spans[cursor]?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
        break;
      }
      case "collapse":
        this.sel = { anchor: this.sel.cursor, cursor: this.sel.cursor };
        this.paintSelection();
        break;
      case "label":
        this.label(a.index);
        break;
      case "remove": {
        const [start, end] = this.selection;
        const e = removeEdit(s.annotations, s.index, start, end);
        if (e) this.commit(e);
        break;
      }
      case "undo":
      case "redo": {
        const e = a.kind === "undo" ? this.history.undo() : this.history.redo();
        if (e) this.apply(e);
        break;
      }
      case "page": {
        const index = Math.max(0, Math.min(s.texts.length - 1, s.index + a.delta));
        if (index !== s.index) {
          this.update({ index });
          this.options.onEdit?.({ index });
        }
        break;
      }
    }
  }

  private nTokens(): number {
    return this.state.tokens[this.state.index]?.length ?? 0;
  }

  private commit(e: Edit): void {
    this.history.push(e);
    this.apply(e);
  }

  private apply(e: Edit): void {
    const annotations = applyEdit(this.state.annotations, e);
    this.state = { ...this.state, annotations, error: "" };
    this.error.hidden = true;
    this.render();
    this.options.onEdit?.({ annotations });
  }

  private buildLabels(): void {
    const doc = this.root.ownerDocument;
    const s = this.state;
    this.labelBox.replaceChildren(...s.labels.map((l, i) => labelButton(doc, i, l, colorOf(s, l))));
  }

  private decodeValues(): void {
    const v = this.state.values;
    this.decoded = null;
    this.scale = null;
    if (!isPayload(v)) return;
    try {
      this.decoded = decodeArray(v);
      this.scale = makeScale(this.state.scale, this.decoded.vmin, this.decoded.vmax);
    } catch (e) {
      this.error.textContent = (e as Error).message;
      this.error.hidden = false;
    }
  }

  private valueAt(pos: number): number {
    const d = this.decoded;
    const i = this.state.index;
    if (!d || d.shape.length !== 2 || i >= d.shape[0] || pos >= d.shape[1]) return NaN;
    return d.get(i, pos);
  }

  /** Rebuild the shown text's tokens, underlines, pager and legend. */
  private render(): void {
    const s = this.state;
    const doc = this.root.ownerDocument;
    const toks = s.tokens[s.index] ?? [];
    const mine = s.annotations.filter((a) => a.text === s.index);
    const lanes = assignLanes(mine);
    const nLanes = Math.max(0, ...lanes.values()) + (mine.length ? 1 : 0);
    const byLane: (typeof mine)[] = Array.from({ length: nLanes }, () => []);
    for (const a of mine) byLane[lanes.get(keyOf(a)) ?? 0].push(a);
    this.spans = toks.map((tok, pos) => {
      const cells: LaneCell[] = byLane.map((list) => {
        const a = list.find((r) => r.start <= pos && pos < r.end);
        return a
          ? { color: colorOf(s, a.label), label: a.label, start: pos === a.start, end: pos === a.end - 1 }
          : { color: null, label: null, start: false, end: false };
      });
      const span = tokenElement(doc, pos, displayToken(tok), cells);
      const v = this.valueAt(pos);
      if (this.scale && !Number.isNaN(v)) {
        const [r, g, b] = this.scale.rgba(v);
        const text = span.firstChild as HTMLElement;
        text.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
        text.style.color = textColorOn(r, g, b);
        span.classList.add("interplay-ann-valued");
      }
      return span;
    });
    this.line.replaceChildren(...this.spans);
    this.page.textContent = `text ${s.texts.length ? s.index + 1 : 0} / ${s.texts.length}`;
    this.pager.hidden = s.texts.length <= 1;
    this.prev.disabled = s.index <= 0;
    this.next.disabled = s.index >= s.texts.length - 1;
    const hasValues = this.scale !== null && this.decoded !== null;
    this.legend.element.hidden = !hasValues;
    if (hasValues && this.scale && this.decoded) {
      this.legend.update(this.scale, s.value_label, this.decoded.values().some((x) => Number.isNaN(x)));
    }
    this.paintSelection();
  }

  private paintSelection(): void {
    const n = this.spans.length;
    if (n > 0) {
      this.sel = { anchor: Math.min(this.sel.anchor, n - 1), cursor: Math.min(this.sel.cursor, n - 1) };
    }
    const [start, end] = this.selection;
    this.spans.forEach((span, i) => {
      const on = i >= start && i < end;
      span.classList.toggle("interplay-ann-selected", on);
      span.classList.toggle("interplay-ann-cursor", i === this.sel.cursor);
      span.setAttribute("aria-selected", String(on));
    });
    this.undoButton.disabled = !this.history.canUndo;
    this.redoButton.disabled = !this.history.canRedo;
    this.status.textContent = this.statusText();
  }

  private statusText(): string {
    const s = this.state;
    const toks = s.tokens[s.index] ?? [];
    if (toks.length === 0) return "";
    const [start, end] = this.selection;
    const what = end - start === 1
      ? `token ${start} ${exactToken(toks[start])}`
      : `tokens ${start}–${end - 1} (${end - start} selected)`;
    const on = s.annotations.filter((a) => a.text === s.index && a.start < end && start < a.end);
    const labels = on.length ? ` · labelled: ${[...new Set(on.map((a) => a.label))].join(", ")}` : "";
    return `${what}${labels} · 1–${Math.min(9, s.labels.length)} label, ⌫ remove, z undo`;
  }

  private posOf(e: Event): number | null {
    const t = (e.target as HTMLElement | null)?.closest?.(".interplay-ann-token") as HTMLElement | null;
    const i = t?.dataset.pos !== undefined ? Number(t.dataset.pos) : NaN;
    return Number.isInteger(i) ? i : null;
  }

  private onDown(e: MouseEvent): void {
    const i = this.posOf(e);
    if (i === null || e.button !== 0) return;
    e.preventDefault(); // no text selection; keep the keyboard on the root
    this.root.focus();
    this.sel = { anchor: e.shiftKey ? this.sel.anchor : i, cursor: i };
    this.dragging = true;
    this.paintSelection();
  }

  private onMove(e: MouseEvent): void {
    const i = this.posOf(e);
    if (i === null) {
      this.tooltip.hide();
      return;
    }
    if (this.dragging && (e.buttons & 1) === 1 && i !== this.sel.cursor) {
      this.sel = { anchor: this.sel.anchor, cursor: i };
      this.paintSelection();
    } else if (this.dragging && (e.buttons & 1) === 0) {
      this.dragging = false;
    }
    if (e.type === "mousemove") this.tooltip.show(this.tooltipLines(i), e.clientX, e.clientY);
  }

  private tooltipLines(pos: number): string[] {
    const s = this.state;
    const tok = s.tokens[s.index]?.[pos] ?? "";
    const off = s.offsets[s.index]?.[pos];
    const lines = [exactToken(tok), `pos ${pos}${off ? ` · chars ${off[0]}–${off[1]}` : ""}`];
    const v = this.valueAt(pos);
    if (this.scale) lines.push(`${s.value_label}: ${Number.isNaN(v) ? "NaN" : formatFloat32(v)}`);
    for (const a of s.annotations) {
      if (a.text === s.index && a.start <= pos && pos < a.end) lines.push(`${a.label} (tokens ${a.start}–${a.end - 1})`);
    }
    return lines;
  }

  private onKey(e: KeyboardEvent): void {
    const a = keyAction(e);
    if (!a) return;
    e.preventDefault();
    e.stopPropagation(); // keep handled keys from notebook shortcuts that listen while bubbling
    this.run(a);
  }
}
