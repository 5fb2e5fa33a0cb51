/**
 * anywidget glue for interplay.AttributionView: traits in, `change:<trait>` events to the view,
 * the user's edits (selected token, method, score, contrast) back in one `save_changes`, and
 * requests to Python through rpc.ts (long timeout: integrated gradients on a CPU takes a while).
 */

import { request } from "../lib/rpc";
import type { RenderProps } from "../lib/types";
import { AttributionView } from "../views/attribution";
import { TRAITS, type AttributionState } from "../views/attribution_model";

const TIMEOUT_MS = 600_000;

function render({ model, el }: RenderProps<AttributionState>): () => void {
  const initial: Partial<AttributionState> = {};
  for (const trait of TRAITS) {
    const value = model.get(trait);
    if (value !== undefined) Object.assign(initial, { [trait]: value });
  }
  const view = new AttributionView(el, initial, {
    request: (method, params) => request(model, method, params, { timeoutMs: TIMEOUT_MS }),
    onEdit(edit) {
      for (const [key, value] of Object.entries(edit) as [keyof AttributionState & string, never][]) model.set(key, value);
      model.save_changes();
    },
  });
  const handlers = TRAITS.map((trait) => {
    const handler = (): void => view.update({ [trait]: model.get(trait) } as Partial<AttributionState>);
    model.on(`change:${trait}`, handler);
    return [trait, handler] as const;
  });
  return () => {
    for (const [trait, handler] of handlers) model.off(`change:${trait}`, handler);
    view.destroy();
  };
}

export default { render };
