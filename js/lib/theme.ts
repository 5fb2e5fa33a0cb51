/**
 * Styles for every interplay view, scoped under `.interplay-*` classes and added once per style
 * scope as `<style id="interplay-style">` (anywidget may render many views in one page).
 *
 * A style scope is what the view's node sees (`node.getRootNode()`): the document (JupyterLab,
 * Notebook 7, VS Code, Colab: the sheet goes in its head) or a shadow root (marimo renders each
 * anywidget inside one, and a sheet in the document's head does not reach it: the sheet goes
 * into that shadow root, once per root).
 *
 * Colours and fonts come from the host's CSS variables, first found wins: JupyterLab's `--jp-*`,
 * then VS Code's `--vscode-*` (its webview theme variables), then Colab's `--colab-*`, then marimo's
 * public font variables (`--marimo-*-font`); the last fallbacks are the CSS system colours
 * `CanvasText`/`Canvas`/`GrayText`, which follow the page's `color-scheme` (marimo sets it light or
 * dark, and custom properties and `color-scheme` both inherit into shadow roots). Canvas code reads
 * the resolved `--interplay-*` custom properties from the root element (see `readTheme`).
 */

export const STYLE_ID = "interplay-style";

export const CSS = `
.interplay-root {
  --interplay-fg: var(--jp-ui-font-color1, var(--vscode-editor-foreground, var(--vscode-foreground, var(--colab-primary-text-color, CanvasText))));
  --interplay-fg-muted: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, var(--colab-secondary-text-color, GrayText)));
  --interplay-bg: var(--jp-layout-color1, var(--vscode-editor-background, var(--colab-primary-surface-color, Canvas)));
  --interplay-bg-soft: var(--jp-layout-color2, var(--vscode-editorWidget-background, var(--colab-highlighted-surface-color, rgba(127, 127, 127, 0.12))));
  --interplay-border: var(--jp-border-color2, var(--vscode-panel-border, var(--colab-border-color, rgba(127, 127, 127, 0.35))));
  --interplay-focus: var(--jp-brand-color1, var(--vscode-focusBorder, var(--colab-anchor-color, #1a73e8)));
  --interplay-error: var(--jp-error-color1, var(--vscode-errorForeground, #d32f2f));
  --interplay-ui-font: var(--jp-ui-font-family, var(--vscode-font-family, var(--marimo-text-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif)));
  --interplay-code-font: var(--jp-code-font-family, var(--vscode-editor-font-family, var(--marimo-monospace-font, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace)));
  --interplay-max-height: 600px;
  position: relative;
  box-sizing: border-box;
  max-width: 100%;
  min-width: 0;
  padding: 4px;
  color: var(--interplay-fg);
  font-family: var(--interplay-ui-font);
  font-size: var(--jp-ui-font-size1, var(--vscode-font-size, 13px));
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

/** Add the shared stylesheet where `node` sees it, unless it is there already. */
export function ensureStyles(node: Node): void {
  ensureStyleSheet(node, STYLE_ID, CSS);
}

/** Where a stylesheet must go for `node` to see it: its shadow root or its document; null while detached. */
export function styleScope(node: Node): ShadowRoot | Document | null {
  const root = node.getRootNode();
  if (root.nodeType === DOCUMENT_NODE) return root as Document;
  if (root.nodeType === DOCUMENT_FRAGMENT_NODE && "host" in root) return root as ShadowRoot;
  return null;
}

/**
 * Add a view's own stylesheet (`<style id=...>`) once per style scope (see `styleScope`). Each view
 * keeps its CSS under its own id, so a page whose shared sheet came from another widget's bundle
 * still gets it. A node not attached yet (Jupyter attaches the view's element after `render`) puts
 * the sheet in its document's head, as before, and also into the shadow root it lands in, if any,
 * once it is attached.
 */
export function ensureStyleSheet(node: Node, id: string, css: string): void {
  const scope = styleScope(node);
  if (scope) {
    addStyle(scope, id, css);
    return;
  }
  const doc = node.ownerDocument;
  if (doc) addStyle(doc, id, css);
  whenAttached(node, (attached) => addStyle(attached, id, css));
}

const DOCUMENT_NODE = 9;
const DOCUMENT_FRAGMENT_NODE = 11;
/** How often and how long a detached node is checked for having been attached (ms). */
const ATTACH_POLL_MS = 50;
const ATTACH_POLL_LIMIT_MS = 30_000;

function addStyle(scope: ShadowRoot | Document, id: string, css: string): void {
  if (scope.querySelector(`style#${id}`)) return;
  const doc = scope.nodeType === DOCUMENT_NODE ? (scope as Document) : (scope.ownerDocument as Document);
  const style = doc.createElement("style");
  style.id = id;
  style.textContent = css;
  if (scope.nodeType === DOCUMENT_NODE) ((scope as Document).head ?? (scope as Document).documentElement).appendChild(style);
  else scope.prepend(style);
}

/** Call `then` with the node's style scope once it is attached (checked every 50 ms for 30 s). */
function whenAttached(node: Node, then: (scope: ShadowRoot | Document) => void): void {
  let waited = 0;
  const check = (): void => {
    const scope = styleScope(node);
    if (scope) then(scope);
    else if ((waited += ATTACH_POLL_MS) <= ATTACH_POLL_LIMIT_MS) setTimeout(check, ATTACH_POLL_MS);
  };
  setTimeout(check, ATTACH_POLL_MS);
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
