/**
 * The AttributionView's controls (method, score, contrast token) and its stylesheet. Every string
 * from Python (method names, tokens) reaches the DOM as text only.
 */

import { SCORES, type Settings } from "./attribution_model";

export const CSS = `
.interplay-attribution .interplay-attr-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; margin-bottom: 6px; font-size: 12px; }
.interplay-attribution .interplay-attr-controls label { display: inline-flex; align-items: center; gap: 4px; color: var(--interplay-fg-muted); }
.interplay-attribution select, .interplay-attribution input {
  font: inherit; font-size: 12px; color: var(--interplay-fg); background: var(--interplay-bg);
  border: 1px solid var(--interplay-border); border-radius: 3px; padding: 1px 4px;
}
.interplay-attribution input.interplay-attr-contrast { width: 9em; font-family: var(--interplay-code-font); }
.interplay-attribution select:focus-visible, .interplay-attribution input:focus-visible { outline: 2px solid var(--interplay-focus); }
.interplay-attr-tokens {
  display: flex; flex-wrap: wrap; gap: 3px 1px; max-height: 320px; overflow: auto; padding: 3px;
  font-family: var(--interplay-code-font); font-size: 13px; line-height: 1.5;
}
.interplay-attr-token { white-space: pre; padding: 0 3px; border-radius: 3px; border: 1px solid transparent; }
.interplay-attr-token.interplay-attr-output { cursor: pointer; }
.interplay-attr-token.interplay-attr-output:hover { border-color: var(--interplay-focus); }
.interplay-attr-token.interplay-attr-generated { font-style: italic; border-bottom: 2px solid var(--interplay-focus); }
.interplay-attr-token.interplay-attr-target { outline: 2px solid var(--interplay-fg); outline-offset: 1px; font-weight: 600; }
.interplay-attribution:focus-visible .interplay-attr-token.interplay-attr-cursor { box-shadow: 0 0 0 2px var(--interplay-focus); }
.interplay-attr-token.interplay-attr-hover { border-color: var(--interplay-fg); border-style: dashed; }
.interplay-attr-label { margin-top: 6px; font-family: var(--interplay-code-font); font-size: 12px; }
.interplay-attr-delta, .interplay-attr-notes { font-size: 12px; color: var(--interplay-fg-muted); }
.interplay-attribution .interplay-busy { display: flex; align-items: center; gap: 8px; font-size: 12px; color: var(--interplay-fg-muted); }
.interplay-attr-track { width: 120px; height: 6px; border: 1px solid var(--interplay-border); border-radius: 3px; overflow: hidden; }
.interplay-attr-bar { height: 100%; width: 0; background: var(--interplay-focus); transition: width 0.1s; }
.interplay-attr-matrix-wrap { margin-top: 8px; overflow: auto; max-height: var(--interplay-max-height); }
.interplay-attr-matrix { display: block; cursor: crosshair; }
`;

export function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface Controls {
  element: HTMLDivElement;
  title: HTMLDivElement;
  method: HTMLSelectElement;
  score: HTMLSelectElement;
  contrast: HTMLInputElement;
  /** Show the state's methods and settings (without reporting an edit). */
  set(s: Settings & { methods: string[] }): void;
}

function labelled(doc: Document, text: string, control: HTMLElement): HTMLLabelElement {
  const label = el(doc, "label", "interplay-attr-field");
  label.append(doc.createTextNode(text), control);
  return label;
}

function fillOptions(select: HTMLSelectElement, values: readonly string[], pretty: (v: string) => string): void {
  const doc = select.ownerDocument;
  const same = select.options.length === values.length && values.every((v, i) => select.options[i].value === v);
  if (same) return;
  select.replaceChildren(...values.map((v) => {
    const o = doc.createElement("option");
    o.value = v;
    o.textContent = pretty(v);
    return o;
  }));
}

/** The header: title, method and score pickers, and the contrast token ("vs", for a logit difference). */
export function buildControls(doc: Document, onEdit: (edit: Partial<Settings>) => void): Controls {
  const element = el(doc, "div", "interplay-attr-controls");
  const title = el(doc, "div", "interplay-title");
  const method = el(doc, "select", "interplay-attr-method");
  const score = el(doc, "select", "interplay-attr-score");
  const contrast = el(doc, "input", "interplay-attr-contrast");
  contrast.type = "text";
  contrast.placeholder = "token (optional)";
  contrast.title = "explain the logit difference to this token (a single token, e.g. ' John')";
  fillOptions(score, SCORES, (v) => v);
  element.append(title, labelled(doc, "method", method), labelled(doc, "score", score), labelled(doc, "vs", contrast));
  method.addEventListener("change", () => onEdit({ method: method.value }));
  score.addEventListener("change", () => onEdit({ score: score.value }));
  contrast.addEventListener("change", () => onEdit({ contrast: contrast.value }));
  contrast.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Enter") onEdit({ contrast: contrast.value });
  });
  return {
    element, title, method, score, contrast,
    set(s) {
      fillOptions(method, s.methods, (v) => v.replace(/_/g, " "));
      method.value = s.method;
      score.value = s.score;
      if (contrast.ownerDocument.activeElement !== contrast) contrast.value = s.contrast;
    },
  };
}
