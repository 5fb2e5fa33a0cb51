/** The AttentionView's own styles (scoped under `.interplay-attention`), added once per document. */

export const ATTENTION_STYLE_ID = "interplay-style-attention";

export const ATTENTION_CSS = `
.interplay-attention .interplay-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; font-size: 12px; margin: 2px 0 4px; }
.interplay-attention .interplay-control-label { color: var(--interplay-fg-muted); }
.interplay-attention select {
  font: inherit; font-size: 12px; color: var(--interplay-fg); background: var(--interplay-bg);
  border: 1px solid var(--interplay-border); border-radius: 3px; padding: 1px 2px;
}
.interplay-attention select:focus-visible, .interplay-attention .interplay-head-row:focus-visible,
.interplay-attention .interplay-token-text:focus-visible { outline: 2px solid var(--interplay-focus); outline-offset: 1px; }
.interplay-attention .interplay-notes { font-size: 11px; color: var(--interplay-fg-muted); margin: 0 0 4px; }
.interplay-attention .interplay-note { white-space: pre-wrap; }
.interplay-attention-main { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 12px 16px; min-width: 0; }
.interplay-attention-left { flex: 1 1 auto; min-width: 0; max-width: 100%; }
.interplay-grid-scroll { overflow: auto; max-width: 100%; max-height: 480px; overscroll-behavior: contain; }
.interplay-attention-grid { display: block; cursor: pointer; }
.interplay-grid-caption { font-size: 11px; color: var(--interplay-fg-muted); margin: 2px 0 6px; }
.interplay-grid-top { display: inline-block; width: 10px; height: 10px; border: 2px solid #e08a00; vertical-align: -1px; }
.interplay-head-table { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; display: block; overflow-x: auto; max-width: 100%; }
.interplay-head-table th, .interplay-head-table td { padding: 1px 6px; text-align: right; white-space: nowrap; }
.interplay-head-table thead th { font-weight: 600; color: var(--interplay-fg-muted); border-bottom: 1px solid var(--interplay-border); cursor: pointer; }
.interplay-head-table tbody th { text-align: left; font-family: var(--interplay-code-font); font-weight: 600; }
.interplay-head-table .interplay-sorted { color: var(--interplay-fg); font-weight: 600; }
.interplay-head-row { cursor: pointer; }
.interplay-head-row:hover { background: var(--interplay-bg-soft); }
.interplay-head-row.interplay-row-selected { background: var(--interplay-bg-soft); box-shadow: inset 3px 0 0 var(--interplay-focus); }
.interplay-table-empty { font-size: 12px; color: var(--interplay-fg-muted); }
.interplay-attention-detail { flex: 1 1 340px; min-width: 0; max-width: 100%; }
.interplay-detail-title { font-weight: 600; }
.interplay-detail-scores { font-size: 11px; color: var(--interplay-fg-muted); font-variant-numeric: tabular-nums; }
.interplay-detail-hint { color: var(--interplay-fg-muted); font-style: italic; padding: 12px 0; }
.interplay-attention .interplay-pattern-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 2px; margin: 4px 0; }
.interplay-window-label { font-size: 11px; color: var(--interplay-fg-muted); margin-left: 6px; font-variant-numeric: tabular-nums; }
.interplay-pattern-canvas { display: block; cursor: crosshair; touch-action: none; }
.interplay-attention .interplay-busy { font-size: 12px; color: var(--interplay-fg-muted); margin: 2px 0; }
.interplay-attention .interplay-busy::before { content: "⏳ "; }
.interplay-attention .interplay-retry { margin: 4px 0; }
.interplay-token-view { margin-top: 10px; }
.interplay-token-nav { display: inline-flex; align-items: center; gap: 4px; margin-left: auto; }
.interplay-token-range { font-size: 11px; color: var(--interplay-fg-muted); font-variant-numeric: tabular-nums; }
.interplay-token-text {
  font-family: var(--interplay-code-font); font-size: 12px; line-height: 1.9; max-height: 240px; overflow: auto;
  padding: 4px; border: 1px solid var(--interplay-border); border-radius: 3px; overflow-wrap: anywhere;
}
.interplay-token { white-space: pre; padding: 1px 1px; margin: 0 1px; border-radius: 2px; cursor: pointer; }
.interplay-token.interplay-token-strong { color: #fff; }
.interplay-token.interplay-token-pinned { box-shadow: inset 0 -2px 0 var(--interplay-focus); }
.interplay-token.interplay-token-focus { outline: 2px solid var(--interplay-focus); outline-offset: 0; }
.interplay-token-status { font-size: 11px; color: var(--interplay-fg-muted); min-height: 1.4em; margin-top: 2px; white-space: pre-wrap; }
`;
