// @vitest-environment jsdom
/**
 * The DLA view: its pure pieces (scale centred at 0, tooltip lines, bar geometry, validation) and
 * the view in jsdom (contract, click/keyboard selection, bars as text, bad shapes).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { DLAView, type DlaState, type HeadSelection } from "../../js/views/dla";
import { barLayout, headTooltipLines, prepare, shareText, totalText, zeroCentredScale } from "../../js/views/dla_model";
import { payloadOf } from "./helpers";
import { dlaState, recordingContext, XSS, type Call } from "./lens_dla_fixtures";

describe("DLA model", () => {
  it("centres the diverging scale at 0, extending limits that miss it", () => {
    const s = zeroCentredScale(-3, 3);
    expect([s.kind, s.center, s.vmin, s.vmax]).toEqual(["diverging", 0, -3, 3]);
    expect(s.index(0)).toBe(128);
    const pos = zeroCentredScale(0.5, 2);
    expect([pos.vmin, pos.vmax, pos.center]).toEqual([0, 2, 0]);
    expect(pos.css(0)).toBe(s.css(0)); // white midpoint at 0 either way
    expect(s.rgba(3)[0]).toBeGreaterThan(s.rgba(3)[2]); // positive = red
    expect(s.rgba(-3)[2]).toBeGreaterThan(s.rgba(-3)[0]); // negative = blue
  });

  it("builds tooltip lines: the head, its exact value, its share of the total", () => {
    const p = prepare(dlaState());
    expect([p.layers, p.nHeads]).toEqual([2, 3]);
    expect(p.rowLabels).toEqual(["L0", "L1"]);
    expect(p.colLabels).toEqual(["H0", "H1", "H2"]);
    expect(headTooltipLines(p, 8, 1, 2)).toEqual(["L1 H2", "direct effect: 3", "share of total: 37.5%"]);
    expect(headTooltipLines(p, 8, 0, 0)).toEqual(["L0 H0", "direct effect: -2", "share of total: -25%"]);
    expect(shareText(1, 0)).toBe("share of total: n/a");
    expect(shareText(1, null)).toBe("share of total: n/a");
    expect(totalText(8.123456)).toBe("total: 8.123");
    expect(totalText(null)).toBe("total: n/a");
  });

  it("lays out bars from 0 to each value", () => {
    const { zeroX, bars, height } = barLayout([1, -2, NaN, 0], -2, 2, 100, 200, 10);
    expect(zeroX).toBe(200);
    expect(bars.map((b) => [b.x, b.w, b.y])).toEqual([[200, 50, 0], [100, 100, 10], [200, 0, 20], [200, 0, 30]]);
    expect(height).toBe(40);
    expect(barLayout([1, 2], 1, 2, 0, 100, 10).bars[0]).toMatchObject({ x: 0, w: 50 }); // range extended to 0
  });

  it("refuses data whose shapes disagree", () => {
    const bad = (o: Partial<DlaState>): string => {
      try {
        prepare(dlaState(o));
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(bad({ component_labels: ["a"] })).toMatch(/1 component labels, but components has 5 values/);
    expect(bad({ heads: payloadOf(new Float32Array(6), "float32", [6]) })).toMatch(/heads must be 2-D \[layer, head\], got shape \[6\]/);
    expect(bad({ components: payloadOf(new Float32Array(6), "float32", [2, 3]) })).toMatch(/components must be 1-D/);
    expect(bad({ heads: {} })).toMatch(/no head contributions/);
    expect(bad({ components: {} })).toMatch(/5 component labels, but no components/);
    expect(bad({ components: {}, component_labels: [] })).toBe("no error");
  });
});

// jsdom: no layout, so the canvas sits at (0, 0); columns "H0".. are 28 px wide, rows 22 px tall.
const CELL_W = 28;
const CELL_H = 22;
const at = (layer: number, head: number): MouseEventInit => ({ clientX: head * CELL_W + 14, clientY: layer * CELL_H + 11, bubbles: true });

describe("DLAView", () => {
  let host: HTMLElement;
  let views: DLAView[] = [];
  let selections: (HeadSelection | null)[] = [];
  const make = (s: Partial<DlaState> = dlaState()): DLAView => {
    const v = new DLAView(host, s, { onSelect: (sel) => void selections.push(sel) });
    views.push(v);
    return v;
  };
  const q = <E extends Element>(v: DLAView, sel: string): E => v.root.querySelector(sel) as E;

  beforeEach(() => {
    host = document.createElement("div");
    document.body.append(host);
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    selections = [];
  });
  afterEach(() => {
    for (const v of views) v.destroy();
    views = [];
    host.remove();
    vi.restoreAllMocks();
  });

  it("builds the contract: heads canvas, header, bars as text, notes, legend", () => {
    const v = make();
    v.draw();
    const root = host.querySelector(".interplay-dla") as HTMLElement;
    expect(root).toBe(v.root);
    expect(root.tabIndex).toBe(0);
    expect(root.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    expect(root.querySelectorAll("canvas.interplay-dla-canvas")).toHaveLength(1);
    expect(q(v, ".interplay-dla-target").textContent).toBe('logit(" Mary") - logit(" John") at pos 14');
    expect(q(v, ".interplay-dla-total").textContent).toBe("total: 8");
    expect([...root.querySelectorAll(".interplay-row-label")].map((e) => e.textContent)).toEqual(["L0", "L1"]);
    expect(q(v, ".interplay-legend-min").textContent).toBe("-3");
    expect(q(v, ".interplay-legend-center").textContent).toBe("0");
    expect(q(v, ".interplay-notes").textContent).toBe("final LayerNorm scale frozen from the clean run");
    const bars = q<HTMLElement>(v, ".interplay-dla-bars");
    const labels = [...bars.querySelectorAll("text:not(.interplay-dla-value)")].map((e) => e.textContent);
    // Long labels are shortened; the row's <title> keeps the whole label (as text).
    expect(labels).toEqual(["embed", "L0 attn", "L0 mlp", "<img src=x onerror=alert(…", "rest"]);
    expect(bars.querySelectorAll("title")[3].textContent).toBe(`${XSS}: NaN (share of total: NaN)`);
    expect([...bars.querySelectorAll("text.interplay-dla-value")].map((e) => e.textContent)).toEqual(["0.5", "-1.5", "2", "NaN", "4"]);
    expect(bars.querySelectorAll("rect.interplay-dla-positive")).toHaveLength(3);
    expect(bars.querySelectorAll("rect.interplay-dla-negative")).toHaveLength(1);
    expect(bars.querySelector("title")?.textContent).toBe("embed: 0.5 (share of total: 6.25%)");
    // Colours come from the diverging scale: the negative bar is blue-ish, the positive ones red-ish.
    const neg = bars.querySelector("rect.interplay-dla-negative")?.getAttribute("fill") ?? "";
    expect(neg).toMatch(/^rgb\(/);
    expect(root.querySelectorAll("img, script")).toHaveLength(0);
  });

  it("sizes the heads canvas to the heads, so fractions of it are heads", () => {
    const v = make();
    v.draw();
    const canvas = q<HTMLCanvasElement>(v, "canvas.interplay-dla-canvas");
    expect(canvas.style.width).toBe(`${3 * CELL_W}px`);
    expect(canvas.style.height).toBe(`${2 * CELL_H}px`);
  });

  it("shows the hover tooltip: head, exact value, share of total", () => {
    const v = make();
    q<HTMLCanvasElement>(v, "canvas.interplay-dla-canvas").dispatchEvent(new MouseEvent("pointermove", at(1, 2)));
    const tip = q<HTMLElement>(v, ".interplay-tooltip");
    expect([...tip.children].map((e) => e.textContent)).toEqual(["L1 H2", "direct effect: 3", "share of total: 37.5%"]);
  });

  it("selects a head by click and by keyboard, and follows Python's selection", () => {
    const v = make();
    q<HTMLCanvasElement>(v, "canvas.interplay-dla-canvas").dispatchEvent(new MouseEvent("click", at(1, 1)));
    expect(selections.at(-1)).toEqual({ layer: 1, head: 1 });
    const key = (k: string): void => void v.root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    v.root.focus();
    key("ArrowUp");
    key("ArrowRight");
    key("Enter");
    expect(selections.at(-1)).toEqual({ layer: 0, head: 2 });
    v.update({ selected: { layer: 1, head: 0 } });
    key("ArrowRight");
    key("Enter");
    expect(selections.at(-1)).toEqual({ layer: 1, head: 1 });
  });

  it("outlines the selected head", () => {
    const calls: Call[] = [];
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(function (this: HTMLCanvasElement) {
      return recordingContext(this, calls);
    } as unknown as HTMLCanvasElement["getContext"]);
    const v = make(dlaState({ selected: { layer: 1, head: 2 } }));
    calls.length = 0;
    v.draw();
    const rings = calls.filter(([m]) => m === "strokeRect").map(([, a]) => a);
    expect(rings[0]).toEqual([2 * CELL_W + 1, CELL_H + 1, CELL_W - 2, CELL_H - 2]);
    const texts = calls.filter(([m]) => m === "fillText").map(([, a]) => a[0]);
    expect(texts).toEqual(["H0", "H1", "H2"]);
  });

  it("shows a visible error for bad shapes, and recovers", () => {
    const v = make(dlaState({ component_labels: ["only one"] }));
    const error = q<HTMLElement>(v, ".interplay-error");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/1 component labels, but components has 5 values/);
    expect(q<HTMLElement>(v, ".interplay-body").hidden).toBe(true);
    expect(q<HTMLElement>(v, ".interplay-dla-bars").hidden).toBe(true);
    v.update({ component_labels: ["a", "b", "c", "d", "e"] });
    expect(error.hidden).toBe(true);
    expect(q<HTMLElement>(v, ".interplay-body").hidden).toBe(false);
    expect(q<HTMLElement>(v, ".interplay-dla-bars").querySelectorAll("text.interplay-dla-value")).toHaveLength(5);
    v.update({ total: 0 });
    expect(q(v, ".interplay-dla-total").textContent).toBe("total: 0");
    expect(q(v, ".interplay-dla-bars title")?.textContent).toMatch(/share of total: n\/a/);
  });
});
