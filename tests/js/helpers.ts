/** Test helpers: wire payloads built the way the widget manager delivers them. */

import type { WirePayload } from "../../js/lib/types";

/** `bytes` copied into a larger buffer at `offset` (odd by default) and wrapped in a DataView. */
export function unalignedView(bytes: Uint8Array, offset = 3): DataView {
  const buffer = new ArrayBuffer(bytes.byteLength + offset + 5);
  new Uint8Array(buffer).set(bytes, offset);
  return new DataView(buffer, offset, bytes.byteLength);
}

/** A payload with `data` as an unaligned DataView of `array`'s bytes. */
export function payloadOf(
  array: ArrayBufferView,
  dtype: string,
  shape: number[],
  extra: Partial<WirePayload> = {},
  offset = 3,
): WirePayload {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return {
    dtype,
    shape,
    dims: shape.map((_, i) => `d${i}`),
    vmin: null,
    vmax: null,
    encoding: "raw",
    data: unalignedView(bytes, offset),
    ...extra,
  };
}
