/**
 * The FeatureView's steering panel: a prompt (by default the primary feature's top example up to
 * its max token), a mode (scale / clamp / ablate / add), a value, "keep error term", and a Steer
 * button that sends the `steer` request; the answer shows the two greedy generations side by side
 * and the largest next-token probability changes. Text only.
 *
 *   .interplay-feature-steer
 *     .interplay-feature-steer-title, .interplay-feature-steer-live (what steering needs)
 *     textarea.interplay-feature-steer-prompt
 *     .interplay-feature-steer-controls > select.interplay-feature-steer-mode, input.interplay-feature-steer-value,
 *         input.interplay-feature-steer-keep, button.interplay-feature-steer-run, .interplay-busy
 *     .interplay-feature-steer-error
 *     .interplay-feature-steer-result > .interplay-feature-gens > .interplay-feature-gen-baseline, .interplay-feature-gen-steered
 *                                       table.interplay-feature-changes, .interplay-feature-steer-kl
 */

import { formatCompact } from "../lib/format";
import { button, div } from "../lib/scroll_grid_dom";
import { defaultSteerValue, formatDelta, readableToken, STEER_MODES, type FeatureCard, type SteeringResult } from "./feature_model";

export interface SteerParams {
  feature: number;
  prompt: string;
  mode: string;
  value: number;
  keep_error: boolean;
}

function generation(doc: Document, cls: string, title: string, prompt: string, tokens: string[]): HTMLDivElement {
  const box = div(doc, `interplay-feature-gen ${cls}`);
  const text = div(doc, "interplay-feature-gen-text");
  const p = doc.createElement("span");
  p.className = "interplay-feature-gen-prompt";
  p.textContent = prompt;
  text.append(p);
  for (const t of tokens) {
    const s = doc.createElement("span");
    s.className = "interplay-feature-gen-tok";
    s.textContent = t;
    text.append(s);
  }
  box.append(div(doc, "interplay-feature-gen-title", title), text);
  return box;
}

export class SteerPanel {
  readonly element: HTMLDivElement;
  readonly prompt: HTMLTextAreaElement;
  readonly mode: HTMLSelectElement;
  readonly value: HTMLInputElement;
  readonly keep: HTMLInputElement;
  readonly run: HTMLButtonElement;
  readonly busy: HTMLSpanElement;
  readonly error: HTMLDivElement;
  readonly result: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly liveNote: HTMLDivElement;
  private feature = -1;
  private card: FeatureCard | null = null;
  private promptEdited = false;
  private valueEdited = false;

  constructor(doc: Document, private readonly steer: (p: SteerParams) => Promise<SteeringResult>) {
    this.element = div(doc, "interplay-feature-steer");
    this.title = div(doc, "interplay-feature-section-title interplay-feature-steer-title", "steer");
    this.liveNote = div(doc, "interplay-feature-steer-live");
    this.prompt = doc.createElement("textarea");
    this.prompt.className = "interplay-feature-steer-prompt";
    this.prompt.rows = 2;
    this.prompt.spellcheck = false;
    this.prompt.setAttribute("aria-label", "Prompt to steer");
    this.prompt.addEventListener("input", () => (this.promptEdited = true));
    this.mode = doc.createElement("select");
    this.mode.className = "interplay-feature-steer-mode";
    this.mode.setAttribute("aria-label", "Steering mode");
    for (const m of STEER_MODES) {
      const o = doc.createElement("option");
      o.value = o.textContent = m;
      this.mode.append(o);
    }
    this.mode.addEventListener("change", () => this.onMode());
    this.value = doc.createElement("input");
    this.value.type = "number";
    this.value.step = "any";
    this.value.className = "interplay-feature-steer-value";
    this.value.setAttribute("aria-label", "Steering value");
    this.value.addEventListener("input", () => (this.valueEdited = true));
    this.keep = doc.createElement("input");
    this.keep.type = "checkbox";
    this.keep.className = "interplay-feature-steer-keep";
    this.keep.checked = true;
    const keepLabel = doc.createElement("label");
    keepLabel.className = "interplay-feature-steer-keep-label";
    keepLabel.append(this.keep, doc.createTextNode(" keep error term"));
    this.run = button(doc, "Steer", "Generate with and without the feature steered", () => void this.submit(), "interplay-feature-steer-run");
    this.busy = doc.createElement("span");
    this.busy.className = "interplay-busy";
    this.busy.setAttribute("role", "status");
    this.busy.textContent = "computing…";
    this.busy.hidden = true;
    const controls = div(doc, "interplay-feature-steer-controls");
    const label = (text: string, el: HTMLElement): HTMLLabelElement => {
      const l = doc.createElement("label");
      l.append(doc.createTextNode(text), el);
      return l;
    };
    controls.append(label("mode ", this.mode), label("value ", this.value), keepLabel, this.run, this.busy);
    this.error = div(doc, "interplay-feature-steer-error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.result = div(doc, "interplay-feature-steer-result");
    this.result.hidden = true;
    for (const el of [this.prompt, this.mode, this.value, this.keep]) el.addEventListener("keydown", (e) => e.stopPropagation());
    this.element.append(this.title, this.liveNote, this.prompt, controls, this.error, this.result);
    this.onMode();
  }

  /** Follow the primary feature (its default prompt unless the person edited it) and say what steering needs. */
  setFeature(feature: number, card: FeatureCard | null, live: boolean, saved: SteeringResult | null): void {
    const changed = feature !== this.feature || (card !== null && this.card === null);
    this.feature = feature;
    this.card = card;
    this.title.textContent = `steer feature #${feature}${card ? ` ${card.name}` : ""}`;
    const note = live ? "" : "Steering needs a live model: this view shows saved data (run it from the model to steer).";
    this.liveNote.textContent = note;
    this.liveNote.hidden = note === "";
    if (changed) {
      if (!this.promptEdited) this.prompt.value = card?.prompt ?? "";
      if (!this.valueEdited) this.value.value = String(defaultSteerValue(this.mode.value, card));
      this.error.hidden = true;
      if (saved && saved.index === feature) this.show(saved);
      else this.result.hidden = true;
    }
  }

  async submit(): Promise<void> {
    const params: SteerParams = {
      feature: this.feature, prompt: this.prompt.value, mode: this.mode.value,
      value: this.mode.value === "ablate" ? 0 : Number(this.value.value), keep_error: this.keep.checked,
    };
    if (params.prompt === "") return this.fail("Type a prompt to steer from.");
    if (!Number.isFinite(params.value)) return this.fail("The value must be a number.");
    this.busy.hidden = false;
    this.run.disabled = true;
    this.error.hidden = true;
    try {
      const r = await this.steer(params);
      if (params.feature === this.feature) this.show(r);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    } finally {
      this.busy.hidden = true;
      this.run.disabled = false;
    }
  }

  /** The two generations side by side and the next-token probability changes. */
  show(r: SteeringResult): void {
    const doc = this.element.ownerDocument;
    const how = r.mode === "ablate" ? "ablated" : `${r.mode} ${formatCompact(r.value, 4)}`;
    const gens = div(doc, "interplay-feature-gens");
    gens.append(
      generation(doc, "interplay-feature-gen-baseline", "baseline", r.prompt, r.baseline_tokens ?? [r.baseline_text]),
      generation(doc, "interplay-feature-gen-steered", `steered (${how}${r.keep_error ? ", error term kept" : ", no error term"})`, r.prompt, r.steered_tokens ?? [r.steered_text]),
    );
    const table = doc.createElement("table");
    table.className = "interplay-feature-changes";
    const cap = doc.createElement("caption");
    cap.textContent = "next-token probability: largest changes";
    const head = doc.createElement("tr");
    for (const h of ["token", "before", "after", "change"]) {
      const th = doc.createElement("th");
      th.textContent = h;
      head.append(th);
    }
    table.append(cap, head);
    for (const [tok, before, after] of r.changes ?? []) {
      const tr = doc.createElement("tr");
      for (const text of [readableToken(String(tok)), formatCompact(before, 3), formatCompact(after, 3), formatDelta(before, after)]) {
        const td = doc.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      tr.dataset.sign = after >= before ? "up" : "down";
      table.append(tr);
    }
    const kl = div(doc, "interplay-feature-steer-kl", r.kl === null ? "" : `KL(baseline ‖ steered) at the next token: ${formatCompact(r.kl, 3)} nats`);
    const notes = (r.notes ?? []).map((n) => div(doc, "interplay-note", String(n)));
    this.result.replaceChildren(gens, table, kl, ...notes);
    this.result.hidden = false;
  }

  private onMode(): void {
    this.value.disabled = this.mode.value === "ablate";
    if (!this.valueEdited) this.value.value = String(defaultSteerValue(this.mode.value, this.card));
  }

  private fail(message: string): void {
    this.error.textContent = message;
    this.error.hidden = false;
  }
}
