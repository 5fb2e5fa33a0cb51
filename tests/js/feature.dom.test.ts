// @vitest-environment jsdom
/**
 * The FeatureView: its pure pieces (rows decoded, displayed features, stepping keys, histogram
 * bins, text) and the view in jsdom: the DOM contract, the max token centred and marked, tokens as
 * text (an `<img onerror>` token stays text), paging on scroll and by button (and the "re-run with
 * larger k" answer), stepping with arrow keys (and a card fetched by request), labels, steering.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FeatureView, type FeatureState } from "../../js/views/feature";
import {
  binAt, binText, decodeRows, displayedFeatures, histBins, readableToken, statsText, stepFeature, DEFAULT_STATE,
  type FeatureCard, type RowsAnswer, type SteeringResult,
} from "../../js/views/feature_model";
import { payloadOf } from "./helpers";

const XSS = "<img src=x onerror=alert(1)>";
const CTX = 4; // context (2 before, 1 after): the max token at column 2

/** `n` example rows starting at rank `start`: tokens "t{rank}.{c}", the max token of rank 0 the XSS string. */
function rows(start: number, n: number, more = "data", vmax = 3): RowsAnswer {
  const table: string[] = [];
  const idx = new Int32Array(n * CTX);
  const values = new Float32Array(n * CTX);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < CTX; c++) {
      const rank = start + r;
      if (c === 0 && rank % 2 === 1) {
        idx[r * CTX + c] = -1; // outside the sequence
        values[r * CTX + c] = NaN;
        continue;
      }
      table.push(rank === 0 && c === 2 ? XSS : c === 3 ? "\n" : ` t${rank}.${c}`);
      idx[r * CTX + c] = table.length - 1;
      values[r * CTX + c] = c === 2 ? vmax - rank * 0.1 : 0.5 * c;
    }
  }
  const acts = Float32Array.from({ length: n }, (_, r) => vmax - (start + r) * 0.1);
  const where = Int32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? start + i / 2 : 7));
  return {
    n, table, more,
    tokens: payloadOf(idx, "int32", [n, CTX]),
    values: payloadOf(values, "float32", [n, CTX], { vmin: 0, vmax }),
    acts: payloadOf(acts, "float32", [n]),
    where: payloadOf(where, "int32", [n, 2]),
  };
}

function card(feature: number, o: Partial<FeatureCard> = {}): FeatureCard {
  return {
    feature, name: `L2.${feature}`, n_active: 1234, n_tokens: 100_000, density: 0.01234, max_act: 3, k: 12, n_examples: 12,
    examples: rows(0, 4),
    hist_edges: payloadOf(new Float32Array([0, 1, 2, 3]), "float32", [4]),
    hist_counts: payloadOf(new Float64Array([1000, 200, 34]), "float64", [3]),
    bucket_edges: [0, 1.5, 3],
    buckets: [rows(20, 1, "none", 1.5), rows(30, 2, "none")],
    logits: { promoted: [[" Mary", 0.9], [XSS, 0.5]], suppressed: [[" the", -0.25]] },
    prompt: " t0.0 t0.1" + XSS,
    ...o,
  };
}

function state(o: Partial<FeatureState> = {}): FeatureState {
  return {
    ...DEFAULT_STATE, feature: 0, n_features: 5, feature_names: ["L2.0", "L2.1", "L2.2", "L2.3", "L2.4"],
    cards: { "0": card(0) }, labels: { "0": "names" }, page_size: 4, context: [2, 1],
    logit_note: "W_dec @ W_U, final norm scale frozen at 1", title: "5 features · sae", notes: ["a note"], ...o,
  };
}

const steering: SteeringResult = {
  index: 0, prompt: "When Mary", feature: "L2.0", mode: "clamp", value: 6, keep_error: true, baseline_text: " the store",
  steered_text: " Mary", baseline_tokens: [" the", " store"], steered_tokens: [` ${XSS}`, " Mary"],
  changes: [[" Mary", 0.1, 0.6], [XSS, 0.5, 0.2]], kl: 0.42, notes: ["greedy"],
};

describe("feature model", () => {
  it("decodes rows, keeping tokens outside the sequence as null", () => {
    const r = decodeRows(rows(0, 2));
    expect(r[0].tokens).toEqual([" t0.0", " t0.1", XSS, "\n"]);
    expect(r[1].tokens[0]).toBeNull();
    expect(r[1].act).toBeCloseTo(2.9);
    expect(r[1].where).toEqual([1, 7]);
    expect(() => decodeRows({ ...rows(0, 2), table: [] })).toThrow(/outside the answer's table/);
  });

  it("lists the displayed features, steps by key, finds bins, formats text", () => {
    expect(displayedFeatures({ feature: 2, shown: [] })).toEqual([2]);
    expect(displayedFeatures({ feature: 2, shown: [4, 1] })).toEqual([4, 1, 2]);
    expect(displayedFeatures({ feature: 1, shown: [4, 1] })).toEqual([4, 1]);
    expect(stepFeature(0, "ArrowLeft", 5)).toBe(0);
    expect(stepFeature(0, "ArrowRight", 5)).toBe(1);
    expect(stepFeature(3, "PageDown", 5)).toBe(4);
    expect(stepFeature(3, "End", 5)).toBe(4);
    expect(stepFeature(3, "a", 5)).toBeNull();
    expect(binAt(0, 300, 3)).toBe(0);
    expect(binAt(299, 300, 3)).toBe(2);
    expect(binAt(300, 300, 3)).toBeNull();
    const bins = histBins(card(0));
    expect(bins.map((b) => b.count)).toEqual([1000, 200, 34]);
    expect(binText(bins[1], 1234)).toBe("1 – 2: 200 tokens (16.2% of active tokens)");
    expect(statsText(card(0))).toBe("density 1.23% · max 3 · 1,234 of 100,000 tokens active");
    expect(readableToken(" a\nb")).toBe(" a↵b");
  });
});

describe("FeatureView", () => {
  let host: HTMLElement;
  let views: FeatureView[] = [];
  const make = (s: Partial<FeatureState> = {}, options: ConstructorParameters<typeof FeatureView>[2] = {}): FeatureView => {
    const v = new FeatureView(host, state(s), options);
    views.push(v);
    return v;
  };
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

  it("builds the contract: header, histogram, examples centred on the max token, buckets, logits", () => {
    const v = make();
    const root = host.querySelector(".interplay-root.interplay-feature") as HTMLElement;
    expect(root.tabIndex).toBe(0);
    expect(root.querySelector(".interplay-feature-title")?.textContent).toBe("5 features · sae");
    const c = root.querySelector('.interplay-feature-card[data-feature="0"]') as HTMLElement;
    expect(c.dataset.primary).toBe("true");
    expect(c.querySelector(".interplay-feature-name")?.textContent).toBe("#0 L2.0");
    expect((c.querySelector("input.interplay-feature-label") as HTMLInputElement).value).toBe("names");
    expect(c.querySelector(".interplay-feature-stats")?.textContent).toMatch(/density 1.23% · max 3 · 1,234 of 100,000/);
    expect(c.querySelectorAll("canvas.interplay-feature-hist")).toHaveLength(1);
    const ex = [...c.querySelectorAll(".interplay-feature-top .interplay-feature-example")];
    expect(ex).toHaveLength(4);
    const first = ex[0];
    expect([...first.children].map((e) => e.className)).toEqual(["interplay-feature-left", "interplay-feature-tok interplay-feature-max", "interplay-feature-right"]);
    expect(first.querySelector(".interplay-feature-max")?.textContent).toBe(XSS);
    expect([...first.querySelectorAll(".interplay-feature-left .interplay-feature-tok")].map((e) => e.textContent)).toEqual([" t0.0", " t0.1"]);
    expect(first.querySelector(".interplay-feature-right")?.textContent).toBe("↵");
    expect(ex[1].querySelectorAll(".interplay-feature-left .interplay-feature-tok")).toHaveLength(1); // the row starts its sequence
    const max = first.querySelector(".interplay-feature-max") as HTMLElement;
    expect(max.style.backgroundColor).not.toBe(""); // coloured by the feature's value
    expect((first.querySelector('.interplay-feature-tok[data-c="0"]') as HTMLElement).style.backgroundColor).toBe(""); // value 0
    const bucket = c.querySelector("select.interplay-feature-bucket") as HTMLSelectElement;
    expect(bucket.options).toHaveLength(2);
    expect(bucket.value).toBe("1");
    expect(c.querySelector(".interplay-feature-bucket-range")?.textContent).toBe("bucket 2: 1.5 – 3 (2 examples)");
    bucket.value = "0";
    bucket.dispatchEvent(new Event("change"));
    expect(c.querySelector(".interplay-feature-bucket-range")?.textContent).toBe("bucket 1: 0 – 1.5 (1 example)");
    expect(c.querySelectorAll(".interplay-feature-buckets .interplay-feature-example")).toHaveLength(1);
    expect([...c.querySelectorAll(".interplay-feature-promoted td")].map((e) => e.textContent)).toEqual([" Mary", "+0.9", XSS, "+0.5"]);
    expect(c.querySelector(".interplay-feature-suppressed .interplay-feature-logit-value")?.textContent).toBe("−0.25");
    expect(c.querySelector(".interplay-feature-logit-note")?.textContent).toBe("W_dec @ W_U, final norm scale frozen at 1");
    expect(root.querySelectorAll("img, script")).toHaveLength(0); // model text never becomes markup
    expect(root.querySelector(".interplay-notes")?.textContent).toBe("a note");
    v.update({ error: `edit refused: ${XSS}` });
    expect(root.querySelector(".interplay-error")?.textContent).toBe(`edit refused: ${XSS}`);
    expect(root.querySelectorAll("img")).toHaveLength(0);
  });

  it("shows a hovered bin's count as text and a token's value in the tooltip", () => {
    make();
    const c = host.querySelector(".interplay-feature-card") as HTMLElement;
    const hist = c.querySelector("canvas.interplay-feature-hist") as HTMLCanvasElement;
    hist.dispatchEvent(new MouseEvent("pointermove", { clientX: 150, clientY: 5, bubbles: true }));
    expect(c.querySelector(".interplay-feature-hist-readout")?.textContent).toBe("1 – 2: 200 tokens (16.2% of active tokens)");
    const tip = host.querySelector(".interplay-tooltip") as HTMLElement;
    expect(tip.hidden).toBe(false);
    expect(tip.textContent).toContain("200 tokens");
    const max = c.querySelector(".interplay-feature-max") as HTMLElement;
    max.dispatchEvent(new MouseEvent("pointermove", { clientX: 10, clientY: 10, bubbles: true }));
    const lines = [...tip.querySelectorAll(".interplay-tooltip-line")].map((e) => e.textContent);
    expect(lines[0]).toBe("<img␣src=x␣onerror=alert(1)>");
    expect(lines[2]).toBe("value 3");
    expect(lines[3]).toBe("max token · sequence 0, position 7");
    expect(tip.querySelectorAll("img")).toHaveLength(0);
  });

  it("pages more examples on scroll to the bottom and by button, then says a re-run is needed", async () => {
    const calls: [string, object][] = [];
    const request = vi.fn(async (method: string, params: object) => {
      calls.push([method, params]);
      const { start } = params as { start: number };
      if (start >= 12) throw new Error("examples past the top 12 of feature 0 need a re-run with larger k");
      return rows(start, 4, start + 4 >= 12 ? "rerun" : "data");
    });
    make({}, { request });
    const list = host.querySelector(".interplay-feature-top .interplay-feature-examples") as HTMLElement;
    Object.defineProperty(list, "scrollHeight", { value: 400, configurable: true });
    Object.defineProperty(list, "clientHeight", { value: 200, configurable: true });
    list.scrollTop = 100;
    list.dispatchEvent(new Event("scroll"));
    expect(calls).toEqual([]); // not at the bottom
    list.scrollTop = 200;
    list.dispatchEvent(new Event("scroll"));
    list.dispatchEvent(new Event("scroll")); // a second scroll while loading asks nothing more
    await vi.waitFor(() => expect(list.querySelectorAll(".interplay-feature-example")).toHaveLength(8));
    expect(calls).toEqual([["examples", { feature: 0, start: 4, count: 4 }]]);
    expect(list.querySelector('[data-rank="4"] .interplay-feature-max')?.textContent).toBe(" t4.2");
    const more = host.querySelector("button.interplay-feature-more") as HTMLButtonElement;
    more.click();
    await vi.waitFor(() => expect(list.querySelectorAll(".interplay-feature-example")).toHaveLength(12));
    more.click();
    await vi.waitFor(() => expect(host.querySelector(".interplay-feature-more-note")?.textContent).toMatch(/re-run with larger k/));
    expect(calls.map(([, p]) => (p as { start: number }).start)).toEqual([4, 8, 12]);
    list.dispatchEvent(new Event("scroll")); // after a failure, scrolling does not retry
    expect(calls).toHaveLength(3);
  });

  it("says when every example is shown and does not page", () => {
    const request = vi.fn();
    make({ cards: { "0": card(0, { n_examples: 3, examples: rows(0, 3, "none") }) } }, { request });
    expect(host.querySelector(".interplay-feature-more-note")?.textContent).toBe("all 3 examples shown");
    expect((host.querySelector("button.interplay-feature-more") as HTMLElement).hidden).toBe(true);
    expect(request).not.toHaveBeenCalled();
  });

  it("steps features with arrow keys, fetching a card that is not synced", async () => {
    const edits: unknown[] = [];
    const request = vi.fn(async (method: string, params: object) => {
      expect(method).toBe("card");
      return card((params as { feature: number }).feature, { name: "fetched" });
    });
    const v = make({}, { request, onEdit: (e) => void edits.push(e) });
    const root = v.root;
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    expect(edits).toEqual([]); // already at 0
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(edits).toEqual([{ feature: 1 }]);
    expect(root.querySelector('.interplay-feature-card[data-feature="1"]')?.textContent).toMatch(/loading/);
    await vi.waitFor(() => expect(root.querySelector('.interplay-feature-card[data-feature="1"] .interplay-feature-name')?.textContent).toBe("#1 fetched"));
    expect(root.querySelectorAll(".interplay-feature-card")).toHaveLength(1);
    expect(request).toHaveBeenCalledWith("card", { feature: 1 });
    expect((root.querySelector("textarea.interplay-feature-steer-prompt") as HTMLTextAreaElement).value).toBe(" t0.0 t0.1" + XSS);
    expect(root.querySelector(".interplay-feature-steer-title")?.textContent).toBe("steer feature #1 fetched");
    // keys typed into the label box are not navigation
    const label = root.querySelector("input.interplay-feature-label") as HTMLInputElement;
    label.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(edits).toHaveLength(1);
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
    expect(edits.at(-1)).toEqual({ feature: 4 });
  });

  it("shows several features side by side, the primary one marked", () => {
    const edits: unknown[] = [];
    const v = make({ shown: [2, 0], feature: 0, cards: { "0": card(0), "2": card(2) } }, { onEdit: (e) => void edits.push(e) });
    const cards = [...v.root.querySelectorAll(".interplay-feature-card")] as HTMLElement[];
    expect(cards.map((c) => c.dataset.feature)).toEqual(["2", "0"]);
    expect(cards.map((c) => c.dataset.primary)).toEqual(["false", "true"]);
    (cards[0].querySelector(".interplay-feature-stats") as HTMLElement).click();
    expect(edits).toEqual([{ feature: 2 }]);
    expect(cards.map((c) => c.dataset.primary)).toEqual(["true", "false"]);
  });

  it("sends a typed label to Python, and shows Python's labels", () => {
    const edits: unknown[] = [];
    const v = make({}, { onEdit: (e) => void edits.push(e) });
    const label = v.root.querySelector("input.interplay-feature-label") as HTMLInputElement;
    label.value = `brackets ${XSS}`;
    label.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(edits).toEqual([{ labels: { "0": `brackets ${XSS}` } }]);
    label.value = "";
    label.dispatchEvent(new Event("change"));
    expect(edits.at(-1)).toEqual({ labels: {} });
    v.update({ labels: { "0": "from python" } });
    expect(label.value).toBe("from python");
    v.update({ saved_to: "labels.json" });
    expect(v.root.querySelector(".interplay-feature-saved")?.textContent).toBe("labels saved to labels.json");
  });

  it("steers: the request's params, the two generations side by side, the changes table", async () => {
    const request = vi.fn(async () => steering);
    const v = make({ live: true }, { request });
    const panel = v.root.querySelector(".interplay-feature-steer") as HTMLElement;
    const prompt = panel.querySelector("textarea.interplay-feature-steer-prompt") as HTMLTextAreaElement;
    expect(prompt.value).toBe(" t0.0 t0.1" + XSS); // the top example up to its max token
    expect((panel.querySelector(".interplay-feature-steer-live") as HTMLElement).hidden).toBe(true);
    const mode = panel.querySelector("select.interplay-feature-steer-mode") as HTMLSelectElement;
    expect([...mode.options].map((o) => o.value)).toEqual(["scale", "clamp", "ablate", "add"]);
    mode.value = "clamp";
    mode.dispatchEvent(new Event("change"));
    expect((panel.querySelector("input.interplay-feature-steer-value") as HTMLInputElement).value).toBe("6");
    (panel.querySelector("input.interplay-feature-steer-keep") as HTMLInputElement).click();
    (panel.querySelector("button.interplay-feature-steer-run") as HTMLButtonElement).click();
    await vi.waitFor(() => expect((panel.querySelector(".interplay-feature-steer-result") as HTMLElement).hidden).toBe(false));
    expect(request).toHaveBeenCalledWith("steer", { feature: 0, prompt: " t0.0 t0.1" + XSS, mode: "clamp", value: 6, keep_error: false });
    expect(panel.querySelector(".interplay-feature-gen-baseline .interplay-feature-gen-text")?.textContent).toBe("When Mary the store");
    expect(panel.querySelector(".interplay-feature-gen-steered .interplay-feature-gen-text")?.textContent).toBe(`When Mary ${XSS} Mary`);
    expect(panel.querySelector(".interplay-feature-gen-steered .interplay-feature-gen-title")?.textContent).toBe("steered (clamp 6, error term kept)");
    const cells = [...panel.querySelectorAll(".interplay-feature-changes tr")].slice(1).map((tr) => [...tr.children].map((td) => td.textContent));
    expect(cells).toEqual([[" Mary", "0.1", "0.6", "+50 pp"], [XSS.split(" ").join(" "), "0.5", "0.2", "−30 pp"]]);
    expect(panel.querySelector(".interplay-feature-steer-kl")?.textContent).toMatch(/0.42 nats/);
    expect(panel.querySelectorAll("img")).toHaveLength(0);
  });

  it("without a live model says steering needs one, and shows the request's error as text", async () => {
    const request = vi.fn(async () => Promise.reject(new Error(`Steering feature 0 needs a live model ${XSS}`)));
    const v = make({ live: false }, { request });
    const panel = v.root.querySelector(".interplay-feature-steer") as HTMLElement;
    expect(panel.querySelector(".interplay-feature-steer-live")?.textContent).toMatch(/needs a live model/);
    (panel.querySelector("button.interplay-feature-steer-run") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(panel.querySelector(".interplay-feature-steer-error")?.textContent).toBe(`Steering feature 0 needs a live model ${XSS}`));
    expect(panel.querySelectorAll("img")).toHaveLength(0);
  });

  it("shows a saved steering result of the primary feature (from the synced trait)", () => {
    const v = make({ steering });
    expect((v.root.querySelector(".interplay-feature-steer-result") as HTMLElement).hidden).toBe(false);
    const other = make({ steering: { ...steering, index: 3 } });
    expect((other.root.querySelectorAll(".interplay-feature-steer-result")[0] as HTMLElement).hidden).toBe(true);
  });

  it("shows a card that cannot be drawn as an error, not a crash", () => {
    const bad = card(0, { examples: { ...rows(0, 2), tokens: {} as never } });
    const v = make({ cards: { "0": bad } });
    expect(v.root.querySelector(".interplay-feature-card")?.textContent).toMatch(/Cannot show feature 0: examples: tokens, values/);
  });
});
