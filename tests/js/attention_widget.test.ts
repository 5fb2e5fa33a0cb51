// @vitest-environment jsdom
/** The AttentionView's anywidget glue: traits in, changes followed, user settings out, rpc wired, clean-up. */
import { afterEach, describe, expect, it, vi } from "vitest";

import { TRAITS } from "../../js/views/attention_model";
import widget from "../../js/widgets/attention";
import { attentionTraits, causalCodes, FakeAttentionModel, settle } from "./attention_fake";

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe("attention widget", () => {
  it("renders, follows trait changes, writes selected / query back, answers requests and cleans up", async () => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    const model = new FakeAttentionModel(attentionTraits(["a", "b", "c"], { title: "T" }));
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const root = el.querySelector(".interplay-attention") as HTMLElement;
    expect(root).not.toBeNull();
    expect(root.querySelector(".interplay-title")?.textContent).toBe("T");
    expect(model.listenerCount()).toBe(TRAITS.length);

    model.set("title", "New title");
    expect(root.querySelector(".interplay-title")?.textContent).toBe("New title");
    model.set("notes", ["one note"]);
    expect(root.querySelector(".interplay-notes")?.textContent).toBe("one note");

    root.focus();
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(model.traits.selected).toEqual({ layer: 1, head: 0 });
    expect(model.saved).toBe(1);

    await settle();
    const [req] = model.requests("pattern");
    expect(req).toMatchObject({ type: "interplay:request", method: "pattern" });
    expect(model.listenerCount("msg:custom")).toBe(2); // rpc answers + image export (save_image.ts)
    model.replyPattern(req, causalCodes(3), 3, 3);
    await settle();
    expect((root.querySelector(".interplay-busy") as HTMLElement).hidden).toBe(true);

    (root.querySelectorAll("span.interplay-token")[1] as HTMLElement).click();
    expect(model.traits.query).toBe(1);
    expect(model.saved).toBe(2);

    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.querySelector(".interplay-attention")).toBeNull();
  });
});
