import { describe, expect, it } from "vitest";

import { backingSize, buildRgba, cellRect, hitTest, visibleRange, type GridGeometry } from "../../js/lib/canvas";
import { formatCompact, formatFloat32, formatValue } from "../../js/lib/format";
import { columnWidthFor, MAX_CELL_WIDTH, MIN_CELL_WIDTH, tickStep } from "../../js/lib/labels";
import { moveCursor, scrollToShow } from "../../js/lib/nav";
import { makeScale, NAN_INDEX } from "../../js/lib/scales";
import { placeNear } from "../../js/lib/tooltip";

describe("hitTest", () => {
  // 3 rows × 5 columns, cells 30 wide and 10 high: non-square catches transposed axes.
  const g: GridGeometry = { rows: 3, cols: 5, cellWidth: 30, cellHeight: 10 };

  it("maps pixels to (row, col) on a non-square grid", () => {
    expect(hitTest(0, 0, g)).toEqual({ row: 0, col: 0 });
    expect(hitTest(29.9, 9.9, g)).toEqual({ row: 0, col: 0 });
    expect(hitTest(30, 0, g)).toEqual({ row: 0, col: 1 });
    expect(hitTest(0, 10, g)).toEqual({ row: 1, col: 0 });
    expect(hitTest(149, 29, g)).toEqual({ row: 2, col: 4 });
    expect(hitTest(95, 15, g)).toEqual({ row: 1, col: 3 });
  });

  it("adds the scroll offset", () => {
    const s = { ...g, scrollLeft: 45, scrollTop: 5 };
    expect(hitTest(0, 0, s)).toEqual({ row: 0, col: 1 });
    expect(hitTest(14, 4, s)).toEqual({ row: 0, col: 1 });
    expect(hitTest(15, 5, s)).toEqual({ row: 1, col: 2 });
  });

  it("skips the gutter and header", () => {
    const s = { ...g, gutter: 100, top: 20, scrollLeft: 30 };
    expect(hitTest(99, 25, s)).toBeNull();
    expect(hitTest(120, 19, s)).toBeNull();
    expect(hitTest(100, 20, s)).toEqual({ row: 0, col: 1 });
    expect(hitTest(161, 41, s)).toEqual({ row: 2, col: 3 });
  });

  it("returns null outside the grid", () => {
    expect(hitTest(150, 0, g)).toBeNull();
    expect(hitTest(0, 30, g)).toBeNull();
    expect(hitTest(-1, 0, g)).toBeNull();
    expect(hitTest(0, -1, g)).toBeNull();
    expect(hitTest(NaN, 0, g)).toBeNull();
    expect(hitTest(130, 0, { ...g, scrollLeft: 30 })).toBeNull();
    expect(hitTest(0, 0, { ...g, cellWidth: 0 })).toBeNull();
  });

  it("is the inverse of cellRect", () => {
    const s = { ...g, gutter: 7, top: 3, scrollLeft: 11, scrollTop: 4 };
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 5; col++) {
        const r = cellRect({ row, col }, s);
        expect([r.w, r.h]).toEqual([30, 10]);
        const hit = hitTest(r.x + r.w / 2, r.y + r.h / 2, s);
        if (r.x + r.w / 2 >= 7 && r.y + r.h / 2 >= 3) expect(hit).toEqual({ row, col });
      }
    }
  });
});

describe("visibleRange", () => {
  it("covers partly visible cells and clamps to the count", () => {
    expect(visibleRange(0, 100, 30, 10)).toEqual({ start: 0, end: 4 });
    expect(visibleRange(45, 100, 30, 10)).toEqual({ start: 1, end: 5 });
    expect(visibleRange(250, 100, 30, 10)).toEqual({ start: 8, end: 10 });
    expect(visibleRange(0, 100, 30, 0)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(0, 0, 30, 10)).toEqual({ start: 0, end: 0 });
  });

  it("keeps 4,096 tokens to a viewport's worth", () => {
    const { start, end } = visibleRange(30000, 900, 30, 4096);
    expect(end - start).toBeLessThanOrEqual(31);
  });
});

describe("backingSize", () => {
  it("scales by devicePixelRatio", () => {
    expect(backingSize(300, 100, 2)).toEqual({ width: 600, height: 200 });
    expect(backingSize(300, 100, 1.5)).toEqual({ width: 450, height: 150 });
    expect(backingSize(300, 100, NaN)).toEqual({ width: 300, height: 100 });
    expect(backingSize(0, 0, 2)).toEqual({ width: 1, height: 1 });
  });
});

describe("buildRgba", () => {
  it("colours each value through the LUT, NaN transparent", () => {
    const scale = makeScale({ kind: "sequential", cmap: "viridis", center: null }, 0, 1);
    const { rgba, nanCount } = buildRgba(new Float32Array([0, 1, NaN]), scale);
    expect(nanCount).toBe(1);
    expect(Array.from(rgba.subarray(0, 4))).toEqual([0x44, 0x01, 0x54, 255]);
    expect(Array.from(rgba.subarray(4, 8))).toEqual([0xfd, 0xe7, 0x25, 255]);
    expect(Array.from(rgba.subarray(8, 12))).toEqual([0, 0, 0, 0]);
    expect(scale.index(NaN)).toBe(NAN_INDEX);
  });
});

describe("labels", () => {
  it("fits the widest label into the clamped column width", () => {
    expect(columnWidthFor([])).toBe(MIN_CELL_WIDTH);
    expect(columnWidthFor([5, 30])).toBe(42);
    expect(columnWidthFor([500])).toBe(MAX_CELL_WIDTH);
  });

  it("spaces ticks 1-2-5", () => {
    expect(tickStep(40)).toBe(1);
    expect(tickStep(15)).toBe(5);
    expect(tickStep(1)).toBe(50);
    expect(tickStep(0.25)).toBe(200);
  });
});

describe("keyboard navigation", () => {
  it("moves and clamps", () => {
    const at = { row: 1, col: 1 };
    expect(moveCursor(at, "ArrowRight", 3, 5)).toEqual({ row: 1, col: 2 });
    expect(moveCursor(at, "ArrowLeft", 3, 5)).toEqual({ row: 1, col: 0 });
    expect(moveCursor(at, "ArrowUp", 3, 5)).toEqual({ row: 0, col: 1 });
    expect(moveCursor(at, "ArrowDown", 3, 5)).toEqual({ row: 2, col: 1 });
    expect(moveCursor({ row: 0, col: 0 }, "ArrowLeft", 3, 5)).toEqual({ row: 0, col: 0 });
    expect(moveCursor({ row: 2, col: 4 }, "ArrowDown", 3, 5)).toEqual({ row: 2, col: 4 });
    expect(moveCursor(at, "Home", 3, 5)).toEqual({ row: 1, col: 0 });
    expect(moveCursor(at, "End", 3, 5)).toEqual({ row: 1, col: 4 });
    expect(moveCursor(at, "End", 3, 5, { ctrl: true })).toEqual({ row: 2, col: 4 });
    expect(moveCursor(at, "Home", 3, 5, { ctrl: true })).toEqual({ row: 0, col: 0 });
    expect(moveCursor(at, "PageDown", 3, 50, { page: 10 })).toEqual({ row: 1, col: 11 });
    expect(moveCursor(at, "a", 3, 5)).toBeNull();
    expect(moveCursor(at, "ArrowUp", 0, 0)).toBeNull();
  });

  it("scrolls just enough to show a cell", () => {
    expect(scrollToShow(100, 200, 50, 30)).toBe(50);
    expect(scrollToShow(100, 200, 150, 30)).toBe(100);
    expect(scrollToShow(100, 200, 290, 30)).toBe(120);
  });
});

describe("formatting", () => {
  it("prints float32 values exactly and briefly", () => {
    expect(formatFloat32(0.25)).toBe("0.25");
    expect(formatFloat32(Math.fround(0.1))).toBe("0.1");
    expect(formatFloat32(Math.fround(1 / 3))).toBe("0.33333334");
    expect(formatFloat32(-1.5e-8)).toBe("-1.5e-8");
    expect(formatFloat32(NaN)).toBe("NaN");
    expect(formatFloat32(-Infinity)).toBe("-Infinity");
  });

  it("formats by dtype and encoding", () => {
    expect(formatValue(NaN, "float32")).toBe("NaN");
    expect(formatValue(100000, "int32")).toBe("100000");
    expect(formatValue(Math.PI, "float64")).toBe(String(Math.PI));
    expect(formatValue(0.123456, "uint8", "u8-linear")).toBe("≈0.1235");
  });

  it("shortens legend numbers", () => {
    expect(formatCompact(1.5)).toBe("1.5");
    expect(formatCompact(-2)).toBe("-2");
    expect(formatCompact(0.123456)).toBe("0.123");
    expect(formatCompact(123456789)).toBe("1.23e+8");
    expect(formatCompact(1e-7)).toBe("1e-7");
    expect(formatCompact(0)).toBe("0");
    expect(formatCompact(null)).toBe("NaN");
  });
});

describe("placeNear", () => {
  it("places below-right of the pointer, flipping at the container's edges", () => {
    expect(placeNear(10, 10, 50, 20, 400, 300)).toEqual({ left: 22, top: 22 });
    expect(placeNear(380, 290, 50, 20, 400, 300)).toEqual({ left: 318, top: 258 });
    expect(placeNear(10, 10, 50, 20, 0, 0)).toEqual({ left: 22, top: 22 });
  });
});
