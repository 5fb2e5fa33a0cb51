// @vitest-environment jsdom
/**
 * The PromptFeaturesView in jsdom: tokens as text coloured by their max activation, a picked token's
 * latent list (index, label, bar, value), picking by click and keyboard, the widget glue writing
 * `token` / `selected` back, Python's selection shown, errors and the panel's message.
 */
import { afterEach, describe, expect, it } from "vitest";

import { PromptFeaturesView, type PromptFeaturesState } from "../../js/views/prompt_features";
import { latentsAt, prepare, tokenLines, validSelection } from "../../js/views/prompt_features_model";
import widget from "../../js/widgets/prompt_features";
import { FakeModel } from "./fake_model";
import { payloadOf } from "./helpers";

const XSS = "<img src=x onerror=alert(1)>";
const XSS_SHOWN = "<img␣src=x␣onerror=alert(1)>"; // spaces made visible, as every token view does
const TOKENS = ["<|bos|>", " When", XSS, "\n"];

function state(overrides: Partial<PromptFeaturesState> = {}): PromptFeaturesState {
  // token p: latents [p, p+1, p+2] with activations 3, 2, 1 (times p + 1); token 3 has one active latent
  const lat = new Int32Array([0, 1, 2, 1, 2, 3, 2, 3, 4, 3, -1, -1]);
  const val = new Float32Array([3, 2, 1, 6, 4, 2, 9, 6, 3, 12, NaN, NaN]);
  const max = new Float32Array([3, 6, 9, 12]);
  return {
    tokens: [...TOKENS],
    max_values: payloadOf(max, "float32", [4], { dims: ["pos"], vmin: 0, vmax: 12 }),
    top_latents: payloadOf(lat, "int32", [4, 3], { dims: ["pos", "k"] }),
    top_values: payloadOf(val, "float32", [4, 3], { dims: ["pos", "k"] }),
    n_active: payloadOf(new Int32Array([5, 4, 3, 1]), "int32", [4], { dims: ["pos"] }),
    latent_labels: { "2": "<b>names</b>" },
    dictionary: "demo/resid_post.2",
    hook: "blocks.2.hook_resid_post",
    n_latents: 6,
    scale: { kind: "sequential", cmap: "blues", center: null },
    title: "prompt <script>",
    notes: ["a note"],
    message: "",
    message_kind: "info",
    token: null,
    selected: null,
    ...overrides,
  };
}

let el: HTMLDivElement;
function mount(s: Partial<PromptFeaturesState> = state(), opts = {}): PromptFeaturesView {
  el = document.createElement("div");
  document.body.append(el);
  return new PromptFeaturesView(el, s, opts);
}

afterEach(() => {
  document.body.replaceChildren();
});

const tokenSpans = (): HTMLSpanElement[] => [...el.querySelectorAll<HTMLSpanElement>(".interplay-pf-token")];
const latentButtons = (): HTMLButtonElement[] => [...el.querySelectorAll<HTMLButtonElement>("button.interplay-pf-latent")];

describe("prompt features model", () => {
  it("lists a token's active latents, most active first, with bars relative to the token's max", () => {
    const p = prepare(state());
    expect(p.n).toBe(4);
    expect(p.k).toBe(3);
    expect(latentsAt(p, 1, { "2": "names" })).toEqual([
      { latent: 1, value: 6, label: "", fraction: 1 },
      { latent: 2, value: 4, label: "names", fraction: 4 / 6 },
      { latent: 3, value: 2, label: "", fraction: 2 / 6 },
    ]);
    expect(latentsAt(p, 3, {}).map((r) => r.latent)).toEqual([3]);
    expect(latentsAt(p, 9, {})).toEqual([]);
    expect(tokenLines(p, TOKENS, 2)).toEqual([XSS_SHOWN, JSON.stringify(XSS), "pos 2", "max activation: 9", "active latents: 3", "top latent: #2 (9)"]);
    expect(validSelection({ pos: 1, latent: 5 }, p, 6)).toEqual({ pos: 1, latent: 5 });
    expect(validSelection({ pos: 1, latent: 6 }, p, 6)).toBeNull();
    expect(validSelection({ pos: 4, latent: 0 }, p, 6)).toBeNull();
  });

  it("names what is wrong with the payloads", () => {
    expect(() => prepare(state({ tokens: ["a"] }))).toThrow(/max_values has shape \[4\]; expected \[1\]/);
    expect(() => prepare(state({ top_values: payloadOf(new Float32Array(4), "float32", [4, 1]) }))).toThrow(/top_values has shape \[4, 1\]/);
    expect(() => prepare(state({ max_values: null }))).toThrow(/no max_values/);
  });
});

describe("PromptFeaturesView", () => {
  it("shows the tokens as text, coloured by their max activation, and nothing as HTML", () => {
    mount();
    const root = el.querySelector(".interplay-prompt-features") as HTMLElement;
    expect(root.tabIndex).toBe(0);
    const spans = tokenSpans();
    expect(spans.map((s) => s.textContent)).toEqual(["<|bos|>", "␣When", XSS_SHOWN, "↵"]);
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("b")).toBeNull();
    const bgs = spans.map((s) => s.style.background);
    expect(new Set(bgs).size).toBe(4); // four activations, four colours
    expect(el.querySelector(".interplay-title")?.textContent).toBe("prompt <script>");
    expect(el.querySelector(".interplay-pf-meta")?.textContent).toBe("demo/resid_post.2 · at blocks.2.hook_resid_post · 6 latents");
    expect(el.querySelector(".interplay-legend")).not.toBeNull();
    expect(el.querySelector(".interplay-notes")?.textContent).toBe("a note");
    expect(latentButtons()).toHaveLength(0);
    expect(el.querySelector(".interplay-pf-heading")?.textContent).toMatch(/Click a token/);
  });

  it("a click on a token lists its latents; a click on a latent selects it", () => {
    const tokens: (number | null)[] = [];
    const picks: unknown[] = [];
    mount(state(), { onToken: (t: number | null) => tokens.push(t), onSelect: (s: unknown) => picks.push(s) });
    tokenSpans()[1].click();
    expect(tokens).toEqual([1]);
    expect(tokenSpans()[1].getAttribute("aria-selected")).toBe("true");
    const buttons = latentButtons();
    expect(buttons.map((b) => b.dataset.latent)).toEqual(["1", "2", "3"]);
    expect(buttons[1].querySelector(".interplay-pf-latent-label")?.textContent).toBe("<b>names</b>");
    expect(buttons[0].querySelector(".interplay-pf-latent-index")?.textContent).toBe("#1");
    expect(buttons[0].querySelector(".interplay-pf-latent-value")?.textContent).toBe("6");
    expect((buttons[2].querySelector(".interplay-pf-bar-fill") as HTMLElement).style.width).toBe("33.3%");
    expect(el.querySelector(".interplay-pf-heading")?.textContent).toMatch(/pos 1 ␣When: 3 of 4 active latents/);
    buttons[1].click();
    expect(picks).toEqual([{ pos: 1, latent: 2 }]);
    expect(latentButtons()[1].getAttribute("aria-pressed")).toBe("true");
    expect(latentButtons()[0].getAttribute("aria-pressed")).toBe("false");
  });

  it("keyboard: arrows move the cursor, Enter picks the token, ArrowDown enters the list, Escape clears", () => {
    const picks: unknown[] = [];
    const tokens: unknown[] = [];
    mount(state(), { onToken: (t: unknown) => tokens.push(t), onSelect: (s: unknown) => picks.push(s) });
    const root = el.querySelector(".interplay-prompt-features") as HTMLElement;
    const key = (target: HTMLElement, k: string): void => void target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    key(root, "End");
    key(root, "ArrowLeft");
    expect(tokenSpans()[2].classList.contains("interplay-pf-cursor")).toBe(true);
    key(root, "Enter");
    expect(tokens).toEqual([2]);
    expect(latentButtons().map((b) => b.dataset.latent)).toEqual(["2", "3", "4"]);
    key(root, "ArrowDown");
    expect(document.activeElement).toBe(latentButtons()[0]);
    key(latentButtons()[0], "ArrowDown");
    expect(document.activeElement).toBe(latentButtons()[1]);
    latentButtons()[1].click(); // Enter on a focused button clicks it natively
    expect(picks).toEqual([{ pos: 2, latent: 3 }]);
    key(latentButtons()[1], "Escape");
    expect(document.activeElement).toBe(root);
    key(root, "Escape");
    expect(picks).toEqual([{ pos: 2, latent: 3 }, null]);
  });

  it("shows a selection set from Python, a token with no active latent, and the panel's message", () => {
    const view = mount(state({ token: 0, selected: { pos: 0, latent: 2 } }));
    expect(latentButtons().find((b) => b.getAttribute("aria-pressed") === "true")?.dataset.latent).toBe("2");
    view.update({ token: 3, selected: null });
    expect(latentButtons().map((b) => b.dataset.latent)).toEqual(["3"]);
    const msg = el.querySelector(".interplay-pf-message") as HTMLElement;
    expect(msg.hidden).toBe(true);
    view.update({ message: "Finding <examples>…", message_kind: "busy" });
    expect(msg.hidden).toBe(false);
    expect(msg.textContent).toBe("Finding <examples>…");
    expect(msg.classList.contains("interplay-busy")).toBe(true);
    view.update({ message: "needs a live model", message_kind: "error" });
    expect(msg.dataset.kind).toBe("error");
    expect(msg.classList.contains("interplay-busy")).toBe(false);
    view.update({ latent_labels: { "3": "brackets" } });
    expect(latentButtons()[0].querySelector(".interplay-pf-latent-label")?.textContent).toBe("brackets");
  });

  it("shows bad data as an error in the view", () => {
    mount(state({ tokens: ["only one"] }));
    const err = el.querySelector(".interplay-error") as HTMLElement;
    expect(err.hidden).toBe(false);
    expect(err.textContent).toMatch(/Cannot show these prompt features: max_values has shape/);
    expect((el.querySelector(".interplay-pf-body") as HTMLElement).hidden).toBe(true);
  });

  it("shows a tooltip with the token's exact text on hover", () => {
    mount();
    const span = tokenSpans()[2];
    span.dispatchEvent(new PointerEvent("pointermove", { bubbles: true, clientX: 5, clientY: 5 }));
    const tip = el.querySelector(".interplay-tooltip") as HTMLElement;
    expect(tip.hidden).toBe(false);
    expect(tip.textContent).toContain(JSON.stringify(XSS));
    expect(tip.textContent).toContain("pos 2");
    expect(el.querySelector("img")).toBeNull();
  });
});

describe("prompt_features widget glue", () => {
  it("writes token and selected back to the model, and follows its changes", () => {
    const model = new FakeModel<PromptFeaturesState>(state());
    el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    tokenSpans()[1].click();
    expect(model.traits.token).toBe(1);
    latentButtons()[2].click();
    expect(model.traits.selected).toEqual({ pos: 1, latent: 3 });
    expect(model.saved).toBe(2);
    model.set("token", 3);
    expect(latentButtons().map((b) => b.dataset.latent)).toEqual(["3"]);
    model.set("message", "hello");
    expect(el.querySelector(".interplay-pf-message")?.textContent).toBe("hello");
    const n = model.listenerCount();
    expect(n).toBeGreaterThan(0);
    cleanup();
    expect(el.querySelector(".interplay-prompt-features")).toBeNull();
  });
});
