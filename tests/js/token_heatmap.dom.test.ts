// @vitest-environment jsdom
/**
 * The TokenHeatmap view in jsdom: DOM contract, text-only token rendering, degraded drawing
 * without canvas, errors shown in the view, selection by click and keyboard.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { TokenHeatmapView, type TokenHeatmapState } from "../../js/views/token_heatmap";
import { payloadOf } from "./helpers";

const XSS = "<img src=x onerror=alert(1)>";

function state(overrides: Partial<TokenHeatmapState> = {}): Partial<TokenHeatmapState> {
  // 2 rows × 3 tokens (non-square), one NaN.
  const values = new Float32Array([0.5, -1, NaN, 1.25, 0, 0.1]);
  return {
    tokens: [XSS, " the", "\n"],
    values: payloadOf(values, "float32", [2, 3], { dims: ["row", "pos"], vmin: -1.25, vmax: 1.25 }),
    row_labels: ["layer 0", "<b>layer 1</b>"],
    scale: { kind: "diverging", cmap: "rdbu", center: 0 },
    title: "Attribution <script>",
    value_label: "attr",
    selected: null,
    ...overrides,
  };
}

type Call = [string, unknown[]];

/** A 2D context that records every call (jsdom has none). */
function recordingContext(canvas: HTMLCanvasElement, calls: Call[]): CanvasRenderingContext2D {
  const target: Record<string | symbol, unknown> = {
    canvas,
    measureText: (s: string) => ({ width: s.length * 7 }),
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    createPattern: () => ({}),
  };
  return new Proxy(target, {
    get(t, prop) {
      if (prop in t) return t[prop];
      return (...args: unknown[]) => void calls.push([String(prop), args]);
    },
    set(t, prop, value) {
      t[prop] = value;
      return true;
    },
  }) as unknown as CanvasRenderingContext2D;
}

function cellPoint(view: TokenHeatmapView, row: number, col: number, cellWidth = 72, cellHeight = 24): MouseEventInit {
  void view;
  return { clientX: col * cellWidth + cellWidth / 2, clientY: row * cellHeight + cellHeight / 2, bubbles: true };
}

let host: HTMLElement;
let views: TokenHeatmapView[] = [];
const make = (s = state(), onSelect?: (sel: unknown) => void): TokenHeatmapView => {
  const v = new TokenHeatmapView(host, s, { onSelect });
  views.push(v);
  return v;
};

beforeEach(() => {
  host = document.createElement("div");
  document.body.append(host);
  // jsdom implements no canvas: getContext returning null must not break the view.
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
});

afterEach(() => {
  for (const v of views) v.destroy();
  views = [];
  host.remove();
  vi.restoreAllMocks();
});

describe("TokenHeatmapView DOM contract", () => {
  it("builds the contract elements without a canvas implementation", () => {
    const view = make();
    view.draw();
    const root = host.querySelector(".interplay-token-heatmap") as HTMLElement;
    expect(root).toBe(view.root);
    expect(root.tabIndex).toBe(0);
    expect(root.querySelectorAll("canvas.interplay-heatmap-canvas")).toHaveLength(1);
    expect(root.querySelector(".interplay-legend")).not.toBeNull();
    expect(root.querySelector(".interplay-tooltip")).not.toBeNull();
    expect((root.querySelector(".interplay-error") as HTMLElement).hidden).toBe(true);
    expect(root.querySelector(".interplay-title")?.textContent).toBe("Attribution <script>");
    expect(root.querySelector(".interplay-legend")?.textContent).toContain("attr");
    expect(root.querySelector(".interplay-legend-min")?.textContent).toBe("-1.25");
    expect(root.querySelector(".interplay-legend-max")?.textContent).toBe("1.25");
    expect(root.querySelector(".interplay-legend-center")?.textContent).toBe("0");
    expect((root.querySelector(".interplay-legend-nan") as HTMLElement).hidden).toBe(false);
    const labels = [...root.querySelectorAll(".interplay-row-label")].map((e) => e.textContent);
    expect(labels).toEqual(["layer 0", "<b>layer 1</b>"]);
    // No element per cell, and nothing from the data parsed as HTML.
    expect(root.querySelectorAll("img, b, script")).toHaveLength(0);
    expect(root.querySelectorAll("canvas").length).toBeLessThan(6);
  });

  it("injects the stylesheet once for many views", () => {
    make();
    make();
    expect(document.querySelectorAll("style#interplay-style")).toHaveLength(1);
    expect(document.getElementById("interplay-style")?.textContent).toContain(".interplay-tooltip");
  });

  it("shows the hovered token only as text in the tooltip", () => {
    const view = make();
    const canvas = view.root.querySelector("canvas.interplay-heatmap-canvas") as HTMLCanvasElement;
    canvas.dispatchEvent(new MouseEvent("pointermove", cellPoint(view, 1, 0)));
    const tip = view.root.querySelector(".interplay-tooltip") as HTMLElement;
    expect(tip.hidden).toBe(false);
    const lines = [...tip.children].map((e) => e.textContent);
    expect(lines).toEqual(["<img␣src=x␣onerror=alert(1)>", `"${XSS}"`, "pos 0", "<b>layer 1</b>", "attr: 1.25"]);
    expect(tip.querySelectorAll("img, b")).toHaveLength(0);
    expect(document.querySelectorAll("img")).toHaveLength(0);

    canvas.dispatchEvent(new MouseEvent("pointermove", cellPoint(view, 0, 2)));
    expect([...tip.children].map((e) => e.textContent)).toEqual(["↵", '"\\n"', "pos 2", "layer 0", "attr: NaN"]);

    canvas.dispatchEvent(new MouseEvent("pointerleave"));
    expect(tip.hidden).toBe(true);
  });

  it("selects by click, by keyboard, and clears with Escape", () => {
    const onSelect = vi.fn();
    const view = make(state(), onSelect);
    const canvas = view.root.querySelector("canvas.interplay-heatmap-canvas") as HTMLCanvasElement;
    canvas.dispatchEvent(new MouseEvent("click", cellPoint(view, 1, 2)));
    expect(onSelect).toHaveBeenLastCalledWith({ row: 1, pos: 2 });

    const key = (k: string): void => void view.root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    view.root.focus();
    key("ArrowLeft");
    key("ArrowUp");
    key("Enter");
    expect(onSelect).toHaveBeenLastCalledWith({ row: 0, pos: 1 });
    key("End");
    key(" ");
    expect(onSelect).toHaveBeenLastCalledWith({ row: 0, pos: 2 });
    key("Home");
    key("Enter");
    expect(onSelect).toHaveBeenLastCalledWith({ row: 0, pos: 0 });
    expect(view.root.querySelector(".interplay-sr-only")?.textContent).toContain("pos 0");
    key("Escape");
    expect(onSelect).toHaveBeenLastCalledWith(null);
    expect(onSelect).toHaveBeenCalledTimes(5);
  });

  it("moves the keyboard cursor to a selection set from Python", () => {
    const onSelect = vi.fn();
    const view = make(state(), onSelect);
    view.update({ selected: { row: 1, pos: 1 } });
    view.root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    view.root.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(onSelect).toHaveBeenCalledWith({ row: 1, pos: 2 });
  });

  it("shows a visible error for bad data, and recovers", () => {
    const view = make(state({ tokens: ["a", "b"] }));
    const error = view.root.querySelector(".interplay-error") as HTMLElement;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/2 tokens, but values have 3 positions/);
    expect((view.root.querySelector(".interplay-body") as HTMLElement).hidden).toBe(true);

    view.update({ tokens: ["a", "b", "c"], row_labels: ["only one"] });
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/1 row labels, but values have 2 rows/);

    view.update({ row_labels: ["x", "y"] });
    expect(error.hidden).toBe(true);
    expect((view.root.querySelector(".interplay-body") as HTMLElement).hidden).toBe(false);

    const bad = payloadOf(new Float32Array(5), "float32", [2, 3]);
    view.update({ values: bad });
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/needs 24 bytes .* but data has 20/);

    view.update({ values: null });
    expect(error.textContent).toMatch(/no values/);
  });

  it("removes itself on destroy", () => {
    const view = make();
    view.destroy();
    expect(host.querySelector(".interplay-token-heatmap")).toBeNull();
    views = [];
  });
});

describe("TokenHeatmapView drawing", () => {
  it("draws tokens with fillText and the grid with drawImage", () => {
    const calls: Call[] = [];
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function (this: HTMLCanvasElement) {
      return recordingContext(this, calls);
    } as unknown as HTMLCanvasElement["getContext"]);
    const view = make(state({ selected: { row: 0, pos: 1 } }));
    calls.length = 0;
    view.draw();
    const texts = calls.filter(([m]) => m === "fillText").map(([, a]) => a[0]);
    // Long labels are truncated to the column width, as text.
    expect(texts).toEqual(expect.arrayContaining(["<img␣src…", "␣the", "↵"]));
    expect(calls.some(([m]) => m === "drawImage")).toBe(true);
    expect(calls.filter(([m]) => m === "strokeRect").length).toBeGreaterThanOrEqual(2); // selection ring
    expect(document.querySelectorAll("img")).toHaveLength(0);
  });

  it("draws tokens inside the cells when there is one row", () => {
    const calls: Call[] = [];
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function (this: HTMLCanvasElement) {
      return recordingContext(this, calls);
    } as unknown as HTMLCanvasElement["getContext"]);
    const one = payloadOf(new Float32Array([0, 1, 2]), "float32", [1, 3], { dims: ["row", "pos"], vmin: 0, vmax: 2 });
    const view = make(state({ values: one, row_labels: [""], scale: { kind: "sequential", cmap: "viridis", center: null } }));
    calls.length = 0;
    view.draw();
    const header = view.root.querySelector(".interplay-header-canvas") as HTMLCanvasElement;
    expect(header.hidden).toBe(true);
    expect((view.root.querySelector(".interplay-gutter") as HTMLElement).hidden).toBe(true);
    const texts = calls.filter(([m]) => m === "fillText").map(([, a]) => a[0]);
    expect(texts).toEqual(["<img␣src…", "␣the", "↵"]);
    expect((view.root.querySelector(".interplay-legend-nan") as HTMLElement).hidden).toBe(true);
  });

  it("virtualises: 4,096 tokens × 48 rows draw only the visible columns", () => {
    const calls: Call[] = [];
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function (this: HTMLCanvasElement) {
      return recordingContext(this, calls);
    } as unknown as HTMLCanvasElement["getContext"]);
    const rows = 48;
    const cols = 4096;
    const values = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i));
    const view = make({
      tokens: Array.from({ length: cols }, (_, i) => `t${i}`),
      values: payloadOf(values, "float32", [rows, cols], { dims: ["row", "pos"], vmin: -1, vmax: 1 }),
      row_labels: Array.from({ length: rows }, (_, i) => `L${i}`),
      scale: { kind: "diverging", cmap: "rdbu", center: 0 },
    });
    calls.length = 0;
    view.draw();
    const labels = calls.filter(([m]) => m === "fillText");
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.length).toBeLessThan(100); // the visible window, not 4,096
    const canvas = view.root.querySelector("canvas.interplay-heatmap-canvas") as HTMLCanvasElement;
    expect(canvas.width).toBeLessThanOrEqual(640 * 2);
    const track = view.root.querySelector(".interplay-track") as HTMLElement;
    expect(parseFloat(track.style.width)).toBeGreaterThan(4096 * 20);
  });
});
