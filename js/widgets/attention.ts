/**
 * anywidget glue for interplay.AttentionView: reads the synced traits, keeps the view in step
 * with `change:<trait>` events, answers drill-down through rpc.ts requests, and writes
 * `selected`, `query` and `batch_index` back when the user sets them.
 */

import { clearCache, request } from "../lib/rpc";
import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { TRAITS, type AttentionState } from "../views/attention_model";
import { AttentionView } from "../views/attention";

function render({ model, el }: RenderProps<AttentionState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new AttentionView(el, traits.initial, {
    request: (method, params) => request(model, method, params),
    invalidate: () => clearCache(model),
    onSelect: (selected) => saveTraits(model, { selected }),
    onQuery: (query) => saveTraits(model, { query }),
    onBatch: (batch_index) => saveTraits(model, { batch_index }),
  });
  return connect(traits, view);
}

export default { render };
