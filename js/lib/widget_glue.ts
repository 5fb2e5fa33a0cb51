/**
 * What every widget's anywidget glue does: read the view's traits once, forward each
 * `change:<trait>` to the view, and undo the listeners on cleanup.
 */

import { attachImageExport, type ImageModel } from "./save_image";
import type { AnyModel } from "./types";

export interface TraitBinding<T extends object> {
  /** The traits' current values (those the model defines). */
  initial: Partial<T>;
  /** Start forwarding `change:<trait>` events to `update`; returns the function that stops it. */
  listen(update: (changed: Partial<T>) => void): () => void;
  /** The model the traits come from (`connect` answers its image requests). */
  model?: ImageModel;
}

export function bindTraits<T extends object>(model: AnyModel<T>, traits: readonly (keyof T & string)[]): TraitBinding<T> {
  const initial: Partial<T> = {};
  for (const trait of traits) {
    const value = model.get(trait);
    if (value !== undefined) initial[trait] = value;
  }
  return {
    initial,
    model,
    listen(update) {
      const handlers = traits.map((trait) => {
        const handler = (): void => update({ [trait]: model.get(trait) } as Partial<T>);
        model.on(`change:${trait}`, handler);
        return [trait, handler] as const;
      });
      return () => {
        for (const [trait, handler] of handlers) model.off(`change:${trait}`, handler);
      };
    },
  };
}

/** Write the user's edits back to Python: every trait given in `values` (undefined ones skipped) in one `save_changes`. */
export function saveTraits<T extends object>(model: AnyModel<T>, values: Partial<T>): void {
  for (const key of Object.keys(values) as (keyof T & string)[]) {
    if (values[key] !== undefined) model.set(key, values[key] as T[typeof key]);
  }
  model.save_changes();
}

/**
 * Keep `view` in step with the traits until cleanup; the returned cleanup also destroys the view.
 * A view with a `root` element gets the "Save image" control and answers `view.save_image()`
 * (`save_image.ts`; its `draw()`, if any, redraws the canvases at the image's scale).
 */
export function connect<T extends object>(
  binding: TraitBinding<T>,
  view: { update(changed: Partial<T>): void; destroy(): void; root?: HTMLElement; draw?(): void },
): () => void {
  const stop = binding.listen((changed) => view.update(changed));
  const detach = view.root
    ? attachImageExport(view.root, binding.model ?? null, { redraw: view.draw ? () => view.draw?.() : undefined })
    : null;
  return () => {
    stop();
    detach?.();
    view.destroy();
  };
}
