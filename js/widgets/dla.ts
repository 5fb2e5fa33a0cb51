/**
 * anywidget glue for interplay.DLAView: reads the synced traits, keeps the view in step with
 * `change:<trait>` events, and writes `selected` back when the user selects a head.
 */

import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { DLAView } from "../views/dla";
import { TRAITS, type DlaState } from "../views/dla_model";

function render({ model, el }: RenderProps<DlaState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new DLAView(el, traits.initial, {
    onSelect: (selected) => saveTraits(model, { selected }),
  });
  return connect(traits, view);
}

export default { render };
