/**
 * A view's current state as a self-contained image: what the page shows now (selection, zoom,
 * scroll, sort, the head in the detail pane), not a screenshot of the page.
 *
 * `snapshotSvg(root)` clones the view's DOM into `<svg><foreignObject>`: every element gets the
 * computed styles that matter inlined (colours and fonts resolved from the CSS variables, so no
 * stylesheet is needed), every `<canvas>` becomes an `<img>` holding a PNG data URL of its current
 * pixels, inline `<svg>` drawings stay vector, scroll offsets and sticky panes are kept as the page
 * shows them, and nothing refers to anything outside the file. Token strings stay text nodes
 * (XML-escaped by the serializer), never markup. `snapshotPng(root, scale)` rasterises that SVG
 * at `scale` device pixels per CSS pixel.
 *
 * Canvases are captured at `scale` when the view registered a redraw (`setRedraw`): the canvases are
 * redrawn with `devicePixelRatio` set to `scale` for the duration of one synchronous call (the page
 * never paints that state), captured, and drawn again at the real ratio. A canvas the redraw does not
 * repaint at that resolution is upscaled: the SVG says how many in `data-interplay-upscaled` and in
 * its `<desc>`, and `snapshot()` returns the count.
 *
 * Elements marked `data-interplay-snapshot="skip"` (the save control itself), and elements not shown
 * (`display: none`), are left out.
 */

export const SVG_NS = "http://www.w3.org/2000/svg";
export const XHTML_NS = "http://www.w3.org/1999/xhtml";
/** Mark an element with `data-interplay-snapshot="skip"` to leave it out of snapshots. */
export const SKIP_ATTRIBUTE = "data-interplay-snapshot";
/** Largest side of a rasterised snapshot, in device pixels (well under every browser's canvas limit). */
export const MAX_SIDE = 16384;
export const MAX_SCALE = 8;
/** How long rasterising waits for the browser to render the SVG. */
export const RASTER_TIMEOUT_MS = 30_000;

export interface SnapshotOptions {
  /** Device pixels per CSS pixel for the canvases and the SVG's width/height (default: 1). */
  scale?: number;
}

export interface Snapshot {
  svg: string;
  /** The view's size in CSS pixels. */
  cssWidth: number;
  cssHeight: number;
  scale: number;
  /** Canvases captured below `scale` (no redraw at that pixel ratio), shown upscaled. */
  upscaled: number;
  canvases: number;
  /** Human-readable facts about the snapshot (e.g. upscaled canvases). */
  notes: string[];
}

// Properties copied from the computed style. Inherited ones are written only where they differ from
// the parent's; the others only where they differ from their initial value.
const INHERITED = [
  "color", "font-family", "font-size", "font-style", "font-weight", "font-variant-numeric", "line-height",
  "letter-spacing", "word-spacing", "text-align", "text-indent", "text-transform", "white-space", "word-break",
  "overflow-wrap", "visibility", "direction", "cursor",
  "fill", "fill-opacity", "stroke", "stroke-opacity", "stroke-width", "stroke-dasharray", "stroke-linecap",
  "stroke-linejoin", "text-anchor", "dominant-baseline", "paint-order",
];
const SIDES = ["top", "right", "bottom", "left"];
const NON_INHERITED: Record<string, string | string[]> = {
  display: "inline",
  position: "static",
  top: "auto", right: "auto", bottom: "auto", left: "auto",
  "z-index": "auto",
  float: "none",
  "box-sizing": "content-box",
  width: "auto", height: "auto",
  "min-width": ["auto", "0px"], "min-height": ["auto", "0px"],
  "max-width": "none", "max-height": "none",
  ...Object.fromEntries(SIDES.flatMap((s) => [
    [`margin-${s}`, "0px"], [`padding-${s}`, "0px"], [`border-${s}-width`, "0px"],
    [`border-${s}-style`, "none"], [`border-${s}-color`, "__always__"],
  ])),
  "border-top-left-radius": "0px", "border-top-right-radius": "0px",
  "border-bottom-right-radius": "0px", "border-bottom-left-radius": "0px",
  "background-color": ["rgba(0, 0, 0, 0)", "transparent"],
  "background-image": "none",
  "box-shadow": "none",
  opacity: "1",
  transform: "none",
  "transform-origin": "__never__",
  overflow: "visible", "overflow-x": "visible", "overflow-y": "visible",
  "text-overflow": "clip",
  "text-decoration-line": "none",
  "vertical-align": "baseline",
  "flex-direction": "row", "flex-wrap": "nowrap", "flex-grow": "0", "flex-shrink": "1", "flex-basis": "auto",
  "align-items": ["normal", "stretch"], "align-self": "auto", "align-content": "normal",
  "justify-content": "normal", "justify-items": ["normal", "legacy"],
  "row-gap": "normal", "column-gap": "normal",
  "grid-template-columns": "none", "grid-template-rows": "none", "grid-auto-flow": "row",
  "grid-column-start": "auto", "grid-column-end": "auto", "grid-row-start": "auto", "grid-row-end": "auto",
  "table-layout": "auto", "border-collapse": "separate",
  "image-rendering": "auto",
  "outline-style": "none",
  "clip-path": "none",
  "mix-blend-mode": "normal",
};

/** Characters XML 1.0 does not allow (control characters, lone surrogates, U+FFFE/U+FFFF). */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with every character XML cannot hold replaced by U+FFFD (the SVG stays well-formed). */
export function xmlSafe(text: string): string {
  return text.replace(XML_INVALID, "\uFFFD");
}

const redraws = new WeakMap<HTMLElement, () => void>();

/**
 * Register how the view under `root` redraws its canvases now (synchronously, reading
 * `devicePixelRatio`), so snapshots capture them at the requested scale; null unregisters.
 */
export function setRedraw(root: HTMLElement, redraw: (() => void) | null): void {
  if (redraw) redraws.set(root, redraw);
  else redraws.delete(root);
}

/** Run `fn` with `win.devicePixelRatio` reading `ratio`, then put the real property back. */
export function withPixelRatio<T>(win: Window, ratio: number, fn: () => T): T {
  const own = Object.getOwnPropertyDescriptor(win, "devicePixelRatio");
  Object.defineProperty(win, "devicePixelRatio", { value: ratio, configurable: true, writable: true });
  try {
    return fn();
  } finally {
    if (own) Object.defineProperty(win, "devicePixelRatio", own);
    else delete (win as unknown as Record<string, unknown>).devicePixelRatio;
  }
}

/** A valid scale: a finite number in (0, MAX_SCALE]; throws naming the bad value otherwise. */
export function checkScale(scale: unknown): number {
  if (typeof scale !== "number" || !Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new RangeError(`scale must be a number in (0, ${MAX_SCALE}], not ${String(scale)}`);
  }
  return scale;
}

interface Capture {
  url: string | null;
  upscaled: boolean;
}

/** The canvas's pixels as a PNG data URL (null where it cannot be read: jsdom, a tainted canvas). */
function canvasUrl(canvas: HTMLCanvasElement): string | null {
  if (canvas.width === 0 || canvas.height === 0) return null;
  try {
    const url = canvas.toDataURL("image/png");
    return url.startsWith("data:image/png") ? url : null;
  } catch {
    return null;
  }
}

function cssSize(el: Element): { width: number; height: number } {
  const r = el.getBoundingClientRect();
  const html = el as HTMLElement;
  return { width: r.width || html.offsetWidth || 0, height: r.height || html.offsetHeight || 0 };
}

function captureCanvases(canvases: HTMLCanvasElement[], scale: number): Map<HTMLCanvasElement, Capture> {
  const out = new Map<HTMLCanvasElement, Capture>();
  for (const c of canvases) {
    const { width } = cssSize(c);
    out.set(c, { url: canvasUrl(c), upscaled: width > 0 && c.width < Math.floor(width * scale) - 1 });
  }
  return out;
}

/** Whether the browser lays the page out at all (jsdom does not: every box is empty there). */
function isLaidOut(root: HTMLElement): boolean {
  return root.getClientRects().length > 0;
}

/** Canvases at `scale`: redrawn at that pixel ratio when the view registered a redraw. */
function canvasesAt(root: HTMLElement, scale: number): Map<HTMLCanvasElement, Capture> {
  // only the canvases on show (a hidden NaN swatch is neither captured nor counted)
  const canvases = Array.from(root.querySelectorAll("canvas")).filter((c) => c.getClientRects().length > 0 || !isLaidOut(root));
  const win = root.ownerDocument.defaultView;
  const redraw = redraws.get(root);
  const current = win?.devicePixelRatio ?? 1;
  if (!win || !redraw || canvases.length === 0 || scale === current) return captureCanvases(canvases, scale);
  try {
    return withPixelRatio(win, scale, () => {
      redraw();
      return captureCanvases(canvases, scale);
    });
  } finally {
    redraw();
  }
}

/** How far each sticky element is shifted from where it would sit unstuck (read, then put back). */
function stickyShifts(root: HTMLElement, win: Window): Map<Element, { x: number; y: number }> {
  const out = new Map<Element, { x: number; y: number }>();
  for (const el of Array.from(root.querySelectorAll<HTMLElement>("*"))) {
    if (win.getComputedStyle(el).position !== "sticky") continue;
    const stuck = el.getBoundingClientRect();
    const inline = el.style.getPropertyValue("position");
    const priority = el.style.getPropertyPriority("position");
    el.style.setProperty("position", "relative", "important");
    const free = el.getBoundingClientRect();
    if (inline) el.style.setProperty("position", inline, priority);
    else el.style.removeProperty("position");
    out.set(el, { x: stuck.left - free.left, y: stuck.top - free.top });
  }
  return out;
}

/** The first non-transparent background at or above `el` (white if none). */
function backgroundOf(el: Element | null, win: Window): string {
  for (let e = el; e; e = e.parentElement) {
    const bg = win.getComputedStyle(e).backgroundColor;
    if (bg && bg !== "transparent" && !/^rgba\(.*,\s*0\)$/.test(bg)) return bg;
  }
  return "rgb(255, 255, 255)";
}

function declarations(cs: CSSStyleDeclaration, parent: CSSStyleDeclaration | null): string[] {
  const out: string[] = [];
  for (const prop of INHERITED) {
    const v = cs.getPropertyValue(prop);
    if (v && (!parent || parent.getPropertyValue(prop) !== v)) out.push(`${prop}: ${v}`);
  }
  for (const [prop, initial] of Object.entries(NON_INHERITED)) {
    const v = cs.getPropertyValue(prop);
    if (!v || initial === "__never__") continue;
    if (initial !== "__always__" && (Array.isArray(initial) ? initial.includes(v) : initial === v)) continue;
    if (prop.endsWith("-color") && prop.startsWith("border-")) {
      const side = prop.slice(7, -6);
      if (cs.getPropertyValue(`border-${side}-style`) === "none" || cs.getPropertyValue(`border-${side}-width`) === "0px") continue;
    }
    // an image cannot scroll: a scroll box shows its visible part, clipped, with no scroll bars
    out.push(prop.startsWith("overflow") && (v === "auto" || v === "scroll") ? `${prop}: hidden` : `${prop}: ${v}`);
  }
  return out;
}

interface WalkContext {
  win: Window;
  doc: Document;
  captures: Map<HTMLCanvasElement, Capture>;
  sticky: Map<Element, { x: number; y: number }>;
}

/** An `<img>` standing for a canvas: its pixels now, at its CSS size and with its styles. */
function canvasImage(ctx: WalkContext, canvas: HTMLCanvasElement, style: string[]): HTMLElement {
  const img = ctx.doc.createElementNS(XHTML_NS, "img") as HTMLElement;
  const cap = ctx.captures.get(canvas);
  const { width, height } = cssSize(canvas);
  const w = width || canvas.width;
  const h = height || canvas.height;
  if (cap?.url) img.setAttribute("src", cap.url);
  img.setAttribute("width", String(Math.round(w)));
  img.setAttribute("height", String(Math.round(h)));
  img.setAttribute("alt", "");
  if (canvas.className) img.setAttribute("class", canvas.className);
  img.setAttribute("data-canvas", cap?.upscaled ? "upscaled" : "1");
  const decl = style.filter((d) => !d.startsWith("width:") && !d.startsWith("height:"));
  decl.push(`width: ${w}px`, `height: ${h}px`);
  if (!decl.some((d) => d.startsWith("display:"))) decl.push("display: inline-block");
  img.setAttribute("style", decl.join("; "));
  return img;
}

/** Form controls keep their current value in the clone (their state is not in attributes). */
function keepFormState(orig: Element, copy: Element): void {
  if (orig.tagName === "INPUT") {
    const input = orig as HTMLInputElement;
    if (input.type === "checkbox" || input.type === "radio") {
      if (input.checked) copy.setAttribute("checked", "");
      else copy.removeAttribute("checked");
    } else {
      copy.setAttribute("value", input.value);
    }
  } else if (orig.tagName === "SELECT") {
    const select = orig as HTMLSelectElement;
    Array.from(copy.querySelectorAll("option")).forEach((o, i) => {
      if (i === select.selectedIndex) o.setAttribute("selected", "");
      else o.removeAttribute("selected");
    });
  } else if (orig.tagName === "TEXTAREA") {
    copy.textContent = (orig as HTMLTextAreaElement).value;
  }
}

/** Attributes a snapshot must not carry: event handlers, and anything that loads a resource. */
function scrubAttributes(copy: Element): void {
  for (const a of Array.from(copy.attributes)) {
    const name = a.name.toLowerCase();
    if (name.startsWith("on") || name === "srcset" || ((name === "src" || name === "href" || name === "xlink:href") && !a.value.startsWith("data:") && !a.value.startsWith("#"))) {
      copy.removeAttribute(a.name);
    } else if (name !== "style") {
      const safe = xmlSafe(a.value);
      if (safe !== a.value) copy.setAttribute(a.name, safe);
    }
  }
}

/** Copy `orig`'s look onto `copy` (its clone), recursively; returns false if it is not shown. */
function inline(ctx: WalkContext, orig: Element, copy: Element, parent: CSSStyleDeclaration | null): boolean {
  const cs = ctx.win.getComputedStyle(orig);
  if (cs.display === "none" || orig.getAttribute(SKIP_ATTRIBUTE) === "skip" || orig.tagName === "SCRIPT" || orig.tagName === "STYLE") return false;
  const decl = declarations(cs, parent);
  const shift = ctx.sticky.get(orig);
  if (shift) {
    for (const [k, v] of [["position", "relative"], ["left", `${shift.x}px`], ["top", `${shift.y}px`], ["right", "auto"], ["bottom", "auto"]]) {
      const i = decl.findIndex((d) => d.startsWith(`${k}:`));
      if (i >= 0) decl.splice(i, 1);
      decl.push(`${k}: ${v}`);
    }
  }
  scrubAttributes(copy);
  copy.setAttribute("style", decl.join("; "));
  keepFormState(orig, copy);
  const origKids = Array.from(orig.childNodes);
  const copyKids = Array.from(copy.childNodes);
  origKids.forEach((o, i) => {
    const c = copyKids[i];
    if (o.nodeType === 3 || o.nodeType === 4) {
      const text = o.nodeValue ?? "";
      const safe = xmlSafe(text);
      if (safe !== text) c.nodeValue = safe;
      return;
    }
    if (o.nodeType !== 1) {
      c.remove();
      return;
    }
    const el = o as Element;
    if (el.tagName === "CANVAS") {
      const childStyle = ctx.win.getComputedStyle(el);
      if (childStyle.display === "none" || el.getAttribute(SKIP_ATTRIBUTE) === "skip") c.remove();
      else c.replaceWith(canvasImage(ctx, el as HTMLCanvasElement, declarations(childStyle, cs)));
      return;
    }
    if (!inline(ctx, el, c as Element, cs)) c.remove();
  });
  keepScroll(orig, copy);
  return true;
}

/** A scrolled element: its children are shifted by the scroll offset inside a clipped box. */
function keepScroll(orig: Element, copy: Element): void {
  const x = orig.scrollLeft;
  const y = orig.scrollTop;
  if (!x && !y) return;
  const style = (copy as HTMLElement).style;
  style.setProperty("overflow", "hidden");
  for (const child of Array.from(copy.children) as HTMLElement[]) {
    const t = child.style.getPropertyValue("transform");
    child.style.setProperty("transform", `translate(${-x}px, ${-y}px)${t && t !== "none" ? ` ${t}` : ""}`);
  }
}

function attrs(el: Element, values: Record<string, string | number>): void {
  for (const [k, v] of Object.entries(values)) el.setAttribute(k, String(v));
}

/** The view under `root` as it is shown now, as a standalone SVG document and a few facts about it. */
export async function snapshot(root: HTMLElement, opts: SnapshotOptions = {}): Promise<Snapshot> {
  const scale = checkScale(opts.scale ?? 1);
  const doc = root.ownerDocument;
  const win = doc.defaultView;
  if (!win) throw new Error("cannot snapshot a view outside a window");
  const fonts = (doc as Document & { fonts?: { ready?: Promise<unknown> } }).fonts;
  if (fonts?.ready) await fonts.ready;
  const size = cssSize(root);
  const cssWidth = Math.max(1, Math.ceil(size.width));
  const cssHeight = Math.max(1, Math.ceil(size.height));
  const captures = canvasesAt(root, scale);
  const ctx: WalkContext = { win, doc, captures, sticky: stickyShifts(root, win) };
  const clone = doc.importNode(root, true) as HTMLElement;
  inline(ctx, root, clone, null);
  // The root keeps its own box: its size, no outer margin, the background it is shown on.
  clone.style.setProperty("width", `${cssWidth}px`);
  clone.style.setProperty("height", `${cssHeight}px`);
  clone.style.setProperty("max-width", "none");
  clone.style.setProperty("margin", "0");
  clone.style.setProperty("box-shadow", "none");
  clone.style.setProperty("overflow", "hidden");
  clone.style.setProperty("background-color", backgroundOf(root, win));
  clone.removeAttribute("tabindex");

  const upscaled = [...captures.values()].filter((c) => c.upscaled).length;
  const unreadable = [...captures.values()].filter((c) => c.url === null).length;
  const notes: string[] = [];
  if (upscaled > 0) notes.push(`${upscaled} of ${captures.size} canvases could not be redrawn at ${scale}x and are upscaled`);
  if (unreadable > 0) notes.push(`${unreadable} canvases could not be read and are left blank`);

  const svg = doc.createElementNS(SVG_NS, "svg");
  attrs(svg, {
    width: Math.round(cssWidth * scale),
    height: Math.round(cssHeight * scale),
    viewBox: `0 0 ${cssWidth} ${cssHeight}`,
    "data-interplay-scale": scale,
    "data-interplay-upscaled": upscaled,
  });
  const title = doc.createElementNS(SVG_NS, "title");
  title.textContent = xmlSafe(root.getAttribute("aria-label") || "interplay view");
  svg.append(title);
  if (notes.length) {
    const desc = doc.createElementNS(SVG_NS, "desc");
    desc.textContent = notes.join("; ");
    svg.append(desc);
  }
  const fo = doc.createElementNS(SVG_NS, "foreignObject");
  attrs(fo, { x: 0, y: 0, width: cssWidth, height: cssHeight });
  fo.append(clone);
  svg.append(fo);
  const text = new win.XMLSerializer().serializeToString(svg);
  return { svg: text, cssWidth, cssHeight, scale, upscaled, canvases: captures.size, notes };
}

/** The view under `root` as it is shown now, as a self-contained SVG document (see the module doc). */
export async function snapshotSvg(root: HTMLElement, opts: SnapshotOptions = {}): Promise<string> {
  return (await snapshot(root, opts)).svg;
}

/** Rasterise a snapshot to PNG: `scale` device pixels per CSS pixel. */
export async function rasterize(snap: Snapshot, doc: Document): Promise<Blob> {
  const width = Math.round(snap.cssWidth * snap.scale);
  const height = Math.round(snap.cssHeight * snap.scale);
  if (width > MAX_SIDE || height > MAX_SIDE) {
    const most = Math.floor((MAX_SIDE / Math.max(snap.cssWidth, snap.cssHeight)) * 100) / 100;
    throw new RangeError(`a ${width} x ${height} px image is too large (at most ${MAX_SIDE} px a side); use scale <= ${most} for this view`);
  }
  const img = doc.createElement("img");
  img.width = width;
  img.height = height;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loaded = new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error("the browser could not render the snapshot SVG"));
    timer = setTimeout(() => reject(new Error(`the browser did not render the snapshot SVG within ${RASTER_TIMEOUT_MS / 1000} s`)), RASTER_TIMEOUT_MS);
  });
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(snap.svg)}`;
  try {
    await loaded;
  } finally {
    clearTimeout(timer);
  }
  const canvas = doc.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("no 2D canvas to rasterise the snapshot");
  ctx.drawImage(img, 0, 0, width, height);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/png"));
  if (!blob) throw new Error("the browser could not encode the PNG");
  const png = withPixelDensity(new Uint8Array(await blob.arrayBuffer()), snap.scale);
  return new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" });
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The PNG with a `pHYs` chunk saying `scale` x 96 pixels per inch, so that documents (LaTeX,
 * word processors) show a 2x image at the view's size on screen, only sharper. A PNG that has a
 * `pHYs` chunk already, or is not a PNG, comes back unchanged. Pure.
 */
export function withPixelDensity(png: Uint8Array, scale: number): Uint8Array {
  const IHDR_END = 8 + 8 + 13 + 4; // signature, IHDR length + type, IHDR data, CRC
  if (png.length < IHDR_END || png[12] !== 0x49 || png[13] !== 0x48 || png[14] !== 0x44 || png[15] !== 0x52) return png;
  for (let at = 8; at + 8 <= png.length;) {
    const len = new DataView(png.buffer, png.byteOffset + at, 4).getUint32(0);
    if (String.fromCharCode(...png.subarray(at + 4, at + 8)) === "pHYs") return png;
    at += 12 + len;
  }
  const ppm = Math.round((96 * scale) / 0.0254); // pixels per metre
  const chunk = new Uint8Array(4 + 4 + 9 + 4);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, 9);
  chunk.set([0x70, 0x48, 0x59, 0x73], 4); // "pHYs"
  view.setUint32(8, ppm);
  view.setUint32(12, ppm);
  chunk[16] = 1; // unit: metre
  view.setUint32(17, crc32(chunk.subarray(4, 17)));
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, IHDR_END), 0);
  out.set(chunk, IHDR_END);
  out.set(png.subarray(IHDR_END), IHDR_END + chunk.length);
  return out;
}

/** The view under `root` as it is shown now, as a PNG of `scale` device pixels per CSS pixel. */
export async function snapshotPng(root: HTMLElement, scale = 2): Promise<Blob> {
  return rasterize(await snapshot(root, { scale }), root.ownerDocument);
}
