/**
 * What every widget's anywidget glue does: read the view's traits once, forward each
 * `change:<trait>` to the view, and undo the listeners on cleanup.
 */

import type { AnyModel } from "./types";

export interface TraitBinding<T extends object> {
  /** The traits' current values (those the model defines). */
  initial: Partial<T>;
  /** Start forwarding `change:<trait>` events to `update`; returns the function that stops it. */
  listen(update: (changed: Partial<T>) => void): () => void;
}

export function bindTraits<T extends object>(model: AnyModel<T>, traits: readonly (keyof T & string)[]): TraitBinding<T> {
  const initial: Partial<T> = {};
  for (const trait of traits) {
    const value = model.get(trait);
    if (value !== undefined) initial[trait] = value;
  }
  return {
    initial,
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

/** Keep `view` in step with the traits until cleanup; the returned cleanup also destroys the view. */
export function connect<T extends object>(
  binding: TraitBinding<T>,
  view: { update(changed: Partial<T>): void; destroy(): void },
): () => void {
  const stop = binding.listen((changed) => view.update(changed));
  return () => {
    stop();
    view.destroy();
  };
}
