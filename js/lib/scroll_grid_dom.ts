/**
 * DOM pieces shared by the matrix views: the widget root, small element helpers, the error box,
 * and the skeleton of a scrollable, virtualised matrix (no data in it):
 *
 *   .interplay-body
 *     .interplay-gutter  > .interplay-gutter-head, .interplay-gutter-rows > .interplay-gutter-inner > .interplay-row-label*
 *     .interplay-scroll  > .interplay-track (full scroll size) > .interplay-stage (sticky, viewport-sized)
 *                            > canvas.interplay-header-canvas, canvas.<cells class>
 *   .interplay-toolbar > button.interplay-button* (zoom out, zoom in, fit, 1:1)
 *   .interplay-sr-only (aria-live cursor description)
 *
 * Data reaches these elements only as text (`textContent`).
 */

export function div(doc: Document, cls: string, text?: string): HTMLDivElement {
  const e = doc.createElement("div");
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function canvasEl(doc: Document, cls: string): HTMLCanvasElement {
  const e = doc.createElement("canvas");
  e.className = cls;
  return e;
}

/** A `.interplay-button` with a text face, an accessible label and a click handler. */
export function button(doc: Document, text: string, label: string, onClick: () => void, cls = ""): HTMLButtonElement {
  const b = doc.createElement("button");
  b.type = "button";
  b.className = cls ? `interplay-button ${cls}` : "interplay-button";
  b.textContent = text;
  b.title = label;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

/** A focusable widget root (`.interplay-root.<cls>`) that keeps notebook shortcuts away while focused. */
export function makeRoot(doc: Document, cls: string, roleDescription: string): HTMLDivElement {
  const root = div(doc, `interplay-root ${cls}`);
  root.tabIndex = 0;
  root.setAttribute("role", "application");
  root.setAttribute("aria-roledescription", roleDescription);
  // JupyterLab (Lumino) matches shortcuts on keydown in the capture phase: without this, arrows and
  // Enter would move or edit notebook cells instead of reaching the view while it has focus.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  return root;
}

/** An `.interplay-error` box (hidden until `setError` gives it a message). */
export function errorBox(doc: Document): HTMLDivElement {
  const e = div(doc, "interplay-error");
  e.setAttribute("role", "alert");
  e.hidden = true;
  return e;
}

/** Show `message` (as text) in the error box and hide `replaced`, or clear it with null. */
export function setError(error: HTMLElement, message: string | null, replaced: readonly HTMLElement[] = []): void {
  error.textContent = message ?? "";
  error.hidden = message === null;
  for (const e of replaced) e.hidden = message !== null;
}

/** Fill an `.interplay-notes` element with one small text line per note (hidden when none). */
export function setNotes(notes: HTMLElement, lines: unknown): void {
  const doc = notes.ownerDocument;
  const list = Array.isArray(lines) ? lines.filter((s): s is string => typeof s === "string" && s !== "") : [];
  notes.replaceChildren(...list.map((s) => div(doc, "interplay-note", s)));
  notes.hidden = list.length === 0;
}

export interface GridDom {
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
  toolbar: HTMLDivElement;
  fitButton: HTMLButtonElement;
  status: HTMLDivElement;
}

export interface ToolbarActions {
  zoomOut(): void;
  zoomIn(): void;
  fit(): void;
  reset(): void;
}

/** The scrollable matrix skeleton; the cells are drawn on `canvas.<canvasClass>`. */
export function buildGridDom(doc: Document, canvasClass: string, actions: ToolbarActions): GridDom {
  const dom: GridDom = {
    body: div(doc, "interplay-body"),
    gutter: div(doc, "interplay-gutter"),
    gutterHead: div(doc, "interplay-gutter-head"),
    gutterRows: div(doc, "interplay-gutter-rows"),
    gutterInner: div(doc, "interplay-gutter-inner"),
    scroller: div(doc, "interplay-scroll"),
    track: div(doc, "interplay-track"),
    stage: div(doc, "interplay-stage"),
    header: canvasEl(doc, "interplay-header-canvas"),
    canvas: canvasEl(doc, canvasClass),
    toolbar: div(doc, "interplay-toolbar"),
    fitButton: button(doc, "Fit", "Fit all columns in the width", actions.fit),
    status: div(doc, "interplay-sr-only"),
  };
  dom.status.setAttribute("aria-live", "polite");
  dom.gutterRows.append(dom.gutterInner);
  dom.gutter.append(dom.gutterHead, dom.gutterRows);
  dom.stage.append(dom.header, dom.canvas);
  dom.track.append(dom.stage);
  dom.scroller.append(dom.track);
  dom.body.append(dom.gutter, dom.scroller);
  dom.toolbar.append(
    button(doc, "−", "Zoom out", actions.zoomOut),
    button(doc, "+", "Zoom in", actions.zoomIn),
    dom.fitButton,
    button(doc, "1:1", "Reset zoom", actions.reset),
  );
  return dom;
}

/** Fill the row-label gutter (labels as text, one per row of `cellHeight` px, below `headerHeight`). */
export function setRowLabels(dom: GridDom, labels: readonly string[], cellHeight: number, headerHeight: number): void {
  const doc = dom.body.ownerDocument;
  dom.gutterInner.replaceChildren(
    ...labels.map((text) => {
      const row = div(doc, "interplay-row-label", text);
      row.title = text;
      row.style.height = row.style.lineHeight = `${cellHeight}px`;
      return row;
    }),
  );
  dom.gutter.hidden = labels.every((s) => s === "");
  dom.gutterHead.style.height = `${headerHeight}px`;
  dom.header.hidden = headerHeight === 0;
}
