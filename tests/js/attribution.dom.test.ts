// @vitest-environment jsdom
/**
 * The AttributionView in jsdom: tokens as text, the result's rows shown without Python, a click
 * asking Python and colouring the sources, progress and errors, switching method, the matrix.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AttributionView, type AttributionState } from "../../js/views/attribution";
import { DEFAULT_STATE } from "../../js/views/attribution_model";
import { payloadOf } from "./helpers";

const XSS = "<img src=x onerror=alert(1)>";
const TOKENS = ["<bos>", " When", XSS, " and", " John", " gave"];

function state(overrides: Partial<AttributionState> = {}): Partial<AttributionState> {
  const values = new Float32Array([0.1, -0.2, 0.5, 0.05, NaN, NaN, 0.3, 0.1, -0.4, 0.2, 0.6, NaN]);
  return {
    ...DEFAULT_STATE,
    tokens: TOKENS,
    n_prompt: 4,
    methods: ["saliency", "integrated_gradients"],
    signed_methods: ["integrated_gradients"],
    method: "integrated_gradients",
    rows: payloadOf(values, "float32", [2, 6], { dims: ["target", "source"], vmin: -0.6, vmax: 0.6 }),
    row_targets: [4, 5],
    row_labels: ["logit(' John') at pos 3", "logit(' gave') at pos 4"],
    row_deltas: [0.001, -0.002],
    row_gaps: [0.45, 0.8],
    row_limits: [[-0.5, 0.5], [-0.6, 0.6]],
    row_settings: { method: "integrated_gradients", score: "logit", contrast: "" },
    selected: 5,
    title: "attribution <b>test</b>",
    ...overrides,
  };
}

function reply(target: number, fill = 1): unknown {
  const v = new Float32Array(6).fill(NaN);
  for (let i = 0; i < target; i++) v[i] = fill * (i + 1);
  return { scores: payloadOf(v, "float32", [6], { dims: ["source"] }), limits: [0, fill * target], label: `saliency row ${target}`, signed: false, delta: null, gap: null };
}

let host: HTMLElement;
let views: AttributionView[] = [];
function make(s = state(), options: ConstructorParameters<typeof AttributionView>[2] = {}): AttributionView {
  const v = new AttributionView(host, s, options);
  views.push(v);
  return v;
}
const spans = (v: AttributionView): HTMLElement[] => [...v.root.querySelectorAll<HTMLElement>(".interplay-attr-token")];
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

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

describe("AttributionView", () => {
  it("shows tokens as text in one line, marks generated ones, and colours the result's row", () => {
    const view = make();
    const root = host.querySelector(".interplay-attribution") as HTMLElement;
    expect(root).toBe(view.root);
    expect(root.tabIndex).toBe(0);
    const s = spans(view);
    expect(s.map((e) => e.textContent)).toEqual(["<bos>", "␣When", "<img␣src=x␣onerror=alert(1)>", "␣and", "␣John", "␣gave"]);
    expect(root.querySelectorAll("img, b, script")).toHaveLength(0);
    expect(root.querySelector(".interplay-title")?.textContent).toBe("attribution <b>test</b>");
    expect(s.map((e) => e.classList.contains("interplay-attr-generated"))).toEqual([false, false, false, false, true, true]);
    expect(s[0].classList.contains("interplay-attr-output")).toBe(false);
    expect(s[5].classList.contains("interplay-attr-target")).toBe(true);
    expect(s.slice(0, 5).every((e) => e.style.backgroundColor !== "")).toBe(true);
    expect(s[2].style.backgroundColor).not.toBe(s[4].style.backgroundColor); // -0.4 vs 0.6
    expect(view.current?.label).toBe("logit(' gave') at pos 4");
    expect(root.querySelector(".interplay-attr-delta")?.textContent).toContain("convergence delta -0.002");
    expect((root.querySelector(".interplay-busy") as HTMLElement).hidden).toBe(true);
  });

  it("asks Python when an output token is clicked, shows progress, then colours the sources", async () => {
    let resolve: (x: unknown) => void = () => undefined;
    const request = vi.fn((_method: string, params: Record<string, unknown>) =>
      params.target_pos === 3 ? new Promise((r) => { resolve = r; }) : Promise.resolve(reply(params.target_pos as number)));
    const onEdit = vi.fn();
    const view = make(state({ method: "saliency" }), { request, onEdit });
    expect(request).toHaveBeenCalledWith("attribute", { target_pos: 5, method: "saliency", score: "logit", contrast: "" });
    await flush();
    spans(view)[3].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(onEdit).toHaveBeenLastCalledWith({ selected: 3 });
    expect(request).toHaveBeenCalledWith("attribute", { target_pos: 3, method: "saliency", score: "logit", contrast: "" });
    const busy = view.root.querySelector(".interplay-busy") as HTMLElement;
    expect(busy.hidden).toBe(false);
    view.update({ progress: 0.4 });
    expect(busy.textContent).toBe("computing… 40%");
    resolve(reply(3));
    await flush();
    expect(busy.hidden).toBe(true);
    const s = spans(view);
    expect(s.slice(0, 3).every((e) => e.style.backgroundColor !== "")).toBe(true);
    expect(s[4].style.backgroundColor).toBe("");
    expect(view.current?.target).toBe(3);
    // asked again: answered from the view's cache, no new request
    spans(view)[5].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    spans(view)[3].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(request.mock.calls.filter((c) => (c as unknown[])[0] === "attribute")).toHaveLength(2);
    // the first token has nothing before it: not clickable
    spans(view)[0].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(onEdit).not.toHaveBeenLastCalledWith({ selected: 0 });
  });

  it("shows Python's error text and recovers", async () => {
    const request = vi.fn().mockRejectedValueOnce(new Error("' Jo hn' is not a single token")).mockResolvedValue(reply(2));
    const view = make(state({ matrix: false }), { request });
    spans(view)[2].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    await flush();
    const error = view.root.querySelector(".interplay-error") as HTMLElement;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("' Jo hn' is not a single token");
    spans(view)[2].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    await flush();
    expect(error.hidden).toBe(true);
    expect(view.current?.target).toBe(2);
  });

  it("switches method from the picker and asks for the matrix again", async () => {
    const request = vi.fn((method: string) => {
      if (method === "matrix") {
        const v = new Float32Array(12).fill(0.25);
        return Promise.resolve({ scores: payloadOf(v, "float32", [2, 6], { dims: ["target", "source"] }), limits: [[0, 1], [0, 1]], labels: ["a", "b"], signed: false, deltas: null, gaps: null });
      }
      return Promise.resolve(reply(5));
    });
    const onEdit = vi.fn();
    const view = make(state({ matrix: true }), { request, onEdit });
    expect(view.root.querySelector("canvas.interplay-attr-matrix")).not.toBeNull();
    expect(request).not.toHaveBeenCalled(); // the result's own rows are there
    const select = view.root.querySelector("select.interplay-attr-method") as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(["saliency", "integrated gradients"]);
    select.value = "saliency";
    select.dispatchEvent(new Event("change"));
    expect(onEdit).toHaveBeenCalledWith({ method: "saliency" });
    expect(request).toHaveBeenCalledWith("matrix", { method: "saliency", score: "logit", contrast: "" });
    await flush();
    await flush();
    expect(view.current?.label).toBe("b");
    expect(request.mock.calls.filter((c) => c[0] === "attribute")).toHaveLength(0);
  });

  it("moves a cursor with the keyboard and selects with Enter", () => {
    const onEdit = vi.fn();
    const view = make(state(), { onEdit, request: () => Promise.resolve(reply(2)) });
    const key = (k: string): void => void view.root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    key("Home");
    key("ArrowRight");
    key("Enter");
    expect(onEdit).toHaveBeenLastCalledWith({ selected: 2 });
    key("End");
    key("ArrowRight");
    key("Enter");
    expect(onEdit).toHaveBeenLastCalledWith({ selected: 5 });
    expect(spans(view)[5].classList.contains("interplay-attr-cursor")).toBe(true);
  });

  it("shows the token's score in the tooltip, as text", () => {
    const view = make();
    spans(view)[2].dispatchEvent(new MouseEvent("pointermove", { bubbles: true, clientX: 5, clientY: 5 }));
    const tip = view.root.querySelector(".interplay-tooltip") as HTMLElement;
    expect(tip.hidden).toBe(false);
    expect([...tip.children].map((e) => e.textContent)).toEqual([
      "<img␣src=x␣onerror=alert(1)>", `pos 2 · prompt · "${XSS}"`, "score -0.4", "click to explain this token",
    ]);
    expect(document.querySelectorAll("img")).toHaveLength(0);
  });

  it("highlights the hovered matrix cell's row and column tokens, and selects its row on click", () => {
    const onEdit = vi.fn();
    const view = make(state({ matrix: true, selected: 4 }), { onEdit, request: () => Promise.resolve(reply(5)) });
    const canvas = view.root.querySelector("canvas.interplay-attr-matrix") as HTMLCanvasElement;
    expect((canvas.parentElement as HTMLElement).hidden).toBe(false);
    // 96 px of row labels, then 28 x 20 px cells: (157, 25) is row 1 (explains token 5), column 2
    canvas.dispatchEvent(new MouseEvent("pointermove", { bubbles: true, clientX: 157, clientY: 25 }));
    const hovered = spans(view).map((e) => e.classList.contains("interplay-attr-hover"));
    expect(hovered).toEqual([false, false, true, false, false, true]);
    const tip = view.root.querySelector(".interplay-tooltip") as HTMLElement;
    expect([...tip.children].map((e) => e.textContent)).toEqual(["␣gave ← <img␣src=x␣onerror=alert(1)>", "target pos 5 · source pos 2", "score -0.4"]);
    canvas.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: 157, clientY: 25 }));
    expect(onEdit).toHaveBeenLastCalledWith({ selected: 5 });
    expect(view.current?.target).toBe(5);
    canvas.dispatchEvent(new MouseEvent("pointerleave"));
    expect(spans(view).some((e) => e.classList.contains("interplay-attr-hover"))).toBe(false);
  });
});
