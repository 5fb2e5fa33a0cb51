// @vitest-environment jsdom
/** The anywidget glue, driven by a fake model with anywidget's get/set/on/off/save_changes. */
import { afterEach, describe, expect, it, vi } from "vitest";

import type { AnyModel } from "../../js/lib/types";
import type { TokenHeatmapState } from "../../js/views/token_heatmap";
import widget from "../../js/widgets/token_heatmap";
import { payloadOf } from "./helpers";

type Handler = (...args: unknown[]) => void;

class FakeModel implements AnyModel<TokenHeatmapState> {
  handlers = new Map<string, Set<Handler>>();
  saved = 0;
  constructor(public traits: TokenHeatmapState) {}
  get<K extends keyof TokenHeatmapState & string>(key: K): TokenHeatmapState[K] {
    return this.traits[key];
  }
  set<K extends keyof TokenHeatmapState & string>(key: K, value: TokenHeatmapState[K]): void {
    this.traits = { ...this.traits, [key]: value };
    this.emit(`change:${key}`);
  }
  save_changes(): void {
    this.saved++;
  }
  on(name: string, cb: Handler): void {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name)?.add(cb);
  }
  off(name?: string | null, cb?: Handler | null): void {
    if (name && cb) this.handlers.get(name)?.delete(cb);
  }
  emit(name: string): void {
    for (const cb of this.handlers.get(name) ?? []) cb();
  }
  listenerCount(): number {
    return [...this.handlers.values()].reduce((n, s) => n + s.size, 0);
  }
}

const traits = (): TokenHeatmapState => ({
  tokens: ["a", "b", "c"],
  values: payloadOf(new Float32Array([1, 2, 3, 4, 5, 6]), "float32", [2, 3], { dims: ["row", "pos"], vmin: 1, vmax: 6 }),
  row_labels: ["r0", "r1"],
  scale: { kind: "sequential", cmap: "viridis", center: null },
  title: "T",
  value_label: "v",
  selected: null,
});

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe("token_heatmap widget", () => {
  it("renders, follows trait changes, writes selections back and cleans up", () => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    const model = new FakeModel(traits());
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const root = el.querySelector(".interplay-token-heatmap") as HTMLElement;
    expect(root).not.toBeNull();
    expect(root.querySelector(".interplay-title")?.textContent).toBe("T");
    expect(model.listenerCount()).toBe(8); // 7 traits + the image export's msg:custom

    model.set("title", "New title");
    expect(root.querySelector(".interplay-title")?.textContent).toBe("New title");
    model.set("tokens", ["a", "b"]);
    expect(root.querySelector(".interplay-error")?.textContent).toMatch(/2 tokens/);
    model.set("tokens", ["x", "y", "z"]);
    expect((root.querySelector(".interplay-error") as HTMLElement).hidden).toBe(true);

    root.focus();
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(model.traits.selected).toEqual({ row: 1, pos: 0 });
    expect(model.saved).toBe(1);

    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.querySelector(".interplay-token-heatmap")).toBeNull();
  });
});
