/** A fake anywidget model for the request/response tests: records what is sent, delivers messages. */

import type { RpcModel } from "../../js/lib/rpc";

type Handler = (...args: unknown[]) => void;

export interface Sent {
  type: string;
  id: string;
  method: string;
  params: Record<string, unknown>;
}

export class FakeComm implements RpcModel {
  handlers = new Map<string, Set<Handler>>();
  sent: Sent[] = [];
  on(name: string, cb: Handler): void {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name)?.add(cb);
  }
  off(name?: string | null, cb?: Handler | null): void {
    if (name && cb) this.handlers.get(name)?.delete(cb);
  }
  send(content: unknown): void {
    this.sent.push(content as Sent);
  }
  /** Fire an event (e.g. "comm:close") on every listener. */
  emit(name: string, ...args: unknown[]): void {
    for (const cb of [...(this.handlers.get(name) ?? [])]) cb(...args);
  }
  /** Deliver a custom message from Python. */
  receive(msg: unknown, buffers: DataView[] = []): void {
    this.emit("msg:custom", msg, buffers);
  }
  listeners(): number {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
}
