/**
 * The PromptFeaturesView's DOM: its skeleton (no data in it), the token strip and the latent list,
 * and its own stylesheet. Layout:
 *
 *   .interplay-root.interplay-prompt-features  (tabindex 0)
 *     .interplay-title
 *     .interplay-pf-meta                           (dictionary, hook, width)
 *     .interplay-error                             (shown instead of the body on bad data)
 *     .interplay-pf-body
 *       .interplay-pf-tokens > span.interplay-pf-token[data-pos]*     (coloured by max activation)
 *       .interplay-pf-latents > .interplay-pf-heading, .interplay-pf-list > button.interplay-pf-latent[data-latent]*
 *     .interplay-pf-message[data-kind=info|busy|error]   (what the linked panel is doing; .interplay-busy while busy)
 *     .interplay-footer > .interplay-legend
 *     .interplay-notes, .interplay-sr-only (aria-live)
 *
 * Token strings and labels reach the DOM only as text (`textContent`).
 */

import { formatCompact, formatValue } from "../lib/format";
import { Legend } from "../lib/legend";
import { textColorOn } from "../lib/scales";
import { div, errorBox, makeRoot } from "../lib/scroll_grid_dom";
import type { LatentRow, PromptFeaturesPrepared } from "./prompt_features_model";

export const PF_STYLE_ID = "interplay-style-prompt-features";

export const PF_CSS = `
.interplay-prompt-features .interplay-pf-meta { font-size: 12px; color: var(--interplay-fg-muted); margin: 0 0 6px; }
.interplay-prompt-features .interplay-pf-body { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 10px 18px; }
.interplay-prompt-features .interplay-pf-tokens {
  flex: 1 1 380px; min-width: 0; max-height: 240px; overflow: auto; display: flex; flex-wrap: wrap; gap: 2px;
  padding: 2px; font-family: var(--interplay-code-font); font-size: 13px; line-height: 1.5;
}
.interplay-prompt-features .interplay-pf-token {
  white-space: pre; padding: 0 2px; border-radius: 2px; cursor: pointer; border: 1px solid transparent;
}
.interplay-prompt-features .interplay-pf-token.interplay-pf-cursor { border-color: var(--interplay-fg-muted); }
.interplay-prompt-features .interplay-pf-token[aria-selected="true"] { border-color: var(--interplay-focus); box-shadow: 0 0 0 1px var(--interplay-focus); }
.interplay-prompt-features .interplay-pf-latents { flex: 0 1 360px; min-width: 240px; }
.interplay-prompt-features .interplay-pf-heading { font-size: 12px; color: var(--interplay-fg-muted); margin-bottom: 4px; white-space: pre-wrap; }
.interplay-prompt-features .interplay-pf-list { display: flex; flex-direction: column; gap: 1px; max-height: 300px; overflow: auto; }
.interplay-prompt-features .interplay-pf-latent {
  display: grid; grid-template-columns: 4.5em minmax(0, 1fr) 90px 4.5em; align-items: center; gap: 6px;
  font: inherit; font-size: 12px; text-align: left; padding: 1px 4px; color: var(--interplay-fg);
  background: transparent; border: 1px solid transparent; border-radius: 3px; cursor: pointer;
}
.interplay-prompt-features .interplay-pf-latent:hover { background: var(--interplay-bg-soft); }
.interplay-prompt-features .interplay-pf-latent:focus-visible { outline: 2px solid var(--interplay-focus); outline-offset: -1px; }
.interplay-prompt-features .interplay-pf-latent[aria-pressed="true"] { border-color: var(--interplay-focus); background: var(--interplay-bg-soft); }
.interplay-prompt-features .interplay-pf-latent-index { font-family: var(--interplay-code-font); font-variant-numeric: tabular-nums; }
.interplay-prompt-features .interplay-pf-latent-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--interplay-fg-muted); }
.interplay-prompt-features .interplay-pf-bar { height: 8px; background: var(--interplay-bg-soft); border-radius: 2px; overflow: hidden; }
.interplay-prompt-features .interplay-pf-bar-fill { display: block; height: 100%; background: var(--interplay-focus); }
.interplay-prompt-features .interplay-pf-latent-value { font-family: var(--interplay-code-font); font-variant-numeric: tabular-nums; text-align: right; }
.interplay-prompt-features .interplay-pf-message { margin-top: 6px; font-size: 12px; color: var(--interplay-fg-muted); white-space: pre-wrap; }
.interplay-prompt-features .interplay-pf-message[data-kind="error"] { color: var(--interplay-error); }
.interplay-prompt-features .interplay-pf-message.interplay-busy::before { content: "⏳ "; }
.interplay-prompt-features .interplay-notes { margin-top: 6px; font-size: 11px; color: var(--interplay-fg-muted); }
`;

export interface PromptFeaturesDom {
  root: HTMLDivElement;
  title: HTMLDivElement;
  meta: HTMLDivElement;
  error: HTMLDivElement;
  body: HTMLDivElement;
  tokens: HTMLDivElement;
  heading: HTMLDivElement;
  list: HTMLDivElement;
  footer: HTMLDivElement;
  legend: Legend;
  notes: HTMLDivElement;
  message: HTMLDivElement;
  status: HTMLDivElement;
}

export function buildDom(doc: Document): PromptFeaturesDom {
  const root = makeRoot(doc, "interplay-prompt-features", "prompt features");
  const dom: PromptFeaturesDom = {
    root,
    title: div(doc, "interplay-title"),
    meta: div(doc, "interplay-pf-meta"),
    error: errorBox(doc),
    body: div(doc, "interplay-pf-body"),
    tokens: div(doc, "interplay-pf-tokens"),
    heading: div(doc, "interplay-pf-heading"),
    list: div(doc, "interplay-pf-list"),
    footer: div(doc, "interplay-footer"),
    legend: new Legend(doc),
    notes: div(doc, "interplay-notes"),
    message: div(doc, "interplay-pf-message"),
    status: div(doc, "interplay-sr-only"),
  };
  dom.tokens.setAttribute("role", "listbox");
  dom.tokens.setAttribute("aria-label", "prompt tokens");
  dom.list.setAttribute("role", "list");
  dom.status.setAttribute("aria-live", "polite");
  const latents = div(doc, "interplay-pf-latents");
  latents.append(dom.heading, dom.list);
  dom.body.append(dom.tokens, latents);
  dom.footer.append(dom.legend.element);
  dom.message.setAttribute("role", "status");
  root.append(dom.title, dom.meta, dom.error, dom.body, dom.message, dom.footer, dom.notes, dom.status);
  return dom;
}

/** The panel's message line (text only), with its kind; hidden when empty. */
export function setMessage(el: HTMLElement, text: unknown, kind: unknown): void {
  const t = typeof text === "string" ? text : "";
  const k = kind === "busy" || kind === "error" ? kind : "info";
  el.textContent = t;
  el.hidden = t === "";
  el.dataset.kind = k;
  el.classList.toggle("interplay-busy", k === "busy" && t !== "");
}

/** One span per token, coloured by its largest activation, its text the token's visible form. */
export function renderTokens(container: HTMLElement, p: PromptFeaturesPrepared): HTMLSpanElement[] {
  const doc = container.ownerDocument;
  const spans = p.display.map((text, pos) => {
    const s = doc.createElement("span");
    s.className = "interplay-pf-token";
    s.dataset.pos = String(pos);
    s.setAttribute("role", "option");
    s.setAttribute("aria-selected", "false");
    s.textContent = text;
    const v = p.maxValues[pos];
    const [r, g, b, a] = p.scale.rgba(v);
    if (a > 0) {
      s.style.background = `rgb(${r}, ${g}, ${b})`;
      s.style.color = textColorOn(r, g, b);
    }
    return s;
  });
  container.replaceChildren(...spans);
  return spans;
}

/** The latent buttons of one token (index, label, activation bar, value); `selected` pressed. */
export function renderLatents(list: HTMLElement, rows: readonly LatentRow[], selected: number | null, dtype: string): HTMLButtonElement[] {
  const doc = list.ownerDocument;
  const buttons = rows.map((row) => {
    const b = doc.createElement("button");
    b.type = "button";
    b.className = "interplay-pf-latent";
    b.dataset.latent = String(row.latent);
    b.setAttribute("aria-pressed", String(row.latent === selected));
    const index = doc.createElement("span");
    index.className = "interplay-pf-latent-index";
    index.textContent = `#${row.latent}`;
    const label = doc.createElement("span");
    label.className = "interplay-pf-latent-label";
    label.textContent = row.label;
    const bar = doc.createElement("span");
    bar.className = "interplay-pf-bar";
    const fill = doc.createElement("span");
    fill.className = "interplay-pf-bar-fill";
    fill.style.width = `${(100 * row.fraction).toFixed(1)}%`;
    bar.append(fill);
    const value = doc.createElement("span");
    value.className = "interplay-pf-latent-value";
    value.textContent = formatCompact(row.value);
    b.title = `latent ${row.latent}${row.label ? ` (${row.label})` : ""}: activation ${formatValue(row.value, dtype)}`;
    b.setAttribute("aria-label", b.title);
    b.append(index, label, bar, value);
    return b;
  });
  list.replaceChildren(...buttons);
  return buttons;
}
