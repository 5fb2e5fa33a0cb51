/**
 * anywidget glue for interplay.LogitLensView: reads the synced traits, keeps the view in step with
 * `change:<trait>` events, and writes the user's edits (selection, mode, target, final norm) back
 * in one `save_changes`.
 */

import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { LogitLensView } from "../views/logit_lens";
import { TRAITS, type LogitLensState } from "../views/logit_lens_model";

function render({ model, el }: RenderProps<LogitLensState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new LogitLensView(el, traits.initial, {
    onEdit: (edit) => saveTraits(model, edit),
  });
  return connect(traits, view);
}

export default { render };
