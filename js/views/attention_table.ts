/**
 * The "sort by" control (`select.interplay-score-sort`, one option per score name, and an order
 * toggle) and the ranked table of the top heads (`table.interplay-head-table`): a row per head
 * ("L1H3" and every score), clickable (and Enter) to select the head. Text only.
 */

import { formatScore, headLabel, scoreOf, type HeadRef, type PreparedAttention, type SortOrder } from "./attention_model";

export const TABLE_ROWS = 20;

export interface HeadTableActions {
  onSort(score: number): void;
  onOrder(order: SortOrder): void;
  onSelect(head: HeadRef): void;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class HeadTable {
  readonly element: HTMLDivElement;
  readonly sortSelect: HTMLSelectElement;
  readonly orderButton: HTMLButtonElement;
  readonly table: HTMLTableElement;
  private readonly empty: HTMLDivElement;
  private order: SortOrder = "desc";
  private names: string[] = [];

  constructor(doc: Document, private readonly actions: HeadTableActions) {
    this.element = el(doc, "div", "interplay-head-ranking");
    const controls = el(doc, "div", "interplay-controls");
    const label = el(doc, "label", "interplay-control-label", "sort by ");
    this.sortSelect = el(doc, "select", "interplay-score-sort");
    this.sortSelect.setAttribute("aria-label", "sort heads by score");
    label.append(this.sortSelect);
    this.orderButton = el(doc, "button", "interplay-button interplay-sort-order");
    this.orderButton.type = "button";
    controls.append(label, this.orderButton);
    this.table = el(doc, "table", "interplay-head-table");
    this.empty = el(doc, "div", "interplay-table-empty", "no scores to rank heads by");
    this.empty.hidden = true;
    this.element.append(controls, this.table, this.empty);
    this.sortSelect.addEventListener("change", () => actions.onSort(Number(this.sortSelect.value)));
    this.orderButton.addEventListener("click", () => actions.onOrder(this.order === "desc" ? "asc" : "desc"));
    this.table.addEventListener("click", this.onRowEvent);
    this.table.addEventListener("keydown", this.onRowEvent);
  }

  /** Show the top heads of `ranked` (already sorted) for score `sort`, marking `selected`. */
  render(p: PreparedAttention, sort: number, order: SortOrder, ranked: readonly HeadRef[], selected: HeadRef | null): void {
    const doc = this.element.ownerDocument;
    this.order = order;
    if (this.names.join("\u0000") !== p.scoreNames.join("\u0000")) {
      this.names = p.scoreNames.slice();
      this.sortSelect.replaceChildren(...p.scoreNames.map((name, i) => {
        const o = el(doc, "option", "", name);
        o.value = String(i);
        return o;
      }));
    }
    this.sortSelect.value = String(sort);
    this.sortSelect.disabled = p.scoreNames.length === 0;
    const name = p.scoreNames[sort] ?? "";
    this.orderButton.textContent = order === "desc" ? "↓ highest" : "↑ lowest";
    this.orderButton.title = order === "desc" ? "Highest scores first (click for lowest)" : "Lowest scores first (click for highest)";
    this.orderButton.disabled = p.scoreNames.length === 0;
    this.empty.hidden = p.scoreNames.length > 0;
    this.table.hidden = p.scoreNames.length === 0;

    const caption = el(doc, "caption", "interplay-sr-only", `Top ${ranked.length} heads by ${name}`);
    const head = el(doc, "thead", "");
    const hr = el(doc, "tr", "");
    hr.append(el(doc, "th", "", "head"));
    p.scoreNames.forEach((n, i) => {
      const th = el(doc, "th", i === sort ? "interplay-sorted" : "", n);
      th.scope = "col";
      th.dataset.score = String(i);
      th.title = `Sort by ${n}`;
      if (i === sort) th.setAttribute("aria-sort", order === "desc" ? "descending" : "ascending");
      hr.append(th);
    });
    head.append(hr);
    const body = el(doc, "tbody", "");
    for (const h of ranked) {
      const tr = el(doc, "tr", "interplay-head-row");
      tr.tabIndex = 0;
      tr.dataset.layer = String(h.layer);
      tr.dataset.head = String(h.head);
      const isSel = selected !== null && selected.layer === h.layer && selected.head === h.head;
      tr.setAttribute("aria-selected", String(isSel));
      if (isSel) tr.classList.add("interplay-row-selected");
      tr.append(el(doc, "th", "", headLabel(h)));
      p.scoreNames.forEach((_, s) => tr.append(el(doc, "td", s === sort ? "interplay-sorted" : "", formatScore(scoreOf(p, s, h)))));
      body.append(tr);
    }
    this.table.replaceChildren(caption, head, body);
  }

  private onRowEvent = (e: Event): void => {
    if (e instanceof KeyboardEvent && e.key !== "Enter" && e.key !== " ") return;
    const target = e.target as HTMLElement | null;
    const th = target?.closest("thead th[data-score]") as HTMLElement | null;
    if (th && e.type === "click") {
      this.actions.onSort(Number(th.dataset.score));
      return;
    }
    const tr = target?.closest("tr.interplay-head-row") as HTMLElement | null;
    if (!tr) return;
    e.preventDefault();
    e.stopPropagation();
    this.actions.onSelect({ layer: Number(tr.dataset.layer), head: Number(tr.dataset.head) });
  };
}
