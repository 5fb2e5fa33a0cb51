/** AttributionView's pure model: rows from the traits, replies, scales, delta text, tooltips, layout. */
import { describe, expect, it } from "vitest";

import {
  DEFAULT_STATE, deltaText, isOutput, matrixFromReply, matrixFromState, matrixLayout, rowKey, rowOf, sameSettings,
  scaleOf, shownFromReply, tokenLines, type AttributionState,
} from "../../js/views/attribution_model";
import { payloadOf } from "./helpers";

const TOKENS = ["<bos>", " When", " Mary", " and", " John", " gave"];

/** 2 targets × 6 tokens (non-square): rows explain tokens 4 and 5. */
function state(overrides: Partial<AttributionState> = {}): AttributionState {
  const values = new Float32Array([0.1, -0.2, 0.5, 0.05, NaN, NaN, 0.3, 0.1, -0.4, 0.2, 0.6, NaN]);
  return {
    ...DEFAULT_STATE,
    tokens: TOKENS,
    n_prompt: 4,
    methods: ["saliency", "integrated_gradients"],
    signed_methods: ["integrated_gradients"],
    method: "integrated_gradients",
    rows: payloadOf(values, "float32", [2, 6], { dims: ["target", "source"], vmin: -0.6, vmax: 0.6 }),
    row_targets: [4, 5],
    row_labels: ["logit(' John') at pos 3", "logit(' gave') at pos 4"],
    row_deltas: [0.001, -0.002],
    row_gaps: [0.45, 0.8],
    row_limits: [[-0.5, 0.5], [-0.6, 0.6]],
    row_settings: { method: "integrated_gradients", score: "logit", contrast: "" },
    selected: 5,
    matrix: true,
    ...overrides,
  };
}

describe("rows from the synced traits", () => {
  it("decodes the [target, source] rows and picks a row by the token it explains", () => {
    const m = matrixFromState(state());
    expect(m).not.toBeNull();
    if (!m) return;
    expect([m.rows, m.cols, m.signed]).toEqual([2, 6, true]);
    const row = rowOf(m, 5);
    expect(row?.label).toBe("logit(' gave') at pos 4");
    expect(Array.from(row?.values ?? []).slice(0, 5)).toEqual([0.3, 0.1, -0.4, 0.2, 0.6].map(Math.fround));
    expect(Number.isNaN(row?.values[5] ?? 0)).toBe(true);
    expect([row?.vmin, row?.vmax, row?.delta, row?.gap]).toEqual([-0.6, 0.6, -0.002, 0.8]);
    expect(rowOf(m, 2)).toBeNull();
  });

  it("refuses rows that do not fit the tokens, with a readable message", () => {
    expect(() => matrixFromState(state({ tokens: TOKENS.slice(0, 5) }))).toThrow(/6 sources but there are 5 tokens/);
    expect(() => matrixFromState(state({ row_targets: [5] }))).toThrow(/1 row targets for 2 rows/);
    expect(matrixFromState(state({ rows: null }))).toBeNull();
  });

  it("keeps the contrast token exactly (a leading space is part of a token), and keys rows by settings", () => {
    const a = { method: "saliency", score: "logit", contrast: " John" };
    expect(sameSettings(a, { ...a })).toBe(true);
    expect(sameSettings(a, { ...a, contrast: "John" })).toBe(false);
    expect(sameSettings(a, { ...a, score: "prob" })).toBe(false);
    expect(rowKey(3, a)).not.toBe(rowKey(4, a));
  });
});

describe("replies from Python", () => {
  it("reads an attribute reply and checks its length", () => {
    const scores = payloadOf(new Float32Array([1, 2, 3, NaN, NaN, NaN]), "float32", [6], { dims: ["source"], vmin: 0, vmax: 3 });
    const shown = shownFromReply({ scores, limits: [0, 3], label: "prob(' John') at pos 2", signed: false, delta: null, gap: null }, 3, 6);
    expect([shown.target, shown.vmin, shown.vmax, shown.signed, shown.delta]).toEqual([3, 0, 3, false, null]);
    expect(() => shownFromReply({ scores, limits: [0, 3] }, 3, 7)).toThrow(/6 scores for 7 tokens/);
  });

  it("reads a matrix reply for the state's targets", () => {
    const scores = payloadOf(new Float32Array(12).fill(0.5), "float32", [2, 6], { dims: ["target", "source"], vmin: 0, vmax: 0.5 });
    const m = matrixFromReply({ scores, limits: [[0, 0.5], [0, 0.5]], labels: ["a", "b"], signed: false, deltas: null, gaps: null }, state());
    expect([m.rows, m.cols, m.signed]).toEqual([2, 6, false]);
    expect(m.deltas).toEqual([null, null]);
    expect(() => matrixFromReply({ scores }, state({ row_targets: [5] }))).toThrow(/expected \[1, 6\]/);
  });
});

describe("display", () => {
  it("colours signed methods on a diverging scale centred on 0, others on a sequential one", () => {
    const signed = scaleOf({ signed: true, vmin: -2, vmax: 2 });
    expect([signed.kind, signed.center]).toEqual(["diverging", 0]);
    expect(signed.css(0)).toBe(signed.css(0));
    expect(signed.index(2)).toBe(255);
    expect(signed.index(-2)).toBe(0);
    const seq = scaleOf({ signed: false, vmin: 0, vmax: 1 });
    expect([seq.kind, seq.cmap]).toEqual(["sequential", "viridis"]);
  });

  it("reports the convergence delta relative to f(x) - f(baseline)", () => {
    expect(deltaText(0.002, 0.4)).toBe("convergence delta 0.002 (0.5% of f(x) − f(x′) = 0.4)");
    expect(deltaText(null, 0.4)).toBe("");
    expect(deltaText(-1e-7, null)).toBe("convergence delta -1e-7");
  });

  it("writes tooltip lines with the exact token and its score", () => {
    const m = matrixFromState(state());
    const row = m && rowOf(m, 5);
    expect(tokenLines(TOKENS, 2, 4, row ?? null)).toEqual(["␣Mary", 'pos 2 · prompt · " Mary"', "score -0.4", "click to explain this token"]);
    expect(tokenLines(TOKENS, 5, 4, row ?? null)).toEqual(["␣gave", 'pos 5 · generated · " gave"', "the explained token"]);
    expect(tokenLines(TOKENS, 0, 4, null)).toEqual(["<bos>", 'pos 0 · prompt · "<bos>"']);
    expect([isOutput(0, 6), isOutput(1, 6), isOutput(6, 6)]).toEqual([false, true, false]);
  });

  it("fits the matrix into the width, with sane minimum cells", () => {
    expect(matrixLayout(3, 10, 900, 100)).toEqual({ cellWidth: 28, cellHeight: 20, width: 380, height: 60 });
    const wide = matrixLayout(50, 1000, 900, 100);
    expect([wide.cellWidth, wide.cellHeight]).toEqual([3, 10]);
  });
});
