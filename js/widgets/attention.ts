/**
 * anywidget glue for interplay.AttentionView: reads the synced traits, keeps the view in step
 * with `change:<trait>` events, answers drill-down through rpc.ts requests, and writes
 * `selected`, `query` and `batch_index` back when the user sets them.
 */

import { clearCache, request } from "../lib/rpc";
import type { RenderProps } from "../lib/types";
import { TRAITS, type AttentionState } from "../views/attention_model";
import { AttentionView } from "../views/attention";

function render({ model, el }: RenderProps<AttentionState>): () => void {
  const initial: Partial<AttentionState> = {};
  for (const trait of TRAITS) {
    const value = model.get(trait);
    if (value !== undefined) Object.assign(initial, { [trait]: value });
  }
  const set = <K extends keyof AttentionState & string>(key: K, value: AttentionState[K]): void => {
    model.set(key, value);
    model.save_changes();
  };
  const view = new AttentionView(el, initial, {
    request: (method, params) => request(model, method, params),
    invalidate: () => clearCache(model),
    onSelect: (head) => set("selected", head),
    onQuery: (query) => set("query", query),
    onBatch: (index) => set("batch_index", index),
  });
  const handlers = TRAITS.map((trait) => {
    const handler = (): void => view.update({ [trait]: model.get(trait) } as Partial<AttentionState>);
    model.on(`change:${trait}`, handler);
    return [trait, handler] as const;
  });
  return () => {
    for (const [trait, handler] of handlers) model.off(`change:${trait}`, handler);
    view.destroy();
  };
}

export default { render };
