/** Shared types: the wire payload as it arrives, the synced traits, and a minimal anywidget model. */

/** An array payload exactly as a trait value arrives from Python (see ARCHITECTURE.md, "Wire format"). */
export interface WirePayload {
  dtype: string;
  shape: number[];
  dims: string[];
  vmin: number | null;
  vmax: number | null;
  encoding?: string;
  /** DataView from the widget manager; ArrayBuffer or any typed array also accepted. */
  data: unknown;
}

export type ScaleKind = "diverging" | "sequential";

/** The `scale` trait. */
export interface ScaleSpec {
  kind: ScaleKind;
  cmap: string;
  center: number | null;
}

/** The `selected` trait: a cell, or null for no selection. */
export interface Selection {
  row: number;
  pos: number;
}

type Callback = (...args: unknown[]) => void;

/**
 * The part of anywidget's model that our glue uses (typed here instead of depending on
 * @anywidget/types). `T` maps trait names to their JS values.
 */
export interface AnyModel<T extends object> {
  get<K extends keyof T & string>(key: K): T[K];
  set<K extends keyof T & string>(key: K, value: T[K]): void;
  save_changes(): void;
  on(eventName: string, callback: Callback): void;
  off(eventName?: string | null, callback?: Callback | null): void;
  send?(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

/** What anywidget passes to `render`. */
export interface RenderProps<T extends object> {
  model: AnyModel<T>;
  el: HTMLElement;
}
