/**
 * anywidget glue for interplay.CircuitGraph: reads the synced traits, keeps the view in step with
 * `change:<trait>` events, answers faithfulness and node requests through rpc.ts, and writes `k`,
 * `selected` and `prompt_index` back when the user sets them.
 */

import { request } from "../lib/rpc";
import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { CircuitView } from "../views/circuit";
import { TRAITS, type CircuitState } from "../views/circuit_model";

function render({ model, el }: RenderProps<CircuitState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new CircuitView(el, traits.initial, {
    request: (method, params) => request(model, method, params, { timeoutMs: 600_000 }),
    onK: (k) => saveTraits(model, { k }),
    onSelect: (selected) => saveTraits(model, { selected }),
    onPrompt: (prompt_index) => saveTraits(model, { prompt_index }),
  });
  return connect(traits, view);
}

export default { render };
