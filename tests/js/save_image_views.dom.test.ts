// @vitest-environment jsdom
/**
 * Every view's anywidget glue goes through `widget_glue.connect`, so each of the eight views gets the
 * one "Save image" control and answers snapshot requests (js/lib/save_image.ts), without a copy of it.
 */
import { afterEach, describe, expect, it, vi } from "vitest";

import { SNAPSHOT_VIEW } from "../../js/lib/save_image";
import annotator from "../../js/widgets/annotator";
import attention from "../../js/widgets/attention";
import attribution from "../../js/widgets/attribution";
import circuit from "../../js/widgets/circuit";
import dla from "../../js/widgets/dla";
import logitLens from "../../js/widgets/logit_lens";
import patching from "../../js/widgets/patching";
import tokenHeatmap from "../../js/widgets/token_heatmap";

type Handler = (...args: unknown[]) => void;

/** A model with no traits set (each view shows its empty or error state) that records messages. */
class EmptyModel {
  handlers = new Map<string, Set<Handler>>();
  sent: Record<string, unknown>[] = [];
  get(): undefined {
    return undefined;
  }
  set(): void {}
  save_changes(): void {}
  on(name: string, cb: Handler): void {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name)?.add(cb);
  }
  off(name?: string | null, cb?: Handler | null): void {
    if (name && cb) this.handlers.get(name)?.delete(cb);
  }
  send(content: unknown): void {
    this.sent.push(content as Record<string, unknown>);
  }
}

const WIDGETS = { annotator, attention, attribution, circuit, dla, logitLens, patching, tokenHeatmap };

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe("the Save image control in every view", () => {
  it.each(Object.entries(WIDGETS))("%s", (_name, widget) => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    const model = new EmptyModel();
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model: model as never, el });
    const root = el.querySelector(".interplay-root") as HTMLElement;
    expect(root).not.toBeNull();
    const controls = root.querySelectorAll(".interplay-save-image");
    expect(controls.length).toBe(1);
    expect(controls[0].querySelector("button.interplay-save-svg")).not.toBeNull();
    expect(controls[0].querySelector("button.interplay-save-png")).not.toBeNull();
    expect(model.sent.filter((m) => m.type === SNAPSHOT_VIEW && m.event === "shown").length).toBe(1);
    cleanup();
    expect(el.querySelector(".interplay-save-image")).toBeNull();
    expect(model.sent.at(-1)).toMatchObject({ type: SNAPSHOT_VIEW, event: "hidden" });
    expect(model.handlers.get("msg:custom")?.size ?? 0).toBe(0);
  });
});
