/**
 * One feature's card in a FeatureView: header (name, free-text label, density, max activation,
 * active tokens), the activation histogram (canvas; hovering a bin shows its count as text), the top
 * examples (paged), quantile-bucket examples (a selector showing each bucket's range) and the logit
 * effects with their norm convention. Text only (`textContent` / `fillText`).
 *
 *   .interplay-feature-card[data-feature][data-primary]
 *     .interplay-feature-header > .interplay-feature-name, input.interplay-feature-label, .interplay-feature-stats
 *     .interplay-feature-hist-box > canvas.interplay-feature-hist, .interplay-feature-hist-readout
 *     .interplay-feature-section-title, .interplay-feature-top (ExampleList of the top examples)
 *     .interplay-feature-buckets > select.interplay-feature-bucket, .interplay-feature-bucket-range,
 *                                  .interplay-feature-bucket-examples (ExampleList)
 *     .interplay-feature-logits > table.interplay-feature-promoted, table.interplay-feature-suppressed,
 *                                 .interplay-feature-logit-note
 */

import { sizeCanvas } from "../lib/canvas";
import { formatCompact } from "../lib/format";
import { div } from "../lib/scroll_grid_dom";
import { readTheme } from "../lib/theme";
import type { Tooltip } from "../lib/tooltip";
import { ExampleList } from "./feature_examples";
import { binAt, binText, bucketLabel, histBins, readableToken, statsText, type FeatureCard, type HistBin, type RowsAnswer } from "./feature_model";

export const HIST_WIDTH = 300;
export const HIST_HEIGHT = 64;

export interface CardActions {
  /** Rows `start ..` of this feature's top examples (the "examples" request). */
  loadExamples(feature: number, start: number): Promise<RowsAnswer>;
  /** The person typed a label (Enter or leaving the box). */
  setLabel(feature: number, label: string): void;
  /** The person clicked the card: make it the primary feature. */
  focus(feature: number): void;
}

function logitTable(doc: Document, cls: string, caption: string, rows: [string, number][]): HTMLTableElement {
  const table = doc.createElement("table");
  table.className = `interplay-feature-logit-table ${cls}`;
  const cap = doc.createElement("caption");
  cap.textContent = caption;
  table.append(cap);
  for (const [tok, value] of rows) {
    const tr = doc.createElement("tr");
    const a = doc.createElement("td");
    a.className = "interplay-feature-logit-token";
    a.textContent = readableToken(String(tok));
    const b = doc.createElement("td");
    b.className = "interplay-feature-logit-value";
    b.textContent = `${value >= 0 ? "+" : "−"}${formatCompact(Math.abs(value), 3)}`;
    tr.append(a, b);
    table.append(tr);
  }
  return table;
}

export class FeatureCardView {
  readonly element: HTMLDivElement;
  readonly label: HTMLInputElement;
  readonly hist: HTMLCanvasElement;
  readonly readout: HTMLDivElement;
  readonly examples: ExampleList;
  readonly bucketSelect: HTMLSelectElement;
  readonly bucketRange: HTMLDivElement;
  readonly bucketExamples: ExampleList;
  private readonly bins: HistBin[];
  private readonly total: number;

  constructor(doc: Document, readonly card: FeatureCard, centre: number, private readonly tooltip: Tooltip,
    actions: CardActions, logitNote: string) {
    const f = card.feature;
    this.element = div(doc, "interplay-feature-card");
    this.element.dataset.feature = String(f);
    this.element.addEventListener("click", (e) => {
      const t = e.target as HTMLElement;
      if (!t.closest("input, select, button, textarea")) actions.focus(f);
    });

    const header = div(doc, "interplay-feature-header");
    const name = div(doc, "interplay-feature-name", `#${f} ${card.name}`);
    this.label = doc.createElement("input");
    this.label.type = "text";
    this.label.className = "interplay-feature-label";
    this.label.placeholder = "label this feature…";
    this.label.spellcheck = false;
    this.label.setAttribute("aria-label", `Label of feature ${f}`);
    const submit = (): void => actions.setLabel(f, this.label.value);
    this.label.addEventListener("change", submit);
    this.label.addEventListener("keydown", (e) => {
      e.stopPropagation(); // typing is not navigation
      if (e.key === "Enter") {
        e.preventDefault();
        submit();
      }
    });
    header.append(name, this.label, div(doc, "interplay-feature-stats", statsText(card)));

    const histBox = div(doc, "interplay-feature-hist-box");
    this.hist = doc.createElement("canvas");
    this.hist.className = "interplay-feature-hist";
    this.hist.setAttribute("aria-label", "activation histogram");
    this.readout = div(doc, "interplay-feature-hist-readout");
    this.bins = histBins(card);
    this.total = this.bins.reduce((s, b) => s + b.count, 0);
    this.readout.textContent = this.bins.length ? `histogram of the ${this.total.toLocaleString("en-US")} active tokens` : "no histogram";
    this.hist.addEventListener("pointermove", (e) => this.hoverBin(e));
    this.hist.addEventListener("pointerleave", () => {
      this.tooltip.hide();
      this.draw(null);
    });
    histBox.append(this.hist, this.readout);

    const topTitle = div(doc, "interplay-feature-section-title", `top examples (${card.n_examples} of k = ${card.k})`);
    this.examples = new ExampleList(doc, centre, { load: (start) => actions.loadExamples(f, start), tooltip, empty: "no examples: the feature was never active", cls: "interplay-feature-top" });
    this.examples.set(card.examples);

    const buckets = div(doc, "interplay-feature-buckets");
    this.bucketSelect = doc.createElement("select");
    this.bucketSelect.className = "interplay-feature-bucket";
    this.bucketSelect.setAttribute("aria-label", "Quantile bucket");
    card.buckets.forEach((_, b) => {
      const o = doc.createElement("option");
      o.value = String(b);
      o.textContent = `bucket ${b + 1}`;
      this.bucketSelect.append(o);
    });
    this.bucketRange = div(doc, "interplay-feature-bucket-range");
    this.bucketExamples = new ExampleList(doc, centre, { tooltip, empty: "no tokens in this bucket", cls: "interplay-feature-bucket-examples" });
    this.bucketSelect.addEventListener("change", () => this.showBucket(Number(this.bucketSelect.value)));
    this.bucketSelect.addEventListener("keydown", (e) => e.stopPropagation());
    const bucketHead = div(doc, "interplay-feature-bucket-head");
    bucketHead.append(div(doc, "interplay-feature-section-title", "examples by activation range"), this.bucketSelect, this.bucketRange);
    buckets.append(bucketHead, this.bucketExamples.element);
    buckets.hidden = card.buckets.length === 0;
    if (card.buckets.length) {
      this.bucketSelect.value = String(card.buckets.length - 1);
      this.showBucket(card.buckets.length - 1);
    }

    const logits = div(doc, "interplay-feature-logits");
    if (card.logits) {
      const tables = div(doc, "interplay-feature-logit-tables");
      tables.append(
        logitTable(doc, "interplay-feature-promoted", "promoted", card.logits.promoted ?? []),
        logitTable(doc, "interplay-feature-suppressed", "suppressed", card.logits.suppressed ?? []),
      );
      logits.append(div(doc, "interplay-feature-section-title", "logit effects"), tables, div(doc, "interplay-feature-logit-note", logitNote));
    }
    logits.hidden = !card.logits;

    this.element.append(header, histBox, topTitle, this.examples.element, buckets, logits);
  }

  /** Show the label Python holds, unless the person is typing in the box. */
  setLabel(text: string): void {
    if (this.label.ownerDocument.activeElement !== this.label && this.label.value !== text) this.label.value = text;
  }

  setPrimary(on: boolean): void {
    this.element.dataset.primary = String(on);
  }

  showBucket(b: number): void {
    const rows = this.card.buckets[b];
    if (!rows) return;
    this.bucketRange.textContent = bucketLabel(this.card, b);
    this.bucketExamples.set(rows);
  }

  /** The histogram: one bar per bin (height ∝ count), the hovered bin highlighted. */
  draw(hovered: number | null = null): void {
    const ctx = sizeCanvas(this.hist, HIST_WIDTH, HIST_HEIGHT, this.hist.ownerDocument.defaultView?.devicePixelRatio ?? 1);
    if (!ctx || this.bins.length === 0) return;
    const theme = readTheme(this.element);
    const max = Math.max(1, ...this.bins.map((b) => b.count));
    const w = HIST_WIDTH / this.bins.length;
    const plot = HIST_HEIGHT - 12;
    this.bins.forEach((b, i) => {
      const h = b.count > 0 ? Math.max(1, (b.count / max) * plot) : 0;
      ctx.fillStyle = i === hovered ? theme.focus : "#6b9bd1";
      ctx.fillRect(i * w + 0.5, plot - h, Math.max(1, w - 1), h);
    });
    ctx.fillStyle = theme.muted;
    ctx.font = `10px ${theme.codeFont}`;
    ctx.textBaseline = "bottom";
    ctx.textAlign = "left";
    ctx.fillText(formatCompact(this.bins[0].lo, 3), 0, HIST_HEIGHT);
    ctx.textAlign = "right";
    ctx.fillText(formatCompact(this.bins[this.bins.length - 1].hi, 3), HIST_WIDTH, HIST_HEIGHT);
  }

  private hoverBin(e: PointerEvent): void {
    const box = this.hist.getBoundingClientRect();
    const width = box.width > 0 ? box.width : HIST_WIDTH;
    const i = binAt(((e.clientX - box.left) * HIST_WIDTH) / width, HIST_WIDTH, this.bins.length);
    if (i === null) {
      this.tooltip.hide();
      return;
    }
    const text = binText(this.bins[i], this.total);
    this.readout.textContent = text;
    this.tooltip.show([text], e.clientX, e.clientY);
    this.draw(i);
  }
}
