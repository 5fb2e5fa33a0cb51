/**
 * FeatureView: a feature dashboard. One card per feature on screen (`feature`, or `shown` side by
 * side), each with its header, histogram, paged top examples, quantile-bucket examples and logit
 * effects (`feature_card.ts`), and one steering panel for the primary feature (`feature_steer.ts`).
 *
 * Framework-free and anywidget-agnostic: construct with an element, state and options, call
 * `update` with changed traits, `destroy` when done. A card the synced `cards` do not hold yet (the
 * person stepped to another feature) is asked for with the `card` request, so stepping works in an
 * exported file too. DOM contract (ARCHITECTURE.md, "FeatureView"):
 *
 *   .interplay-root.interplay-feature (tabindex 0; Left/Right, PageUp/PageDown, Home/End step `feature`)
 *     .interplay-feature-title, .interplay-error
 *     .interplay-feature-cards > .interplay-feature-card[data-feature][data-primary]*
 *     .interplay-feature-steer
 *     .interplay-feature-saved, .interplay-notes
 *     .interplay-tooltip
 */

import { div, errorBox, makeRoot, setError, setNotes } from "../lib/scroll_grid_dom";
import { ensureStyles, ensureStyleSheet } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import { FeatureCardView } from "./feature_card";
import { DEFAULT_STATE, displayedFeatures, stepFeature, type FeatureCard, type FeatureState, type RowsAnswer, type SteeringResult } from "./feature_model";
import { SteerPanel } from "./feature_steer";
import { FEATURE_CSS, FEATURE_STYLE_ID } from "./feature_style";

export type { FeatureState } from "./feature_model";

/** Trait changes made by the person, written to the model together (one save). */
export type FeatureEdit = Partial<Pick<FeatureState, "feature" | "labels">>;

export interface FeatureViewOptions {
  /** Send a request to Python (rpc.ts): `card`, `examples`, `steer`. */
  request?: (method: string, params: object) => Promise<unknown>;
  onEdit?: (edit: FeatureEdit) => void;
}

const TYPING = "input, textarea, select";

export class FeatureView {
  readonly root: HTMLDivElement;
  private state: FeatureState = { ...DEFAULT_STATE };
  private readonly views = new Map<number, FeatureCardView>();
  private readonly placeholders = new Map<number, HTMLDivElement>();
  private readonly fetched = new Map<number, FeatureCard>();
  private readonly failed = new Map<number, string>();
  private readonly title: HTMLDivElement;
  private readonly error: HTMLDivElement;
  private readonly cardsBox: HTMLDivElement;
  private readonly steer: SteerPanel;
  private readonly saved: HTMLDivElement;
  private readonly notes: HTMLDivElement;
  private readonly tooltip: Tooltip;

  constructor(el: HTMLElement, initial: Partial<FeatureState> = {}, private readonly options: FeatureViewOptions = {}) {
    const doc = el.ownerDocument;
    ensureStyles(el);
    ensureStyleSheet(el, FEATURE_STYLE_ID, FEATURE_CSS);
    this.root = makeRoot(doc, "interplay-feature", "feature dashboard");
    this.root.setAttribute("aria-label", "feature dashboard: Left and Right arrows step through features");
    this.title = div(doc, "interplay-feature-title");
    this.error = errorBox(doc);
    this.cardsBox = div(doc, "interplay-feature-cards");
    this.steer = new SteerPanel(doc, (p) => this.ask<SteeringResult>("steer", p));
    this.saved = div(doc, "interplay-feature-saved");
    this.notes = div(doc, "interplay-notes");
    this.root.append(this.title, this.error, this.cardsBox, this.steer.element, this.saved, this.notes);
    this.tooltip = new Tooltip(this.root);
    this.root.addEventListener("keydown", (e) => this.onKey(e));
    el.append(this.root);
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits. */
  update(partial: Partial<FeatureState>): void {
    this.state = { ...this.state, ...partial };
    const s = this.state;
    this.title.textContent = s.title;
    this.title.hidden = s.title === "";
    setError(this.error, typeof s.error === "string" && s.error !== "" ? s.error : null);
    this.saved.textContent = s.saved_to ? `labels saved to ${s.saved_to}` : "";
    this.saved.hidden = !s.saved_to;
    setNotes(this.notes, s.notes);
    this.render();
  }

  destroy(): void {
    this.tooltip.destroy();
    this.root.remove();
    this.views.clear();
  }

  /** Redraw the histograms now (e.g. for an image at another pixel ratio). */
  draw(): void {
    for (const v of this.views.values()) v.draw();
  }

  /** The card of feature f, from the synced traits or an earlier request. */
  private cardOf(f: number): FeatureCard | null {
    const synced = this.state.cards?.[String(f)];
    return synced && typeof synced === "object" ? synced : this.fetched.get(f) ?? null;
  }

  private render(): void {
    const doc = this.root.ownerDocument;
    const shown = displayedFeatures(this.state);
    const centre = Number.isInteger(this.state.context?.[0]) ? this.state.context[0] : 0;
    const order: HTMLElement[] = [];
    for (const f of shown) {
      let view = this.views.get(f);
      const card = view ? view.card : this.cardOf(f);
      if (!view && card) {
        try {
          view = new FeatureCardView(doc, card, centre, this.tooltip, {
            loadExamples: (feature, start) => this.ask<RowsAnswer>("examples", { feature, start, count: this.state.page_size }),
            setLabel: (feature, label) => this.setLabel(feature, label),
            focus: (feature) => this.setFeature(feature),
          }, this.state.logit_note);
          this.views.set(f, view);
          this.placeholders.delete(f);
        } catch (e) {
          this.failed.set(f, `Cannot show feature ${f}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (view) {
        view.setPrimary(f === this.state.feature);
        view.setLabel(this.state.labels?.[String(f)] ?? "");
        order.push(view.element);
      } else {
        order.push(this.placeholder(f));
      }
    }
    for (const f of [...this.views.keys()]) if (!shown.includes(f)) this.views.delete(f);
    for (const f of [...this.placeholders.keys()]) if (!shown.includes(f)) this.placeholders.delete(f);
    const current = [...this.cardsBox.children];
    if (current.length !== order.length || current.some((c, i) => c !== order[i])) this.cardsBox.replaceChildren(...order);
    this.draw();
    this.steer.setFeature(this.state.feature, this.cardOf(this.state.feature), Boolean(this.state.live), this.state.steering);
  }

  /** A card not here yet: "loading…" while the `card` request runs, or why it failed. */
  private placeholder(f: number): HTMLDivElement {
    let el = this.placeholders.get(f);
    if (!el) {
      el = div(this.root.ownerDocument, "interplay-feature-card interplay-feature-card-loading");
      el.dataset.feature = String(f);
      this.placeholders.set(f, el);
      if (!this.failed.has(f)) {
        this.ask<FeatureCard>("card", { feature: f }).then(
          (card) => {
            this.fetched.set(f, card);
            this.render();
          },
          (e: unknown) => {
            this.failed.set(f, e instanceof Error ? e.message : String(e));
            this.placeholders.delete(f);
            this.render();
          },
        );
      }
    }
    const name = this.state.feature_names?.[f] ?? "";
    el.textContent = this.failed.get(f) ?? `#${f} ${name}: loading…`;
    el.dataset.primary = String(f === this.state.feature);
    return el;
  }

  private ask<T>(method: string, params: object): Promise<T> {
    const request = this.options.request;
    if (!request) return Promise.reject(new Error(`${method} needs the kernel: this view has no connection to Python`));
    return request(method, params) as Promise<T>;
  }

  private setFeature(f: number): void {
    if (f === this.state.feature || !(f >= 0 && f < this.state.n_features)) return;
    this.state = { ...this.state, feature: f };
    this.options.onEdit?.({ feature: f });
    this.render();
  }

  private setLabel(f: number, text: string): void {
    const labels = { ...(this.state.labels ?? {}) };
    if (text === "") delete labels[String(f)];
    else labels[String(f)] = text;
    if ((this.state.labels?.[String(f)] ?? "") === text) return;
    this.state = { ...this.state, labels };
    this.options.onEdit?.({ labels });
  }

  private onKey(e: KeyboardEvent): void {
    if ((e.target as HTMLElement | null)?.closest?.(TYPING)) return;
    const to = stepFeature(this.state.feature, e.key, this.state.n_features);
    if (to === null) return;
    e.preventDefault();
    this.setFeature(to);
  }
}
