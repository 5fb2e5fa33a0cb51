/**
 * The TokenHeatmap's DOM skeleton (no data in it), around the shared ScrollGrid. Layout:
 *
 *   .interplay-root.interplay-token-heatmap  (tabindex 0)
 *     .interplay-title
 *     .interplay-error                        (shown instead of body/footer on bad data)
 *     .interplay-body                         (the ScrollGrid: gutter + scroller, canvas.interplay-heatmap-canvas)
 *     .interplay-footer > .interplay-legend, .interplay-toolbar > button.interplay-button*
 *     .interplay-sr-only (aria-live cursor description)
 */

import { Legend } from "../lib/legend";
import { div, errorBox, makeRoot, setError, type GridDom } from "../lib/scroll_grid_dom";

export interface TokenHeatmapDom {
  root: HTMLDivElement;
  title: HTMLDivElement;
  error: HTMLDivElement;
  body: HTMLDivElement;
  footer: HTMLDivElement;
  legend: Legend;
}

/** The root (empty until `assemble`), made first so the grid can listen on it. */
export function buildRoot(doc: Document): HTMLDivElement {
  return makeRoot(doc, "interplay-token-heatmap", "token heatmap");
}

/** Put the title, error box, grid, legend and toolbar into the root. */
export function assemble(root: HTMLDivElement, grid: GridDom): TokenHeatmapDom {
  const doc = root.ownerDocument;
  const dom: TokenHeatmapDom = {
    root,
    title: div(doc, "interplay-title"),
    error: errorBox(doc),
    body: grid.body,
    footer: div(doc, "interplay-footer"),
    legend: new Legend(doc),
  };
  dom.footer.append(dom.legend.element, grid.toolbar);
  root.append(dom.title, dom.error, dom.body, dom.footer, grid.status);
  return dom;
}

/** Show `message` (as text) in place of the heatmap, or clear it with null. */
export function showError(dom: TokenHeatmapDom, message: string | null): void {
  setError(dom.error, message === null ? null : `Cannot show this heatmap: ${message}`, [dom.body, dom.footer]);
}
