/** Keyboard navigation over a grid of cells. Pure. */

import type { Cell } from "./canvas";

export interface NavOptions {
  /** Ctrl/Cmd held: Home/End also move to the first/last row. */
  ctrl?: boolean;
  /** Columns moved by PageUp/PageDown (e.g. those visible). */
  page?: number;
}

/** The cell a navigation key moves `from` to (clamped to the grid), or null if `key` is not one. */
export function moveCursor(from: Cell, key: string, rows: number, cols: number, opts: NavOptions = {}): Cell | null {
  if (rows <= 0 || cols <= 0) return null;
  let { row, col } = from;
  const page = Math.max(1, Math.floor(opts.page ?? 10));
  switch (key) {
    case "ArrowLeft":
      col -= 1;
      break;
    case "ArrowRight":
      col += 1;
      break;
    case "ArrowUp":
      row -= 1;
      break;
    case "ArrowDown":
      row += 1;
      break;
    case "Home":
      col = 0;
      if (opts.ctrl) row = 0;
      break;
    case "End":
      col = cols - 1;
      if (opts.ctrl) row = rows - 1;
      break;
    case "PageUp":
      col -= page;
      break;
    case "PageDown":
      col += page;
      break;
    default:
      return null;
  }
  return { row: Math.min(rows - 1, Math.max(0, row)), col: Math.min(cols - 1, Math.max(0, col)) };
}

/** The scroll offset that brings [start, start + size) into a viewport [scroll, scroll + extent). Pure. */
export function scrollToShow(scroll: number, extent: number, start: number, size: number): number {
  if (start < scroll) return start;
  if (start + size > scroll + extent) return Math.max(0, start + size - extent);
  return scroll;
}
