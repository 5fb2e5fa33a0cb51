// @vitest-environment jsdom
/**
 * Where the stylesheets go: a view inside a shadow root (marimo renders every anywidget in one)
 * gets each sheet in that shadow root, once per root; a view in the document gets it in the head,
 * once per document, as before; a view built detached and attached later gets it where it lands.
 * Every view class, built inside a shadow root, puts all of its sheets there, and its tooltip lives
 * inside the root (so the sheet reaches it). The theme's fallbacks name each host's variables in order.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { CSS, ensureStyles, ensureStyleSheet, STYLE_ID, styleScope } from "../../js/lib/theme";
import { AnnotatorView } from "../../js/views/annotator";
import { AttentionView } from "../../js/views/attention";
import { AttributionView } from "../../js/views/attribution";
import { CircuitView } from "../../js/views/circuit";
import { DLAView } from "../../js/views/dla";
import { LogitLensView } from "../../js/views/logit_lens";
import { PatchingView } from "../../js/views/patching";
import { TokenHeatmapView, type TokenHeatmapState } from "../../js/views/token_heatmap";
import { payloadOf } from "./helpers";

const hosts: HTMLElement[] = [];

/** An element inside a fresh open shadow root (as marimo mounts a widget), attached to the document. */
function inShadow(): { shadow: ShadowRoot; el: HTMLElement } {
  const host = document.createElement("div");
  document.body.append(host);
  hosts.push(host);
  const shadow = host.attachShadow({ mode: "open" });
  const el = document.createElement("div");
  shadow.append(el);
  return { shadow, el };
}

function clearHead(): void {
  for (const s of document.head.querySelectorAll("style")) s.remove();
}

beforeEach(() => {
  clearHead();
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
});

afterEach(() => {
  for (const h of hosts.splice(0)) h.remove();
  clearHead();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("styleScope", () => {
  it("is the shadow root, the document, or null while detached", () => {
    const { shadow, el } = inShadow();
    expect(styleScope(el)).toBe(shadow);
    const attached = document.createElement("div");
    document.body.append(attached);
    hosts.push(attached);
    expect(styleScope(attached)).toBe(document);
    expect(styleScope(document.createElement("div"))).toBeNull();
  });
});

describe("ensureStyleSheet", () => {
  it("puts the sheet into a shadow root once, and not into the document's head", () => {
    const { shadow, el } = inShadow();
    ensureStyles(el);
    ensureStyles(el);
    const other = document.createElement("div");
    shadow.append(other);
    ensureStyles(other);
    expect(shadow.querySelectorAll(`style#${STYLE_ID}`)).toHaveLength(1);
    expect(shadow.querySelector(`style#${STYLE_ID}`)?.textContent).toBe(CSS);
    expect(document.head.querySelectorAll("style")).toHaveLength(0);
  });

  it("gives each shadow root its own sheet, and each view sheet its own id", () => {
    const a = inShadow();
    const b = inShadow();
    ensureStyles(a.el);
    ensureStyles(b.el);
    ensureStyleSheet(a.el, "interplay-style-x", ".interplay-x { color: red; }");
    ensureStyleSheet(a.el, "interplay-style-x", ".interplay-x { color: red; }");
    expect(a.shadow.querySelectorAll("style")).toHaveLength(2);
    expect(a.shadow.querySelectorAll("style#interplay-style-x")).toHaveLength(1);
    expect(b.shadow.querySelectorAll("style")).toHaveLength(1);
    expect(b.shadow.querySelectorAll(`style#${STYLE_ID}`)).toHaveLength(1);
  });

  it("keeps the document path: an attached node's document head gets the sheet once", () => {
    const el = document.createElement("div");
    document.body.append(el);
    hosts.push(el);
    ensureStyles(el);
    ensureStyles(el);
    expect(document.querySelectorAll(`style#${STYLE_ID}`)).toHaveLength(1);
    expect(document.head.querySelector(`style#${STYLE_ID}`)?.textContent).toBe(CSS);
  });

  it("gives a detached node's document the sheet, and its shadow root too once it is attached there", () => {
    vi.useFakeTimers();
    const el = document.createElement("div");
    ensureStyles(el);
    expect(document.head.querySelectorAll(`style#${STYLE_ID}`)).toHaveLength(1);
    const { shadow } = inShadow();
    vi.advanceTimersByTime(60);
    expect(shadow.querySelector(`style#${STYLE_ID}`)).toBeNull(); // not attached yet
    shadow.append(el);
    vi.advanceTimersByTime(60);
    expect(shadow.querySelectorAll(`style#${STYLE_ID}`)).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(shadow.querySelectorAll(`style#${STYLE_ID}`)).toHaveLength(1);
  });

  it("a detached node attached to the document adds nothing more", () => {
    vi.useFakeTimers();
    const el = document.createElement("div");
    ensureStyles(el);
    document.body.append(el);
    hosts.push(el);
    vi.advanceTimersByTime(200);
    expect(document.querySelectorAll(`style#${STYLE_ID}`)).toHaveLength(1);
  });
});

describe("every view inside a shadow root", () => {
  const heatmap = (): Partial<TokenHeatmapState> => ({
    tokens: ["a", " b", " c"],
    values: payloadOf(new Float32Array([0.5, -1, 0.25]), "float32", [1, 3], { dims: ["row", "pos"], vmin: -1, vmax: 1 }),
    row_labels: ["r"],
    scale: { kind: "diverging", cmap: "rdbu", center: 0 },
  });
  const views: [string, (el: HTMLElement) => { destroy(): void }, string[]][] = [
    ["TokenHeatmapView", (el) => new TokenHeatmapView(el, heatmap()), []],
    ["AttentionView", (el) => new AttentionView(el), ["interplay-style-attention"]],
    ["LogitLensView", (el) => new LogitLensView(el), ["interplay-style-logit-lens"]],
    ["DLAView", (el) => new DLAView(el), ["interplay-style-dla"]],
    ["AttributionView", (el) => new AttributionView(el), ["interplay-attribution-style"]],
    ["PatchingView", (el) => new PatchingView(el), ["interplay-style-patching"]],
    ["CircuitView", (el) => new CircuitView(el), ["interplay-circuit-style"]],
    ["AnnotatorView", (el) => new AnnotatorView(el), ["interplay-annotator-style"]],
  ];

  it.each(views)("%s puts its sheets into the shadow root, none into the head", (_name, build, own) => {
    const { shadow, el } = inShadow();
    const first = build(el);
    const second = build(el);
    for (const id of [STYLE_ID, ...own]) expect(shadow.querySelectorAll(`style#${id}`), id).toHaveLength(1);
    expect(document.head.querySelectorAll("style")).toHaveLength(0);
    first.destroy();
    second.destroy();
  });

  it("the heatmap's tooltip lives inside the shadow root, where the sheet reaches it", () => {
    const { shadow, el } = inShadow();
    const view = new TokenHeatmapView(el, heatmap());
    const tips = shadow.querySelectorAll(".interplay-tooltip");
    expect(tips.length).toBeGreaterThan(0);
    for (const tip of tips) expect(tip.getRootNode()).toBe(shadow);
    expect(document.querySelectorAll(".interplay-tooltip")).toHaveLength(0);
    view.destroy();
  });
});

describe("theme fallbacks", () => {
  /** The fallback chain of one custom property, as the variable names and the final value. */
  function chain(prop: string): string {
    const m = new RegExp(`${prop}:\\s*([^;]+);`).exec(CSS);
    expect(m, prop).not.toBeNull();
    return (m as RegExpExecArray)[1];
  }

  it.each([
    ["--interplay-fg", ["--jp-ui-font-color1", "--vscode-editor-foreground", "--colab-primary-text-color", "CanvasText"]],
    ["--interplay-fg-muted", ["--jp-ui-font-color2", "--vscode-descriptionForeground", "--colab-secondary-text-color", "GrayText"]],
    ["--interplay-bg", ["--jp-layout-color1", "--vscode-editor-background", "--colab-primary-surface-color", "Canvas"]],
    ["--interplay-border", ["--jp-border-color2", "--vscode-panel-border", "--colab-border-color"]],
    ["--interplay-focus", ["--jp-brand-color1", "--vscode-focusBorder"]],
    ["--interplay-error", ["--jp-error-color1", "--vscode-errorForeground"]],
    ["--interplay-ui-font", ["--jp-ui-font-family", "--vscode-font-family", "--marimo-text-font"]],
    ["--interplay-code-font", ["--jp-code-font-family", "--vscode-editor-font-family", "--marimo-monospace-font"]],
  ])("%s falls back JupyterLab, then VS Code, then Colab/marimo, then the page's scheme", (prop, names) => {
    const value = chain(prop);
    const at = names.map((n) => value.indexOf(n));
    for (const [i, pos] of at.entries()) expect(pos, names[i]).toBeGreaterThanOrEqual(0);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
  });
});
