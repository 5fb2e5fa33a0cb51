/**
 * anywidget glue for interplay.AttributionView: traits in, `change:<trait>` events to the view,
 * the user's edits (selected token, method, score, contrast) back in one `save_changes`, and
 * requests to Python through rpc.ts (long timeout: integrated gradients on a CPU takes a while).
 */

import { request } from "../lib/rpc";
import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { AttributionView } from "../views/attribution";
import { TRAITS, type AttributionState } from "../views/attribution_model";

const TIMEOUT_MS = 600_000;

function render({ model, el }: RenderProps<AttributionState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new AttributionView(el, traits.initial, {
    request: (method, params) => request(model, method, params, { timeoutMs: TIMEOUT_MS }),
    onEdit: (edit) => saveTraits(model, edit),
  });
  return connect(traits, view);
}

export default { render };
