/**
 * The Annotator's stylesheet and DOM pieces: the toolbar (label buttons that double as the legend,
 * undo/redo, the pager) and one token element (text only, with its stacked label underlines).
 */

export const CSS = `
.interplay-annotator { user-select: none; -webkit-user-select: none; }
.interplay-ann-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; margin-bottom: 6px; font-size: 12px; }
.interplay-ann-labels { display: inline-flex; flex-wrap: wrap; gap: 4px; }
.interplay-ann-label { display: inline-flex; align-items: center; gap: 5px; }
.interplay-ann-key { font-family: var(--interplay-code-font); color: var(--interplay-fg-muted); }
.interplay-ann-swatch { display: inline-block; width: 14px; height: 5px; border-radius: 2px; }
.interplay-ann-saved { color: var(--interplay-fg-muted); max-width: 40ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.interplay-ann-pager { display: inline-flex; align-items: center; gap: 4px; margin-left: auto; }
.interplay-ann-page { font-variant-numeric: tabular-nums; color: var(--interplay-fg-muted); }
.interplay-ann-tokens {
  display: flex; flex-wrap: wrap; row-gap: 6px; max-height: var(--interplay-max-height); overflow: auto; padding: 4px 2px;
  font-family: var(--interplay-code-font); font-size: 14px; line-height: 1.5;
}
.interplay-ann-token { display: inline-flex; flex-direction: column; cursor: pointer; }
.interplay-ann-text { white-space: pre; padding: 0 3px; border: 1px solid transparent; border-radius: 3px; }
.interplay-ann-token:hover .interplay-ann-text { border-color: var(--interplay-border); }
.interplay-ann-token.interplay-ann-selected .interplay-ann-text { background-color: var(--interplay-bg-soft); border-color: var(--interplay-focus); }
.interplay-ann-token.interplay-ann-selected.interplay-ann-valued .interplay-ann-text { border-width: 2px 1px; }
.interplay-ann-token.interplay-ann-cursor .interplay-ann-text { border-color: var(--interplay-fg-muted); border-style: dashed; }
.interplay-annotator:focus-visible .interplay-ann-token.interplay-ann-cursor .interplay-ann-text,
.interplay-annotator:focus .interplay-ann-token.interplay-ann-cursor .interplay-ann-text {
  border-style: solid; border-color: var(--interplay-focus); box-shadow: 0 0 0 1px var(--interplay-focus);
}
.interplay-ann-lanes { display: flex; flex-direction: column; gap: 1px; margin-top: 2px; }
.interplay-ann-lane { display: block; height: 4px; }
.interplay-ann-lane.interplay-ann-start { margin-left: 2px; border-top-left-radius: 2px; border-bottom-left-radius: 2px; }
.interplay-ann-lane.interplay-ann-end { margin-right: 2px; border-top-right-radius: 2px; border-bottom-right-radius: 2px; }
.interplay-ann-status { margin-top: 4px; font-size: 12px; color: var(--interplay-fg-muted); white-space: pre-wrap; }
.interplay-annotator .interplay-legend { margin-top: 4px; }
`;

export function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function button(doc: Document, cls: string, text: string, title: string): HTMLButtonElement {
  const b = el(doc, "button", `interplay-button ${cls}`, text);
  b.type = "button";
  b.title = title;
  b.tabIndex = -1; // the root takes the keyboard; buttons are for the mouse (and have key equivalents)
  return b;
}

/** A label button: swatch, number key, name (all text). */
export function labelButton(doc: Document, index: number, label: string, color: string): HTMLButtonElement {
  const b = button(doc, "interplay-ann-label", "", `label the selection "${label}"${index < 9 ? ` (key ${index + 1})` : ""}`);
  b.dataset.label = label;
  const swatch = el(doc, "span", "interplay-ann-swatch");
  swatch.style.backgroundColor = color;
  b.append(swatch);
  if (index < 9) b.append(el(doc, "span", "interplay-ann-key", String(index + 1)));
  b.append(el(doc, "span", "interplay-ann-name", label));
  return b;
}

/** One lane of one token: a coloured bar where a record covers the token, else an empty strip. */
export interface LaneCell {
  color: string | null;
  label: string | null;
  start: boolean;
  end: boolean;
}

export function tokenElement(doc: Document, pos: number, text: string, lanes: readonly LaneCell[]): HTMLSpanElement {
  const span = el(doc, "span", "interplay-ann-token");
  span.dataset.pos = String(pos);
  span.setAttribute("role", "option");
  const t = el(doc, "span", "interplay-ann-text", text);
  const box = el(doc, "span", "interplay-ann-lanes");
  box.setAttribute("aria-hidden", "true");
  for (const lane of lanes) {
    const bar = el(doc, "span", "interplay-ann-lane");
    if (lane.color !== null) {
      bar.classList.add("interplay-ann-underline");
      bar.style.backgroundColor = lane.color;
      bar.dataset.label = lane.label ?? "";
      if (lane.start) bar.classList.add("interplay-ann-start");
      if (lane.end) bar.classList.add("interplay-ann-end");
    }
    box.append(bar);
  }
  span.append(t, box);
  return span;
}
