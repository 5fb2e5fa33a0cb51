/**
 * CircuitView's detail pane for a clicked node: its direct logit attribution, its strongest
 * incoming and outgoing edges, and for a head its attention pattern on the chosen prompt (a canvas
 * heatmap with the tokens along both axes). The edges come from the data; when the pattern and
 * the DLA cannot be had (no live model), a note says so instead. Text only through `textContent`.
 */

import { buildRgba, get2d, sizeCanvas, type GridGeometry } from "../lib/canvas";
import { decodeArray } from "../lib/codec";
import { formatCompact } from "../lib/format";
import { drawRowLabels, fitText } from "../lib/labels";
import { makeScale } from "../lib/scales";
import { div } from "../lib/scroll_grid_dom";
import type { CanvasTheme } from "../lib/theme";
import { displayToken } from "../lib/tokens";
import type { WirePayload } from "../lib/types";

export interface NodeDetail {
  name: string;
  kind: string;
  layer: number;
  head: number;
  dla?: number | null;
  dla_label?: string;
  incoming: { node: string; score: number }[];
  outgoing: { node: string; score: number }[];
  tokens?: string[];
  pattern?: WirePayload;
  /** Why the model-dependent part (pattern, DLA) is missing: e.g. the view has no live model. */
  note?: string;
}

export const CIRCUIT_CSS = `
.interplay-circuit .interplay-circuit-bar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 4px 0; font-size: 12px; }
.interplay-circuit .interplay-circuit-k { width: 220px; }
.interplay-circuit .interplay-circuit-faith { font-weight: 600; }
.interplay-circuit .interplay-busy { color: var(--interplay-fg-muted); font-style: italic; }
.interplay-circuit .interplay-circuit-main { display: flex; gap: 12px; align-items: flex-start; }
.interplay-circuit .interplay-circuit-scroll { overflow: auto; max-height: 640px; max-width: 100%; flex: 1 1 auto;
  border: 1px solid var(--interplay-border, #ddd); cursor: grab; }
.interplay-circuit svg.interplay-circuit-svg { display: block; user-select: none; }
.interplay-circuit .interplay-circuit-node { cursor: pointer; }
.interplay-circuit .interplay-circuit-detail { flex: 0 0 300px; font-size: 12px; }
.interplay-circuit .interplay-circuit-detail:empty { display: none; }
.interplay-circuit .interplay-circuit-detail-title { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
.interplay-circuit .interplay-circuit-edges { margin: 2px 0 6px; padding: 0; list-style: none; font-family: var(--interplay-code-font, monospace); }
.interplay-circuit .interplay-circuit-title { font-weight: 600; }
.interplay-circuit .interplay-circuit-detail-note { color: var(--interplay-fg-muted); font-style: italic; margin: 2px 0 6px; }
.interplay-circuit .interplay-circuit-faith.interplay-circuit-faith-note { font-weight: 400; color: var(--interplay-fg-muted); font-style: italic; }
`;

function list(doc: Document, title: string, items: { node: string; score: number }[]): HTMLElement[] {
  const head = div(doc, "interplay-circuit-detail-sub", title);
  const ul = doc.createElement("ul");
  ul.className = "interplay-circuit-edges";
  for (const it of items) {
    const li = doc.createElement("li");
    li.textContent = `${formatCompact(it.score)}  ${it.node}`;
    ul.append(li);
  }
  return [head, ul];
}

const PATTERN_SIDE = 240;
const PATTERN_GUTTER = 56;

/** Fill `pane` with the detail of one node. */
export function renderDetail(pane: HTMLElement, d: NodeDetail, theme: CanvasTheme): void {
  const doc = pane.ownerDocument;
  const parts: HTMLElement[] = [div(doc, "interplay-circuit-detail-title", d.name)];
  if (d.note) parts.push(div(doc, "interplay-circuit-detail-note", d.note));
  if (d.dla !== undefined && d.dla !== null) {
    parts.push(div(doc, "interplay-circuit-dla", `direct logit attribution: ${formatCompact(d.dla)} (${d.dla_label ?? ""})`));
  }
  if (d.pattern && d.tokens) {
    parts.push(div(doc, "interplay-circuit-detail-sub", "attention pattern (query ↓, key →)"));
    parts.push(drawPattern(doc, d.pattern, d.tokens, theme));
  }
  if (d.incoming.length) parts.push(...list(doc, "strongest incoming edges", d.incoming));
  if (d.outgoing.length) parts.push(...list(doc, "strongest outgoing edges", d.outgoing));
  pane.replaceChildren(...parts);
}

function drawPattern(doc: Document, payload: WirePayload, tokens: string[], theme: CanvasTheme): HTMLCanvasElement {
  const canvas = doc.createElement("canvas");
  canvas.className = "interplay-circuit-pattern";
  const arr = decodeArray(payload);
  const [nq, nk] = arr.shape;
  const cell = Math.max(4, Math.floor(PATTERN_SIDE / Math.max(nq, nk, 1)));
  const w = PATTERN_GUTTER + cell * nk;
  const h = PATTERN_GUTTER + cell * nq;
  const dpr = doc.defaultView?.devicePixelRatio ?? 1;
  const ctx = sizeCanvas(canvas, w, h, dpr);
  canvas.dataset.rows = String(nq);
  if (!ctx) return canvas;
  const scale = makeScale({ kind: "sequential", cmap: "viridis" }, arr.vmin ?? 0, arr.vmax ?? 1);
  const { rgba } = buildRgba(arr.values(), scale);
  const tmp = doc.createElement("canvas");
  tmp.width = nk;
  tmp.height = nq;
  const tctx = get2d(tmp);
  if (tctx) {
    const img = tctx.createImageData(nk, nq);
    img.data.set(rgba);
    tctx.putImageData(img, 0, 0);
  }
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, PATTERN_GUTTER, PATTERN_GUTTER, cell * nk, cell * nq);
  const labels = tokens.map(displayToken);
  const g: GridGeometry = { rows: nq, cols: nk, cellWidth: cell, cellHeight: cell, gutter: PATTERN_GUTTER, top: PATTERN_GUTTER };
  const style = { font: `10px ${theme.codeFont}`, color: theme.fg };
  drawRowLabels(ctx, labels, g, h, style);
  // key labels: the same tokens, written upwards above each column
  ctx.save();
  ctx.font = style.font;
  ctx.fillStyle = style.color;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  if (cell >= 9) {
    for (let c = 0; c < nk; c++) {
      ctx.save();
      ctx.translate(PATTERN_GUTTER + (c + 0.5) * cell, PATTERN_GUTTER - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(fitText(ctx, labels[c] ?? "", PATTERN_GUTTER - 8), 0, 0);
      ctx.restore();
    }
  }
  ctx.restore();
  return canvas;
}
