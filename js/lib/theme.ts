/**
 * Styles for every interplay view, scoped under `.interplay-*` classes and injected once per
 * document as `<style id="interplay-style">` (anywidget may render many views in one page).
 *
 * Colours and fonts come from JupyterLab's CSS variables, with fallbacks that follow the page's
 * light or dark scheme elsewhere (VS Code, Colab, marimo). Canvas code reads the resolved
 * `--interplay-*` custom properties from the root element (see `readTheme`).
 */

export const STYLE_ID = "interplay-style";

export const CSS = `
.interplay-root {
  --interplay-fg: var(--jp-ui-font-color1, var(--vscode-editor-foreground, var(--colab-primary-text-color, CanvasText)));
  --interplay-fg-muted: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, GrayText));
  --interplay-bg: var(--jp-layout-color1, var(--vscode-editor-background, var(--colab-primary-surface-color, Canvas)));
  --interplay-bg-soft: var(--jp-layout-color2, rgba(127, 127, 127, 0.12));
  --interplay-border: var(--jp-border-color2, rgba(127, 127, 127, 0.35));
  --interplay-focus: var(--jp-brand-color1, var(--vscode-focusBorder, #1a73e8));
  --interplay-error: var(--jp-error-color1, #d32f2f);
  --interplay-ui-font: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --interplay-code-font: var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  --interplay-max-height: 600px;
  position: relative;
  box-sizing: border-box;
  max-width: 100%;
  min-width: 0;
  padding: 4px;
  color: var(--interplay-fg);
  font-family: var(--interplay-ui-font);
  font-size: var(--jp-ui-font-size1, 13px);
  line-height: 1.3;
  outline: none;
  border-radius: 3px;
}
.interplay-root:focus-visible { box-shadow: 0 0 0 2px var(--interplay-focus); }
.interplay-root *, .interplay-root *::before, .interplay-root *::after { box-sizing: border-box; }
.interplay-root canvas { box-sizing: content-box; }
.interplay-root [hidden] { display: none !important; }
.interplay-title { font-weight: 600; margin: 0 0 4px; }
.interplay-error {
  color: var(--interplay-error);
  border: 1px solid var(--interplay-error);
  border-radius: 3px;
  padding: 6px 8px;
  white-space: pre-wrap;
  font-family: var(--interplay-code-font);
}
.interplay-body { display: flex; align-items: flex-start; min-width: 0; }
.interplay-gutter { flex: none; max-width: 30%; overflow: hidden; padding-right: 6px; }
.interplay-gutter-rows { overflow: hidden; }
.interplay-row-label {
  white-space: pre;
  overflow: hidden;
  text-overflow: ellipsis;
  text-align: right;
  font-size: 12px;
  color: var(--interplay-fg-muted);
}
.interplay-scroll {
  flex: 1 1 auto;
  min-width: 0;
  overflow: auto;
  max-height: var(--interplay-max-height);
  overscroll-behavior-x: contain;
}
.interplay-track { position: relative; }
.interplay-stage { position: sticky; left: 0; top: 0; }
.interplay-stage canvas { display: block; }
.interplay-heatmap-canvas { cursor: pointer; }
.interplay-footer { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 16px; margin-top: 6px; }
.interplay-legend { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; font-size: 12px; }
.interplay-legend-caption { color: var(--interplay-fg-muted); }
.interplay-legend-scale { display: inline-flex; flex-direction: column; }
.interplay-legend-bar { display: block; border: 1px solid var(--interplay-border); }
.interplay-legend-ticks { display: flex; justify-content: space-between; gap: 6px; font-variant-numeric: tabular-nums; }
.interplay-legend-nan { display: inline-flex; align-items: center; gap: 4px; }
.interplay-legend-nan-swatch { border: 1px solid var(--interplay-border); }
.interplay-toolbar { display: inline-flex; gap: 2px; margin-left: auto; }
.interplay-button {
  font: inherit;
  font-size: 12px;
  min-width: 26px;
  padding: 1px 6px;
  color: var(--interplay-fg);
  background: var(--interplay-bg-soft);
  border: 1px solid var(--interplay-border);
  border-radius: 3px;
  cursor: pointer;
}
.interplay-button:hover { border-color: var(--interplay-focus); }
.interplay-button:focus-visible { outline: 2px solid var(--interplay-focus); outline-offset: 1px; }
.interplay-button[aria-pressed="true"] { border-color: var(--interplay-focus); }
.interplay-tooltip {
  position: absolute;
  z-index: 10;
  pointer-events: none;
  max-width: 360px;
  padding: 4px 8px;
  color: var(--interplay-fg);
  background: var(--interplay-bg);
  border: 1px solid var(--interplay-border);
  border-radius: 3px;
  box-shadow: 0 2px 6px rgba(0, 0, 0, 0.25);
  font-size: 12px;
  white-space: pre;
  overflow: hidden;
  text-overflow: ellipsis;
}
.interplay-tooltip-line:first-child { font-family: var(--interplay-code-font); font-weight: 600; }
.interplay-sr-only {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
`;

/** Add the stylesheet to the document of `node` unless it is there already. */
export function ensureStyles(node: Node): void {
  ensureStyleSheet(node, STYLE_ID, CSS);
}

/**
 * Add a view's own stylesheet (`<style id=...>`) once per document. Each view keeps its CSS under
 * its own id, so a page whose shared sheet came from another widget's bundle still gets it.
 */
export function ensureStyleSheet(node: Node, id: string, css: string): void {
  const doc = node.ownerDocument ?? (node as Document);
  if (doc.getElementById(id)) return;
  const style = doc.createElement("style");
  style.id = id;
  style.textContent = css;
  (doc.head ?? doc.documentElement).appendChild(style);
}

/** Colours and fonts for canvas drawing, resolved from the root's CSS custom properties. */
export interface CanvasTheme {
  fg: string;
  muted: string;
  focus: string;
  highlight: string;
  codeFont: string;
}

export function readTheme(root: HTMLElement): CanvasTheme {
  const view = root.ownerDocument.defaultView;
  const cs = view?.getComputedStyle ? view.getComputedStyle(root) : null;
  const prop = (name: string, fallback: string): string => cs?.getPropertyValue(name).trim() || fallback;
  return {
    fg: cs?.color || "#222",
    muted: prop("--interplay-fg-muted", "#777"),
    focus: prop("--interplay-focus", "#1a73e8"),
    highlight: prop("--interplay-bg-soft", "rgba(127, 127, 127, 0.15)"),
    codeFont: prop("--interplay-code-font", "monospace"),
  };
}
