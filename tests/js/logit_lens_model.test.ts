/** LogitLens state -> drawing data: validation messages, top-1 text, tooltip lines. Pure. */
import { describe, expect, it } from "vitest";

import {
  formatProb, hasTarget, legendCaption, prepare, tooltipLines, top1Row, validSelection,
} from "../../js/views/logit_lens_model";
import { payloadOf } from "./helpers";
import { lensState, targetTraits, XSS } from "./lens_dla_fixtures";

describe("LogitLens model", () => {
  it("derives the grid, display tokens and the top-1 text of each cell", () => {
    const p = prepare(lensState());
    expect([p.rows, p.cols, p.k]).toEqual([3, 4, 2]);
    expect(p.display).toEqual(["<img␣src=x␣onerror=alert(1)>", "␣the", "↵", "cat"]);
    // top-1 of (1, pos) is token_table[(1 + pos) % 4], in display form.
    expect(top1Row(p, 1)).toEqual(["␣John", "<b>x</b>", "→", "␣Mary"]);
    expect(top1Row(p, 1)).toBe(top1Row(p, 1)); // built once
    expect(p.targetProbs).toBeNull();
    expect(p.scale.vmin).toBe(0);
    expect(p.scale.vmax).toBe(1);
  });

  it("builds tooltip lines: where, the top-k with probabilities, target and KL", () => {
    const s = lensState();
    const p = prepare(s);
    expect(tooltipLines(p, s, 1, 2)).toEqual(["L0 · pos 2 · ↵", "1. →  0.600", "2. ␣Mary  3e-4"]);
    expect(tooltipLines(p, s, 0, 0)[0]).toBe(`embed · pos 0 · ${"<img␣src=x␣onerror=alert(1)>"}`);

    const t = lensState({ ...targetTraits(), mode: "kl" });
    const q = prepare(t);
    expect(tooltipLines(q, t, 2, 3)).toEqual([
      "<b>L1</b> · pos 3 · cat",
      "1. ␣John  0.700",
      "2. <b>x</b>  4e-4",
      "target ␣Mary: 0.900, rank 2 (0 = top)",
      "KL to final: 0.7",
    ]);
  });

  it("formats probabilities", () => {
    expect(formatProb(0.731)).toBe("0.731");
    expect(formatProb(1)).toBe("1.000");
    expect(formatProb(0)).toBe("0.000");
    expect(formatProb(0.000123456)).toBe("1.23e-4");
    expect(formatProb(NaN)).toBe("NaN");
  });

  it("knows when there is a usable target, and captions the legend", () => {
    expect(hasTarget(lensState())).toBe(false);
    expect(hasTarget(lensState(targetTraits()))).toBe(true);
    // A refused target leaves the last accepted one's probabilities, still usable.
    expect(hasTarget(lensState({ ...targetTraits(), target_error: "not a single token" }))).toBe(true);
    expect(legendCaption({ mode: "top1_prob", target: " Mary" })).toBe("top-1 probability");
    expect(legendCaption({ mode: "target_rank", target: " Mary" })).toBe("target rank of ␣Mary");
    expect(legendCaption({ mode: "kl", target: "" })).toBe("KL to final");
  });

  it("validates selections", () => {
    const p = prepare(lensState());
    expect(validSelection({ layer: 2, pos: 3 }, p)).toEqual({ layer: 2, pos: 3 });
    expect(validSelection({ layer: 3, pos: 0 }, p)).toBeNull();
    expect(validSelection({ row: 0, pos: 0 }, p)).toBeNull();
    expect(validSelection(null, p)).toBeNull();
  });

  it("refuses data whose shapes disagree, with a message naming the problem", () => {
    const bad = (o: Parameters<typeof lensState>[0]): string => {
      try {
        prepare(lensState(o));
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(bad({ tokens: ["a", "b", "c"] })).toMatch(/3 tokens, but color has 4 positions/);
    expect(bad({ layer_labels: ["a"] })).toMatch(/1 layer labels, but color has 3 layers/);
    expect(bad({ color: {} })).toMatch(/no values/);
    expect(bad({ top_ids: null })).toMatch(/no predictions/);
    const ids2d = payloadOf(new Int32Array(12), "int32", [3, 4]);
    expect(bad({ top_ids: ids2d })).toMatch(/top_ids must have shape \[layer, pos, k\] = \[3, 4, k ≥ 1\], got \[3, 4\]/);
    const probsShort = payloadOf(new Float32Array(12), "float32", [3, 4, 1]);
    expect(bad({ top_probs: probsShort })).toMatch(/top_probs has shape \[3, 4, 1\], but top_ids has \[3, 4, 2\]/);
    expect(bad({ token_table: ["a", "b"] })).toMatch(/top_ids holds [23], outside the token_table of 2 strings/);
    const transposed = payloadOf(new Float32Array(12), "float32", [4, 3]);
    expect(bad({ ...targetTraits(), target_probs: transposed })).toMatch(/target_probs must have shape \[layer, pos\] = \[3, 4\], got \[4, 3\]/);
    expect(bad({ tokens: [XSS, 1 as unknown as string, "", ""] })).toMatch(/tokens must be a list of strings/);
  });
});
