// @vitest-environment jsdom
/**
 * Faults on the request/response path (issue 18): the kernel restarted or the widget closed while a
 * view waits for an answer. A pending request must reject with an error that says what happened
 * (so the view can show it), never hang; and the timeout still fires when no answer ever comes.
 */
import { afterEach, describe, expect, it, vi } from "vitest";

import { CLOSE_EVENTS, DEFAULT_TIMEOUT_MS, pendingCount, request, RpcError } from "../../js/lib/rpc";
import widget from "../../js/widgets/attention";
import { attentionTraits, FakeAttentionModel, settle } from "./attention_fake";
import { FakeComm } from "./fake_comm";

/** How a promise settled within the fake timers' current turn: "pending", or the error. */
async function settled(p: Promise<unknown>): Promise<unknown> {
  return Promise.race([p.then(() => "resolved", (e: unknown) => e), new Promise((r) => setTimeout(() => r("pending"), 0))]);
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe.each(CLOSE_EVENTS)("the model's %s event while requests wait", (event) => {
  it("rejects every pending request at once with a clear error, and stops listening", async () => {
    const model = new FakeComm();
    const a = request(model, "pattern", { layer: 0, head: 1 });
    const b = request(model, "row", { layer: 2, head: 3, query: 4 });
    expect(pendingCount(model)).toBe(2);
    model.emit(event);
    const [ea, eb] = await Promise.all([settled(a), settled(b)]);
    for (const [e, method] of [[ea, "pattern"], [eb, "row"]] as const) {
      expect(e).toBeInstanceOf(RpcError);
      expect((e as RpcError).method).toBe(method);
      expect((e as RpcError).timedOut).toBe(false);
      expect((e as Error).message).toMatch(new RegExp(`request "${method}" cancelled`));
      expect((e as Error).message).toMatch(/connection to the kernel closed.*kernel restarted/);
    }
    expect(pendingCount(model)).toBe(0);
    expect(model.listeners()).toBe(0); // no listener left on a dead model
  });

  it("fails a request asked after the close at once instead of sending it into a dead comm", async () => {
    const model = new FakeComm();
    void request(model, "pattern", { layer: 0, head: 0 }).catch(() => undefined);
    model.emit(event);
    const sentBefore = model.sent.length;
    const e = await settled(request(model, "pattern", { layer: 0, head: 5 }));
    expect(e).toBeInstanceOf(RpcError);
    expect((e as Error).message).toMatch(/cannot send "pattern".*kernel closed/);
    expect(model.sent.length).toBe(sentBefore);
    // a late answer from before the restart is ignored, nothing throws
    model.emit("msg:custom", { type: "interplay:response", id: model.sent[0].id, ok: true, result: 1 }, []);
    expect(pendingCount(model)).toBe(0);
  });
});

describe("a request nobody answers (kernel busy or gone without a close event)", () => {
  it("rejects on its timeout with timedOut=true, never hangs, and is not cached", async () => {
    vi.useFakeTimers();
    const model = new FakeComm();
    const p = request(model, "pattern", { layer: 1, head: 1 }, { timeoutMs: 5_000 });
    const outcome = p.then(() => "resolved", (e: unknown) => e);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(pendingCount(model)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const e = await outcome;
    expect(e).toBeInstanceOf(RpcError);
    expect((e as RpcError).timedOut).toBe(true);
    expect((e as Error).message).toBe('request "pattern" timed out after 5 s');
    expect(pendingCount(model)).toBe(0);
    // asking again sends a new request (the failure was not cached)
    void request(model, "pattern", { layer: 1, head: 1 }, { timeoutMs: 5_000 }).catch(() => undefined);
    expect(model.sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
  });

  it("uses the default timeout when none is given", async () => {
    vi.useFakeTimers();
    const model = new FakeComm();
    const outcome = request(model, "row", { layer: 0, head: 0, query: 0 }).then(() => "resolved", (e: unknown) => e);
    await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS - 1);
    expect(pendingCount(model)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(((await outcome) as RpcError).timedOut).toBe(true);
  });

  it("a close during the wait wins over the timeout: the error says the kernel closed", async () => {
    vi.useFakeTimers();
    const model = new FakeComm();
    const outcome = request(model, "pattern", {}, { timeoutMs: 10_000 }).then(() => "resolved", (e: unknown) => e);
    await vi.advanceTimersByTimeAsync(3_000);
    model.emit("comm:close");
    const e = (await outcome) as RpcError;
    expect(e.timedOut).toBe(false);
    expect(e.message).toMatch(/kernel closed/);
    expect(vi.getTimerCount()).toBe(0); // the timeout was cleared, no timer left behind
  });
});

describe("an AttentionView waiting for a head's pattern when the kernel restarts", () => {
  it.each(CLOSE_EVENTS)("shows the error in the view on %s instead of a spinner that never ends", async (event) => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
    const model = new FakeAttentionModel(attentionTraits(["a", "b", "c"]));
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const root = el.querySelector(".interplay-attention") as HTMLElement;
    root.focus();
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect(model.requests("pattern")).toHaveLength(1); // asked, no answer yet
    const error = root.querySelector(".interplay-detail-body > .interplay-error") as HTMLElement;
    expect(error.hidden).toBe(true);
    model.emit(event);
    await settle();
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/Could not load this head's attention: .*connection to the kernel closed/);
    expect((root.querySelector(".interplay-busy") as HTMLElement).hidden).toBe(true);
    cleanup();
  });
});
