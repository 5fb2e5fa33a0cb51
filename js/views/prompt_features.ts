/**
 * PromptFeaturesView: a prompt read through a sparse dictionary. Its tokens are coloured by their
 * largest latent activation; picking a token (click, or arrows + Enter) lists its most active latents,
 * and picking a latent (click, or Enter on its button) sets the selection `{pos, latent}`.
 *
 * Framework-free and anywidget-agnostic: construct with an element and state, call `update` with
 * changed traits, `destroy` when done; the picked token and latent come back through `onToken` and
 * `onSelect`. DOM contract: see `prompt_features_dom.ts` (root `.interplay-prompt-features`).
 */

import { setError, setNotes } from "../lib/scroll_grid_dom";
import { ensureStyles, ensureStyleSheet } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import {
  buildDom, PF_CSS, PF_STYLE_ID, renderLatents, renderTokens, setMessage, type PromptFeaturesDom,
} from "./prompt_features_dom";
import {
  DEFAULT_STATE, latentsAt, listHeading, prepare, tokenLines, validSelection, validToken,
  type LatentSelection, type PromptFeaturesPrepared, type PromptFeaturesState,
} from "./prompt_features_model";

export type { LatentSelection, PromptFeaturesState } from "./prompt_features_model";

export interface PromptFeaturesOptions {
  /** The user picked a token (its latents are now listed). */
  onToken?: (token: number | null) => void;
  /** The user picked a latent of the listed token (or cleared the selection with Escape). */
  onSelect?: (selection: LatentSelection | null) => void;
}

export class PromptFeaturesView {
  readonly root: HTMLDivElement;
  private state: PromptFeaturesState = { ...DEFAULT_STATE };
  private data: PromptFeaturesPrepared | null = null;
  private spans: HTMLSpanElement[] = [];
  private buttons: HTMLButtonElement[] = [];
  /** The keyboard cursor over the tokens (client-only). */
  private cursor = 0;
  private readonly dom: PromptFeaturesDom;
  private readonly tooltip: Tooltip;
  private readonly options: PromptFeaturesOptions;

  constructor(el: HTMLElement, initial: Partial<PromptFeaturesState> = {}, options: PromptFeaturesOptions = {}) {
    ensureStyles(el);
    ensureStyleSheet(el, PF_STYLE_ID, PF_CSS);
    this.options = options;
    this.dom = buildDom(el.ownerDocument);
    this.root = this.dom.root;
    this.tooltip = new Tooltip(this.root, this.dom.tokens);
    this.dom.tokens.addEventListener("pointermove", this.onHover);
    this.dom.tokens.addEventListener("click", this.onTokenClick);
    this.dom.list.addEventListener("click", this.onLatentClick);
    this.root.addEventListener("keydown", this.onKey);
    el.append(this.root);
    this.update({ ...DEFAULT_STATE, ...initial });
  }

  /** Apply changed traits; only what depends on them is redrawn. */
  update(partial: Partial<PromptFeaturesState>): void {
    const prev = this.state;
    this.state = { ...prev, ...partial };
    const changed = (k: keyof PromptFeaturesState): boolean => k in partial && partial[k] !== prev[k];
    const s = this.state;
    this.dom.title.textContent = s.title;
    this.dom.title.hidden = s.title === "";
    this.root.setAttribute("aria-label", s.title || "prompt features");
    this.dom.meta.textContent = [s.dictionary, s.hook && `at ${s.hook}`, s.n_latents ? `${s.n_latents} latents` : ""]
      .filter(Boolean).join(" · ");
    setNotes(this.dom.notes, s.notes);
    setMessage(this.dom.message, s.message, s.message_kind);
    const isNew = this.data === null;
    if (isNew || ["tokens", "max_values", "top_latents", "top_values", "n_active", "scale"].some((k) => changed(k as keyof PromptFeaturesState))) {
      try {
        this.data = prepare(s);
        setError(this.dom.error, null, [this.dom.body, this.dom.footer]);
        this.spans = renderTokens(this.dom.tokens, this.data);
        this.dom.legend.update(this.data.scale, "max latent activation", false);
        this.cursor = Math.min(this.cursor, this.data.n - 1);
      } catch (e) {
        this.data = null;
        this.spans = [];
        setError(this.dom.error, `Cannot show these prompt features: ${e instanceof Error ? e.message : String(e)}`,
          [this.dom.body, this.dom.footer]);
        return;
      }
    }
    const token = this.data ? validToken(s.token, this.data) : null;
    if (token !== null && changed("token")) this.cursor = token;
    this.renderSelection();
  }

  destroy(): void {
    this.dom.tokens.removeEventListener("pointermove", this.onHover);
    this.dom.tokens.removeEventListener("click", this.onTokenClick);
    this.dom.list.removeEventListener("click", this.onLatentClick);
    this.root.removeEventListener("keydown", this.onKey);
    this.tooltip.destroy();
    this.root.remove();
    this.data = null;
  }

  /** The picked token's outline, its latent list and the pressed latent. */
  private renderSelection(): void {
    const p = this.data;
    if (!p) return;
    const token = validToken(this.state.token, p);
    const sel = validSelection(this.state.selected, p, this.state.n_latents);
    this.spans.forEach((span, pos) => {
      span.setAttribute("aria-selected", String(pos === token));
      span.classList.toggle("interplay-pf-cursor", pos === this.cursor);
    });
    if (token === null) {
      this.dom.heading.textContent = "Click a token (or use ← → and Enter) to list its most active latents.";
      this.buttons = renderLatents(this.dom.list, [], null, "float32");
      return;
    }
    const rows = latentsAt(p, token, this.state.latent_labels);
    this.dom.heading.textContent = rows.length === 0 ? `pos ${token} ${p.display[token]}: no latent is active here`
      : `${listHeading(p, token, rows.length)} (click one for its examples)`;
    this.buttons = renderLatents(this.dom.list, rows, sel && sel.pos === token ? sel.latent : null, "float32");
  }

  private posOf(target: EventTarget | null): number | null {
    const el = target instanceof Element ? target.closest<HTMLElement>(".interplay-pf-token") : null;
    const pos = el ? Number(el.dataset.pos) : NaN;
    return this.data && Number.isInteger(pos) ? validToken(pos, this.data) : null;
  }

  private readonly onHover = (e: PointerEvent): void => {
    const pos = this.posOf(e.target);
    if (pos === null || !this.data) {
      this.tooltip.hide();
      return;
    }
    this.tooltip.show(tokenLines(this.data, this.state.tokens, pos), e.clientX, e.clientY);
  };

  private readonly onTokenClick = (e: MouseEvent): void => {
    const pos = this.posOf(e.target);
    if (pos !== null) this.pickToken(pos);
  };

  private readonly onLatentClick = (e: MouseEvent): void => {
    const el = e.target instanceof Element ? e.target.closest<HTMLElement>(".interplay-pf-latent") : null;
    if (!el) return;
    this.pickLatent(Number(el.dataset.latent));
  };

  private pickToken(pos: number): void {
    this.cursor = pos;
    this.state = { ...this.state, token: pos };
    this.renderSelection();
    this.dom.status.textContent = this.data ? listHeading(this.data, pos, latentsAt(this.data, pos, this.state.latent_labels).length) : "";
    this.options.onToken?.(pos);
  }

  private pickLatent(latent: number): void {
    const token = this.data ? validToken(this.state.token, this.data) : null;
    if (token === null || !Number.isInteger(latent)) return;
    const sel = { pos: token, latent };
    this.state = { ...this.state, selected: sel };
    this.renderSelection();
    this.buttons.find((b) => b.dataset.latent === String(latent))?.focus();
    this.dom.status.textContent = `latent ${latent} of pos ${token} selected`;
    this.options.onSelect?.(sel);
  }

  /** ← → Home End move the token cursor, Enter/Space pick it; ↓ enters the latent list, ↑ ↓ move in it, Escape leaves it. */
  private readonly onKey = (e: KeyboardEvent): void => {
    const p = this.data;
    if (!p) return;
    const inList = e.target instanceof Element && e.target.closest(".interplay-pf-latent") !== null;
    if (inList) {
      const i = this.buttons.indexOf(e.target as HTMLButtonElement);
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        const next = this.buttons[Math.max(0, Math.min(this.buttons.length - 1, i + (e.key === "ArrowDown" ? 1 : -1)))];
        next?.focus();
        e.preventDefault();
      } else if (e.key === "Escape") {
        this.root.focus();
        e.preventDefault();
      }
      return; // Enter/Space click the focused button natively
    }
    let next: number | null = null;
    if (e.key === "ArrowLeft") next = Math.max(0, this.cursor - 1);
    else if (e.key === "ArrowRight") next = Math.min(p.n - 1, this.cursor + 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = p.n - 1;
    else if (e.key === "Enter" || e.key === " ") {
      this.pickToken(this.cursor);
      e.preventDefault();
      return;
    } else if (e.key === "ArrowDown" && this.buttons.length > 0) {
      this.buttons[0].focus();
      e.preventDefault();
      return;
    } else if (e.key === "Escape" && this.state.selected !== null) {
      this.state = { ...this.state, selected: null };
      this.renderSelection();
      this.options.onSelect?.(null);
      e.preventDefault();
      return;
    }
    if (next === null) return;
    e.preventDefault();
    this.cursor = next;
    this.renderSelection();
    this.spans[next]?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
    this.dom.status.textContent = `pos ${next} ${p.display[next]}`;
  };
}
