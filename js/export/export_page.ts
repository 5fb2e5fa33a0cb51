/**
 * The script of a file written by `view.to_html()` / `interplay.save_html()`: reads the JSON that
 * Python embedded (`<script type="application/json" id="interplay-export">`), decodes its binary
 * buffers (base64, gzip where it paid), imports each view's own ES module from a Blob URL and
 * renders every view with a ModelShim in place of the kernel's model. No network request of any
 * kind: everything is in the file.
 */

import type { Answer, Embedded } from "./answers";
import { ModelShim } from "./model_shim";

export interface EmbeddedBuffer {
  b64: string;
  gzip?: boolean;
}

export interface EmbeddedAnswer {
  method: string;
  params: Record<string, unknown>;
  key: string;
  result: unknown;
  buffer_paths: (string | number)[][];
  buffers: EmbeddedBuffer[];
}

export interface ViewSpec {
  module: string;
  kind: string;
  title: string;
  state: Record<string, unknown>;
  buffer_paths: (string | number)[][];
  buffers: EmbeddedBuffer[];
  answers: EmbeddedAnswer[];
  heads: { n: number; keys: string[]; buffers: EmbeddedBuffer[] } | null;
  python_traits: string[];
  needs_model: string;
  note: string;
}

export interface ExportPayload {
  format: string;
  title: string;
  generator: string;
  modules: Record<string, string>;
  views: ViewSpec[];
}

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The bytes of one embedded buffer (gunzipped with the browser's DecompressionStream). */
export async function decodeBuffer(b: EmbeddedBuffer): Promise<Uint8Array> {
  const raw = base64Bytes(b.b64);
  if (!b.gzip) return raw;
  const body = new Response(raw as Uint8Array<ArrayBuffer>).body as unknown as ReadableStream<BufferSource>;
  const stream = body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Put `buffers` into `state` at `paths` (as the widget manager does), on a copy. */
export function putBuffers(state: Record<string, unknown>, paths: (string | number)[][], buffers: DataView[]): Record<string, unknown> {
  const root = structuredClone(state) as Record<string, unknown>;
  paths.forEach((path, i) => {
    let node: Record<string | number, unknown> = root;
    for (const part of path.slice(0, -1)) {
      if (node[part] === null || typeof node[part] !== "object") node[part] = {};
      node = node[part] as Record<string | number, unknown>;
    }
    node[path[path.length - 1] as string] = buffers[i];
  });
  return root;
}

/** The embedded answers and heads of one view, decoded. */
export async function embeddedOf(spec: ViewSpec): Promise<Embedded> {
  const answers = new Map<string, Answer>();
  for (const a of spec.answers) {
    const buffers = await Promise.all(a.buffers.map(async (b) => view(await decodeBuffer(b))));
    answers.set(a.key, { result: a.result, bufferPaths: a.buffer_paths, buffers });
  }
  const heads = new Map<string, Uint8Array>();
  if (spec.heads) {
    const codes = await Promise.all(spec.heads.buffers.map(decodeBuffer));
    spec.heads.keys.forEach((k, i) => heads.set(k, codes[i]));
  }
  return { answers, heads, n: spec.heads?.n ?? 0, needsModel: spec.needs_model };
}

/** The model shim of one view, with its state decoded. */
export async function modelOf(spec: ViewSpec, onNotice: (m: string) => void): Promise<ModelShim> {
  const buffers = await Promise.all(spec.buffers.map(async (b) => view(await decodeBuffer(b))));
  const state = putBuffers(spec.state, spec.buffer_paths, buffers);
  return new ModelShim(state, await embeddedOf(spec), { pythonTraits: spec.python_traits, onNotice });
}

interface WidgetModule {
  initialize?(props: { model: unknown }): unknown;
  render(props: { model: unknown; el: HTMLElement }): unknown;
}

const modules = new Map<string, Promise<WidgetModule>>();

function importModule(name: string, source: string): Promise<WidgetModule> {
  let hit = modules.get(name);
  if (!hit) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    hit = import(/* @vite-ignore */ url).then(async (m: { default: unknown }) => {
      const d = m.default;
      return (typeof d === "function" ? await (d as () => unknown)() : d) as WidgetModule;
    });
    modules.set(name, hit);
  }
  return hit;
}

function text(doc: Document, tag: string, cls: string, content: string): HTMLElement {
  const el = doc.createElement(tag);
  el.className = cls;
  el.textContent = content;
  return el;
}

/** Render one view into `host`: a header, a notice line for what needs the kernel, the view. */
export async function renderView(host: HTMLElement, spec: ViewSpec, source: string): Promise<void> {
  const doc = host.ownerDocument;
  const section = doc.createElement("section");
  section.className = "interplay-export-view";
  section.dataset.kind = spec.kind;
  if (spec.title) section.appendChild(text(doc, "h2", "interplay-export-title", spec.title));
  const notice = text(doc, "p", "interplay-export-notice", spec.note);
  notice.setAttribute("role", "status");
  section.appendChild(notice);
  const el = doc.createElement("div");
  el.className = "interplay-export-el";
  section.appendChild(el);
  host.appendChild(section);
  const alert = text(doc, "p", "interplay-export-notice interplay-export-notice-active", "");
  alert.setAttribute("role", "alert");
  alert.hidden = true;
  section.insertBefore(alert, el);
  const model = await modelOf(spec, (m) => {
    alert.textContent = m;
    alert.hidden = false;
  });
  try {
    const widget = await importModule(spec.module, source);
    if (widget.initialize) await widget.initialize({ model });
    await widget.render({ model, el });
  } catch (e) {
    el.appendChild(text(doc, "pre", "interplay-error", `interplay: this view could not be drawn: ${(e as Error).message}`));
  }
}

/** Render every view of the payload into `root`, in order. */
export async function renderPage(root: HTMLElement, payload: ExportPayload): Promise<void> {
  for (const spec of payload.views) {
    const source = payload.modules[spec.module];
    if (source === undefined) throw new Error(`the file has no module ${spec.module} for a ${spec.kind}`);
    await renderView(root, spec, source);
  }
  root.dataset.rendered = "true";
}

/** Inside a notebook's saved view (an `<iframe srcdoc>`, same origin): keep the frame as tall as the page. */
function fitFrame(doc: Document): void {
  const frame = doc.defaultView?.frameElement as HTMLElement | null | undefined;
  if (!frame || typeof ResizeObserver === "undefined") return;
  const fit = (): void => {
    const body = doc.body.getBoundingClientRect();
    const margin = parseFloat(doc.defaultView?.getComputedStyle(doc.body).marginBottom ?? "0") || 0;
    frame.style.height = `${Math.ceil(body.bottom + margin) + 2}px`;
  };
  new ResizeObserver(fit).observe(doc.body);
  fit();
}

function main(): void {
  const doc = globalThis.document;
  const data = doc?.getElementById("interplay-export");
  const root = doc?.getElementById("interplay-root");
  if (!data || !root) return;
  const payload = JSON.parse(data.textContent ?? "{}") as ExportPayload;
  fitFrame(doc);
  renderPage(root, payload).catch((e: Error) => {
    root.appendChild(text(doc, "pre", "interplay-error", `interplay: this file could not be opened: ${e.message}`));
    root.dataset.rendered = "error";
  });
}

main();
