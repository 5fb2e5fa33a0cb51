// @vitest-environment jsdom
/** CircuitView in the DOM: nodes and edges drawn in SVG, the slider, requests, details, export. */
import { afterEach, describe, expect, it, vi } from "vitest";

import type { CircuitState } from "../../js/views/circuit_model";
import { CLOSE_EVENTS } from "../../js/lib/rpc";
import { CircuitView } from "../../js/views/circuit";
import circuitWidget from "../../js/widgets/circuit";
import { circuitState } from "./circuit_fixture";
import { FakeModel } from "./fake_model";
import { payloadOf } from "./helpers";

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

const mount = (): HTMLElement => {
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
  const el = document.createElement("div");
  document.body.append(el);
  return el;
};

const visible = (root: Element): string[] =>
  [...root.querySelectorAll<SVGPathElement>("path.interplay-circuit-edge")].filter((p) => p.style.display !== "none")
    .map((p) => p.dataset.edge ?? "").sort();

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe("CircuitView", () => {
  it("draws every node with a text label and the selected edges", () => {
    const el = mount();
    const view = new CircuitView(el, circuitState());
    const root = el.querySelector(".interplay-circuit")!;
    const nodes = root.querySelectorAll("g.interplay-circuit-node");
    expect(nodes.length).toBe(10);
    expect([...nodes].map((n) => (n as SVGGElement).dataset.name)).toContain("L1.H2");
    expect(root.querySelector("g.interplay-circuit-node[data-name='MLP0'] text")?.textContent).toBe("MLP");
    expect(root.querySelectorAll("path.interplay-circuit-edge").length).toBe(6);
    expect(visible(root)).toEqual(["0", "1"]); // k = 4, pruned to input->logits paths
    expect(root.querySelector(".interplay-circuit-k-label")?.textContent).toBe("top 4 of 80 edges (|score| ≥ 0.8) → 2 on input→logits paths");
    expect(view.visibleEdges).toEqual([0, 1]);
    // colour by sign: the negative and positive edges differ
    const stroke = (i: number): string | null => root.querySelector(`path[data-edge='${i}']`)!.getAttribute("stroke");
    expect(stroke(0)).not.toBe(stroke(1));
    expect(root.querySelector(".interplay-notes")?.textContent).toContain("a note");
    expect(root.querySelector("svg")!.getAttribute("viewBox")).toMatch(/^0 0 \d+/);
  });

  it("the slider changes the visible edges and asks for faithfulness on release", async () => {
    const el = mount();
    const request = vi.fn(async (_method: string, params: object) => ({ k: (params as { k: number }).k, edges: 5, value: 0.875 }));
    const onK = vi.fn();
    new CircuitView(el, circuitState(), { request, onK });
    const root = el.querySelector(".interplay-circuit")!;
    const slider = root.querySelector("input.interplay-circuit-k") as HTMLInputElement;
    slider.value = "5";
    slider.dispatchEvent(new Event("input"));
    expect(visible(root)).toEqual(["0", "1", "2", "3", "4"]);
    expect(request).toHaveBeenCalledTimes(1); // the first render asked for k = 4; dragging asks for nothing
    slider.dispatchEvent(new Event("change"));
    expect(onK).toHaveBeenCalledWith(5);
    expect(request).toHaveBeenCalledWith("faithfulness", { k: 4 }); // on first render
    expect(request).toHaveBeenLastCalledWith("faithfulness", { k: 5 });
    await flush();
    expect(root.querySelector(".interplay-circuit-faith")?.textContent).toBe("faithfulness 87.5% (top 5, 5 edges)");
  });

  it("clicking a head asks for its details and draws them as text and a pattern", async () => {
    const el = mount();
    const pattern = payloadOf(Float32Array.from([1, 0, 0.25, 0.75]), "float32", [2, 2], { vmin: 0, vmax: 1, dims: ["query", "key"] });
    const request = vi.fn(async () => ({
      name: "L0.H0", kind: "head", layer: 0, head: 0, dla: -0.5, dla_label: "logit(' Mary') - logit(' John')",
      incoming: [{ node: "input", score: -2 }], outgoing: [{ node: "logits", score: 1.5 }],
      tokens: ["<b>When</b>", " Mary"], pattern,
    }));
    const onSelect = vi.fn();
    new CircuitView(el, circuitState(), { request, onSelect });
    const root = el.querySelector(".interplay-circuit")!;
    root.querySelector("g.interplay-circuit-node[data-name='L0.H0'] circle")!.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(onSelect).toHaveBeenCalledWith({ node: "L0.H0" });
    expect(request).toHaveBeenCalledWith("node", { name: "L0.H0", prompt: 0 });
    await flush();
    const detail = root.querySelector(".interplay-circuit-detail")!;
    expect(detail.querySelector(".interplay-circuit-detail-title")?.textContent).toBe("L0.H0");
    expect(detail.querySelector(".interplay-circuit-dla")?.textContent).toContain("-0.5");
    expect(detail.querySelector("canvas.interplay-circuit-pattern")).not.toBeNull();
    expect(detail.querySelector("b")).toBeNull(); // tokens are text, never HTML
    expect(detail.textContent).toContain("input");
  });

  it("without a live model: the edges of a clicked node show with a note, and faithfulness says why it is missing", async () => {
    const el = mount();
    const note = "Its attention pattern and direct logit attribution needs a live model, and this view has none";
    const request = vi.fn(async (method: string, params: object) => method === "faithfulness"
      ? { k: (params as { k: number }).k, edges: 2, value: null, note: "Faithfulness needs a live model" }
      : { name: "L1.H1", kind: "head", layer: 1, head: 1, incoming: [{ node: "input (k)", score: 0.5 }],
          outgoing: [{ node: "MLP1", score: -1 }], note });
    new CircuitView(el, circuitState(), { request });
    const root = el.querySelector(".interplay-circuit")!;
    await flush();
    const faith = root.querySelector(".interplay-circuit-faith")!;
    expect(faith.textContent).toBe("Faithfulness needs a live model");
    expect(faith.classList.contains("interplay-circuit-faith-note")).toBe(true);
    root.querySelector("g.interplay-circuit-node[data-name='L1.H1'] circle")!.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    await flush();
    const detail = root.querySelector(".interplay-circuit-detail")!;
    expect(detail.querySelector(".interplay-circuit-detail-note")?.textContent).toBe(note);
    expect(detail.querySelector(".interplay-circuit-dla")).toBeNull();
    expect(detail.querySelector("canvas.interplay-circuit-pattern")).toBeNull();
    expect(detail.textContent).toContain("input (k)");
    expect(detail.textContent).toContain("MLP1");
    expect(root.querySelector(".interplay-error")?.textContent ?? "").toBe("");
    // a measured value afterwards replaces the note
    const slider = root.querySelector("input.interplay-circuit-k") as HTMLInputElement;
    request.mockImplementation(async (_m: string, params: object) => ({ k: (params as { k: number }).k, edges: 3, value: 0.5, note: undefined } as never));
    slider.value = "5";
    slider.dispatchEvent(new Event("change"));
    await flush();
    expect(faith.textContent).toBe("faithfulness 50.0% (top 5, 3 edges)");
    expect(faith.classList.contains("interplay-circuit-faith-note")).toBe(false);
  });

  it("hovering a node dims the edges off its paths", () => {
    const el = mount();
    const view = new CircuitView(el, { ...circuitState(), k: 5 });
    const root = view.root;
    const mlp1 = root.querySelector("g.interplay-circuit-node[data-name='MLP1'] rect")!;
    mlp1.dispatchEvent(new MouseEvent("pointermove", { bubbles: true, clientX: 10, clientY: 10 }));
    const opacity = (i: number): string | null => root.querySelector(`path[data-edge='${i}']`)!.getAttribute("stroke-opacity");
    expect(opacity(2)).toBe("0.75");
    expect(opacity(0)).toBe("0.08");
    expect(root.querySelector(".interplay-tooltip")?.textContent).toContain("MLP1");
  });

  it("exports the drawn edges as SVG", () => {
    const el = mount();
    const saved: [string, Blob][] = [];
    const view = new CircuitView(el, circuitState(), { download: (name, blob) => saved.push([name, blob]) });
    const text = view.svgText();
    expect(text.startsWith("<svg")).toBe(true);
    expect((text.match(/<path/g) ?? []).length).toBe(2); // only the visible edges
    expect(text).toContain("L1");
    (view.root.querySelector("button.interplay-circuit-svg") as HTMLButtonElement).click();
    expect(saved[0][0]).toBe("circuit.svg");
    expect(saved[0][1].type).toBe("image/svg+xml");
  });

  it("shows an error for inconsistent payloads instead of throwing", () => {
    const el = mount();
    const s = circuitState();
    new CircuitView(el, { ...s, edge_src: payloadOf(Int32Array.from([0]), "int32", [1]) });
    expect(el.querySelector(".interplay-error")?.textContent).toContain("sizes differ");
  });
});

describe("circuit widget glue", () => {
  it("renders, writes k / selected / prompt back, and cleans up", () => {
    const model = new FakeModel<CircuitState>(circuitState());
    const el = mount();
    const cleanup = circuitWidget.render({ model, el });
    const root = el.querySelector(".interplay-circuit")!;
    const slider = root.querySelector("input.interplay-circuit-k") as HTMLInputElement;
    slider.value = "5";
    slider.dispatchEvent(new Event("change"));
    expect(model.traits.k).toBe(5);
    const prompt = root.querySelector("select.interplay-circuit-prompt") as HTMLSelectElement;
    prompt.value = "1";
    prompt.dispatchEvent(new Event("change"));
    expect(model.traits.prompt_index).toBe(1);
    model.set("k", 2);
    expect(visible(root)).toEqual(["0", "1"]);
    cleanup();
    // only rpc.ts's listeners (msg:custom and its CLOSE_EVENTS), shared by every view of the model
    expect(model.listenerCount()).toBe(1 + CLOSE_EVENTS.length);
    expect(el.querySelector(".interplay-circuit")).toBeNull();
  });
});
