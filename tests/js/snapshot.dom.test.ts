// @vitest-environment jsdom
/**
 * Snapshots of a view's DOM (js/lib/snapshot.ts) and the shared "Save image" control
 * (js/lib/save_image.ts) in jsdom: the SVG's structure, inlined styles, canvases replaced by their
 * pixels, token text kept as text (never markup), scroll and skipped elements, redraw at a scale,
 * and the message exchange with Python. (Rasterising needs a real browser: the e2e tests do it.)
 */
import { afterEach, describe, expect, it, vi } from "vitest";

import { attachImageExport, imageName, SNAPSHOT_REQUEST, SNAPSHOT_RESULT, SNAPSHOT_VIEW } from "../../js/lib/save_image";
import {
  checkScale, setRedraw, SKIP_ATTRIBUTE, snapshot, snapshotSvg, withPixelDensity, withPixelRatio, xmlSafe,
} from "../../js/lib/snapshot";
import type { AnyModel } from "../../js/lib/types";
import { bindTraits, connect } from "../../js/lib/widget_glue";

const XSS = "<img src=x onerror=alert(1)>";
const PIXELS = "data:image/png;base64,iVBORw0KGgo=";

function sized<T extends Element>(el: T, width: number, height: number): T {
  el.getBoundingClientRect = () => ({ x: 0, y: 0, left: 0, top: 0, right: width, bottom: height, width, height, toJSON: () => ({}) });
  return el;
}

/** A small view: a root with a styled title, a token line, a canvas and a save control to skip. */
function view(readable = true): { root: HTMLDivElement; canvas: HTMLCanvasElement } {
  if (readable) vi.spyOn(HTMLCanvasElement.prototype, "toDataURL").mockReturnValue(PIXELS);
  const style = document.createElement("style");
  style.textContent = ".t-title { color: rgb(10, 20, 30); font-weight: 700; } .t-hidden { display: none; }";
  document.head.append(style);
  const root = sized(document.createElement("div"), 300, 120);
  root.className = "interplay-root interplay-token-heatmap";
  root.setAttribute("aria-label", "my view");
  const title = document.createElement("div");
  title.className = "t-title";
  title.textContent = "Title & <b>bold</b>";
  const tokens = document.createElement("div");
  tokens.className = "t-tokens";
  for (const t of [XSS, " the", "x\u0001y"]) {
    const span = document.createElement("span");
    span.className = "t-token";
    span.textContent = t;
    tokens.append(span);
  }
  const canvas = sized(document.createElement("canvas"), 100, 50);
  canvas.className = "t-canvas";
  canvas.width = 100;
  canvas.height = 50;
  const hidden = document.createElement("div");
  hidden.className = "t-hidden";
  hidden.textContent = "not shown";
  const skipped = document.createElement("div");
  skipped.setAttribute(SKIP_ATTRIBUTE, "skip");
  skipped.textContent = "the save control";
  root.append(title, tokens, canvas, hidden, skipped);
  document.body.append(root);
  return { root, canvas };
}

function parse(svg: string): Document {
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  expect(doc.getElementsByTagName("parsererror").length).toBe(0);
  return doc;
}

afterEach(() => {
  document.body.replaceChildren();
  document.head.replaceChildren();
  vi.restoreAllMocks();
});

describe("snapshotSvg", () => {
  it("is a standalone SVG: a foreignObject holding an XHTML clone of the view at its CSS size", async () => {
    const { root } = view();
    const svg = await snapshotSvg(root, { scale: 2 });
    const doc = parse(svg);
    const top = doc.documentElement;
    expect(top.namespaceURI).toBe("http://www.w3.org/2000/svg");
    expect(top.getAttribute("viewBox")).toBe("0 0 300 120");
    expect([top.getAttribute("width"), top.getAttribute("height")]).toEqual(["600", "240"]);
    expect(top.querySelector("title")?.textContent).toBe("my view");
    const fo = top.querySelector("foreignObject");
    expect(fo?.getAttribute("width")).toBe("300");
    const clone = fo?.firstElementChild as Element;
    expect(clone.namespaceURI).toBe("http://www.w3.org/1999/xhtml");
    expect(clone.getAttribute("class")).toContain("interplay-token-heatmap");
    expect(clone.getAttribute("style")).toContain("width: 300px");
    expect(clone.getAttribute("style")).toContain("background-color: rgb(255, 255, 255)");
    // no reference to anything outside the file
    expect(svg).not.toMatch(/(href|src)="(?!data:|#)/);
    expect(svg).not.toContain("<style");
  });

  it("inlines the computed styles the clone needs (no stylesheet in the file)", async () => {
    const { root } = view();
    const doc = parse(await snapshotSvg(root));
    const title = doc.querySelector(".t-title") as Element;
    expect(title.getAttribute("style")).toContain("color: rgb(10, 20, 30)");
    expect(title.getAttribute("style")).toContain("font-weight: 700");
    // inherited values are not repeated on children that inherit them unchanged
    const token = doc.querySelector(".t-token") as Element;
    expect(token.getAttribute("style") ?? "").not.toContain("rgb(10, 20, 30)");
  });

  it("replaces every canvas by an image of its current pixels, at its CSS size", async () => {
    const toDataURL = vi.spyOn(HTMLCanvasElement.prototype, "toDataURL").mockReturnValue(PIXELS);
    const { root } = view(false);
    const doc = parse(await snapshotSvg(root));
    expect(doc.getElementsByTagName("canvas").length).toBe(0);
    const img = doc.querySelector("img.t-canvas") as Element;
    expect(img.getAttribute("src")).toBe(PIXELS);
    expect([img.getAttribute("width"), img.getAttribute("height")]).toEqual(["100", "50"]);
    expect(img.getAttribute("style")).toContain("width: 100px");
    expect(toDataURL).toHaveBeenCalledWith("image/png");
  });

  it("says when a canvas cannot be read (and leaves it blank instead of failing)", async () => {
    vi.spyOn(HTMLCanvasElement.prototype, "toDataURL").mockImplementation(() => {
      throw new Error("tainted");
    });
    const { root } = view(false);
    const snap = await snapshot(root);
    expect(snap.notes.join(" ")).toContain("1 canvases could not be read");
    expect(parse(snap.svg).querySelector("img.t-canvas")?.hasAttribute("src")).toBe(false);
  });

  it("keeps token strings as text: escaped, never markup, and always well-formed XML", async () => {
    const { root } = view();
    const svg = await snapshotSvg(root);
    expect(svg).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(svg).toContain("Title &amp; &lt;b&gt;bold&lt;/b&gt;");
    expect(svg).not.toContain("<b>");
    const doc = parse(svg);
    expect(doc.querySelectorAll("img").length).toBe(1); // the canvas only: no <img> from the token
    const tokens = [...doc.querySelectorAll(".t-token")].map((t) => t.textContent);
    expect(tokens).toEqual([XSS, " the", "x\uFFFDy"]); // a control character XML cannot hold is replaced
  });

  it("leaves out hidden elements and elements marked to skip (the save control)", async () => {
    const { root } = view();
    const svg = await snapshotSvg(root);
    expect(svg).not.toContain("not shown");
    expect(svg).not.toContain("the save control");
    expect(root.textContent).toContain("the save control"); // the page itself is untouched
  });

  it("shows a scrolled element at its scroll offset, clipped", async () => {
    const { root } = view();
    const scroller = document.createElement("div");
    scroller.className = "t-scroll";
    scroller.style.overflow = "auto";
    const track = document.createElement("div");
    track.className = "t-track";
    track.textContent = "wide";
    scroller.append(track);
    root.append(scroller);
    Object.defineProperty(scroller, "scrollLeft", { value: 40 });
    Object.defineProperty(scroller, "scrollTop", { value: 7 });
    const doc = parse(await snapshotSvg(root));
    expect(doc.querySelector(".t-scroll")?.getAttribute("style")).toContain("overflow: hidden");
    expect(doc.querySelector(".t-scroll")?.getAttribute("style")).not.toContain("auto");
    expect(doc.querySelector(".t-track")?.getAttribute("style")).toContain("translate(-40px, -7px)");
  });

  it("keeps form controls' current values", async () => {
    const { root } = view();
    const select = document.createElement("select");
    for (const v of ["a", "b"]) {
      const o = document.createElement("option");
      o.value = o.textContent = v;
      select.append(o);
    }
    const input = document.createElement("input");
    root.append(select, input);
    select.value = "b";
    input.value = "typed <x>";
    const doc = parse(await snapshotSvg(root));
    expect(doc.querySelector("option[selected]")?.textContent).toBe("b");
    expect(doc.querySelector("input")?.getAttribute("value")).toBe("typed <x>");
  });

  it("redraws canvases at the scale's pixel ratio when the view can, else upscales and says so", async () => {
    const { root, canvas } = view(false);
    vi.spyOn(HTMLCanvasElement.prototype, "toDataURL").mockImplementation(function (this: HTMLCanvasElement) {
      return `data:image/png;base64,${this.width}x${this.height}`;
    });
    const upscaled = await snapshot(root, { scale: 3 });
    expect(upscaled.upscaled).toBe(1);
    expect(upscaled.notes.join(" ")).toContain("upscaled");
    expect(upscaled.svg).toContain('data-interplay-upscaled="1"');
    expect(upscaled.svg).toContain("<desc>");

    const ratios: number[] = [];
    setRedraw(root, () => {
      const dpr = window.devicePixelRatio;
      ratios.push(dpr);
      canvas.width = 100 * dpr;
      canvas.height = 50 * dpr;
    });
    const redrawn = await snapshot(root, { scale: 3 });
    expect(ratios).toEqual([3, 1]); // drawn at 3x for the capture, then back at the page's ratio
    expect(window.devicePixelRatio).toBe(1);
    expect(canvas.width).toBe(100);
    expect(redrawn.upscaled).toBe(0);
    expect(redrawn.svg).toContain("base64,300x150");
    setRedraw(root, null);
  });

  it("rejects a scale that is not a number in (0, 8]", async () => {
    const { root } = view();
    for (const bad of [0, -1, 9, Number.NaN, "2" as unknown as number]) {
      await expect(snapshotSvg(root, { scale: bad })).rejects.toThrow(/scale must be a number in \(0, 8\]/);
    }
    expect(checkScale(0.5)).toBe(0.5);
  });
});

describe("helpers", () => {
  it("withPixelRatio shadows devicePixelRatio only inside the call", () => {
    const before = window.devicePixelRatio;
    expect(withPixelRatio(window, 4, () => window.devicePixelRatio)).toBe(4);
    expect(window.devicePixelRatio).toBe(before);
    expect(() => withPixelRatio(window, 2, () => {
      throw new Error("boom");
    })).toThrow("boom");
    expect(window.devicePixelRatio).toBe(before);
  });

  it("xmlSafe replaces only what XML cannot hold", () => {
    expect(xmlSafe("a\u0000b\tc\nd\u001Fe\uD800f😀")).toBe("a\uFFFDb\tc\nd\uFFFDe\uFFFDf😀");
  });

  it("withPixelDensity adds one pHYs chunk (scale x 96 ppi) right after IHDR, with a good CRC", () => {
    // a 1 x 1 PNG's signature and IHDR, then IEND (enough for the chunk walk)
    const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    const ihdr = [0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89];
    const iend = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
    const png = new Uint8Array([...sig, ...ihdr, ...iend]);
    const out = withPixelDensity(png, 2);
    expect(out.length).toBe(png.length + 21);
    expect(String.fromCharCode(...out.subarray(37, 41))).toBe("pHYs");
    const view = new DataView(out.buffer, out.byteOffset);
    expect(view.getUint32(41)).toBe(Math.round(192 / 0.0254));
    expect(out[49]).toBe(1);
    expect(view.getUint32(50)).toBe(0x8fe5f165); // zlib.crc32(b"pHYs" + data), computed in Python
    expect([...out.subarray(54)]).toEqual(iend);
    expect(withPixelDensity(out, 3)).toBe(out); // already has one: unchanged
    expect(withPixelDensity(new Uint8Array([1, 2, 3]), 2).length).toBe(3);
  });

  it("names files after the view's root class", () => {
    const root = document.createElement("div");
    root.className = "interplay-root interplay-attention";
    expect(imageName(root, "png")).toBe("interplay-attention.png");
  });
});

type Handler = (...args: unknown[]) => void;

class MsgModel {
  handlers = new Set<Handler>();
  sent: { content: Record<string, unknown>; buffers?: ArrayBufferView[] }[] = [];
  on(name: string, cb: Handler): void {
    if (name === "msg:custom") this.handlers.add(cb);
  }
  off(name?: string | null, cb?: Handler | null): void {
    if (name === "msg:custom" && cb) this.handlers.delete(cb);
  }
  send(content: unknown, _callbacks?: unknown, buffers?: ArrayBufferView[]): void {
    this.sent.push({ content: content as Record<string, unknown>, buffers });
  }
  emit(msg: unknown): void {
    for (const cb of this.handlers) cb(msg, []);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}

describe("the Save image control and Python's requests", () => {
  it("adds one control (left out of snapshots) that downloads an SVG and a PNG at the chosen scale", async () => {
    const { root } = view();
    const saved: { name: string; blob: Blob }[] = [];
    const detach = attachImageExport(root, null, { download: (name, blob) => saved.push({ name, blob }) });
    const control = root.querySelector(".interplay-save-image") as HTMLElement;
    expect(control.getAttribute(SKIP_ATTRIBUTE)).toBe("skip");
    const scale = control.querySelector("select.interplay-save-image-scale") as HTMLSelectElement;
    expect([...scale.options].map((o) => o.value)).toEqual(["1", "2", "3", "4"]);
    expect(scale.value).toBe("2");
    (control.querySelector("button.interplay-save-svg") as HTMLButtonElement).click();
    await settle();
    expect(saved.map((s) => s.name)).toEqual(["interplay-token-heatmap.svg"]);
    expect(saved[0].blob.type).toBe("image/svg+xml");
    const text = await saved[0].blob.text();
    expect(text.startsWith("<svg")).toBe(true);
    expect(text).toContain('width="600"'); // 300 CSS px at the default 2x
    expect(text).not.toContain("Save image");
    expect(control.querySelector(".interplay-save-image-status")?.textContent).toContain("saved interplay-token-heatmap.svg");
    // (a PNG needs a browser that renders SVG, which jsdom cannot: the e2e tests download one)
    detach();
    expect(root.querySelector(".interplay-save-image")).toBeNull();
  });

  it("keys pressed on the control never reach the view's keyboard handlers", () => {
    const { root } = view();
    const seen: string[] = [];
    root.addEventListener("keydown", (e) => seen.push(e.key));
    attachImageExport(root, null);
    const button = root.querySelector("button.interplay-save-svg") as HTMLButtonElement;
    button.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(seen).toEqual([]);
  });

  it("announces the view, answers a request once with the file's bytes, and stops on detach", async () => {
    const { root } = view();
    const model = new MsgModel();
    const detach = attachImageExport(root, model);
    expect(model.sent[0].content).toMatchObject({ type: SNAPSHOT_VIEW, event: "shown" });
    const viewId = model.sent[0].content.view;
    model.emit({ type: SNAPSHOT_REQUEST, id: "r1", format: "svg", scale: 2 });
    model.emit({ type: SNAPSHOT_REQUEST, id: "r1", format: "svg", scale: 2 }); // a re-send: answered once
    model.emit({ type: "interplay:response", id: "r1" }); // not ours
    await settle();
    const answers = model.sent.filter((m) => m.content.type === SNAPSHOT_RESULT);
    expect(answers.length).toBe(1);
    expect(answers[0].content).toMatchObject({ id: "r1", ok: true, format: "svg", view: viewId, width: 600, height: 240, css_width: 300, css_height: 120, scale: 2 });
    const bytes = answers[0].buffers?.[0] as Uint8Array;
    const text = new TextDecoder().decode(bytes);
    expect(text.startsWith("<svg")).toBe(true);
    expect(text).toContain("&lt;img src=x");

    model.emit({ type: SNAPSHOT_REQUEST, id: "r2", format: "gif", scale: 2 });
    model.emit({ type: SNAPSHOT_REQUEST, id: "r3", format: "svg", scale: 50 });
    await settle();
    const errors = model.sent.filter((m) => m.content.type === SNAPSHOT_RESULT && m.content.ok === false);
    expect(errors.map((e) => e.content.id)).toEqual(["r2", "r3"]);
    expect(String(errors[0].content.error)).toContain('"svg" or "png"');
    expect(String(errors[1].content.error)).toContain("scale must be");

    detach();
    expect(model.handlers.size).toBe(0);
    expect(model.sent.at(-1)?.content).toMatchObject({ type: SNAPSHOT_VIEW, event: "hidden", view: viewId });
  });

  it("a view that is not on a page does not answer", async () => {
    const { root } = view();
    const model = new MsgModel();
    attachImageExport(root, model);
    root.remove();
    model.emit({ type: SNAPSHOT_REQUEST, id: "r1", format: "svg", scale: 1 });
    await settle();
    expect(model.sent.filter((m) => m.content.type === SNAPSHOT_RESULT)).toEqual([]);
  });

  it("connect() gives every view with a root the control, and its draw() as the redraw", async () => {
    const { root, canvas } = view();
    const model = Object.assign(new MsgModel(), { get: () => undefined, set: () => undefined, save_changes: () => undefined });
    const ratios: number[] = [];
    const fake = {
      root,
      update: () => undefined,
      destroy: () => undefined,
      draw: () => {
        ratios.push(window.devicePixelRatio);
        canvas.width = 100 * window.devicePixelRatio;
      },
    };
    const cleanup = connect(bindTraits(model as unknown as AnyModel<object>, []), fake);
    expect(root.querySelectorAll(".interplay-save-image").length).toBe(1);
    model.emit({ type: SNAPSHOT_REQUEST, id: "x", format: "svg", scale: 2 });
    await settle();
    expect(ratios).toEqual([2, 1]);
    cleanup();
    expect(root.querySelector(".interplay-save-image")).toBeNull();
    expect(model.handlers.size).toBe(0);
  });
});
