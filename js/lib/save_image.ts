/**
 * "Save image" for every view: one small control under the view (SVG / PNG, at a chosen scale)
 * that downloads the view's current state, and the answer to Python's `view.save_image(path)`
 * (its twin is `src/interplay/widgets/_image.py`). Attached once per rendered view by
 * `widget_glue.connect`, so all views share this code.
 *
 * Messages (custom messages on the widget's comm):
 *   JS -> Python `{"type": "interplay:snapshot-view", "event": "shown" | "hidden", "view": id}`
 *     when a view is rendered / removed (Python then knows a view can answer, and re-sends any
 *     request that arrived before it was shown);
 *   Python -> JS `{"type": "interplay:snapshot", "id", "format": "svg" | "png", "scale", "settle"?}`
 *     (`settle`: first wait until no request to Python is in flight, see `settled`);
 *   JS -> Python `{"type": "interplay:snapshot-result", "id", "ok": true, "format", "width",
 *     "height", "css_width", "css_height", "scale", "upscaled", "notes", "view"}` with the file's bytes
 *     as the one binary buffer, or `{"ok": false, "error"}`. Each view answers a request id once.
 */

import { pendingCount, type RpcModel } from "./rpc";
import { button, div } from "./scroll_grid_dom";
import { rasterize, setRedraw, SKIP_ATTRIBUTE, snapshot, type Snapshot } from "./snapshot";
import { ensureStyleSheet } from "./theme";

export const SNAPSHOT_REQUEST = "interplay:snapshot";
export const SNAPSHOT_RESULT = "interplay:snapshot-result";
export const SNAPSHOT_VIEW = "interplay:snapshot-view";
export const SCALES = [1, 2, 3, 4] as const;
export const DEFAULT_SCALE = 2;

export type ImageFormat = "svg" | "png";

/** The part of an anywidget model the image export needs. */
export interface ImageModel {
  on(eventName: string, callback: (...args: unknown[]) => void): void;
  off(eventName?: string | null, callback?: ((...args: unknown[]) => void) | null): void;
  send?(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

export interface ImageExportOptions {
  /** Redraw the view's canvases now (reading devicePixelRatio), so images capture them at scale. */
  redraw?: () => void;
  /** Save a file (the control's buttons); the default clicks a download link. */
  download?: (name: string, blob: Blob) => void;
}

const STYLE_ID = "interplay-save-image-style";
const CSS = `
.interplay-save-image { display: flex; flex-wrap: wrap; align-items: center; justify-content: flex-end; gap: 2px 4px; margin-top: 4px; font-size: 11px; color: var(--interplay-fg-muted); }
.interplay-save-image .interplay-button { font-size: 11px; min-width: 0; padding: 0 5px; }
.interplay-save-image select { font: inherit; font-size: 11px; color: var(--interplay-fg); background: var(--interplay-bg-soft); border: 1px solid var(--interplay-border); border-radius: 3px; }
.interplay-save-image-status:empty { display: none; }
.interplay-save-image-status[data-error="1"] { color: var(--interplay-error); }
`;

/** The file name for a view's image: its root class (`interplay-token-heatmap`) and the format. */
/**
 * Resolves once the view has had no request to Python in flight for `quietMs` (waiting at most
 * `maxMs`), then after two frames: a picture of the view "as shown" waits for its drill-downs
 * (e.g. the selected head's pattern) to arrive and be drawn.
 */
export async function settled(model: ImageModel | null, win: Window | null, quietMs = 300, maxMs = 10_000): Promise<void> {
  const start = Date.now();
  let quietSince = start;
  while (model && Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 50));
    if (pendingCount(model as unknown as RpcModel) > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) break;
  }
  for (let i = 0; i < 2; i++) await new Promise<void>((r) => (win?.requestAnimationFrame ? win.requestAnimationFrame(() => r()) : setTimeout(r, 16)));
}

export function imageName(root: HTMLElement, format: ImageFormat): string {
  const cls = Array.from(root.classList).find((c) => c.startsWith("interplay-") && c !== "interplay-root");
  return `${cls ?? "interplay-view"}.${format}`;
}

/** The snapshot as the file's bytes (SVG text or PNG), with its size in device pixels. */
export async function renderImage(root: HTMLElement, format: ImageFormat, scale: number): Promise<{ snap: Snapshot; blob: Blob }> {
  const snap = await snapshot(root, { scale });
  if (format === "svg") return { snap, blob: new Blob([snap.svg], { type: "image/svg+xml" }) };
  return { snap, blob: await rasterize(snap, root.ownerDocument) };
}

function defaultDownload(doc: Document, name: string, blob: Blob): void {
  const a = doc.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = true;
  doc.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

let counter = 0;

/**
 * Put the "Save image" control at the end of `root` and answer Python's snapshot requests for this
 * view; returns the function that removes both.
 */
export function attachImageExport(root: HTMLElement, model: ImageModel | null, opts: ImageExportOptions = {}): () => void {
  const doc = root.ownerDocument;
  ensureStyleSheet(root, STYLE_ID, CSS);
  counter += 1;
  const viewId = `${Date.now().toString(36)}-${counter}`;
  const control = div(doc, "interplay-save-image");
  control.setAttribute(SKIP_ATTRIBUTE, "skip");
  control.setAttribute("role", "group");
  control.setAttribute("aria-label", "Save image");
  const scale = doc.createElement("select");
  scale.className = "interplay-save-image-scale";
  scale.title = "Scale: device pixels per CSS pixel";
  scale.setAttribute("aria-label", "Image scale");
  for (const s of SCALES) {
    const o = doc.createElement("option");
    o.value = String(s);
    o.textContent = `${s}x`;
    o.selected = s === DEFAULT_SCALE;
    scale.append(o);
  }
  const status = div(doc, "interplay-save-image-status");
  status.setAttribute("aria-live", "polite");
  const save = async (format: ImageFormat): Promise<void> => {
    status.textContent = "";
    status.removeAttribute("data-error");
    try {
      const { snap, blob } = await renderImage(root, format, Number(scale.value));
      const name = imageName(root, format);
      (opts.download ?? ((n: string, b: Blob) => defaultDownload(doc, n, b)))(name, blob);
      status.textContent = snap.notes.length ? `saved ${name} (${snap.notes.join("; ")})` : `saved ${name}`;
    } catch (e) {
      status.setAttribute("data-error", "1");
      status.textContent = `could not save the image: ${e instanceof Error ? e.message : String(e)}`;
    }
  };
  control.append(
    div(doc, "interplay-save-image-label", "Save image"),
    button(doc, "SVG", "Save the view as an SVG file", () => void save("svg"), "interplay-save-svg"),
    button(doc, "PNG", "Save the view as a PNG file", () => void save("png"), "interplay-save-png"),
    scale,
    status,
  );
  // Keys pressed on the control are the control's: the view's keyboard handlers on the root never see them.
  control.addEventListener("keydown", (e) => e.stopPropagation());
  root.append(control);
  if (opts.redraw) setRedraw(root, opts.redraw);

  const send = (content: object, buffers?: ArrayBufferView[]): void => {
    try {
      model?.send?.(content, undefined, buffers);
    } catch {
      // the comm is closing: nobody to tell
    }
  };
  const answered = new Set<string>();
  const answer = async (id: string, format: unknown, scaleValue: unknown, settle: boolean): Promise<void> => {
    try {
      if (format !== "svg" && format !== "png") throw new Error(`format must be "svg" or "png", not ${JSON.stringify(format)}`);
      if (settle) await settled(model, doc.defaultView);
      const { snap, blob } = await renderImage(root, format, scaleValue as number);
      const bytes = new Uint8Array(await blob.arrayBuffer());
      send({
        type: SNAPSHOT_RESULT, id, ok: true, format, view: viewId,
        width: Math.round(snap.cssWidth * snap.scale), height: Math.round(snap.cssHeight * snap.scale),
        css_width: snap.cssWidth, css_height: snap.cssHeight, scale: snap.scale, upscaled: snap.upscaled, notes: snap.notes,
      }, [bytes]);
    } catch (e) {
      send({ type: SNAPSHOT_RESULT, id, ok: false, view: viewId, error: e instanceof Error ? e.message : String(e) });
    }
  };
  const onMessage = (msg: unknown): void => {
    if (msg === null || typeof msg !== "object") return;
    const m = msg as Record<string, unknown>;
    if (m.type !== SNAPSHOT_REQUEST || typeof m.id !== "string") return;
    if (!root.isConnected || answered.has(m.id)) return; // not on a page, or answered already
    answered.add(m.id);
    void answer(m.id, m.format, m.scale, m.settle === true);
  };
  model?.on("msg:custom", onMessage as (...args: unknown[]) => void);
  send({ type: SNAPSHOT_VIEW, event: "shown", view: viewId });
  return () => {
    model?.off("msg:custom", onMessage as (...args: unknown[]) => void);
    send({ type: SNAPSHOT_VIEW, event: "hidden", view: viewId });
    setRedraw(root, null);
    control.remove();
  };
}
