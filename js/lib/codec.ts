/**
 * The only reader of the wire format (its twin is `src/interplay/widgets/_serialize.py`).
 *
 * A payload is `{dtype, shape, dims, vmin, vmax, encoding, data}`; `data` holds C-order,
 * little-endian bytes. The widget manager hands them over as a DataView that may start at any
 * (unaligned) byteOffset of a larger buffer, so the bytes are copied into an aligned buffer
 * whenever a typed array cannot view them in place.
 */

import type { WirePayload } from "./types";

export type TypedArray =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array;

export type Dtype = "float32" | "float64" | "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32";
export type Encoding = "raw" | "u8-linear";

interface TypedArrayCtor {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
}

const CTORS: Record<Dtype, TypedArrayCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
};

/** The uint8 code that means NaN in the "u8-linear" encoding; codes 0..254 span [vmin, vmax]. */
export const NAN_CODE = 255;

export interface DecodedArray {
  dtype: Dtype;
  shape: number[];
  dims: string[];
  vmin: number | null;
  vmax: number | null;
  encoding: Encoding;
  /** The stored elements (uint8 codes for "u8-linear"), C order, in an aligned buffer. */
  data: TypedArray;
  /** Number of elements (product of shape). */
  size: number;
  /** Flat C-order index of a multi-index; throws when out of range. */
  index(...idx: number[]): number;
  /** The value at a multi-index: exact for "raw", dequantised for "u8-linear". */
  get(...idx: number[]): number;
  /** Every value as float32, C order (dequantised for "u8-linear"); computed once, do not mutate. */
  values(): Float32Array;
}

export class CodecError extends Error {
  constructor(message: string) {
    super(`interplay codec: ${message}`);
    this.name = "CodecError";
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDtype(x: unknown): x is Dtype {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(CTORS, x);
}

function toBytes(data: unknown): { buffer: ArrayBuffer; byteOffset: number; byteLength: number } {
  if (data instanceof ArrayBuffer) return { buffer: data, byteOffset: 0, byteLength: data.byteLength };
  if (ArrayBuffer.isView(data)) {
    // DataView and every typed array: read the bytes, whatever the element type.
    return { buffer: data.buffer as ArrayBuffer, byteOffset: data.byteOffset, byteLength: data.byteLength };
  }
  const kind = data === null ? "null" : typeof data;
  throw new CodecError(`"data" must be a DataView, ArrayBuffer or typed array, got ${kind}`);
}

function checkShape(shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new CodecError(`"shape" must be an array of integers, got ${JSON.stringify(shape)}`);
  for (const n of shape) {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      throw new CodecError(`"shape" must hold non-negative integers, got ${JSON.stringify(shape)}`);
    }
  }
  return shape.slice() as number[];
}

function checkLimit(name: string, x: unknown): number | null {
  if (x === null || x === undefined) return null;
  if (typeof x !== "number" || !Number.isFinite(x)) throw new CodecError(`"${name}" must be a finite number or null, got ${String(x)}`);
  return x;
}

/** Copy little-endian bytes into a typed array the host can read (aligned; byte-swapped on big-endian hosts). */
function readElements(dtype: Dtype, buffer: ArrayBuffer, byteOffset: number, size: number): TypedArray {
  const Ctor = CTORS[dtype];
  const width = Ctor.BYTES_PER_ELEMENT;
  if (LITTLE_ENDIAN_HOST || width === 1) {
    if (byteOffset % width === 0) return new Ctor(buffer, byteOffset, size);
    return new Ctor(buffer.slice(byteOffset, byteOffset + size * width), 0, size);
  }
  const view = new DataView(buffer, byteOffset, size * width);
  const out = new Ctor(new ArrayBuffer(size * width), 0, size);
  const getter = `get${dtype[0].toUpperCase()}${dtype.slice(1)}` as "getFloat32";
  for (let i = 0; i < size; i++) out[i] = (view[getter] as (o: number, le: boolean) => number).call(view, i * width, true);
  return out;
}

/** Decode a wire payload; throws a CodecError naming the problem when it is malformed. */
export function decodeArray(payload: WirePayload | null | undefined): DecodedArray {
  if (payload === null || typeof payload !== "object") throw new CodecError(`expected a payload object, got ${String(payload)}`);
  const { dtype } = payload;
  if (!isDtype(dtype)) throw new CodecError(`unsupported dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(CTORS).join(", ")}`);
  const shape = checkShape(payload.shape);
  const dims = payload.dims === undefined ? [] : payload.dims;
  if (!Array.isArray(dims) || dims.length !== shape.length) {
    throw new CodecError(`"dims" ${JSON.stringify(dims)} must name each of the ${shape.length} axes of shape [${shape.join(", ")}]`);
  }
  const encoding = payload.encoding ?? "raw";
  if (encoding !== "raw" && encoding !== "u8-linear") throw new CodecError(`unknown encoding ${JSON.stringify(encoding)}`);
  if (encoding === "u8-linear" && dtype !== "uint8") throw new CodecError(`encoding "u8-linear" needs dtype uint8, got ${dtype}`);
  const vmin = checkLimit("vmin", payload.vmin);
  const vmax = checkLimit("vmax", payload.vmax);

  const bytes = toBytes(payload.data);
  const size = shape.reduce((a, b) => a * b, 1);
  const width = CTORS[dtype].BYTES_PER_ELEMENT;
  if (size * width !== bytes.byteLength) {
    throw new CodecError(
      `shape [${shape.join(", ")}] of ${dtype} needs ${size * width} bytes (${size} × ${width}), but data has ${bytes.byteLength}`,
    );
  }
  const data = readElements(dtype, bytes.buffer, bytes.byteOffset, size);

  const strides = new Array<number>(shape.length);
  for (let k = shape.length - 1, s = 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k];
  }
  const index = (...idx: number[]): number => {
    if (idx.length !== shape.length) throw new CodecError(`index needs ${shape.length} coordinates, got ${idx.length}`);
    let flat = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      if (!Number.isInteger(i) || i < 0 || i >= shape[k]) throw new CodecError(`index ${i} out of range for axis ${k} of size ${shape[k]}`);
      flat += i * strides[k];
    }
    return flat;
  };

  const lo = vmin ?? 0;
  const span = (vmax ?? 1) - lo;
  const dequantise = (code: number): number => (code === NAN_CODE ? NaN : lo + (code / (NAN_CODE - 1)) * span);
  let cached: Float32Array | null = null;
  const values = (): Float32Array => {
    if (cached) return cached;
    if (encoding === "u8-linear") {
      cached = new Float32Array(size);
      for (let i = 0; i < size; i++) cached[i] = dequantise(data[i]);
    } else {
      cached = data instanceof Float32Array ? data : Float32Array.from(data);
    }
    return cached;
  };
  const get = (...idx: number[]): number => {
    const v = data[index(...idx)];
    return encoding === "u8-linear" ? dequantise(v) : v;
  };

  return { dtype, shape, dims: dims.slice(), vmin, vmax, encoding, data, size, index, get, values };
}

/** A trait that may hold a payload or nothing (`{}` or null, e.g. no target yet). */
export type OptionalPayload = WirePayload | Record<string, never> | null;

/** True when `x` is a payload object (has a dtype), false for `{}`, null and anything else. */
export function isPayload(x: unknown): x is WirePayload {
  return x !== null && typeof x === "object" && "dtype" in x;
}
