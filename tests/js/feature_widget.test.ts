// @vitest-environment jsdom
/**
 * The FeatureView's anywidget glue: traits in, `feature` and `labels` written back in one
 * `save_changes`, and a request (`examples`) sent over the comm and its answer (binary buffers at
 * their paths) drawn.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import widget from "../../js/widgets/feature";
import { DEFAULT_STATE, type FeatureState } from "../../js/views/feature_model";
import { FakeModel } from "./fake_model";
import { payloadOf } from "./helpers";

/** A model with a comm: `send` records the request; `reply` delivers Python's answer. */
class CommModel extends FakeModel<FeatureState> {
  sent: Record<string, unknown>[] = [];
  send(content: unknown): void {
    this.sent.push(content as Record<string, unknown>);
  }
  reply(msg: unknown, buffers: unknown[]): void {
    for (const cb of this.handlers.get("msg:custom") ?? []) cb(msg, buffers);
  }
}

function rowsPayload(start: number, n: number): { result: Record<string, unknown>; buffers: DataView[]; paths: string[][] } {
  const tokens = payloadOf(new Int32Array(n * 2).fill(0), "int32", [n, 2]);
  const values = payloadOf(new Float32Array(n * 2).fill(1), "float32", [n, 2], { vmin: 0, vmax: 2 });
  const acts = payloadOf(new Float32Array(n).fill(1), "float32", [n]);
  const where = payloadOf(new Int32Array(2 * n).fill(start), "int32", [n, 2]);
  const strip = (p: typeof tokens): Record<string, unknown> => ({ ...p, data: null });
  return {
    result: { n, table: [" page2"], more: "none", tokens: strip(tokens), values: strip(values), acts: strip(acts), where: strip(where) },
    buffers: [tokens, values, acts, where].map((p) => p.data as DataView),
    paths: [["tokens", "data"], ["values", "data"], ["acts", "data"], ["where", "data"]],
  };
}

function state(): FeatureState {
  const first = rowsPayload(0, 2);
  const examples: Record<string, unknown> = { ...first.result, more: "data" };
  first.paths.forEach(([k], i) => ((examples[k] as Record<string, unknown>).data = first.buffers[i]));
  const card = {
    feature: 0, name: "L0.0", n_active: 3, n_tokens: 10, density: 0.3, max_act: 2, k: 4, n_examples: 4, examples,
    hist_edges: payloadOf(new Float32Array([0, 1, 2]), "float32", [3]), hist_counts: payloadOf(new Float64Array([2, 1]), "float64", [2]),
    bucket_edges: [], buckets: [], logits: null, prompt: "p",
  };
  return { ...DEFAULT_STATE, n_features: 3, feature_names: ["L0.0", "L0.1", "L0.2"], cards: { "0": card as never }, context: [0, 1], page_size: 2 };
}

describe("FeatureView widget glue", () => {
  beforeEach(() => void vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null));
  afterEach(() => vi.restoreAllMocks());

  it("writes feature and labels back, and pages through the comm", async () => {
    const model = new CommModel(state());
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model: model as never, el });
    const root = el.querySelector(".interplay-feature") as HTMLElement;
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(model.sets[0]).toEqual(["feature", 1]);
    expect(model.saved).toBe(1);
    // the glue asked for feature 1's card: answer it with an error, shown as text
    const cardReq = model.sent.find((m) => m.method === "card") as Record<string, unknown>;
    expect(cardReq.params).toEqual({ feature: 1 });
    model.reply({ type: "interplay:response", id: cardReq.id, ok: false, error: "no card <b>1</b>" }, []);
    await vi.waitFor(() => expect(root.querySelector('.interplay-feature-card[data-feature="1"]')?.textContent).toBe("no card <b>1</b>"));
    model.set("feature", 0); // Python (or the person) goes back
    const more = root.querySelector('.interplay-feature-card[data-feature="0"] button.interplay-feature-more') as HTMLButtonElement;
    more.click();
    const req = model.sent.find((m) => m.method === "examples") as Record<string, unknown>;
    expect(req.params).toEqual({ feature: 0, start: 2, count: 2 });
    const page = rowsPayload(2, 2);
    model.reply({ type: "interplay:response", id: req.id, ok: true, result: page.result, buffer_paths: page.paths }, page.buffers);
    await vi.waitFor(() => expect(root.querySelectorAll('.interplay-feature-card[data-feature="0"] .interplay-feature-top .interplay-feature-example')).toHaveLength(4));
    expect(root.querySelector('[data-rank="3"] .interplay-feature-max')?.textContent).toBe(" page2");
    const label = root.querySelector("input.interplay-feature-label") as HTMLInputElement;
    label.value = "x";
    label.dispatchEvent(new Event("change"));
    expect(model.sets.at(-1)).toEqual(["labels", { "0": "x" }]);
    cleanup();
    expect(el.querySelector(".interplay-feature")).toBeNull();
  });
});
