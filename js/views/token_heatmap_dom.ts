/**
 * The TokenHeatmap's DOM skeleton (no data in it). Layout:
 *
 *   .interplay-root.interplay-token-heatmap  (tabindex 0)
 *     .interplay-title
 *     .interplay-error                        (shown instead of body/footer on bad data)
 *     .interplay-body
 *       .interplay-gutter  > .interplay-gutter-head, .interplay-gutter-rows > .interplay-gutter-inner > .interplay-row-label*
 *       .interplay-scroll  > .interplay-track (full scroll size) > .interplay-stage (sticky, viewport-sized)
 *                              > canvas.interplay-header-canvas, canvas.interplay-heatmap-canvas
 *     .interplay-footer > .interplay-legend, .interplay-toolbar > button.interplay-button*
 *     .interplay-sr-only (aria-live cursor description)
 */

import { Legend } from "../lib/legend";

export interface TokenHeatmapDom {
  root: HTMLDivElement;
  title: HTMLDivElement;
  error: HTMLDivElement;
  body: HTMLDivElement;
  gutter: HTMLDivElement;
  gutterHead: HTMLDivElement;
  gutterRows: HTMLDivElement;
  gutterInner: HTMLDivElement;
  scroller: HTMLDivElement;
  track: HTMLDivElement;
  stage: HTMLDivElement;
  header: HTMLCanvasElement;
  canvas: HTMLCanvasElement;
  footer: HTMLDivElement;
  legend: Legend;
  fitButton: HTMLButtonElement;
  status: HTMLDivElement;
}

export interface ToolbarActions {
  zoomOut(): void;
  zoomIn(): void;
  fit(): void;
  reset(): void;
}

export function div(doc: Document, cls: string): HTMLDivElement {
  const e = doc.createElement("div");
  e.className = cls;
  return e;
}

function canvas(doc: Document, cls: string): HTMLCanvasElement {
  const e = doc.createElement("canvas");
  e.className = cls;
  return e;
}

export function buildDom(doc: Document, actions: ToolbarActions): TokenHeatmapDom {
  const root = div(doc, "interplay-root interplay-token-heatmap");
  root.tabIndex = 0;
  root.setAttribute("role", "application");
  root.setAttribute("aria-roledescription", "token heatmap");
  // JupyterLab (Lumino) matches shortcuts on keydown in the capture phase: without this, arrows and
  // Enter would move or edit notebook cells instead of reaching the view while it has focus.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const dom: TokenHeatmapDom = {
    root,
    title: div(doc, "interplay-title"),
    error: div(doc, "interplay-error"),
    body: div(doc, "interplay-body"),
    gutter: div(doc, "interplay-gutter"),
    gutterHead: div(doc, "interplay-gutter-head"),
    gutterRows: div(doc, "interplay-gutter-rows"),
    gutterInner: div(doc, "interplay-gutter-inner"),
    scroller: div(doc, "interplay-scroll"),
    track: div(doc, "interplay-track"),
    stage: div(doc, "interplay-stage"),
    header: canvas(doc, "interplay-header-canvas"),
    canvas: canvas(doc, "interplay-heatmap-canvas"),
    footer: div(doc, "interplay-footer"),
    legend: new Legend(doc),
    fitButton: doc.createElement("button"),
    status: div(doc, "interplay-sr-only"),
  };
  dom.error.setAttribute("role", "alert");
  dom.error.hidden = true;
  dom.status.setAttribute("aria-live", "polite");
  dom.gutterRows.append(dom.gutterInner);
  dom.gutter.append(dom.gutterHead, dom.gutterRows);
  dom.stage.append(dom.header, dom.canvas);
  dom.track.append(dom.stage);
  dom.scroller.append(dom.track);
  dom.body.append(dom.gutter, dom.scroller);

  const toolbar = div(doc, "interplay-toolbar");
  const button = (b: HTMLButtonElement, text: string, label: string, onClick: () => void): void => {
    b.type = "button";
    b.className = "interplay-button";
    b.textContent = text;
    b.title = label;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    toolbar.append(b);
  };
  button(doc.createElement("button"), "−", "Zoom out", actions.zoomOut);
  button(doc.createElement("button"), "+", "Zoom in", actions.zoomIn);
  button(dom.fitButton, "Fit", "Fit all tokens in the width", actions.fit);
  button(doc.createElement("button"), "1:1", "Reset zoom", actions.reset);
  dom.footer.append(dom.legend.element, toolbar);
  root.append(dom.title, dom.error, dom.body, dom.footer, dom.status);
  return dom;
}

/** Show `message` (as text) in place of the heatmap, or clear it with null. */
export function showError(dom: TokenHeatmapDom, message: string | null): void {
  dom.error.textContent = message === null ? "" : `Cannot show this heatmap: ${message}`;
  dom.error.hidden = message === null;
  dom.body.hidden = message !== null;
  dom.footer.hidden = message !== null;
}

/** Fill the row-label gutter (labels as text, one per row of `cellHeight` px, below `headerHeight`). */
export function setRowLabels(dom: TokenHeatmapDom, labels: readonly string[], cellHeight: number, headerHeight: number): void {
  const doc = dom.root.ownerDocument;
  dom.gutterInner.replaceChildren(
    ...labels.map((text) => {
      const row = div(doc, "interplay-row-label");
      row.textContent = text;
      row.title = text;
      row.style.height = row.style.lineHeight = `${cellHeight}px`;
      return row;
    }),
  );
  dom.gutter.hidden = labels.every((s) => s === "");
  dom.gutterHead.style.height = `${headerHeight}px`;
  dom.header.hidden = headerHeight === 0;
}
