/** Number formatting shared by tooltips and legends. Pure functions. */

/**
 * The shortest decimal that reads back as the same float32, like numpy's `repr(np.float32(x))`
 * (0.1 -> "0.1", 1/3 -> "0.33333334"): the exact stored value, without float64 noise.
 */
export function formatFloat32(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/**
 * A cell value at full precision for its dtype: integers exactly, float32 as the shortest
 * round-tripping decimal, float64 as JavaScript prints it; "NaN" for NaN. Values dequantised
 * from "u8-linear" codes are approximate, so they are shown with 4 digits and a leading "≈".
 */
export function formatValue(v: number, dtype: string, encoding = "raw"): string {
  if (Number.isNaN(v)) return "NaN";
  if (encoding === "u8-linear") return `≈${formatCompact(v, 4)}`;
  if (dtype === "float32") return formatFloat32(v);
  return String(v);
}

/** A short label for legends: `digits` significant digits, trailing zeros dropped. */
export function formatCompact(v: number | null, digits = 3): string {
  if (v === null || Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v === 0) return "0";
  const abs = Math.abs(v);
  const s = abs >= 1e-3 && abs < 1e6 ? v.toPrecision(digits) : v.toExponential(digits - 1);
  return s.replace(/(\.\d*?)0+(?=$|e)/, "$1").replace(/\.(?=$|e)/, "");
}
