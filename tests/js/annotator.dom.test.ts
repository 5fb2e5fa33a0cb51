// @vitest-environment jsdom
/**
 * The Annotator in jsdom: label by click + button, by keyboard, a span by drag and shift-click,
 * undo/redo, overlapping labels in stacked lanes, removal, paging, Python-side updates and errors,
 * token text that stays text, and the anywidget glue.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AnnotatorView, type AnnotatorState } from "../../js/views/annotator";
import { assignLanes, keyAction, makeRecord, type Annotation } from "../../js/views/annotator_model";
import widget from "../../js/widgets/annotator";
import { FakeModel } from "./fake_model";
import { payloadOf } from "./helpers";

const XSS = "<img src=x onerror=alert(1)>";
const TOKENS = [["When", " Mary", " and", " John", XSS, " went"], ["Hi", " there", "\n"]];
const OFFSETS = [[[0, 4], [4, 9], [9, 13], [13, 18], [18, 46], [46, 51]], [[0, 2], [2, 8], [8, 9]]];

function state(overrides: Partial<AnnotatorState> = {}): AnnotatorState {
  return {
    texts: ["When Mary and John" + XSS + " went", "Hi there\n"],
    tokens: TOKENS,
    offsets: OFFSETS,
    labels: ["name", "verb", "other"],
    label_colors: ["#e69f00", "#56b4e9", "#009e73"],
    annotations: [],
    index: 0,
    values: {},
    scale: {},
    value_label: "value",
    title: "annotate",
    error: "",
    saved_to: "",
    ...overrides,
  };
}

let host: HTMLElement;
let views: AnnotatorView[] = [];
let edits: Partial<AnnotatorState>[] = [];
function make(s: Partial<AnnotatorState> = state()): AnnotatorView {
  const v = new AnnotatorView(host, s, { onEdit: (e) => edits.push(e) });
  views.push(v);
  return v;
}
const tokens = (v: AnnotatorView): HTMLElement[] => [...v.root.querySelectorAll<HTMLElement>(".interplay-ann-token")];
const key = (v: AnnotatorView, k: string, opts: KeyboardEventInit = {}): void => {
  v.root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...opts }));
};
const mouse = (target: Element, type: string, opts: MouseEventInit = {}): void => {
  target.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, button: 0, buttons: 1, ...opts }));
};
const lastRecords = (): Annotation[] => {
  const e = [...edits].reverse().find((x) => x.annotations !== undefined);
  return e?.annotations ?? [];
};
const spans = (recs: Annotation[]): string[] => recs.map((r) => `${r.text}:${r.start}-${r.end}:${r.label}`);

beforeEach(() => {
  host = document.createElement("div");
  document.body.append(host);
  edits = [];
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
});

afterEach(() => {
  for (const v of views) v.destroy();
  views = [];
  host.remove();
  vi.restoreAllMocks();
});

describe("Annotator view", () => {
  it("shows tokens as text only, never HTML", () => {
    const v = make();
    const t = tokens(v);
    expect(t).toHaveLength(6);
    expect(t[4].querySelector(".interplay-ann-text")?.textContent).toBe(XSS.replace(/ /g, "␣"));
    expect(v.root.querySelector("img")).toBeNull();
    expect(t[1].querySelector(".interplay-ann-text")?.textContent).toBe("␣Mary");
    expect(v.root.querySelector(".interplay-title")?.textContent).toBe("annotate");
    expect(v.root.tabIndex).toBe(0);
  });

  it("labels a clicked token with a label button, with derived offsets and token strings", () => {
    const v = make();
    mouse(tokens(v)[1], "mousedown");
    mouse(document.body, "mouseup");
    (v.root.querySelectorAll<HTMLButtonElement>(".interplay-ann-label")[0]).click();
    expect(lastRecords()).toEqual([
      { text: 0, start: 1, end: 2, char_start: 4, char_end: 9, label: "name", tokens: [" Mary"] },
    ]);
    const bars = tokens(v)[1].querySelectorAll<HTMLElement>(".interplay-ann-underline");
    expect(bars).toHaveLength(1);
    expect(bars[0].dataset.label).toBe("name");
    expect(bars[0].style.backgroundColor).toBe("rgb(230, 159, 0)");
    expect(tokens(v)[0].querySelectorAll(".interplay-ann-underline")).toHaveLength(0);
  });

  it("labels by keyboard: arrows move, a number key labels, shift+arrows extend", () => {
    const v = make();
    key(v, "ArrowRight");
    key(v, "ArrowRight");
    key(v, "ArrowRight");
    expect(v.selection).toEqual([3, 4]);
    expect(tokens(v)[3].classList.contains("interplay-ann-cursor")).toBe(true);
    key(v, "1");
    key(v, "Home");
    key(v, "ArrowRight", { shiftKey: true });
    key(v, "ArrowRight", { shiftKey: true });
    expect(v.selection).toEqual([0, 3]);
    key(v, "3");
    expect(spans(lastRecords())).toEqual(["0:3-4:name", "0:0-3:other"]);
    key(v, "9"); // no ninth label: nothing happens
    expect(spans(lastRecords())).toEqual(["0:3-4:name", "0:0-3:other"]);
  });

  it("handled keys do not reach notebook shortcuts", () => {
    const v = make();
    const outer = vi.fn();
    host.addEventListener("keydown", outer);
    key(v, "ArrowRight");
    key(v, "1");
    key(v, "z");
    key(v, "q");
    expect(outer).toHaveBeenCalledTimes(1); // only the unhandled "q"
  });

  it("selects a span by drag and by shift-click", () => {
    const v = make();
    const t = tokens(v);
    mouse(t[1], "mousedown");
    mouse(t[2], "mousemove");
    mouse(t[3], "mousemove");
    mouse(document.body, "mouseup");
    expect(v.selection).toEqual([1, 4]);
    key(v, "2");
    expect(spans(lastRecords())).toEqual(["0:1-4:verb"]);
    expect(lastRecords()[0].char_start).toBe(4);
    expect(lastRecords()[0].char_end).toBe(18);
    expect(lastRecords()[0].tokens).toEqual([" Mary", " and", " John"]);
    // after mouseup, moving does not extend
    mouse(t[5], "mousemove", { buttons: 0 });
    expect(v.selection).toEqual([1, 4]);
    // shift-click extends from the anchor
    mouse(tokens(v)[0], "mousedown");
    mouse(document.body, "mouseup");
    mouse(tokens(v)[2], "mousedown", { shiftKey: true });
    mouse(document.body, "mouseup");
    expect(v.selection).toEqual([0, 3]);
  });

  it("undoes and redoes with z, Ctrl+Z, Ctrl+Shift+Z and the buttons", () => {
    const v = make();
    key(v, "1");
    key(v, "ArrowRight");
    key(v, "2");
    expect(spans(lastRecords())).toEqual(["0:0-1:name", "0:1-2:verb"]);
    key(v, "z");
    expect(spans(lastRecords())).toEqual(["0:0-1:name"]);
    key(v, "z", { ctrlKey: true });
    expect(spans(lastRecords())).toEqual([]);
    key(v, "z"); // nothing left to undo
    expect(spans(lastRecords())).toEqual([]);
    key(v, "Z", { ctrlKey: true, shiftKey: true });
    expect(spans(lastRecords())).toEqual(["0:0-1:name"]);
    (v.root.querySelector(".interplay-ann-redo") as HTMLButtonElement).click();
    expect(spans(lastRecords())).toEqual(["0:0-1:name", "0:1-2:verb"]);
    expect((v.root.querySelector(".interplay-ann-redo") as HTMLButtonElement).disabled).toBe(true);
    (v.root.querySelector(".interplay-ann-undo") as HTMLButtonElement).click();
    expect(spans(lastRecords())).toEqual(["0:0-1:name"]);
    // a new edit clears the redo stack
    key(v, "3");
    key(v, "Z", { ctrlKey: true, shiftKey: true });
    expect(spans(lastRecords())).toEqual(["0:0-1:name", "0:1-2:other"]);
  });

  it("removes labels at the selection with Backspace, and undo brings them back", () => {
    const v = make();
    key(v, "ArrowRight");
    key(v, "1");
    key(v, "2");
    key(v, "ArrowRight");
    key(v, "3");
    key(v, "ArrowLeft");
    key(v, "Backspace");
    expect(spans(lastRecords())).toEqual(["0:2-3:other"]);
    key(v, "z");
    expect(new Set(spans(lastRecords()))).toEqual(new Set(["0:1-2:name", "0:1-2:verb", "0:2-3:other"]));
  });

  it("shows overlapping labels stacked in lanes, one lane per span from start to end", () => {
    const recs = [
      makeRecord(state(), 0, 1, 4, "name"),
      makeRecord(state(), 0, 2, 3, "verb"),
      makeRecord(state(), 0, 3, 5, "other"),
    ];
    const v = make(state({ annotations: recs }));
    const t = tokens(v);
    const lanes = (i: number): (string | null)[] =>
      [...t[i].querySelectorAll<HTMLElement>(".interplay-ann-lane")].map((b) => b.dataset.label ?? null);
    expect(lanes(1)).toEqual(["name", null]);
    expect(lanes(2)).toEqual(["name", "verb"]);
    expect(lanes(3)).toEqual(["name", "other"]);
    expect(lanes(4)).toEqual([null, "other"]);
    expect(t[1].querySelector(".interplay-ann-underline")?.classList.contains("interplay-ann-start")).toBe(true);
    expect(t[3].querySelector(".interplay-ann-underline")?.classList.contains("interplay-ann-end")).toBe(true);
    expect(assignLanes(recs).get("0:2:3:verb")).toBe(1);
  });

  it("pages through texts; labels of other texts are kept", () => {
    const v = make();
    key(v, "1");
    key(v, "PageDown");
    expect(edits.at(-1)).toEqual({ index: 1 });
    expect(tokens(v)).toHaveLength(3);
    expect(v.root.querySelector(".interplay-ann-page")?.textContent).toBe("text 2 / 2");
    expect(tokens(v)[2].querySelector(".interplay-ann-text")?.textContent).toBe("↵");
    key(v, "ArrowRight");
    key(v, "2");
    expect(spans(lastRecords())).toEqual(["0:0-1:name", "1:1-2:verb"]);
    key(v, "PageDown"); // no third text
    expect(edits.at(-1)?.index).toBeUndefined();
    key(v, "[");
    expect(edits.at(-1)).toEqual({ index: 0 });
  });

  it("follows Python: new records redraw, errors show, values colour tokens with a legend", () => {
    const v = make();
    v.update({ annotations: [makeRecord(state(), 0, 3, 4, "other")] });
    expect(tokens(v)[3].querySelector<HTMLElement>(".interplay-ann-underline")?.dataset.label).toBe("other");
    v.update({ error: "edit refused: annotation 0: label 'x' is not one of the labels" });
    const err = v.root.querySelector<HTMLElement>(".interplay-error");
    expect(err?.hidden).toBe(false);
    expect(err?.textContent).toContain("edit refused");
    v.update({ error: "" });
    expect(err?.hidden).toBe(true);
    const vals = new Float32Array([0, 1, 2, 3, 4, 5, 1, NaN, 2, NaN, NaN, NaN]);
    v.update({
      values: payloadOf(vals, "float32", [2, 6], { dims: ["text", "pos"], vmin: 0, vmax: 5 }),
      scale: { kind: "sequential", cmap: "viridis", center: null },
    });
    const bg = tokens(v).map((t) => (t.querySelector(".interplay-ann-text") as HTMLElement).style.backgroundColor);
    expect(new Set(bg).size).toBe(6);
    expect(v.root.querySelector<HTMLElement>(".interplay-legend")?.hidden).toBe(false);
  });
});

describe("keyAction", () => {
  it("maps keys to actions and leaves others alone", () => {
    expect(keyAction({ key: "z" })).toEqual({ kind: "undo" });
    expect(keyAction({ key: "z", ctrlKey: true })).toEqual({ kind: "undo" });
    expect(keyAction({ key: "Z", ctrlKey: true, shiftKey: true })).toEqual({ kind: "redo" });
    expect(keyAction({ key: "y", metaKey: true })).toEqual({ kind: "redo" });
    expect(keyAction({ key: "5" })).toEqual({ kind: "label", index: 4 });
    expect(keyAction({ key: "0" })).toBeNull();
    expect(keyAction({ key: "c", ctrlKey: true })).toBeNull();
    expect(keyAction({ key: "1", ctrlKey: true })).toBeNull();
  });
});

describe("Annotator glue", () => {
  it("sends edits to the model, follows its changes, and cleans up", () => {
    const model = new FakeModel<AnnotatorState>(state());
    const el = document.createElement("div");
    host.append(el);
    const cleanup = widget.render({ model, el });
    const root = el.querySelector<HTMLElement>(".interplay-annotator") as HTMLElement;
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "1", bubbles: true }));
    expect(model.saved).toBe(1);
    expect(spans(model.get("annotations"))).toEqual(["0:1-2:name"]);
    // Python refuses an edit: it restores the records and sets error; the view follows
    model.set("annotations", []);
    model.set("error", "edit refused: bad");
    expect(el.querySelectorAll(".interplay-ann-underline")).toHaveLength(0);
    expect(el.querySelector(".interplay-error")?.textContent).toBe("edit refused: bad");
    // a re-render (new view on the same model) shows the records
    model.set("annotations", [makeRecord(state(), 0, 0, 2, "verb")]);
    const el2 = document.createElement("div");
    host.append(el2);
    const cleanup2 = widget.render({ model, el: el2 });
    expect(el2.querySelectorAll(".interplay-ann-underline")).toHaveLength(2);
    const before = model.listenerCount();
    cleanup();
    cleanup2();
    expect(model.listenerCount()).toBeLessThan(before);
    expect(model.listenerCount()).toBe(0);
  });
});

describe("Annotator labels file", () => {
  it("says where the labels are saved (as text), and nothing without a file", () => {
    const v = make(state());
    const saved = v.root.querySelector<HTMLElement>(".interplay-ann-saved") as HTMLElement;
    expect(saved.hidden).toBe(true);
    expect(saved.textContent).toBe("");
    v.update({ saved_to: `labels/${XSS}.jsonl` });
    expect(saved.hidden).toBe(false);
    expect(saved.textContent).toBe(`saved to labels/${XSS}.jsonl`);
    expect(saved.title).toContain("as it is made");
    expect(v.root.querySelector("img")).toBeNull();
    v.update({ saved_to: "" });
    expect(saved.hidden).toBe(true);
  });
});
