/**
 * The AttentionView's DOM skeleton and its text-only parts (title, notes, error, sequence
 * select). Layout:
 *
 *   .interplay-root.interplay-attention   (tabindex 0, data-lm-suppress-shortcuts)
 *     .interplay-title, .interplay-notes > .interplay-note*
 *     .interplay-error                    (shown instead of the body on bad data)
 *     .interplay-attention-body
 *       .interplay-controls > label > select.interplay-sequence   (only with several sequences)
 *       .interplay-attention-main
 *         .interplay-attention-left > .interplay-grid-scroll > canvas.interplay-attention-grid,
 *                                     .interplay-grid-caption, .interplay-head-ranking (table)
 *         .interplay-attention-detail     (the pattern pane)
 *       .interplay-token-view
 *     .interplay-sr-only                  (aria-live description of the keyboard cursor)
 */

export interface AttentionDom {
  root: HTMLDivElement;
  title: HTMLDivElement;
  notes: HTMLDivElement;
  error: HTMLDivElement;
  body: HTMLDivElement;
  sequence: HTMLSelectElement;
  sequenceLabel: HTMLLabelElement;
  main: HTMLDivElement;
  left: HTMLDivElement;
  gridScroll: HTMLDivElement;
  srStatus: HTMLDivElement;
}

export function div(doc: Document, cls: string, text?: string): HTMLDivElement {
  const e = doc.createElement("div");
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The skeleton; the view puts the grid canvas, table, pane and token view into it. */
export function buildAttentionDom(doc: Document, topMarked: number): AttentionDom {
  const root = div(doc, "interplay-root interplay-attention");
  root.tabIndex = 0;
  root.setAttribute("role", "application");
  root.setAttribute("aria-roledescription", "attention view");
  // JupyterLab matches shortcuts on keydown in the capture phase: keep arrows and Enter here.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const dom: AttentionDom = {
    root,
    title: div(doc, "interplay-title"),
    notes: div(doc, "interplay-notes"),
    error: div(doc, "interplay-error"),
    body: div(doc, "interplay-attention-body"),
    sequence: doc.createElement("select"),
    sequenceLabel: doc.createElement("label"),
    main: div(doc, "interplay-attention-main"),
    left: div(doc, "interplay-attention-left"),
    gridScroll: div(doc, "interplay-grid-scroll"),
    srStatus: div(doc, "interplay-sr-only"),
  };
  dom.error.setAttribute("role", "alert");
  dom.error.hidden = true;
  dom.sequence.className = "interplay-sequence";
  dom.sequence.setAttribute("aria-label", "sequence of the batch");
  dom.sequenceLabel.className = "interplay-control-label";
  dom.sequenceLabel.append(doc.createTextNode("sequence "), dom.sequence);
  const controls = div(doc, "interplay-controls");
  controls.append(dom.sequenceLabel);
  const caption = div(doc, "interplay-grid-caption");
  const ring = doc.createElement("span");
  ring.className = "interplay-grid-top";
  caption.append(doc.createTextNode("rows: layers, columns: heads; "), ring, doc.createTextNode(` top ${topMarked} by the sort score`));
  dom.left.append(dom.gridScroll, caption);
  dom.main.append(dom.left);
  dom.body.append(controls, dom.main);
  dom.srStatus.setAttribute("aria-live", "polite");
  root.append(dom.title, dom.notes, dom.error, dom.body, dom.srStatus);
  return dom;
}

/** Title and notes, as text. */
export function setText(dom: AttentionDom, title: string, notes: unknown): void {
  dom.title.textContent = title;
  dom.title.hidden = !title;
  dom.root.setAttribute("aria-label", title || "attention view");
  const lines = Array.isArray(notes) ? notes : [];
  const doc = dom.root.ownerDocument;
  dom.notes.replaceChildren(...lines.map((t) => div(doc, "interplay-note", String(t))));
  dom.notes.hidden = lines.length === 0;
}

/** The sequence select: one option per batch item, shown only when there are several. */
export function setSequences(dom: AttentionDom, sequences: unknown, index: number, rebuild: boolean): void {
  const seqs = Array.isArray(sequences) ? sequences.map(String) : [];
  if (rebuild || dom.sequence.options.length !== seqs.length) {
    const doc = dom.root.ownerDocument;
    dom.sequence.replaceChildren(...seqs.map((label, i) => {
      const o = doc.createElement("option");
      o.value = String(i);
      o.textContent = `${i}: ${label}`;
      return o;
    }));
  }
  dom.sequence.value = String(Number.isInteger(index) ? index : 0);
  dom.sequenceLabel.hidden = seqs.length <= 1;
}

/** Show `message` (text) in place of the body, or clear it with null. */
export function showError(dom: AttentionDom, message: string | null): void {
  dom.error.textContent = message === null ? "" : `Cannot show these attention patterns: ${message}`;
  dom.error.hidden = message === null;
  dom.body.hidden = message !== null;
}
