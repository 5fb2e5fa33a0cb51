/**
 * The DLA component bars (`.interplay-dla-bars`): one horizontal SVG bar per component, from 0 to
 * its value, coloured with the diverging scale, its label on the left and its value on the right
 * (all as SVG text: `textContent` only). Each row has a `<title>` with the exact value and share.
 * Also the view-specific stylesheet of the DLA view.
 */

import { formatCompact, formatValue } from "../lib/format";
import { shareText, barLayout, type DlaPrepared } from "./dla_model";

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 560;
const LABEL_WIDTH = 170;
const VALUE_WIDTH = 72;
const ROW_HEIGHT = 18;
const BAR_PAD = 3;
const MAX_LABEL_CHARS = 26;

export const DLA_STYLE_ID = "interplay-style-dla";

export const DLA_CSS = `
.interplay-dla .interplay-dla-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; margin: 0 0 6px; }
.interplay-dla .interplay-dla-target { font-family: var(--interplay-code-font); font-weight: 600; white-space: pre-wrap; }
.interplay-dla .interplay-dla-total { font-variant-numeric: tabular-nums; color: var(--interplay-fg-muted); }
.interplay-dla .interplay-dla-section { font-size: 12px; color: var(--interplay-fg-muted); margin: 8px 0 2px; }
.interplay-dla .interplay-dla-canvas { cursor: pointer; }
.interplay-dla .interplay-dla-bars { max-height: var(--interplay-max-height); overflow: auto; }
.interplay-dla .interplay-dla-bars svg { display: block; max-width: 100%; height: auto; }
.interplay-dla .interplay-dla-bars text { fill: var(--interplay-fg); font-size: 11px; font-family: var(--interplay-ui-font); }
.interplay-dla .interplay-dla-bars .interplay-dla-value { font-family: var(--interplay-code-font); font-variant-numeric: tabular-nums; }
.interplay-dla .interplay-dla-bars .interplay-dla-zero { stroke: var(--interplay-fg-muted); stroke-width: 1; }
.interplay-dla .interplay-dla-bars .interplay-dla-row:hover rect.interplay-dla-hover { fill: var(--interplay-bg-soft); }
.interplay-dla .interplay-notes { margin-top: 6px; font-size: 11px; color: var(--interplay-fg-muted); }
`;

function svg<K extends keyof SVGElementTagNameMap>(doc: Document, tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = doc.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function shorten(s: string): string {
  const chars = [...s];
  return chars.length > MAX_LABEL_CHARS ? `${chars.slice(0, MAX_LABEL_CHARS - 1).join("")}…` : s;
}

/** Replace the contents of `container` with the bars of `p`'s components (nothing when there are none). */
export function renderBars(container: HTMLElement, p: DlaPrepared, total: number | null): void {
  const doc = container.ownerDocument;
  const comps = p.components;
  const scale = p.componentScale;
  if (!comps || !scale || comps.size === 0) {
    container.replaceChildren();
    container.hidden = true;
    return;
  }
  container.hidden = false;
  const values = comps.values();
  const plotLeft = LABEL_WIDTH + 6;
  const plotWidth = WIDTH - plotLeft - VALUE_WIDTH - 6;
  const layout = barLayout(values, scale.vmin, scale.vmax, plotLeft, plotWidth, ROW_HEIGHT);
  const height = layout.height + 2;
  const root = svg(doc, "svg", { width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: "img" });
  root.setAttribute("aria-label", "direct contribution of each component");
  const lowColor = scale.css(scale.vmin ?? -1);
  const highColor = scale.css(scale.vmax ?? 1);
  for (const bar of layout.bars) {
    const label = p.componentLabels[bar.index];
    const exact = formatValue(bar.value, comps.dtype, comps.encoding);
    const row = svg(doc, "g", { class: "interplay-dla-row" });
    row.append(
      svg(doc, "title", {}, `${label}: ${exact} (${shareText(bar.value, total)})`),
      svg(doc, "rect", { class: "interplay-dla-hover", x: 0, y: bar.y, width: WIDTH, height: ROW_HEIGHT, fill: "transparent" }),
      svg(doc, "text", { x: LABEL_WIDTH, y: bar.y + ROW_HEIGHT / 2, "text-anchor": "end", "dominant-baseline": "central" }, shorten(label)),
    );
    if (bar.w > 0) {
      const fill = scale.css(bar.value);
      row.append(
        svg(doc, "rect", {
          class: bar.value < 0 ? "interplay-dla-bar interplay-dla-negative" : "interplay-dla-bar interplay-dla-positive",
          x: bar.x,
          y: bar.y + BAR_PAD,
          width: Math.max(1, bar.w),
          height: ROW_HEIGHT - 2 * BAR_PAD,
          fill: fill === "transparent" ? "none" : fill,
          // Near-zero values are near-white: a thin border in the sign's colour keeps them visible.
          stroke: bar.value < 0 ? lowColor : highColor,
          "stroke-width": 1,
        }),
      );
    }
    const valueText = Number.isNaN(bar.value) ? "NaN" : formatCompact(bar.value, 3);
    row.append(svg(doc, "text", { class: "interplay-dla-value", x: WIDTH - 4, y: bar.y + ROW_HEIGHT / 2, "text-anchor": "end", "dominant-baseline": "central" }, valueText));
    root.append(row);
  }
  root.append(svg(doc, "line", { class: "interplay-dla-zero", x1: layout.zeroX, x2: layout.zeroX, y1: 0, y2: layout.height }));
  container.replaceChildren(root);
}
