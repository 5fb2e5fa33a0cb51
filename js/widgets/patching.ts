/**
 * anywidget glue for interplay.PatchingExplorer: reads the synced traits, keeps the view in step
 * with `change:<trait>` events, answers cell drill-down through rpc.ts requests, and writes
 * `selected`, `component`, `metric` and `method` back when the user sets them.
 */

import { request } from "../lib/rpc";
import type { RenderProps } from "../lib/types";
import { bindTraits } from "../lib/widget_glue";
import { PatchingView } from "../views/patching";
import { TRAITS, type PatchingState } from "../views/patching_model";

function render({ model, el }: RenderProps<PatchingState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new PatchingView(el, traits.initial, {
    request: (method, params) => request(model, method, params),
    onSelect(cell) {
      model.set("selected", cell);
      model.save_changes();
    },
    onSet(trait, value) {
      model.set(trait, value);
      model.save_changes();
    },
  });
  const stop = traits.listen((changed) => view.update(changed));
  return () => {
    stop();
    view.destroy();
  };
}

export default { render };
