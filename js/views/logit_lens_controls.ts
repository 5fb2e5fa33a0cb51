/**
 * The LogitLens controls (`.interplay-lens-controls`): colour mode, target token, final-norm
 * toggle and the "computing…" indicator, plus the target error line. The controls report user
 * actions through callbacks and show the synced state through `update`; they hold no state of
 * their own beyond what the user is typing.
 */

import { button, div } from "../lib/scroll_grid_dom";
import { hasTarget, MODES, type LogitLensState } from "./logit_lens_model";

export const LENS_STYLE_ID = "interplay-style-logit-lens";

/** The LogitLens's own stylesheet (the shared one comes from `lib/theme.ts`). */
export const LENS_CSS = `
.interplay-logit-lens .interplay-lens-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; margin: 0 0 6px; font-size: 12px; }
.interplay-logit-lens .interplay-lens-controls select,
.interplay-logit-lens .interplay-lens-target {
  font: inherit; color: var(--interplay-fg); background: var(--interplay-bg);
  border: 1px solid var(--interplay-border); border-radius: 3px; padding: 1px 4px;
}
.interplay-logit-lens .interplay-lens-target { font-family: var(--interplay-code-font); width: 12em; }
.interplay-logit-lens .interplay-lens-target[aria-invalid="true"] { border-color: var(--interplay-error); }
.interplay-logit-lens .interplay-lens-controls :focus-visible { outline: 2px solid var(--interplay-focus); outline-offset: 1px; }
.interplay-logit-lens .interplay-lens-target-group { display: inline-flex; gap: 4px; }
.interplay-logit-lens .interplay-lens-ln-label { display: inline-flex; align-items: center; gap: 2px; }
.interplay-logit-lens .interplay-busy { color: var(--interplay-fg-muted); font-style: italic; }
.interplay-logit-lens .interplay-busy::before {
  content: ""; display: inline-block; width: 7px; height: 7px; margin-right: 5px; vertical-align: -1px;
  border: 2px solid currentColor; border-right-color: transparent; border-radius: 50%;
  animation: interplay-lens-spin 0.8s linear infinite;
}
@keyframes interplay-lens-spin { to { transform: rotate(360deg); } }
.interplay-logit-lens[aria-busy="true"] .interplay-body { opacity: 0.6; }
.interplay-logit-lens .interplay-target-error { color: var(--interplay-error); font-size: 12px; margin: 0 0 4px; white-space: pre-wrap; }
.interplay-logit-lens .interplay-lens-canvas { cursor: pointer; }
.interplay-logit-lens .interplay-notes { margin-top: 4px; font-size: 11px; color: var(--interplay-fg-muted); }
`;

export interface LensActions {
  /** The user picked a colour mode. */
  setMode(mode: string): void;
  /** The user submitted a target (Enter or the button); "" clears it. */
  setTarget(target: string): void;
  /** The user toggled "apply final norm". */
  setApplyLn(on: boolean): void;
}

export class LensControls {
  readonly element: HTMLDivElement;
  readonly targetError: HTMLDivElement;
  readonly mode: HTMLSelectElement;
  readonly target: HTMLInputElement;
  readonly applyLn: HTMLInputElement;
  readonly busy: HTMLSpanElement;
  private readonly options = new Map<string, HTMLOptionElement>();

  constructor(doc: Document, actions: LensActions) {
    this.element = div(doc, "interplay-lens-controls");

    this.mode = doc.createElement("select");
    this.mode.className = "interplay-lens-mode";
    this.mode.setAttribute("aria-label", "Colour cells by");
    for (const m of MODES) {
      const option = doc.createElement("option");
      option.value = m.value;
      option.textContent = m.label;
      this.options.set(m.value, option);
      this.mode.append(option);
    }
    this.mode.addEventListener("change", () => actions.setMode(this.mode.value));

    this.target = doc.createElement("input");
    this.target.type = "text";
    this.target.className = "interplay-lens-target";
    this.target.placeholder = "target token, e.g. \" Paris\"";
    this.target.spellcheck = false;
    this.target.setAttribute("aria-label", "Target token");
    const submit = (): void => actions.setTarget(this.target.value);
    this.target.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      e.stopPropagation();
      submit();
    });
    const setButton = button(doc, "Set target", "Set the target token", submit, "interplay-lens-target-set");

    this.applyLn = doc.createElement("input");
    this.applyLn.type = "checkbox";
    this.applyLn.className = "interplay-lens-ln";
    this.applyLn.addEventListener("change", () => actions.setApplyLn(this.applyLn.checked));
    const lnLabel = doc.createElement("label");
    lnLabel.className = "interplay-lens-ln-label";
    lnLabel.append(this.applyLn, doc.createTextNode(" apply final norm"));

    this.busy = doc.createElement("span");
    this.busy.className = "interplay-busy";
    this.busy.setAttribute("role", "status");
    this.busy.textContent = "computing…";
    this.busy.hidden = true;

    const modeLabel = doc.createElement("label");
    modeLabel.className = "interplay-lens-mode-label";
    modeLabel.append(doc.createTextNode("colour by "), this.mode);
    const targetGroup = doc.createElement("span");
    targetGroup.className = "interplay-lens-target-group";
    targetGroup.append(this.target, setButton);
    this.element.append(modeLabel, targetGroup, lnLabel, this.busy);

    this.targetError = div(doc, "interplay-target-error");
    this.targetError.setAttribute("role", "alert");
    this.targetError.hidden = true;
  }

  /** Show the synced state (mode, target, its error, the final-norm toggle, busy). */
  update(state: LogitLensState): void {
    const targetOk = hasTarget(state);
    for (const m of MODES) {
      const option = this.options.get(m.value);
      if (option) option.disabled = m.needsTarget && !targetOk;
    }
    if (!this.options.has(state.mode)) {
      // An unknown mode from Python still shows, rather than silently showing another one.
      const option = this.mode.ownerDocument.createElement("option");
      option.value = option.textContent = state.mode;
      this.options.set(state.mode, option);
      this.mode.append(option);
    }
    this.mode.value = state.mode;
    // Do not overwrite what the user is typing.
    const typing = this.target.ownerDocument.activeElement === this.target;
    if (!typing && this.target.value !== state.target) this.target.value = state.target;
    const error = typeof state.target_error === "string" ? state.target_error : "";
    this.targetError.textContent = error;
    this.targetError.hidden = error === "";
    this.target.setAttribute("aria-invalid", String(error !== ""));
    this.applyLn.checked = Boolean(state.apply_ln);
    this.busy.hidden = !state.computing;
  }
}
