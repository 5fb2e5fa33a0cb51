// @vitest-environment jsdom
/** The runtime of exported HTML files: request keys, answers cut from embedded heads, the model shim, buffers. */
import { gzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";

import { answerRequest, headAnswer, requestKey, type Embedded } from "../../js/export/answers";
import { decodeBuffer, modelOf, putBuffers, type ViewSpec } from "../../js/export/export_page";
import { ModelShim, REQUEST_TYPE, RESPONSE_TYPE } from "../../js/export/model_shim";
import { decodeArray } from "../../js/lib/codec";

const n = 4;
/** codes[q][k] = 10 q + k: every cell says where it came from */
const codes = Uint8Array.from({ length: n * n }, (_, i) => 10 * Math.floor(i / n) + (i % n));
const embedded = (over: Partial<Embedded> = {}): Embedded => ({
  answers: new Map(), heads: new Map([["1/2", codes]]), n, needsModel: "needs a live model", ...over,
});

const bytesOf = (dv: unknown): number[] => {
  const d = dv as DataView;
  return [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
};

describe("requestKey", () => {
  it("is the JSON of [method, params] with keys sorted at every depth (Python's json.dumps(sort_keys=True))", () => {
    expect(requestKey("node", { prompt: 0, name: "L1H2" })).toBe('["node",{"name":"L1H2","prompt":0}]');
    expect(requestKey("x", { b: { d: 1, c: [1, "é"] } })).toBe('["x",{"b":{"c":[1,"é"],"d":1}}]');
  });
});

describe("headAnswer", () => {
  it("cuts a window of an embedded head at stride 1", () => {
    const r = headAnswer(embedded(), "pattern", { layer: 1, head: 2, q0: 1, q1: 3, k0: 0, k1: 2, max_side: 512 });
    expect(r?.ok).toBe(true);
    if (!r?.ok) return;
    expect(r.result).toMatchObject({ q0: 1, k0: 0, stride: 1, pattern: { shape: [2, 2], dims: ["query", "key"], encoding: "u8-linear" } });
    expect(r.bufferPaths).toEqual([["pattern", "data"]]);
    expect(bytesOf(r.buffers[0])).toEqual([10, 11, 20, 21]);
  });

  it("gives a row or a column, and says when an index is out of range", () => {
    const row = headAnswer(embedded(), "row", { layer: 1, head: 2, query: 2 });
    const col = headAnswer(embedded(), "column", { layer: 1, head: 2, key: 3 });
    expect(row?.ok && bytesOf(row.buffers[0])).toEqual([20, 21, 22, 23]);
    expect(col?.ok && bytesOf(col.buffers[0])).toEqual([3, 13, 23, 33]);
    const bad = headAnswer(embedded(), "row", { layer: 1, head: 2, query: 9 });
    expect(bad).toEqual({ ok: false, error: "query 9 is out of range (0..3)" });
    expect(headAnswer(embedded(), "pattern", { layer: 1, head: 2, q0: 3, q1: 2 })).toMatchObject({ ok: false });
  });

  it("leaves heads that are not embedded, and other methods, alone", () => {
    expect(headAnswer(embedded(), "pattern", { layer: 0, head: 0 })).toBeNull();
    expect(headAnswer(embedded(), "node", { layer: 1, head: 2 })).toBeNull();
  });

  it("decodes to the values the embedded codes stand for", () => {
    const r = headAnswer(embedded(), "row", { layer: 1, head: 2, query: 0 });
    if (!r?.ok) throw new Error("no answer");
    const values = (r.result as { values: Record<string, unknown> }).values;
    const decoded = decodeArray({ ...values, data: r.buffers[0] } as never).values();
    expect([...decoded].map((v) => Math.round(v * 254))).toEqual([0, 1, 2, 3]);
  });
});

describe("answerRequest", () => {
  it("replays an embedded answer by its key, else cuts from a head, else needs a live model", async () => {
    const answers = new Map([[requestKey("node", { name: "a", prompt: 0 }), { result: { edges: 3 }, bufferPaths: [], buffers: [] }]]);
    const e = embedded({ answers });
    expect(await answerRequest(e, "node", { prompt: 0, name: "a" })).toMatchObject({ ok: true, result: { edges: 3 } });
    expect(await answerRequest(e, "row", { layer: 1, head: 2, query: 1 })).toMatchObject({ ok: true });
    expect(await answerRequest(e, "node", { name: "b", prompt: 0 })).toEqual({ ok: false, error: "needs a live model" });
  });
});

describe("ModelShim", () => {
  it("gets, sets and fires change events as anywidget's model does", () => {
    const m = new ModelShim({ a: 1 }, embedded());
    const seen: unknown[] = [];
    const cb = (v: unknown): void => void seen.push(v);
    m.on("change:a", cb);
    m.set("a", 2);
    m.set("a", 2); // unchanged: no event
    expect(m.get("a")).toBe(2);
    m.off("change:a", cb);
    m.set("a", 3);
    expect(seen).toEqual([2]);
  });

  it("undoes an edit of a trait Python computes from, and says why", async () => {
    const notices: string[] = [];
    const m = new ModelShim({ mode: "logit", other: 1 }, embedded(), { pythonTraits: ["mode"], onNotice: (s) => notices.push(s) });
    const changes: unknown[] = [];
    m.on("change:mode", (v: unknown) => changes.push(v));
    m.set("mode", "prob");
    m.set("other", 2);
    m.save_changes();
    await Promise.resolve();
    expect(m.get("mode")).toBe("logit");
    expect(m.get("other")).toBe(2); // a page-only edit stays
    expect(changes).toEqual(["prob", "logit"]);
    expect(notices).toEqual(['Changing "mode" needs the Python kernel: this file shows the data it was exported with.']);
  });

  it("answers requests with a custom message, buffers beside it", async () => {
    const m = new ModelShim({}, embedded());
    const got = vi.fn();
    m.on("msg:custom", got);
    m.send({ type: REQUEST_TYPE, id: "r1", method: "row", params: { layer: 1, head: 2, query: 3 } });
    m.send({ type: REQUEST_TYPE, id: "r2", method: "cell", params: {} });
    m.send({ type: "something else" });
    await vi.waitFor(() => expect(got).toHaveBeenCalledTimes(2));
    const [ok, okBuffers] = got.mock.calls.find((c) => (c[0] as { id: string }).id === "r1")!;
    expect(ok).toMatchObject({ type: RESPONSE_TYPE, id: "r1", ok: true, buffer_paths: [["values", "data"]] });
    expect(bytesOf((okBuffers as DataView[])[0])).toEqual([30, 31, 32, 33]);
    const [bad] = got.mock.calls.find((c) => (c[0] as { id: string }).id === "r2")!;
    expect(bad).toEqual({ type: RESPONSE_TYPE, id: "r2", ok: false, error: "needs a live model" });
  });
});

describe("buffers", () => {
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

  it("decodes base64, gunzips what Python gzipped, and puts buffers at their paths", async () => {
    const raw = Uint8Array.from({ length: 5000 }, (_, i) => i % 7);
    expect([...(await decodeBuffer({ b64: b64(raw) }))]).toEqual([...raw]);
    expect([...(await decodeBuffer({ b64: b64(gzipSync(raw)), gzip: true }))]).toEqual([...raw]);
    const dv = new DataView(raw.buffer);
    const state = putBuffers({ values: { dtype: "uint8", data: null }, keep: [1] }, [["values", "data"]], [dv]);
    expect((state.values as { data: unknown }).data).toBe(dv);
    expect(state.keep).toEqual([1]);
  });

  it("builds a view's model with its state, answers and heads decoded", async () => {
    const spec: ViewSpec = {
      module: "m", kind: "AttentionView", title: "", note: "", needs_model: "needs a live model", python_traits: [],
      state: { tokens: ["a", "b"], thumbnails: { dtype: "uint8", shape: [2], data: null } },
      buffer_paths: [["thumbnails", "data"]], buffers: [{ b64: b64(Uint8Array.of(7, 8)) }],
      answers: [{ method: "x", params: { a: 1 }, key: requestKey("x", { a: 1 }), result: { v: null }, buffer_paths: [["v"]], buffers: [{ b64: b64(Uint8Array.of(9)) }] }],
      heads: { n: 2, keys: ["0/1"], buffers: [{ b64: b64(gzipSync(Uint8Array.of(1, 2, 3, 4))), gzip: true }] },
    };
    const m = await modelOf(spec, () => undefined);
    expect(bytesOf((m.get("thumbnails") as { data: unknown }).data)).toEqual([7, 8]);
    const got = vi.fn();
    m.on("msg:custom", got);
    m.send({ type: REQUEST_TYPE, id: "a", method: "x", params: { a: 1 } });
    m.send({ type: REQUEST_TYPE, id: "b", method: "column", params: { layer: 0, head: 1, key: 1 } });
    await vi.waitFor(() => expect(got).toHaveBeenCalledTimes(2));
    const byId = Object.fromEntries(got.mock.calls.map((c) => [(c[0] as { id: string }).id, c[1] as DataView[]]));
    expect(bytesOf(byId.a[0])).toEqual([9]);
    expect(bytesOf(byId.b[0])).toEqual([2, 4]);
  });
});
