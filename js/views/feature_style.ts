/** The FeatureView's own stylesheet (the shared one comes from `lib/theme.ts`). */

export const FEATURE_STYLE_ID = "interplay-style-feature";

export const FEATURE_CSS = `
.interplay-feature { font-size: 12px; }
.interplay-feature .interplay-feature-title { font-weight: 600; margin: 0 0 6px; }
.interplay-feature .interplay-feature-cards { display: flex; gap: 10px; align-items: flex-start; overflow-x: auto; }
.interplay-feature .interplay-feature-card {
  flex: 1 1 0; min-width: 260px; max-width: 720px; padding: 6px 8px;
  border: 1px solid var(--interplay-border); border-radius: 4px;
}
.interplay-feature .interplay-feature-card[data-primary="true"] { border-color: var(--interplay-focus); box-shadow: 0 0 0 1px var(--interplay-focus); }
.interplay-feature .interplay-feature-card-loading { color: var(--interplay-fg-muted); font-style: italic; }
.interplay-feature .interplay-feature-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; margin-bottom: 4px; }
.interplay-feature .interplay-feature-name { font-weight: 600; font-family: var(--interplay-code-font); }
.interplay-feature .interplay-feature-label, .interplay-feature .interplay-feature-steer-prompt,
.interplay-feature select, .interplay-feature .interplay-feature-steer-value {
  font: inherit; color: var(--interplay-fg); background: var(--interplay-bg);
  border: 1px solid var(--interplay-border); border-radius: 3px; padding: 1px 4px;
}
.interplay-feature .interplay-feature-label { flex: 1 1 12em; min-width: 8em; }
.interplay-feature .interplay-feature-stats { width: 100%; color: var(--interplay-fg-muted); }
.interplay-feature :focus-visible { outline: 2px solid var(--interplay-focus); outline-offset: 1px; }
.interplay-feature .interplay-feature-hist-box { display: flex; align-items: flex-end; gap: 8px; flex-wrap: wrap; margin: 4px 0; }
.interplay-feature .interplay-feature-hist { border-bottom: 1px solid var(--interplay-border); cursor: crosshair; }
.interplay-feature .interplay-feature-hist-readout { color: var(--interplay-fg-muted); font-variant-numeric: tabular-nums; }
.interplay-feature .interplay-feature-section-title { font-weight: 600; margin: 6px 0 2px; }
.interplay-feature .interplay-feature-examples { max-height: 220px; overflow-y: auto; border: 1px solid var(--interplay-border); border-radius: 3px; }
.interplay-feature .interplay-feature-example {
  display: grid; grid-template-columns: minmax(0, 1fr) auto minmax(0, 1fr); align-items: center;
  font-family: var(--interplay-code-font); white-space: pre; line-height: 1.6; padding: 0 4px;
  border-bottom: 1px solid var(--interplay-bg-soft);
}
.interplay-feature .interplay-feature-left { display: flex; justify-content: flex-end; overflow: hidden; }
.interplay-feature .interplay-feature-right { display: flex; justify-content: flex-start; overflow: hidden; }
.interplay-feature .interplay-feature-tok { flex: none; border-radius: 2px; }
.interplay-feature .interplay-feature-max { font-weight: 700; outline: 2px solid var(--interplay-focus); outline-offset: -1px; padding: 0 1px; }
.interplay-feature .interplay-feature-more-row { display: flex; align-items: center; gap: 8px; margin: 3px 0; }
.interplay-feature .interplay-feature-more-note { color: var(--interplay-fg-muted); white-space: pre-wrap; }
.interplay-feature .interplay-feature-bucket-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px; }
.interplay-feature .interplay-feature-bucket-range { color: var(--interplay-fg-muted); }
.interplay-feature .interplay-feature-logit-tables { display: flex; flex-wrap: wrap; gap: 4px 16px; }
.interplay-feature .interplay-feature-logit-table caption { text-align: left; color: var(--interplay-fg-muted); }
.interplay-feature .interplay-feature-logit-token {
  font-family: var(--interplay-code-font); white-space: pre; padding-right: 8px;
  max-width: 16em; overflow: hidden; text-overflow: ellipsis;
}
.interplay-feature .interplay-feature-logit-value { font-variant-numeric: tabular-nums; text-align: right; }
.interplay-feature .interplay-feature-promoted .interplay-feature-logit-value { color: #b2182b; }
.interplay-feature .interplay-feature-suppressed .interplay-feature-logit-value { color: #2166ac; }
.interplay-feature .interplay-feature-logit-note, .interplay-feature .interplay-feature-steer-live,
.interplay-feature .interplay-feature-saved { color: var(--interplay-fg-muted); font-size: 11px; margin-top: 2px; }
.interplay-feature .interplay-feature-steer { margin-top: 10px; padding: 6px 8px; border: 1px solid var(--interplay-border); border-radius: 4px; }
.interplay-feature .interplay-feature-steer-prompt { width: 100%; font-family: var(--interplay-code-font); resize: vertical; }
.interplay-feature .interplay-feature-steer-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; margin: 4px 0; }
.interplay-feature .interplay-feature-steer-value { width: 6em; }
.interplay-feature .interplay-feature-steer-error { color: var(--interplay-error); white-space: pre-wrap; }
.interplay-feature .interplay-feature-gens { display: flex; gap: 10px; }
.interplay-feature .interplay-feature-gen { flex: 1 1 0; min-width: 0; }
.interplay-feature .interplay-feature-gen-title { font-weight: 600; }
.interplay-feature .interplay-feature-gen-text {
  font-family: var(--interplay-code-font); white-space: pre-wrap; word-break: break-word;
  padding: 4px; border: 1px solid var(--interplay-border); border-radius: 3px; background: var(--interplay-bg-soft);
}
.interplay-feature .interplay-feature-gen-prompt { color: var(--interplay-fg-muted); }
.interplay-feature .interplay-feature-gen-tok { font-weight: 600; }
.interplay-feature .interplay-feature-changes { margin-top: 6px; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.interplay-feature .interplay-feature-changes caption { text-align: left; color: var(--interplay-fg-muted); white-space: nowrap; }
.interplay-feature .interplay-feature-changes th, .interplay-feature .interplay-feature-changes td { padding: 0 8px 0 0; text-align: right; }
.interplay-feature .interplay-feature-changes td:first-child { font-family: var(--interplay-code-font); white-space: pre; text-align: left; }
.interplay-feature .interplay-feature-changes tr[data-sign="up"] td:last-child { color: #b2182b; }
.interplay-feature .interplay-feature-changes tr[data-sign="down"] td:last-child { color: #2166ac; }
.interplay-feature .interplay-busy { color: var(--interplay-fg-muted); font-style: italic; }
.interplay-feature .interplay-notes { margin-top: 4px; font-size: 11px; color: var(--interplay-fg-muted); }
`;
