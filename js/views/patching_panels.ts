/**
 * The PatchingExplorer's panels around the heatmap: the controls (component, metric, exact/AtP),
 * the three top-k lists of a clicked cell (`.interplay-topk-clean`, `-corrupted`, `-patched`) and
 * the AtP-vs-exact scatter. Text reaches the DOM only through `textContent`.
 */

import { sizeCanvas } from "../lib/canvas";
import { formatCompact } from "../lib/format";
import { div } from "../lib/scroll_grid_dom";
import { scatterPoints, topRows, type CellResult, type PatchingState } from "./patching_model";

export const PATCHING_STYLE_ID = "interplay-style-patching";

export const PATCHING_CSS = `
.interplay-patching .interplay-patching-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; margin: 0 0 6px; font-size: 12px; }
.interplay-patching .interplay-patching-controls select {
  font: inherit; color: var(--interplay-fg); background: var(--interplay-bg);
  border: 1px solid var(--interplay-border); border-radius: 3px; padding: 1px 4px;
}
.interplay-patching .interplay-patching-title { font-weight: 600; font-size: 12px; margin: 0 0 4px; }
.interplay-patching .interplay-busy { color: var(--interplay-fg-muted); font-style: italic; font-size: 12px; }
.interplay-patching[aria-busy="true"] .interplay-body { opacity: 0.6; }
.interplay-patching .interplay-patching-canvas { cursor: pointer; }
.interplay-patching .interplay-patching-detail { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 8px; font-size: 12px; }
.interplay-patching .interplay-patching-cell { width: 100%; font-weight: 600; }
.interplay-patching .interplay-topk { min-width: 150px; border: 1px solid var(--interplay-border); border-radius: 3px; padding: 4px 6px; }
.interplay-patching .interplay-topk-title { font-weight: 600; margin-bottom: 2px; }
.interplay-patching .interplay-topk table { border-collapse: collapse; font-family: var(--interplay-code-font); }
.interplay-patching .interplay-topk td { padding: 0 6px 0 0; white-space: pre; }
.interplay-patching .interplay-topk td:last-child { text-align: right; color: var(--interplay-fg-muted); }
.interplay-patching .interplay-patching-scatter-box { margin-top: 8px; font-size: 12px; }
.interplay-patching .interplay-notes { margin-top: 4px; font-size: 11px; color: var(--interplay-fg-muted); }
`;

export interface ControlActions {
  set(trait: "component" | "metric" | "method", value: string): void;
}

function fillSelect(select: HTMLSelectElement, options: readonly string[], value: string): void {
  const doc = select.ownerDocument;
  const wanted = options.includes(value) || value === "" ? options : [value, ...options];
  if (select.options.length !== wanted.length || wanted.some((o, i) => select.options[i].value !== o)) {
    select.replaceChildren(...wanted.map((o) => {
      const opt = doc.createElement("option");
      opt.value = o;
      opt.textContent = o;
      return opt;
    }));
  }
  select.value = value;
}

export class PatchingControls {
  readonly element: HTMLDivElement;
  readonly component: HTMLSelectElement;
  readonly metric: HTMLSelectElement;
  readonly method: HTMLSelectElement;
  readonly busy: HTMLSpanElement;

  constructor(doc: Document, actions: ControlActions) {
    this.element = div(doc, "interplay-patching-controls");
    const labelled = (text: string, cls: string, trait: "component" | "metric" | "method"): HTMLSelectElement => {
      const label = doc.createElement("label");
      const select = doc.createElement("select");
      select.className = cls;
      select.setAttribute("aria-label", text);
      select.addEventListener("change", () => actions.set(trait, select.value));
      label.append(doc.createTextNode(`${text} `), select);
      this.element.append(label);
      return select;
    };
    this.component = labelled("component", "interplay-patching-component", "component");
    this.metric = labelled("metric", "interplay-patching-metric", "metric");
    this.method = labelled("method", "interplay-patching-method", "method");
    this.busy = doc.createElement("span");
    this.busy.className = "interplay-busy";
    this.busy.textContent = "computing…";
    this.busy.hidden = true;
    this.element.append(this.busy);
  }

  update(s: PatchingState): void {
    fillSelect(this.component, s.components ?? [], s.component);
    fillSelect(this.metric, s.metrics ?? [], s.metric);
    fillSelect(this.method, ["exact", "attribution"], s.method);
    const ablation = (s.direction ?? "").startsWith("ablation");
    for (const sel of [this.component, this.metric, this.method]) sel.disabled = ablation || s.computing;
  }
}

function topList(doc: Document, key: "clean" | "corrupted" | "patched", title: string, res: CellResult): HTMLDivElement {
  const box = div(doc, `interplay-topk interplay-topk-${key}`);
  box.append(div(doc, "interplay-topk-title", title));
  const table = doc.createElement("table");
  for (const [tok, p] of topRows(res[key])) {
    const tr = doc.createElement("tr");
    const a = doc.createElement("td");
    a.textContent = tok;
    const b = doc.createElement("td");
    b.textContent = p;
    tr.append(a, b);
    table.append(tr);
  }
  box.append(table);
  return box;
}

/** Fill `.interplay-patching-detail` with the clicked cell's three top-k lists. */
export function renderDetail(detail: HTMLElement, res: CellResult, direction: string): void {
  const doc = detail.ownerDocument;
  const head = div(doc, "interplay-patching-cell",
    `${res.label}: value ${formatCompact(res.value, 4)} (patched-run metric ${formatCompact(res.metric, 4)})`);
  const ablation = direction.startsWith("ablation");
  detail.replaceChildren(
    head,
    topList(doc, "clean", ablation ? "original" : "clean", res),
    topList(doc, "corrupted", ablation ? "original" : "corrupted", res),
    topList(doc, "patched", ablation ? "ablated" : "patched", res),
  );
  if (ablation) (detail.querySelector(".interplay-topk-corrupted") as HTMLElement).hidden = true;
}

const SCATTER = 180;
const PAD = 10;

/** Draw exact (x) vs attribution (y) with the diagonal; hidden when there is nothing to compare. */
export function renderScatter(box: HTMLElement, canvas: HTMLCanvasElement, caption: HTMLElement, s: PatchingState): void {
  const pts = scatterPoints(s.compare, SCATTER, PAD);
  box.hidden = pts === null;
  if (!pts) return;
  const r = typeof s.compare_r === "number" ? `, r = ${formatCompact(s.compare_r, 3)}` : "";
  caption.textContent = `attribution patching (y) vs exact (x), ${pts.points.length} cells${r}`;
  const dpr = canvas.ownerDocument.defaultView?.devicePixelRatio ?? 1;
  const ctx = sizeCanvas(canvas, SCATTER, SCATTER, dpr);
  if (!ctx) return;
  ctx.clearRect(0, 0, SCATTER, SCATTER);
  ctx.strokeStyle = "rgba(127,127,127,0.6)";
  ctx.strokeRect(0.5, 0.5, SCATTER - 1, SCATTER - 1);
  ctx.beginPath();
  ctx.moveTo(PAD, SCATTER - PAD);
  ctx.lineTo(SCATTER - PAD, PAD);
  ctx.stroke();
  ctx.fillStyle = "#1a73e8";
  for (const p of pts.points) ctx.fillRect(p.x - 1.5, p.y - 1.5, 3, 3);
}
