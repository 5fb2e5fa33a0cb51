/**
 * anywidget glue for interplay.Annotator: traits in (`change:<trait>` to the view), the user's
 * edits (the whole records list, or the text shown) back in one `save_changes`.
 */

import type { RenderProps } from "../lib/types";
import { bindTraits, connect, saveTraits } from "../lib/widget_glue";
import { AnnotatorView } from "../views/annotator";
import { TRAITS, type AnnotatorState } from "../views/annotator_model";

function render({ model, el }: RenderProps<AnnotatorState>): () => void {
  const traits = bindTraits(model, TRAITS);
  const view = new AnnotatorView(el, traits.initial, {
    onEdit: (edit) => saveTraits(model, edit),
  });
  return connect(traits, view);
}

export default { render };
