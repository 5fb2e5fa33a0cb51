/**
 * Request/response custom messages: drill-down that needs the model (its twin is
 * `src/interplay/widgets/_rpc.py`; see ARCHITECTURE.md, "Request/response").
 *
 * JS sends `{"type": "interplay:request", "id", "method", "params"}`; Python answers
 * `{"type": "interplay:response", "id", "ok": true, "result", "buffer_paths"}` with the binary
 * buffers alongside (anywidget hands them over as DataView[]; each goes back at its path inside
 * `result`, so payloads decode with `codec.ts` as usual), or `{"ok": false, "error"}`.
 *
 * Results are cached per model by `method + JSON(params)` (keys sorted, so the order of params does
 * not matter); a pending request is shared by every caller asking the same thing. Failures and
 * timeouts are not cached. Call `clearCache(model)` when the data behind the requests changes
 * (e.g. another batch item).
 */

/** The part of an anywidget model that requests need. */
export interface RpcModel {
  on(eventName: string, callback: (...args: unknown[]) => void): void;
  off(eventName?: string | null, callback?: ((...args: unknown[]) => void) | null): void;
  send?(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

export interface RequestOptions {
  /** Reject after this many milliseconds (default 120 000: model calls can be slow). */
  timeoutMs?: number;
  /** Use (and fill) the per-model cache (default true). */
  cache?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
export const REQUEST_TYPE = "interplay:request";
export const RESPONSE_TYPE = "interplay:response";

/** A failed request: `message` is Python's `error` text (or says what timed out). */
export class RpcError extends Error {
  readonly method: string;
  readonly timedOut: boolean;
  constructor(message: string, method: string, timedOut = false) {
    super(message);
    this.name = "RpcError";
    this.method = method;
    this.timedOut = timedOut;
  }
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

interface ModelState {
  pending: Map<string, Pending>;
  cache: Map<string, Promise<unknown>>;
  listener: (msg: unknown, buffers?: unknown) => void;
  /** Called when the model's comm closes or the model is destroyed (kernel restarted, widget closed). */
  onClose: () => void;
}

/** Events after which no answer can come: the comm closed (kernel restarted or shut down), the model destroyed. */
export const CLOSE_EVENTS = ["comm:close", "destroy"] as const;
export const CLOSED_MESSAGE = "the connection to the kernel closed (was the kernel restarted?): re-run the cell to show the view again";

const states = new WeakMap<object, ModelState>();
/** Models whose comm closed: a request to one fails at once (nothing could answer it). */
const closedModels = new WeakSet<object>();
let counter = 0;

/** A unique request id (unique per page: a counter, a timestamp and some randomness). */
function nextId(): string {
  counter += 1;
  return `${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** JSON with object keys sorted at every level: the cache key does not depend on key order. */
export function stableStringify(x: unknown): string {
  if (x === undefined) return "null";
  if (x === null || typeof x !== "object") return JSON.stringify(x) ?? "null";
  if (Array.isArray(x)) return `[${x.map(stableStringify).join(",")}]`;
  const obj = x as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(",")}}`;
}

/** The cache key of a request. */
export function cacheKey(method: string, params: unknown): string {
  return `${method}:${stableStringify(params ?? {})}`;
}

/**
 * Put `buffers[i]` back at `paths[i]` inside `result` (mutates and returns it). An empty path
 * means the result itself is the buffer. Throws if a path does not lead into the result.
 */
export function restoreBuffers(result: unknown, paths: unknown, buffers: readonly unknown[]): unknown {
  if (!Array.isArray(paths)) return result;
  let root = result;
  paths.forEach((path, i) => {
    const buffer = buffers[i];
    if (!Array.isArray(path) || path.length === 0) {
      root = buffer;
      return;
    }
    let node = root as Record<string | number, unknown> | null;
    for (let k = 0; k < path.length - 1; k++) {
      const next = node?.[path[k] as string];
      if (next === null || typeof next !== "object") throw new Error(`buffer path ${JSON.stringify(path)} does not lead into the result`);
      node = next as Record<string | number, unknown>;
    }
    if (node === null || typeof node !== "object") throw new Error(`buffer path ${JSON.stringify(path)} does not lead into the result`);
    node[path[path.length - 1] as string] = buffer;
  });
  return root;
}

function stateOf(model: RpcModel): ModelState {
  const hit = states.get(model);
  if (hit) return hit;
  const state: ModelState = {
    pending: new Map(),
    cache: new Map(),
    listener: (msg: unknown, buffers?: unknown) => onResponse(state, msg, buffers),
    onClose: () => {
      closedModels.add(model);
      disposeRpc(model, CLOSED_MESSAGE);
    },
  };
  model.on("msg:custom", state.listener as (...args: unknown[]) => void);
  for (const name of CLOSE_EVENTS) model.on(name, state.onClose);
  states.set(model, state);
  return state;
}

/** Route one custom message: settle the request with its id; ignore every other message. */
function onResponse(state: ModelState, msg: unknown, buffers: unknown): void {
  if (msg === null || typeof msg !== "object") return;
  const m = msg as Record<string, unknown>;
  if (m.type !== RESPONSE_TYPE || typeof m.id !== "string") return;
  const pending = state.pending.get(m.id);
  if (!pending) return; // an answer nobody waits for any more (timed out, or another view's)
  state.pending.delete(m.id);
  clearTimeout(pending.timer);
  if (m.ok !== true) {
    const error = typeof m.error === "string" && m.error !== "" ? m.error : `request "${pending.method}" failed`;
    pending.reject(new RpcError(error, pending.method));
    return;
  }
  try {
    const list = Array.isArray(buffers) ? buffers : [];
    pending.resolve(restoreBuffers(m.result, m.buffer_paths, list));
  } catch (e) {
    pending.reject(new RpcError(`bad response to "${pending.method}": ${(e as Error).message}`, pending.method));
  }
}

/**
 * Ask Python's handler for `method` with `params`; resolves with its result (binary buffers put
 * back in place), rejects with an Error whose message is Python's error text, or on timeout.
 */
export function request<T = unknown>(model: RpcModel, method: string, params: object = {}, opts: RequestOptions = {}): Promise<T> {
  const state = stateOf(model);
  const useCache = opts.cache !== false;
  const key = cacheKey(method, params);
  if (useCache) {
    const hit = state.cache.get(key);
    if (hit) return hit as Promise<T>;
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const promise = new Promise<T>((resolve, reject) => {
    if (closedModels.has(model)) {
      reject(new RpcError(`cannot send "${method}": ${CLOSED_MESSAGE}`, method));
      return;
    }
    if (typeof model.send !== "function") {
      reject(new RpcError(`cannot send "${method}": this widget model has no send()`, method));
      return;
    }
    const id = nextId();
    const timer = setTimeout(() => {
      if (!state.pending.delete(id)) return;
      reject(new RpcError(`request "${method}" timed out after ${Math.round(timeoutMs / 1000)} s`, method, true));
    }, timeoutMs);
    state.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
    try {
      model.send({ type: REQUEST_TYPE, id, method, params });
    } catch (e) {
      state.pending.delete(id);
      clearTimeout(timer);
      reject(new RpcError(`cannot send "${method}": ${(e as Error).message}`, method));
    }
  });
  if (useCache) {
    state.cache.set(key, promise);
    // Failures are not kept: asking again retries.
    promise.catch(() => {
      if (state.cache.get(key) === promise) state.cache.delete(key);
    });
  }
  return promise;
}

/** A settled-or-pending cached result for this request, without sending anything (undefined if none). */
export function cached<T = unknown>(model: RpcModel, method: string, params: object = {}): Promise<T> | undefined {
  return states.get(model)?.cache.get(cacheKey(method, params)) as Promise<T> | undefined;
}

/** Forget cached results of this model (all, or only those of `method`). Pending requests still settle. */
export function clearCache(model: RpcModel, method?: string): void {
  const state = states.get(model);
  if (!state) return;
  if (method === undefined) state.cache.clear();
  else for (const key of [...state.cache.keys()]) if (key.startsWith(`${method}:`)) state.cache.delete(key);
}

/** Number of requests waiting for an answer (for tests and busy indicators). */
export function pendingCount(model: RpcModel): number {
  return states.get(model)?.pending.size ?? 0;
}

/**
 * Stop listening to the model: pending requests are rejected (their error says `reason`), the cache
 * dropped. Only for a model that is closing: every view of one model shares its listener and cache.
 * Called by itself when the model's comm closes or the model is destroyed (`CLOSE_EVENTS`), so a
 * view waiting for an answer shows an error instead of waiting for its timeout.
 */
export function disposeRpc(model: RpcModel, reason = "the view was closed"): void {
  const state = states.get(model);
  if (!state) return;
  states.delete(model);
  model.off("msg:custom", state.listener as (...args: unknown[]) => void);
  for (const name of CLOSE_EVENTS) model.off(name, state.onClose);
  for (const [, p] of state.pending) {
    clearTimeout(p.timer);
    p.reject(new RpcError(`request "${p.method}" cancelled: ${reason}`, p.method));
  }
  state.pending.clear();
  state.cache.clear();
}
