/** AttentionView's pure parts: grid geometry, pattern window / tile arithmetic, ranking, validation. */
import { describe, expect, it } from "vitest";

import { MatrixImage } from "../../js/lib/canvas";
import { makeScale } from "../../js/lib/scales";
import { gridGeometry, gridSize, headAt, headRect, thumbBlock, GRID_GAP, GRID_GUTTER, GRID_TOP } from "../../js/views/attention_grid";
import {
  DEFAULT_STATE, defaultOrder, headLabel, headLines, prepareAttention, rankHeads, scoreOf, validHead, validQuery, type AttentionState,
} from "../../js/views/attention_model";
import { paneSide, patternLines, visibleCells, PANE_GUTTER } from "../../js/views/attention_pattern";
import { decodePattern, sliceWhole, tileValue } from "../../js/views/attention_store";
import { shadeAlphas } from "../../js/views/attention_tokens";
import {
  cellSpan, clampWindow, fullWindow, levelStride, maxSideFor, panWindow, positionAt, strideFor, tilesFor, tokenWindow, zoomWindow,
  MIN_SPAN, TILE_CELLS,
} from "../../js/views/attention_window";
import { payloadOf } from "./helpers";

/** A Document stand-in whose canvases have no 2D context (MatrixImage then builds no tiles). */
const noCanvasDoc = { createElement: () => ({ getContext: () => null }) } as unknown as Document;

describe("head grid geometry", () => {
  // Non-square on purpose: 3 layers (rows) × 5 heads (columns) catches transposed axes.
  const g = { layers: 3, heads: 5, thumb: 20, gap: 4, gutter: 30, top: 16 };

  it("maps every thumbnail's pixels to its (layer, head) and back", () => {
    for (let layer = 0; layer < 3; layer++) {
      for (let head = 0; head < 5; head++) {
        const r = headRect({ layer, head }, g);
        expect(r).toEqual({ x: 30 + head * 24, y: 16 + layer * 24, w: 20, h: 20 });
        expect(headAt(r.x, r.y, g)).toEqual({ layer, head });
        expect(headAt(r.x + 19.9, r.y + 19.9, g)).toEqual({ layer, head });
        expect(headAt(r.x + r.w / 2, r.y + r.h / 2, g)).toEqual({ layer, head });
      }
    }
    // x picks the head, y picks the layer
    expect(headAt(30 + 4 * 24 + 1, 16 + 1, g)).toEqual({ layer: 0, head: 4 });
    expect(headAt(30 + 1, 16 + 2 * 24 + 1, g)).toEqual({ layer: 2, head: 0 });
  });

  it("gives null over gaps, labels and outside the grid", () => {
    expect(headAt(30 + 21, 20, g)).toBeNull(); // gap right of head 0
    expect(headAt(35, 16 + 21, g)).toBeNull(); // gap below layer 0
    expect(headAt(10, 30, g)).toBeNull(); // layer labels
    expect(headAt(40, 5, g)).toBeNull(); // head labels
    expect(headAt(30 + 5 * 24 + 1, 20, g)).toBeNull(); // right of the last head
    expect(headAt(40, 16 + 3 * 24 + 1, g)).toBeNull(); // below the last layer
    expect(gridSize(g)).toEqual({ width: 30 + 5 * 24, height: 16 + 3 * 24 });
  });

  it("sizes thumbnails to the width, clamped, whole pixels per cell where that costs little", () => {
    const a = gridGeometry(600, 12, 12, 8);
    expect(a.thumb % 8).toBe(0);
    expect(a.gutter + a.heads * (a.thumb + a.gap)).toBeLessThanOrEqual(600);
    expect(gridGeometry(200, 4, 64, 32).thumb).toBe(10); // never below the minimum: the grid scrolls
    expect(gridGeometry(5000, 2, 2, 32).thumb).toBe(64); // never above the maximum, 2 px a cell
    expect(gridGeometry(5000, 2, 2, 40).thumb).toBe(64); // 40 would lose more than a third: kept at 64
    expect(gridGeometry(197, 1, 3, 7).thumb).toBe(49); // (197 - 32) / 3 - 3 = 52 -> 7 px a cell
    expect([GRID_GAP, GRID_GUTTER, GRID_TOP].every((v) => v > 0)).toBe(true);
  });

  it("finds a head's block in the [layer·heads·T, T] thumbnail matrix", () => {
    expect(thumbBlock({ layer: 2, head: 1 }, 5, 4)).toEqual({ row: (2 * 5 + 1) * 4, col: 0, rows: 4, cols: 4 });
  });
});

describe("pattern window and tiles", () => {
  it("uses Python's stride formula", () => {
    expect(strideFor(0, 100, 0, 100, 100)).toBe(1);
    expect(strideFor(0, 101, 0, 100, 100)).toBe(2);
    expect(strideFor(0, 10, 0, 5000, 512)).toBe(10);
    expect(maxSideFor(384, 1)).toBe(384);
    expect(maxSideFor(384, 2)).toBe(768);
    expect(maxSideFor(640, 2)).toBe(1024); // capped
    expect(maxSideFor(384, NaN)).toBe(384);
  });

  it("zooms around an anchor, pans and stays inside the sequence", () => {
    const n = 1000;
    const w = fullWindow(n);
    const z = zoomWindow(w, n, 4, 500, 100);
    expect(z.span).toBe(250);
    // the anchor stays where it was on screen: (anchor - start) / span unchanged
    expect((500 - z.q0) / z.span).toBeCloseTo(0.5);
    expect((100 - z.k0) / z.span).toBeCloseTo(0.1);
    expect(zoomWindow(z, n, 1e6, 500, 500).span).toBe(MIN_SPAN);
    expect(zoomWindow(z, n, 1e-6, 0, 0)).toEqual(w);
    const p = panWindow(z, n, 10000, -10000);
    expect(p).toEqual({ q0: 750, k0: 0, span: 250 });
    expect(clampWindow({ q0: -5, k0: 3, span: 2 }, 3)).toEqual({ q0: 0, k0: 0, span: 3 });
    expect(positionAt(0, 10, 2, 100)).toBe(10);
    expect(positionAt(5, 10, 2, 100)).toBe(12);
    expect(positionAt(1000, 10, 2, 100)).toBeNull();
  });

  it("picks power-of-two levels finer than the whole image, or none", () => {
    expect(levelStride(1000, 500, 2)).toBe(null); // the whole image (stride 2) is already as fine
    expect(levelStride(4096, 512, 16)).toBe(8);
    expect(levelStride(3000, 512, 16)).toBe(8); // 5.9 -> 8
    expect(levelStride(512, 512, 16)).toBe(1);
    expect(levelStride(100, 512, 1)).toBe(null);
  });

  it("covers the window with aligned tiles whose Python stride is the level", () => {
    const n = 5000;
    const level = 4;
    const size = level * TILE_CELLS; // 1024 positions a tile
    const w = { q0: 1500, k0: 100, span: 1200 };
    const tiles = tilesFor(w, n, level, false);
    // queries 1500..2700 -> tiles 1, 2; keys 100..1300 -> tiles 0, 1
    expect(tiles.map((t) => [t.q0, t.k0])).toEqual([[1024, 0], [1024, 1024], [2048, 0], [2048, 1024]]);
    for (const t of tiles) {
      expect(t.q0 % size).toBe(0);
      expect(t.k0 % size).toBe(0);
      expect(t.max_side).toBe(TILE_CELLS);
      expect(strideFor(t.q0, t.q1, t.k0, t.k1, t.max_side)).toBe(level);
    }
    // the last tile is cut at n: its stride may be finer, never coarser
    const edge = tilesFor({ q0: 4900, k0: 4900, span: 100 }, n, level, false);
    expect(edge).toEqual([{ q0: 4096, q1: 5000, k0: 4096, k1: 5000, max_side: TILE_CELLS, level }]);
    expect(strideFor(4096, 5000, 4096, 5000, TILE_CELLS)).toBeLessThanOrEqual(level);
  });

  it("leaves out fully masked tiles in a causal model", () => {
    const n = 2048;
    const all = tilesFor(fullWindow(n), n, 2, false); // 4 × 4 tiles of 512
    const causal = tilesFor(fullWindow(n), n, 2, true);
    expect(all).toHaveLength(16);
    expect(causal).toHaveLength(10); // the diagonal and below
    for (const t of causal) expect(t.k0).toBeLessThanOrEqual(t.q1 - 1);
  });

  it("maps cells to positions, windows tokens and finds visible cells", () => {
    expect(cellSpan(100, 3, 4, 1000)).toEqual([112, 116]);
    expect(cellSpan(100, 3, 4, 114)).toEqual([112, 114]);
    expect(tokenWindow(100, 50, 512)).toEqual({ start: 0, end: 100 });
    expect(tokenWindow(5000, 10, 512)).toEqual({ start: 0, end: 512 });
    expect(tokenWindow(5000, 4990, 512)).toEqual({ start: 4488, end: 5000 });
    expect(tokenWindow(5000, 2000, 512)).toEqual({ start: 1744, end: 2256 });
    const t = { q0: 1024, k0: 0, rows: 256, cols: 256, stride: 4 };
    expect(visibleCells(t, { q0: 1500, k0: 100, span: 200 })).toEqual({ i0: 119, i1: 169, j0: 25, j1: 75 });
    expect(paneSide(0)).toBe(192);
    expect(paneSide(PANE_GUTTER + 8 + 400)).toBe(384);
    expect(paneSide(5000)).toBe(640);
  });
});

function state(over: Partial<AttentionState> = {}): AttentionState {
  const L = 2;
  const H = 3;
  const T = 2;
  const thumbs = new Uint8Array(L * H * T * T).map((_, i) => i % 255);
  // scores [score, layer, head]: s0 = layer*10 + head; s1 = -(that), NaN at L1H2
  const s = new Float32Array(2 * L * H);
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
    s[(0 * L + l) * H + h] = l * 10 + h;
    s[(1 * L + l) * H + h] = -(l * 10 + h);
  }
  s[(1 * L + 1) * H + 2] = NaN;
  return {
    ...DEFAULT_STATE,
    tokens: ["a", "b", "c"],
    n_layers: L,
    n_heads: H,
    thumbnails: payloadOf(thumbs, "uint8", [L, H, T, T], { dims: ["layer", "head", "query", "key"], vmin: 0, vmax: 1, encoding: "u8-linear" }),
    scores: payloadOf(s, "float32", [2, L, H], { dims: ["score", "layer", "head"] }),
    score_names: ["induction", "entropy"],
    ...over,
  };
}

describe("attention state", () => {
  it("validates shapes against n_layers / n_heads (non-square)", () => {
    const p = prepareAttention(state());
    expect([p.layers, p.heads, p.side, p.n]).toEqual([2, 3, 2, 3]);
    expect(scoreOf(p, 0, { layer: 1, head: 2 })).toBe(12);
    // transposed thumbnails [H, L, T, T]
    const bad = state({ thumbnails: payloadOf(new Uint8Array(24), "uint8", [3, 2, 2, 2], { dims: ["layer", "head", "query", "key"] }) });
    expect(() => prepareAttention(bad)).toThrow(/\[n_layers, n_heads, T, T\] = \[2, 3, T, T\], got \[3, 2, 2, 2\]/);
    const notSquare = state({ thumbnails: payloadOf(new Uint8Array(36), "uint8", [2, 3, 2, 3], { dims: ["a", "b", "c", "d"] }) });
    expect(() => prepareAttention(notSquare)).toThrow(/got \[2, 3, 2, 3\]/);
    const badScores = state({ scores: payloadOf(new Float32Array(12), "float32", [2, 3, 2], { dims: ["s", "l", "h"] }) });
    expect(() => prepareAttention(badScores)).toThrow(/scores must have shape \[score, layer, head\] = \[2, 2, 3\], got \[2, 3, 2\]/);
    expect(() => prepareAttention(state({ score_names: ["one"] }))).toThrow(/\[1, 2, 3\]/);
    expect(() => prepareAttention(state({ tokens: [] }))).toThrow(/no tokens/);
    expect(() => prepareAttention(state({ thumbnails: null }))).toThrow(/thumbnails/);
    expect(() => prepareAttention(state({ n_heads: 0 }))).toThrow(/positive/);
    expect(() => prepareAttention(state({ scores: null }))).toThrow(/2 score names but no scores/);
    expect(prepareAttention(state({ scores: null, score_names: [] })).scores).toHaveLength(0);
  });

  it("ranks heads by a score, NaN never ranked, ties stable", () => {
    const p = prepareAttention(state());
    expect(rankHeads(p, 0, "desc", 3).map(headLabel)).toEqual(["L1H2", "L1H1", "L1H0"]);
    expect(rankHeads(p, 1, "asc", 20).map(headLabel)).toEqual(["L1H1", "L1H0", "L0H2", "L0H1", "L0H0"]);
    expect(rankHeads(p, 1, "desc").map(headLabel)[0]).toBe("L0H0");
    expect(defaultOrder("entropy")).toBe("asc");
    expect(defaultOrder("induction")).toBe("desc");
    const lines = headLines(p, { layer: 1, head: 2 }, 0, "induction");
    expect(lines).toEqual(["L1H2  (layer 1, head 2)", "induction: 12", "entropy: —", "#1 by induction"]);
  });

  it("accepts only heads and queries inside the data", () => {
    expect(validHead({ layer: 1, head: 2 }, 2, 3)).toEqual({ layer: 1, head: 2 });
    expect(validHead({ layer: 2, head: 0 }, 2, 3)).toBeNull();
    expect(validHead({ layer: 0.5, head: 0 }, 2, 3)).toBeNull();
    expect(validHead(null, 2, 3)).toBeNull();
    expect(validQuery(2, 3)).toBe(2);
    expect(validQuery(3, 3)).toBeNull();
    expect(validQuery(null, 3)).toBeNull();
  });
});

describe("pattern tiles", () => {
  const scale = makeScale({ kind: "sequential", cmap: "viridis", center: null }, 0, 1);

  it("decodes a pattern answer, covering its window at its stride", () => {
    // window q 8..13 (5 rows), k 0..12 at stride 4: 2 × 3 cells, the last ones partial
    const codes = new Uint8Array([0, 127, 254, 255, 10, 20]);
    const result = { pattern: payloadOf(codes, "uint8", [2, 3], { dims: ["query", "key"], vmin: 0, vmax: 1, encoding: "u8-linear" }), q0: 8, k0: 0, stride: 4 };
    const t = decodePattern(result, { q0: 8, q1: 13, k0: 0, k1: 12, max_side: 3 }, 20, noCanvasDoc, scale);
    expect([t.q0, t.q1, t.k0, t.k1, t.stride, t.rows, t.cols]).toEqual([8, 13, 0, 12, 4, 2, 3]);
    expect(tileValue(t, 8, 0)?.value).toBe(0);
    expect(tileValue(t, 11, 9)?.value).toBe(1);
    expect(tileValue(t, 12, 0)?.cell).toEqual([1, 0]);
    expect(Number.isNaN(tileValue(t, 12, 3)?.value ?? 0)).toBe(true); // code 255 at cell (1, 0): NaN
    expect(tileValue(t, 13, 0)).toBeNull();
    expect(tileValue(t, 7, 0)).toBeNull();
    expect(() => decodePattern({ pattern: result.pattern, stride: 1 }, { q0: 0, q1: 13, k0: 0, k1: 12, max_side: 3 }, 20, noCanvasDoc, scale)).toThrow(
      /does not cover/,
    );
    expect(() => decodePattern({}, { q0: 0, q1: 1, k0: 0, k1: 1, max_side: 1 }, 1, noCanvasDoc, scale)).toThrow(/no `pattern`/);
  });

  it("writes tooltip lines: exact, ≈ from the finest tile, block maximum, masked", () => {
    const codes = new Uint8Array([254, 0, 127, 127]);
    const coarse = decodePattern(
      { pattern: payloadOf(codes, "uint8", [2, 2], { dims: ["query", "key"], vmin: 0, vmax: 1, encoding: "u8-linear" }), q0: 0, k0: 0, stride: 2 },
      { q0: 0, q1: 4, k0: 0, k1: 4, max_side: 2 }, 4, noCanvasDoc, scale,
    );
    const data = { tokens: ["a", " b", "c", "<d>"], display: ["a", "␣b", "c", "<d>"], causal: true };
    expect(patternLines(data, 3, 1, null, [coarse])).toEqual(["<d> → ␣b", 'query 3: "<d>"', 'key 1: " b"', "attention: max over 2×2 positions ≈0.5"]);
    expect(patternLines(data, 3, 1, [0.1, 0.2, 0.3, 0.4], [coarse])[3]).toBe("attention: 0.2");
    expect(patternLines(data, 1, 3, null, [coarse])[3]).toMatch(/masked/);
    expect(patternLines({ ...data, causal: false }, 1, 3, null, [])[3]).toBe("attention: …");
  });

  it("slices rows and columns of a whole stride-1 pattern", () => {
    const codes = new Uint8Array([254, 0, 0, 127, 127, 0, 0, 0, 254]);
    const result = { pattern: payloadOf(codes, "uint8", [3, 3], { dims: ["query", "key"], vmin: 0, vmax: 1, encoding: "u8-linear" }), q0: 0, k0: 0, stride: 1 };
    const t = decodePattern(result, { q0: 0, q1: 3, k0: 0, k1: 3, max_side: 64 }, 3, noCanvasDoc, scale);
    expect(Array.from(sliceWhole(t, "row", 1)).map((v) => Math.round(v * 100))).toEqual([50, 50, 0]);
    expect(Array.from(sliceWhole(t, "column", 0)).map((v) => Math.round(v * 100))).toEqual([100, 50, 0]);
  });

  it("shades tokens in proportion to the largest value", () => {
    expect(Array.from(shadeAlphas([0.5, 0.25, 0, NaN]))).toEqual([1, 0.5, 0, 0]);
    expect(Array.from(shadeAlphas([0, 0]))).toEqual([0, 0]);
  });
});

describe("MatrixImage.drawBlock", () => {
  type Call = [string, unknown[]];
  function recordingDoc(calls: Call[]): Document {
    const ctx = (canvas: unknown): unknown =>
      new Proxy(
        {
          canvas,
          createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
          createPattern: () => "hatch",
        } as Record<string | symbol, unknown>,
        {
          get(t, prop) {
            if (prop in t) return t[prop];
            return (...args: unknown[]) => void calls.push([String(prop), args]);
          },
          set(t, prop, v) {
            t[prop] = v;
            calls.push([`set:${String(prop)}`, [v]]);
            return true;
          },
        },
      );
    const doc: { createElement: () => unknown } = {
      createElement: () => {
        const c: Record<string, unknown> = { width: 0, height: 0, ownerDocument: doc };
        c.getContext = () => ctx(c);
        return c;
      },
    };
    return doc as unknown as Document;
  }

  it("scales a block into a rectangle and hatches NaN underneath", () => {
    const calls: Call[] = [];
    const doc = recordingDoc(calls);
    const scale = makeScale({ kind: "sequential", cmap: "viridis", center: null }, 0, 1);
    // 4 × 2 matrix: two 2 × 2 thumbnails stacked; the second holds a NaN
    const img = new MatrixImage(doc, [0, 1, 1, 0, 0.5, NaN, 0.5, 0.5], 4, 2, scale);
    expect(img.nanCount).toBe(1);
    const target = doc.createElement("canvas") as HTMLCanvasElement;
    const ctx = target.getContext("2d") as CanvasRenderingContext2D;
    calls.length = 0;
    img.drawBlock(ctx, { row: 2, col: 0, rows: 2, cols: 2 }, { x: 10, y: 20, w: 40, h: 40 });
    const draw = calls.find(([name]) => name === "drawImage");
    expect(draw?.[1].slice(1)).toEqual([0, 2, 2, 2, 10, 20, 40, 40]);
    expect(calls.some(([name, args]) => name === "fillRect" && args.join() === "10,20,40,40")).toBe(true);
    expect(calls.some(([name, args]) => name === "set:fillStyle" && args[0] === "hatch")).toBe(true);
  });
});
