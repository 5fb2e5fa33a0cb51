// @vitest-environment jsdom
/** The LogitLens and DLA anywidget glue, driven by a fake model. */
import { afterEach, describe, expect, it, vi } from "vitest";

import type { DlaState } from "../../js/views/dla_model";
import type { LogitLensState } from "../../js/views/logit_lens_model";
import dla from "../../js/widgets/dla";
import lens from "../../js/widgets/logit_lens";
import { FakeModel } from "./fake_model";
import { dlaState, lensState, targetTraits } from "./lens_dla_fixtures";

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

describe("logit_lens widget", () => {
  it("renders, follows traits, writes edits back in one save each, and cleans up", () => {
    const model = new FakeModel<LogitLensState>(lensState());
    const el = mount();
    const cleanup = lens.render({ model, el });
    const root = el.querySelector(".interplay-logit-lens") as HTMLElement;
    expect(root).not.toBeNull();
    expect(model.listenerCount()).toBe(17); // + the image export's msg:custom

    const select = root.querySelector("select.interplay-lens-mode") as HTMLSelectElement;
    select.value = "kl";
    select.dispatchEvent(new Event("change"));
    expect(model.traits.mode).toBe("kl");
    expect(model.saved).toBe(1);

    const input = root.querySelector("input.interplay-lens-target") as HTMLInputElement;
    input.value = " Mary";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(model.traits.target).toBe(" Mary");
    expect(model.traits.mode).toBe("target_prob");
    expect(model.saved).toBe(2);

    // Python answers: an error first, then a valid target.
    model.set("target_error", "not in the vocabulary");
    const err = root.querySelector(".interplay-target-error") as HTMLElement;
    expect(err.hidden).toBe(false);
    expect(err.textContent).toBe("not in the vocabulary");
    for (const [k, v] of Object.entries(targetTraits())) model.set(k as keyof LogitLensState, v as never);
    expect(err.hidden).toBe(true);
    expect((select.options[1] as HTMLOptionElement).disabled).toBe(false);

    (root.querySelector("input.interplay-lens-ln") as HTMLInputElement).click();
    expect(model.traits.apply_ln).toBe(false);
    expect(model.saved).toBe(3);

    model.set("computing", true);
    expect((root.querySelector(".interplay-busy") as HTMLElement).hidden).toBe(false);

    root.focus();
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(model.traits.selected).toEqual({ layer: 1, pos: 0 });
    expect(model.saved).toBe(4);

    model.set("layer_labels", ["a"]);
    expect(root.querySelector(".interplay-error")?.textContent).toMatch(/1 layer labels/);

    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.querySelector(".interplay-logit-lens")).toBeNull();
  });
});

describe("dla widget", () => {
  it("renders, follows traits, writes the selected head back, and cleans up", () => {
    const model = new FakeModel<DlaState>(dlaState());
    const el = mount();
    const cleanup = dla.render({ model, el });
    const root = el.querySelector(".interplay-dla") as HTMLElement;
    expect(model.listenerCount()).toBe(8); // + the image export's msg:custom

    model.set("target_label", "logit(' Paris')");
    expect(root.querySelector(".interplay-dla-target")?.textContent).toBe("logit(' Paris')");
    model.set("total", 2);
    expect(root.querySelector(".interplay-dla-total")?.textContent).toBe("total: 2");

    const canvas = root.querySelector("canvas.interplay-dla-canvas") as HTMLCanvasElement;
    canvas.dispatchEvent(new MouseEvent("click", { clientX: 28 * 2 + 5, clientY: 22 + 5, bubbles: true }));
    expect(model.traits.selected).toEqual({ layer: 1, head: 2 });
    expect(model.saved).toBe(1);

    root.focus();
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(model.traits.selected).toEqual({ layer: 1, head: 1 });
    expect(model.saved).toBe(2);

    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.querySelector(".interplay-dla")).toBeNull();
  });
});
