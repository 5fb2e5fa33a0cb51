import { describe, expect, it } from "vitest";

import {
  buildLut, CMAP_NAMES, LUT_SIZE, makeScale, NAN_INDEX, NAN_RGBA, parseColor, relativeLuminance,
  resolveCmap, scalePosition, textColorOn,
} from "../../js/lib/scales";

const rgbAt = (lut: Uint8ClampedArray, i: number): number[] => Array.from(lut.subarray(i * 4, i * 4 + 4));

describe("LUTs", () => {
  it("has 256 opaque colours plus a transparent NaN entry for every map", () => {
    for (const name of CMAP_NAMES) {
      const lut = buildLut(name);
      expect(lut.length).toBe((LUT_SIZE + 1) * 4);
      for (let i = 0; i < LUT_SIZE; i++) expect(lut[i * 4 + 3]).toBe(255);
      expect(rgbAt(lut, NAN_INDEX)).toEqual([...NAN_RGBA]);
    }
  });

  it("matches viridis' published endpoints", () => {
    const lut = buildLut("viridis");
    expect(rgbAt(lut, 0)).toEqual([0x44, 0x01, 0x54, 255]);
    expect(rgbAt(lut, 255)).toEqual([0xfd, 0xe7, 0x25, 255]);
  });

  it("gives viridis, cividis, magma a monotone luminance and blues a decreasing one", () => {
    for (const name of ["viridis", "cividis", "magma"]) {
      const lut = buildLut(name);
      for (let i = 1; i < LUT_SIZE; i++) {
        const prev = relativeLuminance(lut[(i - 1) * 4], lut[(i - 1) * 4 + 1], lut[(i - 1) * 4 + 2]);
        const cur = relativeLuminance(lut[i * 4], lut[i * 4 + 1], lut[i * 4 + 2]);
        expect(cur, `${name} at ${i}`).toBeGreaterThanOrEqual(prev - 1e-3);
      }
    }
    const blues = buildLut("blues");
    expect(relativeLuminance(blues[0], blues[1], blues[2])).toBeGreaterThan(relativeLuminance(blues[1020], blues[1021], blues[1022]));
  });

  it("orients diverging maps so that high values are warm", () => {
    const rdbu = buildLut("rdbu");
    const [r0, , b0] = rgbAt(rdbu, 0);
    const [r1, , b1] = rgbAt(rdbu, 255);
    expect(b0).toBeGreaterThan(r0); // low = blue
    expect(r1).toBeGreaterThan(b1); // high = red
    const mid = rgbAt(rdbu, 128);
    expect(Math.min(mid[0], mid[1], mid[2])).toBeGreaterThan(230); // near-white centre
    const puor = buildLut("puor");
    expect(rgbAt(puor, 255)[0]).toBeGreaterThan(rgbAt(puor, 255)[2]); // high = orange
    expect(rgbAt(puor, 0)[2]).toBeGreaterThan(rgbAt(puor, 0)[1]); // low = purple
  });

  it("reverses with _r and falls back to the kind's default", () => {
    expect(rgbAt(buildLut("rdbu", true), 0)).toEqual(rgbAt(buildLut("rdbu"), 255));
    expect(resolveCmap("diverging", "RdBu_r")).toEqual({ name: "rdbu", reversed: true });
    expect(resolveCmap("diverging", "auto")).toEqual({ name: "rdbu", reversed: false });
    expect(resolveCmap("sequential", "nope")).toEqual({ name: "viridis", reversed: false });
    expect(resolveCmap("sequential", null)).toEqual({ name: "viridis", reversed: false });
    expect(() => buildLut("nope")).toThrow(/unknown colour map/);
  });

  it("parses both colour forms d3 returns", () => {
    expect(parseColor("#0a0b0c")).toEqual([10, 11, 12]);
    expect(parseColor("rgb(5, 48, 97)")).toEqual([5, 48, 97]);
    expect(() => parseColor("blue")).toThrow(/cannot parse/);
  });
});

describe("makeScale", () => {
  it("maps a sequential scale's endpoints and clamps outside them", () => {
    const s = makeScale({ kind: "sequential", cmap: "viridis", center: null }, 0, 10);
    expect(s.index(0)).toBe(0);
    expect(s.index(10)).toBe(255);
    expect(s.index(5)).toBe(128);
    expect(s.index(-3)).toBe(0);
    expect(s.index(99)).toBe(255);
    expect(s.index(Infinity)).toBe(255);
    expect(s.index(-Infinity)).toBe(0);
    expect(s.center).toBeNull();
    expect(s.rgba(10)).toEqual([0xfd, 0xe7, 0x25, 255]);
  });

  it("puts the centre of a diverging scale at the LUT midpoint, even off-middle", () => {
    const s = makeScale({ kind: "diverging", cmap: "rdbu", center: 1 }, -1, 5);
    expect(s.center).toBe(1);
    expect(s.index(1)).toBe(128);
    expect(s.index(-1)).toBe(0);
    expect(s.index(5)).toBe(255);
    expect(s.index(0)).toBe(64); // halfway between vmin and the centre
    expect(s.index(3)).toBe(191); // halfway between the centre and vmax
  });

  it("centres on the middle of the limits without a centre, and clamps a centre outside them", () => {
    expect(makeScale({ kind: "diverging", cmap: "rdbu", center: null }, -2, 6).center).toBe(2);
    expect(makeScale({ kind: "diverging", cmap: "rdbu", center: 10 }, -2, 6).center).toBe(6);
  });

  it("maps NaN to the NaN entry, distinct from every scale colour", () => {
    for (const name of CMAP_NAMES) {
      const s = makeScale({ kind: "sequential", cmap: name, center: null }, 0, 1);
      expect(s.index(NaN)).toBe(NAN_INDEX);
      const nan = s.rgba(NaN);
      expect(nan).toEqual([...NAN_RGBA]);
      for (let i = 0; i < LUT_SIZE; i++) expect(rgbAt(s.lut, i)).not.toEqual(nan);
      expect(s.css(NaN)).toBe("transparent");
    }
  });

  it("uses [0, 1] when the payload has no finite limits", () => {
    const s = makeScale({ kind: "sequential", cmap: "viridis", center: null }, null, null);
    expect(s.index(0)).toBe(0);
    expect(s.index(1)).toBe(255);
    expect(s.index(NaN)).toBe(NAN_INDEX);
  });

  it("defaults an unknown kind to sequential viridis", () => {
    const s = makeScale(null, 0, 1);
    expect(s.kind).toBe("sequential");
    expect(s.cmap).toBe("viridis");
  });

  it("scalePosition is monotone and handles degenerate limits", () => {
    const ts = [-5, -1, 0, 0.5, 1, 2, 9].map((v) => scalePosition(v, -1, 2, 0));
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]);
    expect(scalePosition(3, 3, 3, null)).toBe(0.5);
    expect(Number.isNaN(scalePosition(NaN, 0, 1, null))).toBe(true);
  });
});

describe("text colour", () => {
  it("is white on dark cells and black on light ones", () => {
    expect(textColorOn(0x44, 0x01, 0x54)).toBe("#fff");
    expect(textColorOn(0xfd, 0xe7, 0x25)).toBe("#000");
    expect(textColorOn(247, 247, 247)).toBe("#000");
  });
});
