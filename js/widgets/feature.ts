/**
 * anywidget glue for interplay.FeatureView: reads the synced traits, keeps the view in step with
 * `change:<trait>` events, answers the view's `card`, `examples` and `steer` requests through
 * rpc.ts (steering can take minutes: 10 minute timeout), and writes `feature` and `labels` back.
 */

import { request } from "../lib/rpc";
import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { FeatureView } from "../views/feature";
import { TRAITS, type FeatureState } from "../views/feature_model";

const STEER_TIMEOUT_MS = 600_000;

function render({ model, el }: RenderProps<FeatureState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new FeatureView(el, traits.initial, {
    request: (method, params) => request(model, method, params, method === "steer" ? { timeoutMs: STEER_TIMEOUT_MS } : {}),
    onEdit: (edit) => saveTraits(model, edit),
  });
  return connect(traits, view);
}

export default { render };
