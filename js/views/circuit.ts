/**
 * CircuitView (Python's `interplay.CircuitView`, formerly CircuitGraph): a circuit's graph in
 * layers (input at the bottom, logits at the top, one row of heads per layer with its MLP half a
 * row above), drawn in SVG. A slider keeps the top-k edges (by
 * |score|, pruned in the browser to input-to-logits paths); on release, Python reports the
 * selection's faithfulness (or, without a live model, a note saying it needs one, in
 * `.interplay-circuit-faith`). Hover a node: its paths stay lit, the rest dims. Click a node: Python
 * sends its details (strongest edges from the data; attention pattern on a prompt and direct logit
 * attribution from the model, or a note, `.interplay-circuit-detail-note`, when there is none).
 *
 * DOM contract (ARCHITECTURE.md, "CircuitGraph"):
 *
 *   .interplay-root.interplay-circuit  (tabindex 0)
 *     .interplay-circuit-title
 *     .interplay-circuit-bar > input.interplay-circuit-k, .interplay-circuit-k-label, .interplay-circuit-faith,
 *                              .interplay-busy, select.interplay-circuit-prompt,
 *                              button.interplay-circuit-{fit,zoom-in,zoom-out,svg,png}
 *     .interplay-error
 *     .interplay-circuit-main > .interplay-circuit-scroll > svg.interplay-circuit-svg
 *                                 > g.interplay-circuit-edges > path.interplay-circuit-edge[data-edge]
 *                                 > g.interplay-circuit-nodes > g.interplay-circuit-node[data-node][data-name]
 *                             > .interplay-circuit-detail > .interplay-circuit-detail-title,
 *                                 .interplay-circuit-detail-note, .interplay-circuit-dla, canvas.interplay-circuit-pattern
 *     .interplay-footer > .interplay-legend
 *     .interplay-notes
 */

import { Legend } from "../lib/legend";
import { makeScale, type Scale } from "../lib/scales";
import { button, div, errorBox, makeRoot, setError, setNotes } from "../lib/scroll_grid_dom";
import { ensureStyles, ensureStyleSheet, readTheme } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import { formatCompact } from "../lib/format";
import { CIRCUIT_CSS, renderDetail, type NodeDetail } from "./circuit_detail";
import {
  DEFAULT_STATE, decodeEdges, edgeLabel, edgePath, edgeStyle, GUTTER, isGraph, layoutGraph, maxAbs, pathsThrough,
  selectEdges, usedNodes, type CircuitState, type EdgeData, type Faithfulness, type GraphSpec, type Layout,
} from "./circuit_model";

export type { CircuitState } from "./circuit_model";

export type RequestFn = (method: string, params: object) => Promise<unknown>;

export interface CircuitOptions {
  request?: RequestFn;
  /** The user released the slider at `k`. */
  onK?: (k: number) => void;
  onSelect?: (selection: { node: string } | null) => void;
  onPrompt?: (index: number) => void;
  /** Save a file (export buttons); the default clicks a download link. */
  download?: (name: string, blob: Blob) => void;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const STYLE_ID = "interplay-circuit-style";
const DIM = "0.08";

function svg<K extends keyof SVGElementTagNameMap>(doc: Document, tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = doc.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export class CircuitView {
  readonly root: HTMLDivElement;
  private state: CircuitState = { ...DEFAULT_STATE };
  private graph: GraphSpec | null = null;
  private edges: EdgeData | null = null;
  private layout: Layout | null = null;
  private scale: Scale | null = null;
  private selected: number[] = [];
  private k = 0;
  private zoom = 1;
  private ticket = 0;
  private nodeTicket = 0;
  private hoverNode: number | null = null;
  private readonly options: CircuitOptions;
  private readonly title: HTMLDivElement;
  private readonly slider: HTMLInputElement;
  private readonly kLabel: HTMLSpanElement;
  private readonly faith: HTMLSpanElement;
  private readonly busy: HTMLSpanElement;
  private readonly prompt: HTMLSelectElement;
  private readonly error: HTMLDivElement;
  private readonly scroller: HTMLDivElement;
  private readonly svgEl: SVGSVGElement;
  private readonly edgeLayer: SVGGElement;
  private readonly nodeLayer: SVGGElement;
  private readonly detail: HTMLDivElement;
  private readonly legend: Legend;
  private readonly notes: HTMLDivElement;
  private readonly tooltip: Tooltip;
  private edgeEls: SVGPathElement[] = [];
  private nodeEls: SVGGElement[] = [];

  constructor(el: HTMLElement, initial: Partial<CircuitState> = {}, options: CircuitOptions = {}) {
    const doc = el.ownerDocument;
    ensureStyles(el);
    ensureStyleSheet(el, STYLE_ID, CIRCUIT_CSS);
    this.options = options;
    this.root = makeRoot(doc, "interplay-circuit", "circuit graph");
    this.root.setAttribute("aria-label", "circuit graph");
    this.title = div(doc, "interplay-circuit-title");
    const bar = div(doc, "interplay-circuit-bar");
    this.slider = doc.createElement("input");
    this.slider.type = "range";
    this.slider.className = "interplay-circuit-k";
    this.slider.min = "1";
    this.slider.setAttribute("aria-label", "number of top edges kept");
    this.slider.addEventListener("input", () => this.setK(Number(this.slider.value), false));
    this.slider.addEventListener("change", () => this.setK(Number(this.slider.value), true));
    this.kLabel = doc.createElement("span");
    this.kLabel.className = "interplay-circuit-k-label";
    this.faith = doc.createElement("span");
    this.faith.className = "interplay-circuit-faith";
    this.busy = doc.createElement("span");
    this.busy.className = "interplay-busy";
    this.busy.textContent = "computing…";
    this.busy.hidden = true;
    this.prompt = doc.createElement("select");
    this.prompt.className = "interplay-circuit-prompt";
    this.prompt.setAttribute("aria-label", "prompt for node details");
    this.prompt.addEventListener("change", () => {
      this.options.onPrompt?.(Number(this.prompt.value));
    });
    bar.append(
      this.slider, this.kLabel, this.faith, this.busy, this.prompt,
      button(doc, "−", "zoom out", () => this.setZoom(this.zoom / 1.25), "interplay-circuit-zoom-out"),
      button(doc, "+", "zoom in", () => this.setZoom(this.zoom * 1.25), "interplay-circuit-zoom-in"),
      button(doc, "fit", "fit the graph in view", () => this.fit(), "interplay-circuit-fit"),
      button(doc, "SVG", "export SVG", () => this.exportSvg(), "interplay-circuit-svg"),
      button(doc, "PNG", "export PNG", () => void this.exportPng(), "interplay-circuit-png"),
    );
    this.error = errorBox(doc);
    const main = div(doc, "interplay-circuit-main");
    this.scroller = div(doc, "interplay-circuit-scroll");
    this.svgEl = svg(doc, "svg", { class: "interplay-circuit-svg", xmlns: SVG_NS, role: "img" });
    this.edgeLayer = svg(doc, "g", { class: "interplay-circuit-edges", fill: "none" });
    this.nodeLayer = svg(doc, "g", { class: "interplay-circuit-nodes" });
    this.svgEl.append(this.edgeLayer, this.nodeLayer);
    this.scroller.append(this.svgEl);
    this.detail = div(doc, "interplay-circuit-detail");
    main.append(this.scroller, this.detail);
    const footer = div(doc, "interplay-footer");
    this.legend = new Legend(doc);
    footer.append(this.legend.element);
    this.notes = div(doc, "interplay-notes");
    this.root.append(this.title, bar, this.error, main, footer, this.notes);
    el.append(this.root);
    this.tooltip = new Tooltip(this.root, this.scroller);
    this.bindPointer();
    this.update({ ...initial });
    const f = this.state.faithfulness;
    if (this.edges && (!f || f.k !== this.k)) void this.fetchFaith(this.k);
  }

  update(changed: Partial<CircuitState>): void {
    this.state = { ...this.state, ...changed };
    const s = this.state;
    try {
      if ("graph" in changed || "edge_src" in changed || "edge_dst" in changed || "edge_kind" in changed || "edge_score" in changed) {
        this.graph = isGraph(s.graph) ? s.graph : null;
        this.edges = decodeEdges(s);
        this.layout = this.graph ? layoutGraph(this.graph) : null;
        this.scale = this.edges ? makeScale({ kind: "diverging", cmap: "rdbu", center: 0 }, -1, 1) : null;
        this.buildNodes();
        this.buildEdges();
        this.setZoom(this.zoom);
      }
      setError(this.error, null);
    } catch (exc) {
      setError(this.error, exc instanceof Error ? exc.message : String(exc));
      return;
    }
    this.title.textContent = s.title;
    setNotes(this.notes, s.notes);
    if ("prompts" in changed || "prompt_index" in changed) this.renderPrompts();
    if ("k" in changed || "graph" in changed || "edge_score" in changed) this.setK(s.k, false);
    if ("faithfulness" in changed) this.showFaith(s.faithfulness);
    if ("selected" in changed) this.markSelected();
  }

  /** Indices (into the sent edges) of the edges drawn now. */
  get visibleEdges(): readonly number[] {
    return this.selected;
  }

  destroy(): void {
    this.ticket++;
    this.nodeTicket++;
    this.tooltip.destroy();
    this.root.remove();
  }

  // ------------------------------------------------------------------------------- drawing
  private buildNodes(): void {
    const doc = this.root.ownerDocument;
    const g = this.graph;
    const lay = this.layout;
    this.nodeLayer.replaceChildren();
    this.nodeEls = [];
    if (!g || !lay) return;
    const theme = readTheme(this.root);
    for (let l = 0; l < g.n_layers; l++) {
      const t = svg(doc, "text", { x: GUTTER - 10, y: lay.rows[l] + 4, "text-anchor": "end", "font-size": 12,
        "font-family": "sans-serif", fill: theme.muted, class: "interplay-circuit-row-label" });
      t.textContent = `L${l}`;
      this.nodeLayer.append(t);
    }
    g.nodes.forEach((n, i) => {
      const b = lay.nodes[i];
      const grp = svg(doc, "g", { class: "interplay-circuit-node", "data-node": i, "data-name": n.name, tabindex: -1 });
      const shape = n.kind === "head"
        ? svg(doc, "circle", { cx: b.x, cy: b.y, r: b.hw })
        : svg(doc, "rect", { x: b.x - b.hw, y: b.y - b.hh, width: 2 * b.hw, height: 2 * b.hh, rx: 3 });
      shape.setAttribute("stroke", "#555");
      shape.setAttribute("stroke-width", "1");
      const label = svg(doc, "text", { x: b.x, y: b.y + 3.5, "text-anchor": "middle", "font-size": n.kind === "head" ? 10 : 10,
        "font-family": "sans-serif", "pointer-events": "none" });
      label.textContent = b.label;
      const title = svg(doc, "title", {});
      title.textContent = n.name;
      grp.append(title, shape, label);
      this.nodeLayer.append(grp);
      this.nodeEls.push(grp);
    });
  }

  private buildEdges(): void {
    const doc = this.root.ownerDocument;
    this.edgeLayer.replaceChildren();
    this.edgeEls = [];
    const e = this.edges;
    const lay = this.layout;
    if (!e || !lay || !this.scale) return;
    for (let i = 0; i < e.count; i++) {
      const p = svg(doc, "path", {
        d: edgePath(lay.nodes[e.src[i]], lay.nodes[e.dst[i]], e.kind[i]),
        "stroke-opacity": 0.75, class: "interplay-circuit-edge", "data-edge": i,
      });
      p.style.display = "none";
      this.edgeEls.push(p);
    }
    // strongest on top
    for (let i = e.count - 1; i >= 0; i--) this.edgeLayer.append(this.edgeEls[i]);
  }

  private setK(k: number, released: boolean): void {
    const e = this.edges;
    const g = this.graph;
    if (!e || !g) return;
    this.k = Math.max(0, Math.min(Math.round(k), e.count));
    this.slider.max = String(Math.max(1, e.count));
    this.slider.value = String(this.k);
    this.selected = selectEdges(e, this.k, g.nodes.length);
    const on = new Set(this.selected);
    const lim = maxAbs(e.score, this.selected);
    this.scale = makeScale({ kind: "diverging", cmap: "rdbu", center: 0 }, -lim, lim);
    this.edgeEls.forEach((p, i) => {
      p.style.display = on.has(i) ? "" : "none";
      if (!on.has(i) || !this.scale) return;
      const st = edgeStyle(e.score[i], lim, this.selected.length);
      p.setAttribute("stroke", this.scale.css(st.colourValue));
      p.setAttribute("stroke-width", st.width.toFixed(2));
    });
    this.legend.update(this.scale, "edge score: metric change when the edge is corrupted (colour, width ∝ √|score|)", false);
    const used = usedNodes(e, this.selected);
    this.nodeEls.forEach((n, i) => {
      const active = used.has(i);
      const shape = n.children[1] as SVGElement;
      shape.setAttribute("fill", active ? "#f3f0e6" : "#f4f4f4");
      shape.setAttribute("stroke", active ? "#333" : "#bbb");
      // the fill is light in every theme, so the label is dark in every theme (not the page's text colour)
      (n.children[2] as SVGElement).setAttribute("fill", active ? "#222" : "#aaa");
      n.classList.toggle("interplay-circuit-active", active);
    });
    const cut = this.k > 0 ? ` (|score| ≥ ${formatCompact(Math.abs(e.score[this.k - 1]), 3)})` : "";
    this.kLabel.textContent = `top ${this.k} of ${this.state.n_edges_total} edges${cut} → ${this.selected.length} on input→logits paths`;
    this.applyHover();
    this.markSelected();
    if (released) {
      this.options.onK?.(this.k);
      void this.fetchFaith(this.k);
    } else if (this.state.faithfulness && this.state.faithfulness.k !== this.k) {
      this.faith.textContent = "release to compute faithfulness";
    }
  }

  private async fetchFaith(k: number): Promise<void> {
    if (!this.options.request) return;
    const ticket = ++this.ticket;
    this.busy.hidden = false;
    try {
      const r = (await this.options.request("faithfulness", { k })) as Faithfulness;
      if (ticket !== this.ticket) return;
      this.showFaith(r);
      setError(this.error, null);
    } catch (exc) {
      if (ticket === this.ticket) setError(this.error, exc instanceof Error ? exc.message : String(exc));
    } finally {
      if (ticket === this.ticket) this.busy.hidden = true;
    }
  }

  private showFaith(f: Faithfulness | null): void {
    const measured = f !== null && f.value !== null && f.value !== undefined;
    this.faith.textContent = measured
      ? `faithfulness ${(100 * (f.value as number)).toFixed(1)}% (top ${f.k}, ${f.edges} edges)`
      : (f?.note ?? "");
    this.faith.classList.toggle("interplay-circuit-faith-note", !measured && Boolean(f?.note));
  }

  private renderPrompts(): void {
    const doc = this.root.ownerDocument;
    const opts = this.state.prompts.map((p, i) => {
      const o = doc.createElement("option");
      o.value = String(i);
      o.textContent = `prompt ${i}: ${p.length > 40 ? `${p.slice(0, 40)}…` : p}`;
      return o;
    });
    this.prompt.replaceChildren(...opts);
    this.prompt.hidden = opts.length === 0;
    this.prompt.value = String(this.state.prompt_index);
    if ("selected" in this.state && this.state.selected) void this.fetchNode(this.state.selected.node);
  }

  private markSelected(): void {
    const name = this.state.selected?.node ?? null;
    this.nodeEls.forEach((n) => {
      const sel = n.dataset.name === name;
      (n.children[1] as SVGElement).setAttribute("stroke-width", sel ? "3" : "1");
      if (sel) (n.children[1] as SVGElement).setAttribute("stroke", "#1a73e8");
    });
  }

  private applyHover(): void {
    const e = this.edges;
    const h = this.hoverNode;
    if (!e) return;
    const paths = h === null ? null : pathsThrough(e, this.selected, h);
    for (const i of this.selected) this.edgeEls[i].setAttribute("stroke-opacity", !paths || paths.edges.has(i) ? "0.75" : DIM);
    this.nodeEls.forEach((n, i) => n.setAttribute("opacity", !paths || paths.nodes.has(i) ? "1" : "0.35"));
  }

  // ------------------------------------------------------------------------------ pointer
  private bindPointer(): void {
    let drag: { x: number; y: number; left: number; top: number } | null = null;
    this.svgEl.addEventListener("pointermove", (ev) => {
      const target = ev.target as Element;
      const node = target.closest?.(".interplay-circuit-node") as SVGGElement | null;
      const edge = target.closest?.(".interplay-circuit-edge") as SVGPathElement | null;
      const idx = node ? Number(node.dataset.node) : null;
      if (idx !== this.hoverNode) {
        this.hoverNode = idx;
        this.applyHover();
      }
      if (node && this.graph) this.tooltip.show(this.nodeTooltip(Number(node.dataset.node)), ev.clientX, ev.clientY);
      else if (edge && this.graph && this.edges) {
        const i = Number(edge.dataset.edge);
        this.tooltip.show([edgeLabel(this.graph, this.edges, i), `score ${formatCompact(this.edges.score[i], 4)}`, `rank ${i + 1}`], ev.clientX, ev.clientY);
      } else this.tooltip.hide();
      if (drag) {
        this.scroller.scrollLeft = drag.left - (ev.clientX - drag.x);
        this.scroller.scrollTop = drag.top - (ev.clientY - drag.y);
      }
    });
    this.svgEl.addEventListener("pointerleave", () => {
      this.hoverNode = null;
      this.applyHover();
      drag = null;
    });
    this.svgEl.addEventListener("pointerdown", (ev) => {
      if (!(ev.target as Element).closest?.(".interplay-circuit-node")) {
        drag = { x: ev.clientX, y: ev.clientY, left: this.scroller.scrollLeft, top: this.scroller.scrollTop };
      }
    });
    this.svgEl.addEventListener("pointerup", () => {
      drag = null;
    });
    this.svgEl.addEventListener("click", (ev) => {
      const node = (ev.target as Element).closest?.(".interplay-circuit-node") as SVGGElement | null;
      if (node) this.select(node.dataset.name ?? "");
    });
    this.scroller.addEventListener("wheel", (ev) => {
      if (!ev.ctrlKey && !ev.metaKey) return;
      ev.preventDefault();
      this.setZoom(this.zoom * (ev.deltaY < 0 ? 1.1 : 1 / 1.1));
    }, { passive: false });
  }

  private nodeTooltip(i: number): string[] {
    const g = this.graph;
    const e = this.edges;
    if (!g || !e) return [];
    let nIn = 0;
    let nOut = 0;
    for (const j of this.selected) {
      if (e.dst[j] === i) nIn++;
      if (e.src[j] === i) nOut++;
    }
    return [g.nodes[i].name, `${nIn} incoming, ${nOut} outgoing edges in the circuit`, "click for details"];
  }

  /** Select a node by name (as a click does). */
  select(name: string): void {
    this.options.onSelect?.({ node: name });
    this.state = { ...this.state, selected: { node: name } };
    this.markSelected();
    void this.fetchNode(name);
  }

  private async fetchNode(name: string): Promise<void> {
    if (!this.options.request) return;
    const ticket = ++this.nodeTicket;
    this.busy.hidden = false;
    try {
      const d = (await this.options.request("node", { name, prompt: this.state.prompt_index })) as NodeDetail;
      if (ticket !== this.nodeTicket) return;
      renderDetail(this.detail, d, readTheme(this.root));
      setError(this.error, null);
    } catch (exc) {
      if (ticket === this.nodeTicket) setError(this.error, exc instanceof Error ? exc.message : String(exc));
    } finally {
      if (ticket === this.nodeTicket) this.busy.hidden = true;
    }
  }

  // ------------------------------------------------------------------------- zoom & export
  private setZoom(z: number): void {
    const lay = this.layout;
    if (!lay) return;
    this.zoom = Math.min(4, Math.max(0.2, z));
    this.svgEl.setAttribute("viewBox", `0 0 ${lay.width} ${lay.height}`);
    this.svgEl.setAttribute("width", (lay.width * this.zoom).toFixed(0));
    this.svgEl.setAttribute("height", (lay.height * this.zoom).toFixed(0));
  }

  private fit(): void {
    const lay = this.layout;
    if (!lay) return;
    const w = this.scroller.clientWidth || lay.width;
    const h = this.scroller.clientHeight || lay.height;
    this.setZoom(Math.min(w / lay.width, h / lay.height));
  }

  /** The drawing as a standalone SVG document (the edges and nodes shown now). */
  svgText(): string {
    const clone = this.svgEl.cloneNode(true) as SVGSVGElement;
    for (const p of Array.from(clone.querySelectorAll("path"))) if ((p as SVGElement).style.display === "none") p.remove();
    const lay = this.layout;
    if (lay) {
      clone.setAttribute("width", String(lay.width));
      clone.setAttribute("height", String(lay.height));
    }
    const bg = this.root.ownerDocument.createElementNS(SVG_NS, "rect");
    for (const [k, v] of Object.entries({ x: 0, y: 0, width: "100%", height: "100%", fill: "white" })) bg.setAttribute(k, String(v));
    clone.insertBefore(bg, clone.firstChild);
    return new XMLSerializer().serializeToString(clone);
  }

  private save(name: string, blob: Blob): void {
    if (this.options.download) return this.options.download(name, blob);
    const doc = this.root.ownerDocument;
    const a = doc.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    doc.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  private exportSvg(): void {
    this.save("circuit.svg", new Blob([this.svgText()], { type: "image/svg+xml" }));
  }

  private async exportPng(): Promise<void> {
    const lay = this.layout;
    if (!lay) return;
    const doc = this.root.ownerDocument;
    const img = new Image();
    const url = URL.createObjectURL(new Blob([this.svgText()], { type: "image/svg+xml" }));
    try {
      await new Promise<void>((resolve, reject) => {
        img.onload = () => resolve();
        img.onerror = () => reject(new Error("could not render the SVG to PNG"));
        img.src = url;
      });
      const canvas = doc.createElement("canvas");
      canvas.width = lay.width * 2;
      canvas.height = lay.height * 2;
      const ctx = canvas.getContext("2d");
      if (!ctx) throw new Error("no 2d canvas for the PNG export");
      ctx.scale(2, 2);
      ctx.drawImage(img, 0, 0);
      const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/png"));
      if (blob) this.save("circuit.png", blob);
    } catch (exc) {
      setError(this.error, exc instanceof Error ? exc.message : String(exc));
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}
