/** Request/response over custom messages, with a fake model that records what the view sends. */
import { afterEach, describe, expect, it, vi } from "vitest";

import { decodeArray } from "../../js/lib/codec";
import {
  cacheKey,
  cached,
  clearCache,
  disposeRpc,
  pendingCount,
  request,
  restoreBuffers,
  RpcError,
} from "../../js/lib/rpc";
import { FakeComm } from "./fake_comm";
import { unalignedView } from "./helpers";

class FakeModel extends FakeComm {
  reply(i: number, result: unknown, paths: (string | number)[][] = [], buffers: DataView[] = []): void {
    this.receive({ type: "interplay:response", id: this.sent[i].id, ok: true, result, buffer_paths: paths }, buffers);
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe("rpc request", () => {
  it("sends a request message and routes the response by id", async () => {
    const model = new FakeModel();
    const a = request<{ n: number }>(model, "row", { layer: 0, head: 1, query: 2 });
    const b = request<{ n: number }>(model, "row", { layer: 0, head: 1, query: 3 });
    expect(model.sent).toHaveLength(2);
    expect(model.sent[0]).toMatchObject({ type: "interplay:request", method: "row", params: { layer: 0, head: 1, query: 2 } });
    expect(model.sent[0].id).not.toBe(model.sent[1].id);
    expect(pendingCount(model)).toBe(2);
    // answers arrive out of order
    model.reply(1, { n: 3 });
    model.reply(0, { n: 2 });
    await expect(a).resolves.toEqual({ n: 2 });
    await expect(b).resolves.toEqual({ n: 3 });
    expect(pendingCount(model)).toBe(0);
  });

  it("puts buffers back at nested paths, so payloads decode", async () => {
    const model = new FakeModel();
    const p = request<{ pattern: { data: unknown }; list: unknown[] }>(model, "pattern", { layer: 1 });
    const values = new Float32Array([0.25, 0.5, 0.75, 1, 1.25, 1.5]);
    const buf = unalignedView(new Uint8Array(values.buffer));
    const second = unalignedView(new Uint8Array([7, 8]), 1);
    model.reply(
      0,
      {
        pattern: { dtype: "float32", shape: [2, 3], dims: ["query", "key"], vmin: 0, vmax: 2, encoding: "raw", data: null },
        list: [0, { inner: null }],
        stride: 1,
      },
      [["pattern", "data"], ["list", 1, "inner"]],
      [buf, second],
    );
    const result = await p;
    const decoded = decodeArray(result.pattern as never);
    expect(decoded.shape).toEqual([2, 3]);
    expect(decoded.get(1, 2)).toBeCloseTo(1.5);
    expect((result.list[1] as { inner: DataView }).inner).toBe(second);
  });

  it("restoreBuffers: an empty path replaces the root; a bad path throws", () => {
    const dv = new DataView(new ArrayBuffer(2));
    expect(restoreBuffers(null, [[]], [dv])).toBe(dv);
    expect(() => restoreBuffers({ a: 1 }, [["b", "c"]], [dv])).toThrow(/does not lead/);
    expect(restoreBuffers({ a: 1 }, undefined, [])).toEqual({ a: 1 });
  });

  it("caches by method and params (key order ignored); clearCache forgets", async () => {
    const model = new FakeModel();
    const a = request(model, "pattern", { layer: 0, head: 1 });
    const b = request(model, "pattern", { head: 1, layer: 0 });
    expect(b).toBe(a);
    expect(model.sent).toHaveLength(1);
    expect(cacheKey("pattern", { b: 1, a: [2, { d: 1, c: 0 }] })).toBe('pattern:{"a":[2,{"c":0,"d":1}],"b":1}');
    model.reply(0, { ok: 1 });
    await a;
    await request(model, "pattern", { layer: 0, head: 1 });
    expect(model.sent).toHaveLength(1);
    expect(cached(model, "pattern", { layer: 0, head: 1 })).toBe(a);
    // another method is not the same request
    void request(model, "row", { layer: 0, head: 1 });
    expect(model.sent).toHaveLength(2);
    clearCache(model, "pattern");
    expect(cached(model, "pattern", { layer: 0, head: 1 })).toBeUndefined();
    expect(cached(model, "row", { layer: 0, head: 1 })).toBeDefined();
    void request(model, "pattern", { layer: 0, head: 1 });
    expect(model.sent).toHaveLength(3);
    clearCache(model);
    expect(cached(model, "row", { layer: 0, head: 1 })).toBeUndefined();
    // cache: false always sends
    void request(model, "row", { q: 1 }, { cache: false });
    void request(model, "row", { q: 1 }, { cache: false });
    expect(model.sent).toHaveLength(5);
  });

  it("rejects with Python's error text, and does not cache the failure", async () => {
    const model = new FakeModel();
    const p = request(model, "row", { layer: 9 });
    model.receive({ type: "interplay:response", id: model.sent[0].id, ok: false, error: "layer 9 out of range [0, 4)" });
    await expect(p).rejects.toThrow("layer 9 out of range [0, 4)");
    await expect(p).rejects.toBeInstanceOf(RpcError);
    await Promise.resolve();
    void request(model, "row", { layer: 9 });
    expect(model.sent).toHaveLength(2);
  });

  it("times out (default 120 s) and ignores a late answer", async () => {
    vi.useFakeTimers();
    const model = new FakeModel();
    const p = request(model, "pattern", { layer: 0 });
    const caught = p.catch((e: Error) => e);
    vi.advanceTimersByTime(119_000);
    expect(pendingCount(model)).toBe(1);
    vi.advanceTimersByTime(1_500);
    const err = (await caught) as RpcError;
    expect(err).toBeInstanceOf(RpcError);
    expect(err.timedOut).toBe(true);
    expect(err.message).toMatch(/timed out after 120 s/);
    expect(pendingCount(model)).toBe(0);
    model.reply(0, { late: true }); // nobody waits: ignored, no throw
    // the timeout was not cached: a retry sends again
    void request(model, "pattern", { layer: 0 }, { timeoutMs: 50 }).catch(() => undefined);
    expect(model.sent).toHaveLength(2);
  });

  it("honours a custom timeout", async () => {
    vi.useFakeTimers();
    const model = new FakeModel();
    const caught = request(model, "row", {}, { timeoutMs: 1000 }).catch((e: Error) => e.message);
    vi.advanceTimersByTime(1001);
    await expect(caught).resolves.toMatch(/timed out after 1 s/);
  });

  it("ignores messages of other types, unknown ids and non-objects", async () => {
    const model = new FakeModel();
    const p = request(model, "row", {});
    model.receive("hello");
    model.receive(null);
    model.receive({ type: "something:else", id: model.sent[0].id, ok: true, result: 1 });
    model.receive({ type: "interplay:response", id: "nobody", ok: true, result: 2 });
    expect(pendingCount(model)).toBe(1);
    model.reply(0, 3);
    await expect(p).resolves.toBe(3);
  });

  it("one listener per model; dispose rejects pending requests and unsubscribes", async () => {
    const model = new FakeModel();
    const p = request(model, "row", { a: 1 });
    void request(model, "row", { a: 2 }).catch(() => undefined);
    expect(model.handlers.get("msg:custom")?.size).toBe(1);
    disposeRpc(model);
    await expect(p).rejects.toThrow(/cancelled/);
    expect(model.handlers.get("msg:custom")?.size).toBe(0);
  });

  it("rejects when the model cannot send", async () => {
    const model = { on: () => undefined, off: () => undefined };
    await expect(request(model, "row", {})).rejects.toThrow(/no send/);
  });
});
