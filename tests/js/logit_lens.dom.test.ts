// @vitest-environment jsdom
/**
 * The LogitLens view in jsdom: DOM contract, controls that edit traits, target errors, busy
 * state, selection, bad data, text-only tokens, drawing (top-1 text legible on every cell).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { LogitLensView, type LensEdit, type LogitLensState } from "../../js/views/logit_lens";
import { payloadOf } from "./helpers";
import { lensState, recordingContext, targetTraits, type Call } from "./lens_dla_fixtures";

// jsdom: no layout, so the canvas sits at (0, 0); cells are 72 px wide (long labels) and 20 px tall.
const CELL_W = 72;
const CELL_H = 20;
const at = (layer: number, pos: number): MouseEventInit => ({
  clientX: pos * CELL_W + CELL_W / 2,
  clientY: layer * CELL_H + CELL_H / 2,
  bubbles: true,
});

let host: HTMLElement;
let views: LogitLensView[] = [];
let edits: LensEdit[] = [];
const make = (s: Partial<LogitLensState> = lensState()): LogitLensView => {
  const v = new LogitLensView(host, s, { onEdit: (e) => void edits.push(e) });
  views.push(v);
  return v;
};
const q = <E extends Element>(v: LogitLensView, sel: string): E => v.root.querySelector(sel) as E;
const key = (v: LogitLensView, k: string, target: Element = v.root): void =>
  void target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

beforeEach(() => {
  host = document.createElement("div");
  document.body.append(host);
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
  edits = [];
});

afterEach(() => {
  for (const v of views) v.destroy();
  views = [];
  host.remove();
  vi.restoreAllMocks();
});

describe("LogitLensView DOM contract", () => {
  it("builds the contract elements without a canvas implementation", () => {
    const v = make();
    v.draw();
    const root = host.querySelector(".interplay-logit-lens") as HTMLElement;
    expect(root).toBe(v.root);
    expect(root.tabIndex).toBe(0);
    expect(root.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    expect(root.querySelectorAll("canvas.interplay-lens-canvas")).toHaveLength(1);
    const controls = q(v, ".interplay-lens-controls");
    expect(controls.querySelector("select.interplay-lens-mode")).not.toBeNull();
    expect(controls.querySelector("input.interplay-lens-target")).not.toBeNull();
    expect(controls.querySelector("input.interplay-lens-ln")).not.toBeNull();
    expect(q<HTMLElement>(v, ".interplay-busy").hidden).toBe(true);
    expect(q<HTMLElement>(v, ".interplay-target-error").hidden).toBe(true);
    expect(q<HTMLElement>(v, ".interplay-error").hidden).toBe(true);
    expect(q(v, ".interplay-legend").textContent).toContain("top-1 probability");
    expect(q(v, ".interplay-notes").textContent).toBe("final LayerNorm applied to every layer's residual stream");
    expect([...root.querySelectorAll(".interplay-row-label")].map((e) => e.textContent)).toEqual(["embed", "L0", "<b>L1</b>"]);
    expect(root.querySelectorAll("img, b, script")).toHaveLength(0);
    expect(document.getElementById("interplay-style-logit-lens")).not.toBeNull();
    expect(document.getElementById("interplay-style")).not.toBeNull();
  });

  it("lists the modes and disables the target modes until there is a valid target", () => {
    const v = make();
    const select = q<HTMLSelectElement>(v, "select.interplay-lens-mode");
    const options = [...select.options].map((o) => [o.value, o.textContent, o.disabled]);
    expect(options).toEqual([
      ["top1_prob", "top-1 probability", false],
      ["target_prob", "target probability", true],
      ["target_rank", "target rank", true],
      ["kl", "KL to final", false],
    ]);
    v.update(targetTraits());
    expect([...select.options].map((o) => o.disabled)).toEqual([false, false, false, false]);
    v.update({ target_probs: {}, target_ranks: {} });
    expect(select.options[1].disabled).toBe(true);
    v.update({ mode: "kl" });
    expect(select.value).toBe("kl");
    expect(q(v, ".interplay-legend").textContent).toContain("KL to final");
  });

  it("sets mode, target and apply_ln through edits", () => {
    const v = make();
    const select = q<HTMLSelectElement>(v, "select.interplay-lens-mode");
    select.value = "kl";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(edits.at(-1)).toEqual({ mode: "kl" });

    const input = q<HTMLInputElement>(v, "input.interplay-lens-target");
    input.value = " Mary";
    key(v, "Enter", input);
    expect(edits.at(-1)).toEqual({ target: " Mary", mode: "target_prob" });
    input.value = " John";
    q<HTMLButtonElement>(v, "button.interplay-lens-target-set").click();
    expect(edits.at(-1)).toEqual({ target: " John", mode: "target_prob" });
    // Already colouring by the target's rank: a new target keeps that mode; clearing leaves it.
    v.update({ ...targetTraits(), mode: "target_rank" });
    input.value = " Paris";
    key(v, "Enter", input);
    expect(edits.at(-1)).toEqual({ target: " Paris", mode: "target_rank" });
    input.value = "";
    key(v, "Enter", input);
    expect(edits.at(-1)).toEqual({ target: "", mode: "top1_prob" });

    const ln = q<HTMLInputElement>(v, "input.interplay-lens-ln");
    expect(ln.checked).toBe(true);
    ln.click();
    expect(edits.at(-1)).toEqual({ apply_ln: false });
    v.update({ apply_ln: false });
    expect(ln.checked).toBe(false);
    // Typing in the input is not grid navigation.
    expect(edits.some((e) => "selected" in e)).toBe(false);
  });

  it("shows the target error, the busy state and the notes", () => {
    const v = make();
    const err = q<HTMLElement>(v, ".interplay-target-error");
    v.update({ target: "Marry", target_error: `"Marry" is 2 tokens <b>x</b>` });
    expect(err.hidden).toBe(false);
    expect(err.textContent).toBe(`"Marry" is 2 tokens <b>x</b>`);
    expect(err.querySelectorAll("b")).toHaveLength(0);
    expect(q<HTMLInputElement>(v, "input.interplay-lens-target").value).toBe("Marry");
    v.update({ target_error: "" });
    expect(err.hidden).toBe(true);

    v.update({ computing: true });
    const busy = q<HTMLElement>(v, ".interplay-busy");
    expect(busy.hidden).toBe(false);
    expect(busy.textContent).toBe("computing…");
    expect(v.root.getAttribute("aria-busy")).toBe("true");
    v.update({ computing: false });
    expect(busy.hidden).toBe(true);

    v.update({ notes: ["a", "b"] });
    expect([...v.root.querySelectorAll(".interplay-notes .interplay-note")].map((e) => e.textContent)).toEqual(["a", "b"]);
    v.update({ notes: [] });
    expect(q<HTMLElement>(v, ".interplay-notes").hidden).toBe(true);
  });

  it("names the target Python answered, not one being typed or refused", () => {
    const v = make(lensState({ ...targetTraits(), mode: "target_prob" }));
    const caption = (): string => q(v, ".interplay-legend-caption").textContent ?? "";
    const tipAt = (layer: number, pos: number): string[] => {
      q<HTMLCanvasElement>(v, "canvas.interplay-lens-canvas").dispatchEvent(new MouseEvent("pointermove", at(layer, pos)));
      return [...q<HTMLElement>(v, ".interplay-tooltip").children].map((e) => e.textContent ?? "");
    };
    expect(caption()).toBe("target probability of ␣Mary");
    v.update({ target: "Mary and John" });
    v.update({ target_error: "not a single token" });
    expect(caption()).toBe("target probability of ␣Mary");
    expect(tipAt(0, 0).at(-1)).toBe("target ␣Mary: 0.250, rank 0 (0 = top)");
    v.update({ target: " John" });
    v.update({ target_error: "", target_probs: targetTraits().target_probs });
    expect(caption()).toBe("target probability of ␣John");
    expect(tipAt(0, 0).at(-1)).toMatch(/^target ␣John: /);
    v.update({ target: "", target_probs: {}, target_ranks: {}, mode: "top1_prob" });
    expect(caption()).toBe("top-1 probability");
    expect(tipAt(0, 0).at(-1)).toBe("2. ␣John  1e-4");
  });

  it("shows the hover tooltip as text only", () => {
    const v = make(lensState(targetTraits()));
    const canvas = q<HTMLCanvasElement>(v, "canvas.interplay-lens-canvas");
    canvas.dispatchEvent(new MouseEvent("pointermove", at(0, 0)));
    const tip = q<HTMLElement>(v, ".interplay-tooltip");
    expect(tip.hidden).toBe(false);
    const lines = [...tip.children].map((e) => e.textContent);
    expect(lines).toEqual(["embed · pos 0 · <img␣src=x␣onerror=alert(1)>", "1. ␣Mary  0.500", "2. ␣John  1e-4", "target ␣Mary: 0.250, rank 0 (0 = top)"]);
    expect(document.querySelectorAll("img")).toHaveLength(0);
    canvas.dispatchEvent(new MouseEvent("pointermove", at(2, 2)));
    expect(tip.children[0].textContent).toBe("<b>L1</b> · pos 2 · ↵");
    expect(tip.querySelectorAll("b")).toHaveLength(0);
    canvas.dispatchEvent(new MouseEvent("pointerleave"));
    expect(tip.hidden).toBe(true);
  });

  it("selects by click and keyboard", () => {
    const v = make();
    q<HTMLCanvasElement>(v, "canvas.interplay-lens-canvas").dispatchEvent(new MouseEvent("click", at(2, 1)));
    expect(edits.at(-1)).toEqual({ selected: { layer: 2, pos: 1 } });
    v.root.focus();
    key(v, "ArrowUp");
    key(v, "ArrowRight");
    key(v, "Enter");
    expect(edits.at(-1)).toEqual({ selected: { layer: 1, pos: 2 } });
    expect(q(v, ".interplay-sr-only").textContent).toContain("L0 · pos 2");
    key(v, "Escape");
    expect(edits.at(-1)).toEqual({ selected: null });
    // A selection from Python moves the cursor there.
    v.update({ selected: { layer: 0, pos: 3 } });
    key(v, "ArrowDown");
    key(v, "Enter");
    expect(edits.at(-1)).toEqual({ selected: { layer: 1, pos: 3 } });
  });

  it("shows a visible error for bad shapes, and recovers", () => {
    const v = make(lensState({ tokens: ["a", "b"] }));
    const error = q<HTMLElement>(v, ".interplay-error");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/logit lens: 2 tokens, but color has 4 positions/);
    expect(q<HTMLElement>(v, ".interplay-body").hidden).toBe(true);
    // The controls stay usable.
    expect(q<HTMLElement>(v, ".interplay-lens-controls").hidden).toBe(false);
    v.update({ tokens: ["a", "b", "c", "d"] });
    expect(error.hidden).toBe(true);
    expect(q<HTMLElement>(v, ".interplay-body").hidden).toBe(false);
    v.update({ target_ranks: payloadOf(new Int32Array(4), "int32", [1, 4]) });
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/target_ranks must have shape/);
  });
});

describe("LogitLensView drawing", () => {
  const record = (calls: Call[]): void => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function (this: HTMLCanvasElement) {
      return recordingContext(this, calls);
    } as unknown as HTMLCanvasElement["getContext"]);
  };

  it("writes the top-1 token in each cell, white on dark cells and black on light ones", () => {
    const calls: Call[] = [];
    record(calls);
    // Alternate 0 (viridis' dark purple) and 1 (its light yellow).
    const color = Float32Array.from({ length: 12 }, (_, i) => i % 2);
    const v = make(lensState({ color: payloadOf(color, "float32", [3, 4], { dims: ["layer", "pos"], vmin: 0, vmax: 1 }), selected: { layer: 1, pos: 1 } }));
    calls.length = 0;
    v.draw();
    const texts = calls.filter(([m]) => m === "fillText").map(([, a]) => a);
    const cells = texts.filter((a) => ["␣Mary", "␣John", "<b>x</b>", "→"].includes(a[0] as string));
    expect(cells).toHaveLength(12);
    // Cell (0, 0) is dark: " Mary" in white; (0, 1) is light: " John" in black.
    expect(cells[0]).toEqual(["␣Mary", 36, 10, "#fff"]);
    expect(cells[1]).toEqual(["␣John", 108, 10, "#000"]);
    // The header shows the input tokens (truncated to the column), as text.
    expect(texts.map((a) => a[0])).toEqual(expect.arrayContaining(["<img␣src…", "␣the", "↵", "cat"]));
    expect(calls.some(([m]) => m === "drawImage")).toBe(true);
    expect(calls.filter(([m]) => m === "strokeRect").length).toBeGreaterThanOrEqual(2); // selection ring
    expect(document.querySelectorAll("img")).toHaveLength(0);
  });

  it("virtualises: 4,096 positions × 48 layers draw only the visible window", () => {
    const calls: Call[] = [];
    record(calls);
    const L = 48;
    const P = 4096;
    const ids = Int32Array.from({ length: L * P }, (_, i) => i % 7);
    const probs = Float32Array.from({ length: L * P }, (_, i) => (i % 10) / 10);
    const v = make({
      ...lensState(),
      tokens: Array.from({ length: P }, (_, i) => `t${i}`),
      layer_labels: Array.from({ length: L }, (_, i) => `L${i}`),
      token_table: ["a", "b", "c", "d", "e", "f", "g"],
      top_ids: payloadOf(ids, "int32", [L, P, 1], { dims: ["layer", "pos", "k"] }),
      top_probs: payloadOf(probs, "float32", [L, P, 1], { dims: ["layer", "pos", "k"] }),
      color: payloadOf(probs, "float32", [L, P], { dims: ["layer", "pos"], vmin: 0, vmax: 1 }),
    });
    calls.length = 0;
    v.draw();
    const n = calls.filter(([m]) => m === "fillText").length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(48 * 30); // the visible columns of each row, not 4,096
    expect(parseFloat(q<HTMLElement>(v, ".interplay-track").style.width)).toBeGreaterThan(P * 20);
  });

  it("keeps the zoom when new data for the same tokens arrives", () => {
    const v = make();
    const track = q<HTMLElement>(v, ".interplay-track");
    const before = track.style.width;
    (v.root.querySelector('button[aria-label="Zoom in"]') as HTMLButtonElement).click();
    const zoomed = track.style.width;
    expect(parseFloat(zoomed)).toBeGreaterThan(parseFloat(before));
    v.update({ color: lensState().color, mode: "kl" });
    expect(track.style.width).toBe(zoomed);
    v.update({ tokens: ["w", "x", "y", "z"] });
    expect(parseFloat(track.style.width)).toBeLessThan(parseFloat(zoomed));
  });

  it("removes itself on destroy", () => {
    const v = make();
    v.destroy();
    expect(host.querySelector(".interplay-logit-lens")).toBeNull();
    views = [];
  });
});
