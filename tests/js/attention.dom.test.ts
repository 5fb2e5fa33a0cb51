// @vitest-environment jsdom
/**
 * The AttentionView in jsdom, driven through its anywidget glue by a fake model that answers
 * `pattern` / `row` / `column` requests as widgets/_rpc.py does: the DOM contract, text-only
 * tokens, selection and query traits, request parameters, busy and error states, tiles on zoom,
 * batch switching, bad data.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { displayToken } from "../../js/lib/tokens";
import { GRID_GUTTER, GRID_TOP } from "../../js/views/attention_grid";
import { PANE_GUTTER, PANE_TOP } from "../../js/views/attention_pattern";
import { TILE_CELLS } from "../../js/views/attention_window";
import widget from "../../js/widgets/attention";
import { attentionTraits, causalCodes, FakeAttentionModel, settle } from "./attention_fake";
import { payloadOf } from "./helpers";

const XSS = "<img src=x onerror=alert(1)>";
const TOKENS = ["<bos>", XSS, " the", "\n"];

let host: HTMLElement;
let cleanups: (() => void)[] = [];

function mount(model: FakeAttentionModel): HTMLElement {
  cleanups.push(widget.render({ model, el: host }));
  return host.querySelector(".interplay-attention") as HTMLElement;
}

const q = <T extends Element = HTMLElement>(root: Element, sel: string): T => root.querySelector(sel) as T;
const key = (root: HTMLElement, k: string): void => void root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

beforeEach(() => {
  host = document.createElement("div");
  document.body.append(host);
  // jsdom implements no canvas: the view must work (and draw nothing) without one.
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
});

afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
  host.remove();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("AttentionView DOM contract", () => {
  it("builds the grid, ranking, detail pane and token view, with text-only tokens", () => {
    const model = new FakeAttentionModel(attentionTraits(TOKENS));
    const root = mount(model);
    expect(root.tabIndex).toBe(0);
    expect(root.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    expect(root.querySelectorAll("canvas.interplay-attention-grid")).toHaveLength(1);
    expect(q(root, ".interplay-title").textContent).toBe("Attention <b>demo</b>");
    expect(root.querySelector("b")).toBeNull();
    expect([...root.querySelectorAll(".interplay-notes .interplay-note")].map((n) => n.textContent)).toEqual([
      "patterns are exact (eager attention)",
      "batch item 0",
    ]);
    const sort = q<HTMLSelectElement>(root, "select.interplay-score-sort");
    expect([...sort.options].map((o) => o.textContent)).toEqual(["previous_token", "induction", "entropy"]);
    const rows = root.querySelectorAll(".interplay-head-table tbody tr");
    expect(rows).toHaveLength(6); // every head of 2 × 3 (fewer than 20)
    expect(rows[0].querySelector("th")?.textContent).toBe("L1H2"); // highest previous_token score
    expect([...rows[0].querySelectorAll("td")].map((c) => c.textContent)).toEqual(["0.5", "1", "1.5"]);
    // entropy ranks lowest first
    sort.value = "2";
    sort.dispatchEvent(new Event("change"));
    expect(root.querySelector(".interplay-head-table tbody tr th")?.textContent).toBe("L0H0"); // entropy 0: the sharpest head
    expect(q(root, "button.interplay-sort-order").textContent).toMatch(/lowest/);
    // tokens: one span each, display form, textContent only
    const spans = root.querySelectorAll<HTMLElement>(".interplay-token-view span.interplay-token");
    expect([...spans].map((s) => s.dataset.pos)).toEqual(["0", "1", "2", "3"]);
    expect(spans[1].textContent).toBe(displayToken(XSS));
    expect(spans[2].textContent).toBe("␣the");
    expect(spans[3].textContent).toBe("↵");
    expect(document.querySelector("img")).toBeNull();
    expect(q(root, ".interplay-direction").tagName).toBe("SELECT");
    // nothing selected: a hint, no request
    expect(q(root, ".interplay-attention-detail .interplay-detail-hint").hidden).toBe(false);
    expect(q(root, ".interplay-sequence").closest("label")?.hidden).toBe(true);
    expect(model.sent).toHaveLength(0);
  });
});

describe("AttentionView selection and the detail pane", () => {
  it("a table click selects the head and requests its whole pattern; busy until the answer", async () => {
    const model = new FakeAttentionModel(attentionTraits(TOKENS));
    const root = mount(model);
    const row = root.querySelector<HTMLElement>('.interplay-head-row[data-layer="0"][data-head="2"]') as HTMLElement;
    row.click();
    expect(model.traits.selected).toEqual({ layer: 0, head: 2 });
    expect(model.saved).toBe(1);
    await settle();
    const [req] = model.requests("pattern");
    expect(model.sent).toHaveLength(1);
    // max_side = the canvas side in px (jsdom: fallback pane width 448 -> 384 px, devicePixelRatio 1)
    expect(req.params).toEqual({ layer: 0, head: 2, q0: 0, q1: 4, k0: 0, k1: 4, max_side: 384 });
    const detail = q(root, ".interplay-attention-detail");
    expect(q(detail, ".interplay-detail-title").textContent).toBe("Layer 0 · Head 2");
    expect(q(detail, ".interplay-detail-scores").textContent).toBe("previous_token 0.2 · induction 0.4 · entropy 0.6");
    expect(q(detail, ".interplay-busy").hidden).toBe(false);
    expect(q(detail, ".interplay-busy").textContent).toBe("computing…");
    expect(detail.querySelectorAll("canvas.interplay-pattern-canvas")).toHaveLength(1);
    model.replyPattern(req, causalCodes(4), 4, 4);
    await settle();
    expect(q(detail, ".interplay-busy").hidden).toBe(true);
    expect(q(detail, ".interplay-error").hidden).toBe(true);
    expect(q(root, ".interplay-head-row.interplay-row-selected").dataset.head).toBe("2");
    // a Python-side selection is followed
    model.set("selected", { layer: 1, head: 0 });
    await settle();
    expect(q(detail, ".interplay-detail-title").textContent).toBe("Layer 1 · Head 0");
    expect(model.requests("pattern").at(-1)?.params).toMatchObject({ layer: 1, head: 0 });
  });

  it("hovering the grid canvas shows the head's scores; a click selects it", () => {
    const model = new FakeAttentionModel(attentionTraits(TOKENS));
    const root = mount(model);
    const grid = q(root, "canvas.interplay-attention-grid");
    // jsdom: fallback width 448 -> 64 px thumbnails (T = 4: 16 px a cell), 3 px gaps, 32 px gutter, 16 px header
    const at = { clientX: GRID_GUTTER + 2 * 67 + 10, clientY: GRID_TOP + 67 + 10, bubbles: true };
    grid.dispatchEvent(new MouseEvent("pointermove", at));
    const tip = q(root, ".interplay-tooltip");
    expect(tip.hidden).toBe(false);
    expect([...tip.children].map((c) => c.textContent)).toEqual([
      "L1H2  (layer 1, head 2)", "previous_token: 0.5", "induction: 1", "entropy: 1.5", "#1 by previous_token",
    ]);
    grid.dispatchEvent(new MouseEvent("pointermove", { clientX: GRID_GUTTER + 65, clientY: GRID_TOP + 10, bubbles: true })); // a gap
    expect(tip.hidden).toBe(true);
    grid.dispatchEvent(new MouseEvent("click", at));
    expect(model.traits.selected).toEqual({ layer: 1, head: 2 });
  });

  it("shows a failed request's error in the pane, and Retry asks again", async () => {
    const model = new FakeAttentionModel(attentionTraits(TOKENS, { selected: { layer: 1, head: 1 } }));
    const root = mount(model);
    await settle();
    const [req] = model.requests("pattern");
    model.fail(req, "CUDA out of memory <script>");
    await settle();
    const detail = q(root, ".interplay-attention-detail");
    const error = q(detail, ".interplay-error");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/CUDA out of memory <script>/);
    expect(detail.querySelector("script")).toBeNull();
    expect(q(detail, ".interplay-busy").hidden).toBe(true);
    q(detail, ".interplay-retry").click();
    await settle();
    expect(model.requests("pattern")).toHaveLength(2);
    model.replyPattern(model.requests("pattern")[1], causalCodes(4), 4, 4);
    await settle();
    expect(error.hidden).toBe(true);
  });

  it("selects with the keyboard: arrows move between heads, Enter selects, Escape clears", () => {
    const model = new FakeAttentionModel(attentionTraits(TOKENS));
    const root = mount(model);
    root.focus();
    key(root, "ArrowRight");
    key(root, "ArrowRight");
    key(root, "ArrowDown");
    key(root, "ArrowRight"); // clamped at the last head
    expect(model.traits.selected).toBeNull();
    expect(q(root, ".interplay-tooltip").textContent).toMatch(/L1H2/);
    key(root, "Enter");
    expect(model.traits.selected).toEqual({ layer: 1, head: 2 });
    key(root, "Escape");
    expect(model.traits.selected).toBeNull();
  });

  it("prefetches the neighbouring heads quietly, so stepping to one needs no round trip", async () => {
    const model = new FakeAttentionModel(attentionTraits(TOKENS, { selected: { layer: 0, head: 0 } }));
    const root = mount(model);
    await settle();
    expect(model.requests("pattern")).toHaveLength(1); // neighbours wait for the selected head
    model.replyPattern(model.requests("pattern")[0], causalCodes(4), 4, 4);
    await settle();
    const heads = () => model.requests("pattern").map((r) => [r.params.layer, r.params.head]);
    expect(heads()).toEqual([[0, 0], [0, 1], [1, 0]]);
    expect(q(root, ".interplay-busy").hidden).toBe(true); // prefetching is not "computing…"
    model.replyPattern(model.requests("pattern")[1], causalCodes(4), 4, 4);
    await settle();
    model.set("selected", { layer: 0, head: 1 });
    await settle();
    expect(heads().filter(([l, h]) => l === 0 && h === 1)).toHaveLength(1); // served from the cache
    expect(q(root, ".interplay-busy").hidden).toBe(true);
    expect(heads()).toContainEqual([1, 1]); // and (0, 1)'s own neighbours are asked for next
  });

  it("hover on the pattern shows tokens and ≈ value at once, the exact value after a row request", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const model = new FakeAttentionModel(attentionTraits(TOKENS, { selected: { layer: 0, head: 1 } }));
    const root = mount(model);
    await settle();
    model.replyPattern(model.requests("pattern")[0], causalCodes(4), 4, 4);
    await settle();
    const canvas = q(root, "canvas.interplay-pattern-canvas");
    const cell = 384 / 4; // px per position
    canvas.dispatchEvent(new MouseEvent("pointermove", { clientX: PANE_GUTTER + 1.5 * cell, clientY: PANE_TOP + 2.5 * cell, bubbles: true }));
    const tip = q(root, ".interplay-tooltip");
    expect(tip.hidden).toBe(false);
    const lines = () => [...tip.children].map((c) => c.textContent);
    expect(lines()).toEqual(["␣the → " + displayToken(XSS), 'query 2: " the"', `key 1: ${JSON.stringify(XSS)}`, "attention ≈0.3346"]);
    expect(model.requests("row")).toHaveLength(0);
    vi.advanceTimersByTime(200);
    const [row] = model.requests("row");
    expect(row.params).toEqual({ layer: 0, head: 1, query: 2 });
    model.replyValues(row, [0.25, 0.5, 0.25, 0]);
    await settle();
    expect(lines()[3]).toBe("attention: 0.5");
    // the busy state is not raised by hover lookups
    expect(q(root, ".interplay-busy").hidden).toBe(true);
    // a masked cell needs no request
    canvas.dispatchEvent(new MouseEvent("pointermove", { clientX: PANE_GUTTER + 3.5 * cell, clientY: PANE_TOP + 0.5 * cell, bubbles: true }));
    expect(lines()[3]).toMatch(/masked/);
  });
});

describe("AttentionView token view", () => {
  it("shades tokens from the cached whole pattern (no round trip), both directions; a click pins the query", async () => {
    const model = new FakeAttentionModel(attentionTraits(TOKENS, { selected: { layer: 0, head: 0 } }));
    const root = mount(model);
    await settle();
    model.replyPattern(model.requests("pattern")[0], causalCodes(4), 4, 4);
    await settle();
    const sent = model.sent.length;
    const spans = [...root.querySelectorAll<HTMLElement>("span.interplay-token")];
    spans[1].dispatchEvent(new MouseEvent("pointerover", { bubbles: true }));
    // token 1 attends to 0 and 1 equally
    expect(spans.map((s) => s.style.backgroundColor !== "")).toEqual([true, true, false, false]);
    expect(spans[1].classList.contains("interplay-token-focus")).toBe(true);
    const direction = q<HTMLSelectElement>(root, "select.interplay-direction");
    expect([...direction.options].map((o) => o.textContent)).toEqual(["attends to", "attended by"]);
    direction.value = "column";
    direction.dispatchEvent(new Event("change"));
    // token 1 is attended by 1, 2, 3
    expect(spans.map((s) => s.style.backgroundColor !== "")).toEqual([false, true, true, true]);
    expect(model.sent.length).toBe(sent);
    spans[2].click();
    expect(model.traits.query).toBe(2);
    expect(spans[2].classList.contains("interplay-token-pinned")).toBe(true);
    spans[2].click();
    expect(model.traits.query).toBeNull();
  });

  it("asks for rows when no whole stride-1 pattern is cached; long sequences show a window of tokens", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const tokens = Array.from({ length: 2000 }, (_, i) => `t${i}`);
    const model = new FakeAttentionModel(attentionTraits(tokens, { selected: { layer: 1, head: 1 } }));
    const root = mount(model);
    await settle();
    const spans = root.querySelectorAll<HTMLElement>("span.interplay-token");
    expect(spans).toHaveLength(512);
    expect(q(root, ".interplay-token-range").textContent).toBe("tokens 0–511 of 2000");
    q(root, ".interplay-token-next").click();
    expect(q(root, ".interplay-token-range").textContent).toBe("tokens 256–767 of 2000");
    const first = root.querySelector<HTMLElement>("span.interplay-token") as HTMLElement;
    expect(first.dataset.pos).toBe("256");
    first.dispatchEvent(new MouseEvent("pointerover", { bubbles: true }));
    expect(model.requests("row")).toHaveLength(0); // not while the pointer sweeps
    vi.advanceTimersByTime(150);
    const [row] = model.requests("row");
    expect(row.params).toEqual({ layer: 1, head: 1, query: 256 });
    const values = new Array(2000).fill(0);
    values[3] = 0.75;
    values[256] = 0.25;
    model.replyValues(row, values);
    await settle();
    expect(first.style.backgroundColor).not.toBe("");
    expect(q(root, ".interplay-token-status").textContent).toMatch(/"t256" \(pos 256\) attends to: "t3" \(3\) 0\.75/);
    // a pinned query far away moves the window to it
    model.set("query", 1900);
    expect(q(root, ".interplay-token-range").textContent).toBe("tokens 1488–1999 of 2000");
  });
});

describe("AttentionView zoom", () => {
  it("requests the visible window in aligned tiles at a finer stride, each only once", async () => {
    const tokens = Array.from({ length: 2000 }, (_, i) => `t${i}`);
    const model = new FakeAttentionModel(attentionTraits(tokens, { selected: { layer: 0, head: 0 } }));
    const root = mount(model);
    await settle();
    const [whole] = model.requests("pattern");
    expect(whole.params).toMatchObject({ q0: 0, q1: 2000, k0: 0, k1: 2000, max_side: 384 }); // stride 6
    model.replyPattern(whole, new Uint8Array(334 * 334), 334, 334, 6);
    await settle();
    q(root, ".interplay-zoom-in").click(); // span 1000 around the centre: 500..1500
    const own = () => model.requests("pattern").filter((r) => r.params.layer === 0 && r.params.head === 0);
    // the neighbours of the selected head were prefetched once its whole pattern arrived
    expect(model.requests("pattern").filter((r) => r.params.head !== 0 || r.params.layer !== 0).map((r) => [r.params.layer, r.params.head]))
      .toEqual([[0, 1], [1, 0]]);
    const tiles = own().slice(1).map((r) => r.params);
    // level 4 (1000 / 384 = 2.6 -> 4, finer than 6): tiles of 4 × 256 = 1024 positions; the
    // tile of keys 1024.. for queries 0..1023 is masked (causal) and not asked for
    expect(tiles).toEqual([
      { layer: 0, head: 0, q0: 0, q1: 1024, k0: 0, k1: 1024, max_side: TILE_CELLS },
      { layer: 0, head: 0, q0: 1024, q1: 2000, k0: 0, k1: 1024, max_side: TILE_CELLS },
      { layer: 0, head: 0, q0: 1024, q1: 2000, k0: 1024, k1: 2000, max_side: TILE_CELLS },
    ]);
    expect(q(root, ".interplay-busy").hidden).toBe(false);
    for (const r of own().slice(1)) model.replyPattern(r, new Uint8Array(256 * 256), 256, 256, 4);
    await settle();
    expect(q(root, ".interplay-busy").hidden).toBe(true);
    q(root, ".interplay-zoom-out").click();
    q(root, ".interplay-zoom-in").click();
    expect(own()).toHaveLength(4); // cached: nothing asked twice
    expect(q(root, ".interplay-window-label").textContent).toBe("queries 500–1499 · keys 500–1499 · max over 4×4");
    q(root, ".interplay-zoom-reset").click();
    expect(q(root, ".interplay-window-label").textContent).toBe("queries 0–1999 · keys 0–1999 · max over 6×6");
  });
});

describe("AttentionView batch and bad data", () => {
  it("the sequence select sets batch_index; new tokens clear the cache and re-request once", async () => {
    const model = new FakeAttentionModel(attentionTraits(TOKENS, { sequences: ["first", "second"], selected: { layer: 0, head: 0 } }));
    const root = mount(model);
    await settle();
    model.replyPattern(model.requests("pattern")[0], causalCodes(4), 4, 4);
    await settle();
    const select = q<HTMLSelectElement>(root, "select.interplay-sequence");
    expect(select.closest("label")?.hidden).toBe(false);
    expect([...select.options].map((o) => o.textContent)).toEqual(["0: first", "1: second"]);
    select.value = "1";
    select.dispatchEvent(new Event("change"));
    expect(model.traits.batch_index).toBe(1);
    // Python answers with the other item's data (same shapes, so the same request parameters)
    const next = attentionTraits(["x", "y", "z", "w"]);
    model.set("tokens", next.tokens);
    model.set("thumbnails", next.thumbnails);
    model.set("scores", next.scores);
    await settle();
    const pats = model.requests("pattern").filter((r) => r.params.layer === 0 && r.params.head === 0);
    expect(pats).toHaveLength(2);
    expect(pats[1].params).toEqual(pats[0].params);
    expect(q(root, "span.interplay-token").textContent).toBe("x");
  });

  it("shows bad data as an error, never a blank view, and recovers", () => {
    const good = attentionTraits(TOKENS);
    const model = new FakeAttentionModel({
      ...good,
      thumbnails: payloadOf(new Uint8Array(3 * 2 * 4 * 4), "uint8", [3, 2, 4, 4], { dims: ["layer", "head", "query", "key"] }),
    });
    const root = mount(model);
    const error = root.querySelector(":scope > .interplay-error") as HTMLElement;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/thumbnails must have shape \[n_layers, n_heads, T, T\] = \[2, 3, T, T\], got \[3, 2, 4, 4\]/);
    expect(q(root, ".interplay-attention-body").hidden).toBe(true);
    model.set("thumbnails", good.thumbnails);
    expect(error.hidden).toBe(true);
    model.set("scores", payloadOf(new Float32Array(6), "float32", [1, 2, 3], { dims: ["score", "layer", "head"] }));
    expect(error.textContent).toMatch(/scores must have shape/);
    model.set("scores", good.scores);
    model.set("tokens", []);
    expect(error.textContent).toMatch(/no tokens/);
    model.set("tokens", ["a", "b"]);
    expect(error.hidden).toBe(true);
    expect(root.querySelectorAll("span.interplay-token")).toHaveLength(2);
  });
});
