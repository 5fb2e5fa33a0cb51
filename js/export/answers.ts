/**
 * What an exported file answers when a view asks Python for more (rpc.ts requests):
 *  - a request Python answered at export time, replayed exactly (key: method + params, keys sorted);
 *  - for an attention view, `pattern` / `row` / `column` of a head embedded in full (u8 codes of the
 *    whole n x n pattern): the window or vector is cut from it (stride 1; values to 1/254);
 *  - anything else: an error that says it needs a live model, which the view shows as it shows any
 *    failed request.
 */

export interface Answer {
  result: unknown;
  bufferPaths: (string | number)[][];
  buffers: DataView[];
}

export interface Embedded {
  answers: Map<string, Answer>;
  /** "layer/head" -> u8 codes of the whole pattern, row-major [n, n]. */
  heads: Map<string, Uint8Array>;
  /** Sequence length of the embedded heads. */
  n: number;
  /** The sentence for a request the file cannot answer. */
  needsModel: string;
}

export type Reply = ({ ok: true } & Answer) | { ok: false; error: string };

/** The canonical key of a request: `JSON.stringify([method, params])` with object keys sorted (Python does the same). */
export function requestKey(method: string, params: unknown): string {
  return JSON.stringify([method, sortKeys(params)]);
}

function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x !== null && typeof x === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x as object).sort()) out[k] = sortKeys((x as Record<string, unknown>)[k]);
    return out;
  }
  return x;
}

const u8Payload = (data: Uint8Array, shape: number[], dims: string[]): Record<string, unknown> => ({
  dtype: "uint8", shape, dims, vmin: 0, vmax: 1, encoding: "u8-linear", data: new DataView(data.buffer, data.byteOffset, data.byteLength),
});

function int(x: unknown, fallback: number): number {
  return typeof x === "number" && Number.isInteger(x) ? x : fallback;
}

/** A window, row or column of an embedded head; null when the head is not embedded. */
export function headAnswer(e: Embedded, method: string, params: Record<string, unknown>): Reply | null {
  if (method !== "pattern" && method !== "row" && method !== "column") return null;
  const codes = e.heads.get(`${String(params.layer)}/${String(params.head)}`);
  if (!codes) return null;
  const n = e.n;
  if (method === "pattern") {
    const q0 = int(params.q0, 0), k0 = int(params.k0, 0);
    const q1 = int(params.q1, n), k1 = int(params.k1, n);
    if (!(0 <= q0 && q0 < q1 && q1 <= n && 0 <= k0 && k0 < k1 && k1 <= n)) {
      return { ok: false, error: `window q[${q0}:${q1}] k[${k0}:${k1}] is outside the ${n} x ${n} pattern` };
    }
    const rows = q1 - q0, cols = k1 - k0;
    const out = new Uint8Array(rows * cols);
    for (let q = 0; q < rows; q++) out.set(codes.subarray((q0 + q) * n + k0, (q0 + q) * n + k1), q * cols);
    const pattern = u8Payload(out, [rows, cols], ["query", "key"]);
    return { ok: true, result: { pattern: { ...pattern, data: null }, q0, k0, stride: 1 }, bufferPaths: [["pattern", "data"]], buffers: [pattern.data as DataView] };
  }
  const index = int(method === "row" ? params.query : params.key, -1);
  if (index < 0 || index >= n) return { ok: false, error: `${method === "row" ? "query" : "key"} ${index} is out of range (0..${n - 1})` };
  const out = new Uint8Array(n);
  if (method === "row") out.set(codes.subarray(index * n, (index + 1) * n));
  else for (let q = 0; q < n; q++) out[q] = codes[q * n + index];
  const values = u8Payload(out, [n], [method === "row" ? "key" : "query"]);
  return { ok: true, result: { values: { ...values, data: null } }, bufferPaths: [["values", "data"]], buffers: [values.data as DataView] };
}

/** The file's answer to one request (never throws). */
export async function answerRequest(e: Embedded, method: string, params: Record<string, unknown>): Promise<Reply> {
  const hit = e.answers.get(requestKey(method, params));
  if (hit) return { ok: true, ...hit };
  const head = headAnswer(e, method, params);
  if (head) return head;
  return { ok: false, error: e.needsModel };
}
