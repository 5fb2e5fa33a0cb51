/**
 * anywidget glue for interplay.DLAView: reads the synced traits, keeps the view in step with
 * `change:<trait>` events, and writes `selected` back when the user selects a head.
 */

import type { RenderProps } from "../lib/types";
import { bindTraits } from "../lib/widget_glue";
import { DLAView } from "../views/dla";
import { TRAITS, type DlaState } from "../views/dla_model";

function render({ model, el }: RenderProps<DlaState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new DLAView(el, traits.initial, {
    onSelect(selection) {
      model.set("selected", selection);
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
