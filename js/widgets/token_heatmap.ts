/**
 * anywidget glue for interplay.TokenHeatmap: reads the synced traits, keeps the view in step with
 * `change:<trait>` events, and writes `selected` back when the user selects a cell.
 */

import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { TRAITS, type TokenHeatmapState } from "../views/token_heatmap_model";
import { TokenHeatmapView } from "../views/token_heatmap";

function render({ model, el }: RenderProps<TokenHeatmapState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new TokenHeatmapView(el, traits.initial, {
    onSelect: (selected) => saveTraits(model, { selected }),
  });
  return connect(traits, view);
}

export default { render };
