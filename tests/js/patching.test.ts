// @vitest-environment jsdom
/**
 * The PatchingExplorer: its pure pieces (validation, tooltip, top-k rows, scatter geometry) and the
 * view in jsdom (contract, click → `cell` request → three top-k lists, controls, errors as text).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { PatchingView, type PatchingState } from "../../js/views/patching";
import { cellTooltip, prepare, scatterPoints, topRows, validSelection, DEFAULT_STATE } from "../../js/views/patching_model";
import { payloadOf } from "./helpers";

const XSS = "<img src=x onerror=alert(1)>";

/** 2 layers × 3 heads (non-square, so a transposed axis shows). */
function headState(o: Partial<PatchingState> = {}): PatchingState {
  return {
    ...DEFAULT_STATE,
    values: payloadOf(new Float32Array([0.1, -0.5, 1, 0.25, 0, -1]), "float32", [2, 3], { vmin: -1, vmax: 1 }),
    row_labels: ["L0", "L1"], col_labels: ["H0", "H1", "H2"], row_axis: "layer", col_axis: "head",
    tokens: ["When", " Mary"], corrupted_tokens: ["When", " John"], differing: [1],
    component: "z", components: ["resid_pre", "z"], by: "layer_head", method: "exact",
    metric: "logit diff", metrics: ["logit diff", "KL(clean || patched)"], direction: "denoising",
    value_label: "logit diff (0 = corrupted, 1 = clean)", title: "z by layer × head", notes: ["a note"],
    ...o,
  };
}

function posState(): PatchingState {
  return headState({
    values: payloadOf(new Float32Array([0, 1, 0, 0.5]), "float32", [2, 2], { vmin: 0, vmax: 1 }),
    col_labels: ["When", " Mary"], col_axis: "pos", component: "resid_pre", by: "layer_pos",
  });
}

const cellResult = {
  label: "L1 H2", metric: 1.5, value: 0.75,
  clean: { tokens: [" Mary", XSS], probs: [0.5, 0.25] },
  corrupted: { tokens: [" John", " Mary"], probs: [0.4, 0.3] },
  patched: { tokens: [" Mary", "\n"], probs: [0.45, 0.1] },
};

describe("patching model", () => {
  it("validates shapes and labels, and centres the scale at 0", () => {
    const p = prepare(headState());
    expect([p.rows, p.cols]).toEqual([2, 3]);
    expect(p.grid.get(1, 2)).toBe(-1);
    expect(p.scale.center).toBe(0);
    expect(p.differing.size).toBe(0); // columns are heads, not positions
    expect(prepare(posState()).differing).toEqual(new Set([1]));
    expect(prepare(posState()).colLabels).toEqual(["When", "␣Mary"]);
    expect(() => prepare(headState({ row_labels: ["L0"] }))).toThrow(/1 row labels for 2 rows/);
    expect(() => prepare(headState({ values: payloadOf(new Float32Array(6), "float32", [6]) }))).toThrow(/2-D/);
    expect(() => prepare(headState({ values: {} }))).toThrow(/no patching values/);
  });

  it("writes tooltips with the clean and corrupted token at a position", () => {
    const s = posState();
    expect(cellTooltip(prepare(s), s, 0, 1)).toEqual(["layer L0", "pos 1: ␣Mary → corrupted ␣John", "logit diff (0 = corrupted, 1 = clean): 1", "click: run this patch"]);
    const h = headState();
    expect(cellTooltip(prepare(h), h, 1, 2)[1]).toBe("head H2");
  });

  it("formats top-k rows, checks selections, lays out the scatter", () => {
    expect(topRows(cellResult.patched)).toEqual([["␣Mary", "45%"], ["↵", "10%"]]);
    expect(validSelection({ row: 1, col: 2 }, { rows: 2, cols: 3 })).toEqual({ row: 1, col: 2 });
    expect(validSelection({ row: 2, col: 0 }, { rows: 2, cols: 3 })).toBeNull();
    const sc = scatterPoints(payloadOf(new Float32Array([0, 1, 2, 0, 1, 2]), "float32", [2, 3]), 100, 10);
    expect(sc?.points).toEqual([{ x: 10, y: 90 }, { x: 50, y: 50 }, { x: 90, y: 10 }]);
    expect(scatterPoints({}, 100, 10)).toBeNull();
  });
});

const CELL_W = 28;
const CELL_H = 22;
const at = (row: number, col: number): MouseEventInit => ({ clientX: col * CELL_W + 14, clientY: row * CELL_H + 11, bubbles: true });

describe("PatchingView", () => {
  let host: HTMLElement;
  let views: PatchingView[] = [];
  beforeEach(() => {
    host = document.createElement("div");
    document.body.append(host);
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
  });
  afterEach(() => {
    for (const v of views) v.destroy();
    views = [];
    host.remove();
    vi.restoreAllMocks();
  });

  it("builds the contract and runs a clicked cell through a request", async () => {
    const calls: [string, object][] = [];
    const selected: unknown[] = [];
    const v = new PatchingView(host, headState(), {
      request: async (method, params) => {
        calls.push([method, params]);
        return cellResult;
      },
      onSelect: (c) => void selected.push(c),
    });
    views.push(v);
    v.draw();
    const root = host.querySelector(".interplay-patching") as HTMLElement;
    expect(root.tabIndex).toBe(0);
    expect(root.querySelectorAll("canvas.interplay-patching-canvas")).toHaveLength(1);
    expect(root.querySelector(".interplay-patching-title")?.textContent).toBe("z by layer × head");
    expect([...root.querySelectorAll(".interplay-row-label")].map((e) => e.textContent)).toEqual(["L0", "L1"]);
    root.querySelector("canvas.interplay-patching-canvas")?.dispatchEvent(new MouseEvent("click", at(1, 2)));
    expect(selected).toEqual([{ row: 1, col: 2 }]);
    await vi.waitFor(() => expect(root.querySelectorAll(".interplay-topk")).toHaveLength(3));
    expect(calls).toEqual([["cell", { row: 1, col: 2, k: 10 }]]);
    const rows = (key: string): (string | null)[] => [...root.querySelectorAll(`.interplay-topk-${key} td:first-child`)].map((e) => e.textContent);
    expect(rows("clean")).toEqual(["␣Mary", XSS.split(" ").join("␣")]);
    expect(rows("corrupted")).toEqual(["␣John", "␣Mary"]);
    expect(rows("patched")).toEqual(["␣Mary", "↵"]);
    expect(root.querySelectorAll("img, script")).toHaveLength(0);
    expect(root.querySelector(".interplay-patching-cell")?.textContent).toMatch(/^L1 H2: value 0.75/);
  });

  it("shows a failed request as text, and the controls report changes", async () => {
    const set: [string, string][] = [];
    const v = new PatchingView(host, headState(), {
      request: async () => Promise.reject(new Error(`no ${XSS}`)),
      onSet: (t, val) => void set.push([t, val]),
    });
    views.push(v);
    const root = v.root;
    root.querySelector("canvas.interplay-patching-canvas")?.dispatchEvent(new MouseEvent("click", at(0, 0)));
    await vi.waitFor(() => expect(root.querySelector(".interplay-error")?.textContent).toBe(`no ${XSS}`));
    const method = root.querySelector("select.interplay-patching-method") as HTMLSelectElement;
    method.value = "attribution";
    method.dispatchEvent(new Event("change"));
    expect(set).toEqual([["method", "attribution"]]);
    v.update({ computing: true });
    expect((root.querySelector(".interplay-patching-controls .interplay-busy") as HTMLElement).hidden).toBe(false);
    expect(method.disabled).toBe(true);
  });

  it("shows the AtP scatter only when both methods are known", () => {
    const v = new PatchingView(host, headState());
    views.push(v);
    const box = v.root.querySelector(".interplay-patching-scatter-box") as HTMLElement;
    expect(box.hidden).toBe(true);
    v.update({ compare: payloadOf(new Float32Array([0, 1, 2, 0, 1, 2]), "float32", [2, 3]), compare_r: 0.987 });
    expect(box.hidden).toBe(false);
    expect(box.textContent).toMatch(/3 cells, r = 0.987/);
  });

  it("shows bad data as an error, not a crash", () => {
    const v = new PatchingView(host, headState({ col_labels: [] }));
    views.push(v);
    expect(v.root.querySelector(".interplay-error")?.textContent).toMatch(/0 column labels for 3 columns/);
  });
});
