/**
 * The anywidget model of an exported view (`view.to_html()`): the state Python embedded, kept in
 * the page. `get`/`set`/`on`/`off` behave as anywidget's model does (a `set` fires
 * `change:<name>`), `save_changes` has no kernel to write to, and `send` answers the view's
 * requests (rpc.ts) from what the file embeds, or with a "needs a live model" error.
 *
 * Traits that Python reacts to (it has an observer on them: e.g. the logit lens' `mode`) cannot
 * change in a file: such an edit is undone and `onNotice` says why.
 */

import { answerRequest, type Embedded } from "./answers";

type Callback = (...args: unknown[]) => void;

export interface ShimOptions {
  /** Traits whose change needs Python (observed there); edits to them are undone. */
  pythonTraits?: readonly string[];
  /** Called with a sentence for the person when something needs the kernel. */
  onNotice?: (message: string) => void;
}

export const REQUEST_TYPE = "interplay:request";
export const RESPONSE_TYPE = "interplay:response";

export class ModelShim {
  private readonly state: Record<string, unknown>;
  private readonly listeners = new Map<string, Set<Callback>>();
  private readonly saved: Record<string, unknown>;
  private readonly pythonTraits: Set<string>;

  constructor(state: Record<string, unknown>, private readonly embedded: Embedded, private readonly opts: ShimOptions = {}) {
    this.state = { ...state };
    this.saved = { ...state };
    this.pythonTraits = new Set(opts.pythonTraits ?? []);
  }

  get(key: string): unknown {
    return this.state[key];
  }

  set(key: string, value: unknown): void {
    if (this.state[key] === value) return;
    this.state[key] = value;
    this.emit(`change:${key}`, value);
  }

  on(event: string, callback: Callback): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(callback);
  }

  off(event?: string | null, callback?: Callback | null): void {
    if (!event) return void this.listeners.clear();
    if (!callback) return void this.listeners.delete(event);
    this.listeners.get(event)?.delete(callback);
  }

  /** No kernel: edits stay in the page, except those Python must compute from, which are undone. */
  save_changes(): void {
    for (const key of this.pythonTraits) {
      if (!sameValue(this.state[key], this.saved[key])) {
        this.opts.onNotice?.(`Changing "${key}" needs the Python kernel: this file shows the data it was exported with.`);
        queueMicrotask(() => this.set(key, this.saved[key]));
      }
    }
  }

  send(content: unknown): void {
    if (content === null || typeof content !== "object") return;
    const msg = content as { type?: unknown; id?: unknown; method?: unknown; params?: unknown };
    if (msg.type !== REQUEST_TYPE || typeof msg.id !== "string" || typeof msg.method !== "string") return;
    const id = msg.id;
    const params = (msg.params ?? {}) as Record<string, unknown>;
    // a failed request is shown by the view itself, as any failed request is (prefetches stay quiet)
    void answerRequest(this.embedded, msg.method, params).then((answer) => {
      const reply = answer.ok
        ? { type: RESPONSE_TYPE, id, ok: true, result: answer.result, buffer_paths: answer.bufferPaths }
        : { type: RESPONSE_TYPE, id, ok: false, error: answer.error };
      this.emit("msg:custom", reply, answer.ok ? answer.buffers : []);
    });
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const cb of [...(this.listeners.get(event) ?? [])]) cb(...args);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}
