/** A fake anywidget model for the AttentionView tests: traits, events, and rpc requests it can answer. */

import type { AnyModel, WirePayload } from "../../js/lib/types";
import type { AttentionState } from "../../js/views/attention_model";
import { DEFAULT_STATE } from "../../js/views/attention_model";
import { payloadOf, unalignedView } from "./helpers";

type Handler = (...args: unknown[]) => void;

export interface SentRequest {
  type: string;
  id: string;
  method: string;
  params: Record<string, number>;
}

export class FakeAttentionModel implements AnyModel<AttentionState> {
  handlers = new Map<string, Set<Handler>>();
  saved = 0;
  sent: SentRequest[] = [];
  constructor(public traits: AttentionState) {}
  get<K extends keyof AttentionState & string>(key: K): AttentionState[K] {
    return this.traits[key];
  }
  set<K extends keyof AttentionState & string>(key: K, value: AttentionState[K]): void {
    this.traits = { ...this.traits, [key]: value };
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
  send(content: unknown): void {
    // only requests: the "Save image" export's announcements (save_image.ts) are not rpc traffic
    if ((content as { type?: unknown }).type === "interplay:request") this.sent.push(content as SentRequest);
  }
  emit(name: string, ...args: unknown[]): void {
    for (const cb of [...(this.handlers.get(name) ?? [])]) cb(...args);
  }
  listenerCount(prefix = "change:"): number {
    let n = 0;
    for (const [name, set] of this.handlers) if (name.startsWith(prefix)) n += set.size;
    return n;
  }
  requests(method?: string): SentRequest[] {
    return this.sent.filter((r) => method === undefined || r.method === method);
  }
  /** Answer request `req` the way widgets/_rpc.py does: payload bytes lifted out into buffers. */
  reply(req: SentRequest, result: Record<string, unknown>, payloadKey?: string): void {
    const buffers: DataView[] = [];
    const paths: (string | number)[][] = [];
    let out = result;
    if (payloadKey) {
      const payload = result[payloadKey] as WirePayload;
      buffers.push(payload.data as DataView);
      paths.push([payloadKey, "data"]);
      out = { ...result, [payloadKey]: { ...payload, data: null } };
    }
    this.emit("msg:custom", { type: "interplay:response", id: req.id, ok: true, result: out, buffer_paths: paths }, buffers);
  }
  fail(req: SentRequest, error: string): void {
    this.emit("msg:custom", { type: "interplay:response", id: req.id, ok: false, error }, []);
  }
  /** Answer a `pattern` request with u8 codes [rows, cols] at `stride`. */
  replyPattern(req: SentRequest, codes: Uint8Array, rows: number, cols: number, stride = 1): void {
    const pattern = payloadOf(codes, "uint8", [rows, cols], { dims: ["query", "key"], vmin: 0, vmax: 1, encoding: "u8-linear" });
    this.reply(req, { pattern, q0: req.params.q0, k0: req.params.k0, stride }, "pattern");
  }
  /** Answer a `row` / `column` request with float32 values. */
  replyValues(req: SentRequest, values: number[]): void {
    const bytes = new Uint8Array(new Float32Array(values).buffer);
    const payload = { dtype: "float32", shape: [values.length], dims: [req.method === "row" ? "key" : "query"], vmin: 0, vmax: 1, encoding: "raw", data: unalignedView(bytes) };
    this.reply(req, { values: payload }, "values");
  }
}

/** u8 codes of a causal pattern of n tokens, row q attending uniformly to keys 0..q. */
export function causalCodes(n: number): Uint8Array {
  const out = new Uint8Array(n * n);
  for (let q = 0; q < n; q++) for (let k = 0; k <= q; k++) out[q * n + k] = Math.round(254 / (q + 1));
  return out;
}

/** Traits of a 2-layer × 3-head model (non-square) on `tokens`, thumbnails T × T. */
export function attentionTraits(tokens: string[], over: Partial<AttentionState> = {}): AttentionState {
  const L = 2;
  const H = 3;
  const T = Math.min(4, tokens.length);
  const thumbs = new Uint8Array(L * H * T * T).map((_, i) => (i * 37) % 255);
  const names = ["previous_token", "induction", "entropy"];
  const scores = new Float32Array(names.length * L * H);
  for (let s = 0; s < names.length; s++) for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) scores[(s * L + l) * H + h] = (s + 1) * (l * H + h) * 0.1;
  return {
    ...DEFAULT_STATE,
    tokens,
    sequences: ["the only prompt"],
    n_layers: L,
    n_heads: H,
    causal: true,
    thumbnails: payloadOf(thumbs, "uint8", [L, H, T, T], { dims: ["layer", "head", "query", "key"], vmin: 0, vmax: 1, encoding: "u8-linear" }),
    thumb_stride: Math.ceil(tokens.length / T),
    scores: payloadOf(scores, "float32", [names.length, L, H], { dims: ["score", "layer", "head"], vmin: 0, vmax: 1.5 }),
    score_names: names,
    title: "Attention <b>demo</b>",
    notes: ["patterns are exact (eager attention)", "batch item 0"],
    ...over,
  };
}

/** Let queued microtasks (request batching, promise settlements) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
