/**
 * Example rows of a FeatureView card: each row a line of token spans coloured by the feature's
 * value, the max token centred (a three-column grid: the tokens before it right-aligned, the max
 * token marked, the tokens after it), text only (`textContent`). `ExampleList` holds the rows of
 * one list and pages more on demand: scrolling to its bottom (or its "more" button) calls `load`.
 *
 *   .interplay-feature-example-box.<cls>
 *   .interplay-feature-examples (scrolls) > .interplay-feature-example[data-rank]
 *       > .interplay-feature-left > span.interplay-feature-tok[data-c]*,
 *         span.interplay-feature-tok.interplay-feature-max[data-c],
 *         .interplay-feature-right > span.interplay-feature-tok[data-c]*
 *   .interplay-feature-more-row > button.interplay-feature-more, .interplay-busy, .interplay-feature-more-note
 */

import { makeScale, textColorOn, type Scale } from "../lib/scales";
import { button, div } from "../lib/scroll_grid_dom";
import type { Tooltip } from "../lib/tooltip";
import { decodeRows, readableToken, rowsLimit, tokenLines, type ExampleRow, type RowsAnswer } from "./feature_model";

/** Token background: nothing at or below 0, else the "blues" scale from 0 to the feature's max. */
export function tokenScale(vmax: number): Scale {
  return makeScale({ kind: "sequential", cmap: "blues", center: null }, 0, vmax);
}

function tokenSpan(doc: Document, row: ExampleRow, c: number, scale: Scale): HTMLSpanElement {
  const span = doc.createElement("span");
  span.className = "interplay-feature-tok";
  span.dataset.c = String(c);
  span.textContent = readableToken(row.tokens[c] ?? "");
  const v = row.values[c];
  if (Number.isFinite(v) && v > 0) {
    const [r, g, b] = scale.rgba(v);
    span.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
    span.style.color = textColorOn(r, g, b);
  }
  return span;
}

/** One example as a row, the max token (column `centre`) centred and marked. */
export function exampleRow(doc: Document, row: ExampleRow, rank: number, centre: number, scale: Scale): HTMLDivElement {
  const el = div(doc, "interplay-feature-example");
  el.dataset.rank = String(rank);
  const left = div(doc, "interplay-feature-left");
  const right = div(doc, "interplay-feature-right");
  const max = tokenSpan(doc, row, centre, scale);
  max.classList.add("interplay-feature-max");
  for (let c = 0; c < row.tokens.length; c++) {
    if (c === centre || row.tokens[c] === null) continue;
    (c < centre ? left : right).append(tokenSpan(doc, row, c, scale));
  }
  el.append(left, max, right);
  return el;
}

export interface ExampleListOptions {
  /** Ask for rows `start .. start + count - 1` (the "examples" request); omitted: the list does not page. */
  load?: (start: number) => Promise<RowsAnswer>;
  tooltip: Tooltip;
  /** What to say when there are no rows. */
  empty: string;
  /** A class for the list's box (`interplay-feature-top`, `interplay-feature-bucket-examples`). */
  cls: string;
}

/** A list of example rows that pages more when scrolled to its bottom. */
export class ExampleList {
  readonly element: HTMLDivElement;
  readonly list: HTMLDivElement;
  readonly moreRow: HTMLDivElement;
  readonly moreButton: HTMLButtonElement;
  readonly busy: HTMLSpanElement;
  readonly note: HTMLDivElement;
  private rows: ExampleRow[] = [];
  private scale: Scale = tokenScale(1);
  private more = "none";
  private loading = false;
  private failed = false;

  constructor(doc: Document, private readonly centre: number, private readonly options: ExampleListOptions) {
    this.element = div(doc, `interplay-feature-example-box ${options.cls}`);
    this.list = div(doc, "interplay-feature-examples");
    this.list.addEventListener("scroll", () => {
      const l = this.list;
      if (l.scrollTop + l.clientHeight >= l.scrollHeight - 4 && !this.failed) void this.loadMore();
    });
    this.list.addEventListener("pointermove", (e) => this.hover(e));
    this.list.addEventListener("pointerleave", () => options.tooltip.hide());
    this.moreRow = div(doc, "interplay-feature-more-row");
    this.moreButton = button(doc, "more examples", "Load the next page of examples", () => void this.loadMore(), "interplay-feature-more");
    this.busy = doc.createElement("span");
    this.busy.className = "interplay-busy";
    this.busy.textContent = "computing…";
    this.busy.hidden = true;
    this.note = div(doc, "interplay-feature-more-note");
    this.moreRow.append(this.moreButton, this.busy, this.note);
    this.element.append(this.list, this.moreRow);
  }

  /** Replace the rows by an answer's (a card's first page, or a bucket's samples). */
  set(answer: RowsAnswer): void {
    this.rows = [];
    this.list.replaceChildren();
    this.scale = tokenScale(rowsLimit(answer));
    this.failed = false;
    this.append(answer);
  }

  get count(): number {
    return this.rows.length;
  }

  /** Load the next page, unless one is loading or there is none. */
  async loadMore(): Promise<void> {
    const load = this.options.load;
    if (!load || this.loading || this.more === "none") return;
    this.loading = true;
    this.busy.hidden = false;
    this.moreButton.disabled = true;
    try {
      this.append(await load(this.rows.length));
      this.failed = false;
    } catch (e) {
      this.failed = true; // scrolling no longer retries; the button does
      this.note.textContent = e instanceof Error ? e.message : String(e);
      this.note.hidden = false;
    } finally {
      this.loading = false;
      this.busy.hidden = true;
      this.moreButton.disabled = false;
    }
  }

  private append(answer: RowsAnswer): void {
    const doc = this.list.ownerDocument;
    const rows = decodeRows(answer);
    const start = this.rows.length;
    this.rows.push(...rows);
    this.list.append(...rows.map((r, i) => exampleRow(doc, r, start + i, this.centre, this.scale)));
    this.more = typeof answer.more === "string" ? answer.more : "none";
    const paging = Boolean(this.options.load) && this.more !== "none";
    this.moreButton.hidden = !paging;
    const note = typeof answer.note === "string" && answer.note ? answer.note
      : this.rows.length === 0 ? this.options.empty
      : this.options.load && this.more === "none" ? `all ${this.rows.length} examples shown` : "";
    this.note.textContent = note;
    this.note.hidden = note === "";
    this.moreRow.hidden = !paging && note === "";
    // a list shorter than its box cannot scroll: the button is the way on
  }

  private hover(e: PointerEvent): void {
    const target = e.target as HTMLElement | null;
    const tok = target?.closest?.(".interplay-feature-tok") as HTMLElement | null;
    const rowEl = tok?.closest(".interplay-feature-example") as HTMLElement | null;
    if (!tok || !rowEl) return this.options.tooltip.hide();
    const row = this.rows[Number(rowEl.dataset.rank)];
    if (!row) return this.options.tooltip.hide();
    this.options.tooltip.show(tokenLines(row, Number(tok.dataset.c), this.centre), e.clientX, e.clientY);
  }
}
