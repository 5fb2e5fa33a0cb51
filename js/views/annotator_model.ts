/**
 * The Annotator's state and its pure logic: records, edits (add / remove) with undo and redo,
 * selection, underline lanes for overlapping labels, and which key does what. No DOM here.
 */

import type { OptionalPayload } from "../lib/codec";
import type { ScaleSpec } from "../lib/types";

/** One label on tokens `start..end-1` of text `text` (see ARCHITECTURE.md, "Annotator"). */
export interface Annotation {
  text: number;
  start: number;
  end: number;
  char_start: number;
  char_end: number;
  label: string;
  tokens: string[];
}

export interface AnnotatorState {
  texts: string[];
  tokens: string[][];
  offsets: number[][][];
  labels: string[];
  label_colors: string[];
  annotations: Annotation[];
  index: number;
  values: OptionalPayload;
  scale: Partial<ScaleSpec>;
  value_label: string;
  title: string;
  error: string;
  /** The labels file every edit is written to (`path=` in Python), "" for none. */
  saved_to: string;
}

export const TRAITS: readonly (keyof AnnotatorState & string)[] = [
  "texts", "tokens", "offsets", "labels", "label_colors", "annotations", "index", "values", "scale",
  "value_label", "title", "error", "saved_to",
];

export const DEFAULT_STATE: AnnotatorState = {
  texts: [], tokens: [], offsets: [], labels: [], label_colors: [], annotations: [], index: 0, values: {},
  scale: {}, value_label: "value", title: "", error: "", saved_to: "",
};

export const FALLBACK_COLORS = ["#e69f00", "#56b4e9", "#009e73", "#d55e00", "#cc79a7", "#0072b2", "#f0e442", "#999999", "#000000"];

export function colorOf(s: Pick<AnnotatorState, "labels" | "label_colors">, label: string): string {
  const i = s.labels.indexOf(label);
  return s.label_colors[i] ?? FALLBACK_COLORS[Math.max(0, i) % FALLBACK_COLORS.length];
}

/** Identity of a record: the same label on the same tokens is the same record. */
export function keyOf(a: Pick<Annotation, "text" | "start" | "end" | "label">): string {
  return `${a.text}:${a.start}:${a.end}:${a.label}`;
}

/** A full record for tokens [start, end) of text `text`, derived fields filled from the state. */
export function makeRecord(s: Pick<AnnotatorState, "tokens" | "offsets">, text: number, start: number, end: number, label: string): Annotation {
  const offs = s.offsets[text] ?? [];
  let a = Infinity;
  let b = -Infinity;
  for (let k = start; k < end; k++) {
    const o = offs[k] ?? [0, 0];
    a = Math.min(a, o[0]);
    b = Math.max(b, o[1]);
  }
  if (!Number.isFinite(a)) a = b = 0;
  return { text, start, end, char_start: a, char_end: b, label, tokens: (s.tokens[text] ?? []).slice(start, end) };
}

/** A change to the records; its inverse swaps the two lists. */
export interface Edit {
  added: Annotation[];
  removed: Annotation[];
}

export function invert(e: Edit): Edit {
  return { added: e.removed, removed: e.added };
}

/** The records after an edit: removed ones dropped (by key), added ones appended unless present. */
export function applyEdit(list: readonly Annotation[], e: Edit): Annotation[] {
  const gone = new Set(e.removed.map(keyOf));
  const out = list.filter((a) => !gone.has(keyOf(a)));
  const have = new Set(out.map(keyOf));
  for (const a of e.added) {
    if (!have.has(keyOf(a))) {
      out.push(a);
      have.add(keyOf(a));
    }
  }
  return out;
}

/** The edit that labels [start, end) of `text`, or null if that label is there already. */
export function addEdit(s: Pick<AnnotatorState, "tokens" | "offsets" | "annotations">, text: number, start: number, end: number, label: string): Edit | null {
  const rec = makeRecord(s, text, start, end, label);
  if (s.annotations.some((a) => keyOf(a) === keyOf(rec))) return null;
  return { added: [rec], removed: [] };
}

/** The edit that removes every record of `text` overlapping [start, end), or null if none does. */
export function removeEdit(list: readonly Annotation[], text: number, start: number, end: number): Edit | null {
  const removed = list.filter((a) => a.text === text && a.start < end && start < a.end);
  return removed.length ? { added: [], removed } : null;
}

/** Undo and redo stacks of edits (client-only: the records themselves live in the synced trait). */
export class History {
  private done: Edit[] = [];
  private undone: Edit[] = [];
  constructor(private readonly limit = 500) {}
  push(e: Edit): void {
    this.done.push(e);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }
  /** The edit to apply to undo the last one (its inverse), or null. */
  undo(): Edit | null {
    const e = this.done.pop();
    if (!e) return null;
    this.undone.push(e);
    return invert(e);
  }
  redo(): Edit | null {
    const e = this.undone.pop();
    if (!e) return null;
    this.done.push(e);
    return e;
  }
  get canUndo(): boolean {
    return this.done.length > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0;
  }
}

/**
 * Underline lanes for one text's records: each record gets the lowest lane free over all of its
 * tokens, so overlapping labels stack and a span keeps one lane from its start to its end.
 */
export function assignLanes(records: readonly Annotation[]): Map<string, number> {
  const sorted = [...records].sort((x, y) => x.start - y.start || y.end - x.end || x.label.localeCompare(y.label));
  const lanes = new Map<string, number>();
  const busyUntil: number[] = [];
  for (const r of sorted) {
    let lane = busyUntil.findIndex((end) => end <= r.start);
    if (lane < 0) lane = busyUntil.length;
    busyUntil[lane] = r.end;
    lanes.set(keyOf(r), lane);
  }
  return lanes;
}

/** Cursor and anchor (token indices): the selection is [min, max] inclusive. */
export interface Selection {
  anchor: number;
  cursor: number;
}

/** The selection as [start, end) (end exclusive). */
export function selRange(s: Selection): [number, number] {
  return [Math.min(s.anchor, s.cursor), Math.max(s.anchor, s.cursor) + 1];
}

export type Action =
  | { kind: "move"; to: "left" | "right" | "home" | "end"; extend: boolean }
  | { kind: "label"; index: number }
  | { kind: "remove" }
  | { kind: "undo" }
  | { kind: "redo" }
  | { kind: "page"; delta: number }
  | { kind: "collapse" };

export interface KeyLike {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** What a key does, or null if the Annotator does not handle it. */
export function keyAction(e: KeyLike): Action | null {
  const mod = Boolean(e.ctrlKey || e.metaKey);
  const shift = Boolean(e.shiftKey);
  const k = e.key;
  if (e.altKey) return null;
  if (k === "z" || k === "Z") return shift ? { kind: "redo" } : { kind: "undo" };
  if (mod && (k === "y" || k === "Y")) return { kind: "redo" };
  if (mod) return null;
  switch (k) {
    case "ArrowLeft": return { kind: "move", to: "left", extend: shift };
    case "ArrowRight": return { kind: "move", to: "right", extend: shift };
    case "Home": return { kind: "move", to: "home", extend: shift };
    case "End": return { kind: "move", to: "end", extend: shift };
    case "Backspace":
    case "Delete": return { kind: "remove" };
    case "PageDown":
    case "]": return { kind: "page", delta: 1 };
    case "PageUp":
    case "[": return { kind: "page", delta: -1 };
    case "Escape": return { kind: "collapse" };
    default:
      if (/^[1-9]$/.test(k)) return { kind: "label", index: Number(k) - 1 };
      return null;
  }
}

/** Where a move takes the cursor in a text of `n` tokens. */
export function moveTo(cursor: number, to: "left" | "right" | "home" | "end", n: number): number {
  const next = to === "left" ? cursor - 1 : to === "right" ? cursor + 1 : to === "home" ? 0 : n - 1;
  return Math.max(0, Math.min(n - 1, next));
}
