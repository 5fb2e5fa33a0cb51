/**
 * anywidget glue for interplay.TokenHeatmap: reads the synced traits, keeps the view in step with
 * `change:<trait>` events, and writes `selected` back when the user selects a cell.
 */

import type { RenderProps } from "../lib/types";
import { TRAITS, type TokenHeatmapState } from "../views/token_heatmap_model";
import { TokenHeatmapView } from "../views/token_heatmap";

function render({ model, el }: RenderProps<TokenHeatmapState>): () => void {
  const initial: Partial<TokenHeatmapState> = {};
  for (const trait of TRAITS) {
    const value = model.get(trait);
    if (value !== undefined) Object.assign(initial, { [trait]: value });
  }
  const view = new TokenHeatmapView(el, initial, {
    onSelect(selection) {
      model.set("selected", selection);
      model.save_changes();
    },
  });
  const handlers = TRAITS.map((trait) => {
    const handler = (): void => view.update({ [trait]: model.get(trait) } as Partial<TokenHeatmapState>);
    model.on(`change:${trait}`, handler);
    return [trait, handler] as const;
  });
  return () => {
    for (const [trait, handler] of handlers) model.off(`change:${trait}`, handler);
    view.destroy();
  };
}

export default { render };
