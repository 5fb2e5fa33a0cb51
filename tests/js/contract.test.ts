/**
 * Contract: payloads written by Python (`tests/contract/write_fixtures.py`) decode in JS to the
 * values Python decodes. Fails, never skips, when the fixtures are missing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { decodeArray } from "../../js/lib/codec";
import { unalignedView } from "./helpers";

const DIR = fileURLToPath(new URL("../fixtures/contract/", import.meta.url));
const HOW = "write them with: python tests/contract/write_fixtures.py tests/fixtures/contract";

interface Fixture {
  dtype: string;
  shape: number[];
  dims: string[];
  vmin: number | null;
  vmax: number | null;
  encoding: string;
  expected: (number | null)[];
}

const names = existsSync(DIR)
  ? readdirSync(DIR).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -".json".length)).sort()
  : [];

describe("wire-format contract (Python -> JS)", () => {
  it("has fixtures to check", () => {
    expect(existsSync(DIR), `missing ${DIR}; ${HOW}`).toBe(true);
    expect(names.length, `no *.json fixtures in ${DIR}; ${HOW}`).toBeGreaterThan(0);
    const bins = readdirSync(DIR).filter((f) => f.endsWith(".bin"));
    expect(bins.map((f) => f.slice(0, -4)).sort(), "every .json needs its .bin and vice versa").toEqual(names);
  });

  for (const name of names) {
    it(`decodes ${name} from an odd byte offset`, () => {
      const meta = JSON.parse(readFileSync(`${DIR}${name}.json`, "utf8")) as Fixture;
      const bytes = new Uint8Array(readFileSync(`${DIR}${name}.bin`));
      for (const offset of [1, 7]) {
        const out = decodeArray({ ...meta, data: unalignedView(bytes, offset) });
        expect(out.dtype).toBe(meta.dtype);
        expect(out.shape).toEqual(meta.shape);
        expect(out.dims).toEqual(meta.dims);
        expect(out.vmin).toBe(meta.vmin);
        expect(out.vmax).toBe(meta.vmax);
        expect(out.encoding).toBe(meta.encoding);
        const values = out.values();
        expect(values.length).toBe(meta.expected.length);
        meta.expected.forEach((want, i) => {
          const got = values[i];
          if (want === null) expect(Number.isNaN(got), `${name}[${i}] should be NaN`).toBe(true);
          else expect(Math.abs(got - want), `${name}[${i}]: ${got} vs ${want}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
        });
      }
    });
  }
});
