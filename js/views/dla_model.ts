/**
 * The DLAView's state and what the view derives from it: validation, the diverging scales
 * (centred at 0), tooltip lines and the geometry of the component bars. Pure.
 */

import { decodeArray, isPayload, type DecodedArray, type OptionalPayload } from "../lib/codec";
import { formatCompact, formatValue } from "../lib/format";
import { makeScale, type Scale } from "../lib/scales";

/** The `selected` trait of the DLA view (and of AttentionView, to which it may be linked). */
export interface HeadSelection {
  layer: number;
  head: number;
}

/** The synced traits (ARCHITECTURE.md, "DLAView"). */
export interface DlaState {
  heads: OptionalPayload;
  components: OptionalPayload;
  component_labels: string[];
  target_label: string;
  total: number | null;
  notes: string[];
  selected: HeadSelection | null;
}

export const TRAITS = ["heads", "components", "component_labels", "target_label", "total", "notes", "selected"] as const satisfies readonly (keyof DlaState)[];

export const DEFAULT_STATE: DlaState = {
  heads: null,
  components: null,
  component_labels: [],
  target_label: "",
  total: null,
  notes: [],
  selected: null,
};

/** The colour map of both panes (blue = against the target, red = for it). */
export const DLA_CMAP = "rdbu";

export interface DlaPrepared {
  layers: number;
  nHeads: number;
  heads: DecodedArray;
  /** Head values as float32, row-major [layer, head]. */
  values: Float32Array;
  headScale: Scale;
  rowLabels: string[];
  colLabels: string[];
  /** null when the `components` trait is empty. */
  components: DecodedArray | null;
  componentScale: Scale | null;
  componentLabels: string[];
}

/**
 * A diverging scale centred at 0 over the payload's limits; a range that does not contain 0 is
 * extended to it, so 0 is always the white midpoint.
 */
export function zeroCentredScale(vmin: number | null, vmax: number | null): Scale {
  const lo = vmin === null ? null : Math.min(vmin, 0);
  const hi = vmax === null ? null : Math.max(vmax, 0);
  return makeScale({ kind: "diverging", cmap: DLA_CMAP, center: 0 }, lo, hi);
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === "string");
}

const shapeText = (d: DecodedArray): string => `[${d.shape.join(", ")}]`;

/** Validate the state and derive what the view draws; throws an Error with a readable message. */
export function prepare(state: DlaState): DlaPrepared {
  if (!isPayload(state.heads)) throw new Error("no head contributions to show (the `heads` trait is empty)");
  const heads = decodeArray(state.heads);
  if (heads.shape.length !== 2) throw new Error(`heads must be 2-D [layer, head], got shape ${shapeText(heads)}`);
  const [layers, nHeads] = heads.shape;
  if (!isStringArray(state.component_labels)) throw new Error("component_labels must be a list of strings");
  let components: DecodedArray | null = null;
  if (isPayload(state.components)) {
    components = decodeArray(state.components);
    if (components.shape.length !== 1) throw new Error(`components must be 1-D [component], got shape ${shapeText(components)}`);
    if (components.shape[0] !== state.component_labels.length) {
      throw new Error(`${state.component_labels.length} component labels, but components has ${components.shape[0]} values`);
    }
  } else if (state.component_labels.length > 0) {
    throw new Error(`${state.component_labels.length} component labels, but no components`);
  }
  return {
    layers,
    nHeads,
    heads,
    values: heads.values(),
    headScale: zeroCentredScale(heads.vmin, heads.vmax),
    rowLabels: Array.from({ length: layers }, (_, i) => `L${i}`),
    colLabels: Array.from({ length: nHeads }, (_, i) => `H${i}`),
    components,
    componentScale: components && zeroCentredScale(components.vmin, components.vmax),
    componentLabels: state.component_labels,
  };
}

/** "12.3% of total", or why there is no share. */
export function shareText(value: number, total: number | null | undefined): string {
  if (typeof total !== "number" || !Number.isFinite(total) || total === 0) return "share of total: n/a";
  if (Number.isNaN(value)) return "share of total: NaN";
  return `share of total: ${formatCompact((100 * value) / total, 3)}%`;
}

/** Tooltip lines for a head: "L1 H3", its exact value, its share of the total. */
export function headTooltipLines(p: DlaPrepared, total: number | null, layer: number, head: number): string[] {
  const v = p.heads.get(layer, head);
  return [`L${layer} H${head}`, `direct effect: ${formatValue(v, p.heads.dtype, p.heads.encoding)}`, shareText(v, total)];
}

/** The total for the header ("n/a" when missing). */
export function totalText(total: number | null | undefined): string {
  return typeof total === "number" && Number.isFinite(total) ? `total: ${formatCompact(total, 4)}` : "total: n/a";
}

export interface Bar {
  index: number;
  value: number;
  /** Left edge and width in px (width 0 for NaN). */
  x: number;
  w: number;
  y: number;
}

export interface BarLayout {
  zeroX: number;
  bars: Bar[];
  height: number;
}

/** Horizontal bars from 0 to each value over [min(lo, 0), max(hi, 0)] mapped to [left, left + width]. Pure. */
export function barLayout(values: ArrayLike<number>, lo: number | null, hi: number | null, left: number, width: number, rowHeight: number): BarLayout {
  const a = Math.min(lo ?? 0, 0);
  const b = Math.max(hi ?? 0, 0);
  const span = b > a ? b - a : 1;
  const xOf = (v: number): number => left + ((Math.min(b, Math.max(a, v)) - a) / span) * width;
  const zeroX = xOf(0);
  const bars: Bar[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const end = Number.isNaN(v) ? zeroX : xOf(v);
    bars.push({ index: i, value: v, x: Math.min(zeroX, end), w: Math.abs(end - zeroX), y: i * rowHeight });
  }
  return { zeroX, bars, height: values.length * rowHeight };
}

/** A `selected` value that points at a head of the data, or null. */
export function validSelection(sel: unknown, p: Pick<DlaPrepared, "layers" | "nHeads">): HeadSelection | null {
  if (!sel || typeof sel !== "object") return null;
  const { layer, head } = sel as Partial<HeadSelection>;
  if (!Number.isInteger(layer) || !Number.isInteger(head)) return null;
  const l = layer as number;
  const h = head as number;
  return l >= 0 && l < p.layers && h >= 0 && h < p.nHeads ? { layer: l, head: h } : null;
}

/** Row height (CSS px) of the heads grid. */
export function headCellHeight(layers: number): number {
  if (layers <= 24) return 22;
  if (layers <= 48) return 16;
  return 12;
}
