/** A fake anywidget model with get/set/on/off/save_changes, for glue tests. */

import type { AnyModel } from "../../js/lib/types";

type Handler = (...args: unknown[]) => void;

export class FakeModel<T extends object> implements AnyModel<T> {
  handlers = new Map<string, Set<Handler>>();
  saved = 0;
  /** Every set, in order, as [trait, value]. */
  sets: [string, unknown][] = [];
  constructor(public traits: T) {}
  get<K extends keyof T & string>(key: K): T[K] {
    return this.traits[key];
  }
  set<K extends keyof T & string>(key: K, value: T[K]): void {
    this.traits = { ...this.traits, [key]: value };
    this.sets.push([key, value]);
    this.emit(`change:${key}`);
  }
  save_changes(): void {
    this.saved++;
  }
  on(name: string, cb: Handler): void {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name)?.add(cb);
  }
  off(name?: string | null, cb?: Handler | null): void {
    if (name && cb) this.handlers.get(name)?.delete(cb);
  }
  emit(name: string): void {
    for (const cb of this.handlers.get(name) ?? []) cb();
  }
  listenerCount(): number {
    return [...this.handlers.values()].reduce((n, s) => n + s.size, 0);
  }
}
