/**
 * anywidget glue for interplay.PromptFeaturesView: reads the synced traits, keeps the view in step
 * with `change:<trait>` events, and writes `token` / `selected` back when the user picks them.
 */

import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { TRAITS, type PromptFeaturesState } from "../views/prompt_features_model";
import { PromptFeaturesView } from "../views/prompt_features";

function render({ model, el }: RenderProps<PromptFeaturesState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new PromptFeaturesView(el, traits.initial, {
    onToken: (token) => saveTraits(model, { token }),
    onSelect: (selected) => saveTraits(model, selected ? { selected, token: selected.pos } : { selected }),
  });
  return connect(traits, view);
}

export default { render };
