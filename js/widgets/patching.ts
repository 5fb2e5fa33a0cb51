/**
 * anywidget glue for interplay.PatchingExplorer: reads the synced traits, keeps the view in step
 * with `change:<trait>` events, answers cell drill-down through rpc.ts requests, and writes
 * `selected`, `component`, `metric` and `method` back when the user sets them.
 */

import { request } from "../lib/rpc";
import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { PatchingView } from "../views/patching";
import { TRAITS, type PatchingState } from "../views/patching_model";

function render({ model, el }: RenderProps<PatchingState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new PatchingView(el, traits.initial, {
    request: (method, params) => request(model, method, params),
    onSelect: (selected) => saveTraits(model, { selected }),
    onSet: (trait, value) => saveTraits(model, { [trait]: value }),
  });
  return connect(traits, view);
}

export default { render };
