import { describe, expect, it } from "vitest";

import { CodecError, decodeArray, NAN_CODE } from "../../js/lib/codec";
import { payloadOf, unalignedView } from "./helpers";

const CASES = [
  ["float32", new Float32Array([1.5, -2.25, 0, 3.4028234663852886e38, -1e-7, NaN])],
  ["float64", new Float64Array([1.5, -2.25, 0, 1e300, Math.PI, NaN])],
  ["uint8", new Uint8Array([0, 1, 127, 128, 254, 255])],
  ["int8", new Int8Array([-128, -1, 0, 1, 64, 127])],
  ["uint16", new Uint16Array([0, 1, 255, 256, 40000, 65535])],
  ["int16", new Int16Array([-32768, -1, 0, 1, 300, 32767])],
  ["uint32", new Uint32Array([0, 1, 65536, 2 ** 31, 4294967295, 7])],
  ["int32", new Int32Array([-(2 ** 31), -1, 0, 1, 100000, 2 ** 31 - 1])],
] as const;

describe("decodeArray", () => {
  for (const [dtype, array] of CASES) {
    it(`decodes ${dtype} from a DataView at an unaligned byteOffset`, () => {
      for (const offset of [0, 1, 3, 5, 8]) {
        const out = decodeArray(payloadOf(array, dtype, [2, 3], { dims: ["row", "pos"] }, offset));
        expect(out.dtype).toBe(dtype);
        expect(out.shape).toEqual([2, 3]);
        expect(out.dims).toEqual(["row", "pos"]);
        expect(out.size).toBe(6);
        expect(out.data.constructor).toBe(array.constructor);
        expect(out.data.byteOffset % array.BYTES_PER_ELEMENT).toBe(0);
        expect(Array.from(out.data)).toEqual(Array.from(array));
        expect(out.get(1, 2)).toEqual(array[5]);
        expect(out.get(0, 1)).toEqual(array[1]);
        const f32 = Array.from(out.values());
        expect(f32).toEqual(Array.from(array, (v) => Math.fround(v)));
      }
    });
  }

  it("accepts ArrayBuffer, Uint8Array and other typed arrays as data", () => {
    const values = new Float32Array([1, 2, 3, 4]);
    const variants: unknown[] = [values.buffer, new Uint8Array(values.buffer), values, new DataView(values.buffer)];
    for (const data of variants) {
      const out = decodeArray({ dtype: "float32", shape: [4], dims: ["pos"], vmin: 1, vmax: 4, encoding: "raw", data });
      expect(Array.from(out.values())).toEqual([1, 2, 3, 4]);
    }
  });

  it("views aligned data in place and copies unaligned data", () => {
    const bytes = new Uint8Array(new Float32Array([1, 2]).buffer);
    const aligned = decodeArray(payloadOf(new Float32Array([1, 2]), "float32", [2], {}, 4));
    expect(aligned.data.byteOffset).toBe(4);
    const view = unalignedView(bytes, 3);
    const copied = decodeArray({ dtype: "float32", shape: [2], dims: ["pos"], vmin: null, vmax: null, data: view });
    expect(copied.data.buffer).not.toBe(view.buffer);
    expect(Array.from(copied.data)).toEqual([1, 2]);
  });

  it("reads C order for a non-square 3-D array", () => {
    const array = Int16Array.from({ length: 24 }, (_, i) => i);
    const out = decodeArray(payloadOf(array, "int16", [2, 3, 4]));
    expect(out.get(0, 0, 3)).toBe(3);
    expect(out.get(0, 2, 0)).toBe(8);
    expect(out.get(1, 0, 0)).toBe(12);
    expect(out.get(1, 2, 3)).toBe(23);
    expect(out.index(1, 1, 1)).toBe(17);
    expect(() => out.get(2, 0, 0)).toThrow(/out of range/);
    expect(() => out.get(0, 0)).toThrow(/3 coordinates/);
  });

  it("dequantises u8-linear: codes 0..254 onto [vmin, vmax], 255 to NaN", () => {
    const codes = new Uint8Array([0, 127, 254, NAN_CODE, 1, 253]);
    const out = decodeArray(payloadOf(codes, "uint8", [2, 3], { vmin: -2, vmax: 2, encoding: "u8-linear" }));
    const v = out.values();
    expect(v[0]).toBe(-2);
    expect(v[1]).toBeCloseTo(-2 + (127 / 254) * 4, 6);
    expect(v[2]).toBe(2);
    expect(Number.isNaN(v[3])).toBe(true);
    expect(v[4]).toBeCloseTo(-2 + 4 / 254, 6);
    expect(out.get(0, 2)).toBe(2);
    expect(Number.isNaN(out.get(1, 0))).toBe(true);
    expect(Array.from(out.data)).toEqual(Array.from(codes));
    expect(out.encoding).toBe("u8-linear");
  });

  it("throws a clear error when shape and byte length disagree", () => {
    const p = payloadOf(new Float32Array(6), "float32", [2, 4]);
    expect(() => decodeArray(p)).toThrow(CodecError);
    expect(() => decodeArray(p)).toThrow(/shape \[2, 4\] of float32 needs 32 bytes \(8 × 4\), but data has 24/);
  });

  it("rejects malformed payloads with messages", () => {
    const ok = payloadOf(new Float32Array(2), "float32", [2]);
    expect(() => decodeArray({ ...ok, dtype: "complex64" })).toThrow(/unsupported dtype "complex64"/);
    expect(() => decodeArray({ ...ok, dtype: "toString" })).toThrow(/unsupported dtype/);
    expect(() => decodeArray({ ...ok, shape: [2.5] })).toThrow(/non-negative integers/);
    expect(() => decodeArray({ ...ok, shape: [-2] })).toThrow(/non-negative integers/);
    expect(() => decodeArray({ ...ok, dims: ["a", "b"] })).toThrow(/must name each of the 1 axes/);
    expect(() => decodeArray({ ...ok, encoding: "zstd" })).toThrow(/unknown encoding "zstd"/);
    expect(() => decodeArray({ ...ok, encoding: "u8-linear" })).toThrow(/needs dtype uint8/);
    expect(() => decodeArray({ ...ok, data: [1, 2] })).toThrow(/DataView, ArrayBuffer or typed array/);
    expect(() => decodeArray({ ...ok, data: null })).toThrow(/got null/);
    expect(() => decodeArray({ ...ok, vmin: Number.NaN })).toThrow(/"vmin" must be a finite number or null/);
    expect(() => decodeArray(null)).toThrow(/expected a payload object/);
  });

  it("handles empty arrays and missing limits", () => {
    const out = decodeArray(payloadOf(new Float32Array(0), "float32", [0, 3]));
    expect(out.size).toBe(0);
    expect(out.values().length).toBe(0);
    expect(out.vmin).toBeNull();
    expect(out.vmax).toBeNull();
  });
});
