import { describe, expect, it } from "vitest";

import { displayToken, exactToken } from "../../js/lib/tokens";

describe("displayToken", () => {
  it("shows each whitespace character visibly", () => {
    expect(displayToken(" ")).toBe("␣");
    expect(displayToken("\n")).toBe("↵");
    expect(displayToken("\t")).toBe("→");
    expect(displayToken("\r")).toBe("␍");
    expect(displayToken(" the")).toBe("␣the");
    expect(displayToken("\r\n\n")).toBe("␍↵↵");
    expect(displayToken("  ")).toBe("␣␣");
  });

  it("escapes other control and invisible characters as \\uXXXX", () => {
    expect(displayToken("\u0000")).toBe("\\u0000");
    expect(displayToken("a\u001bb")).toBe("a\\u001bb");
    expect(displayToken("\u007f")).toBe("\\u007f");
    expect(displayToken("\u0085")).toBe("\\u0085");
    expect(displayToken("\u200b")).toBe("\\u200b"); // zero-width space
    expect(displayToken("\u202e")).toBe("\\u202e"); // right-to-left override
    expect(displayToken("\ufeff")).toBe("\\ufeff");
    expect(displayToken("\u00a0")).toBe("\\u00a0");
    expect(displayToken("\u2028")).toBe("\\u2028");
    expect(displayToken("\ud800")).toBe("\\ud800"); // lone surrogate
    expect(displayToken("\u{e0001}")).toBe("\\u{e0001}"); // astral format character
  });

  it("keeps visible text, including non-ASCII and emoji, as is", () => {
    expect(displayToken("héllo")).toBe("héllo");
    expect(displayToken("日本")).toBe("日本");
    expect(displayToken("👍")).toBe("👍");
    expect(displayToken("\ufffd")).toBe("\ufffd");
  });

  it("shows the empty token as ∅", () => {
    expect(displayToken("")).toBe("∅");
  });

  it("keeps an XSS-looking token literal", () => {
    const t = "<img src=x onerror=alert(1)>";
    expect(displayToken(t)).toBe("<img␣src=x␣onerror=alert(1)>");
    expect(exactToken(t)).toBe('"<img src=x onerror=alert(1)>"');
  });
});

describe("exactToken", () => {
  it("is the JSON-escaped string", () => {
    expect(exactToken(" the")).toBe('" the"');
    expect(exactToken("\n")).toBe('"\\n"');
    expect(exactToken('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    expect(exactToken("\u0001")).toBe('"\\u0001"');
    expect(exactToken("")).toBe('""');
    expect(JSON.parse(exactToken("a\tb\r\n"))).toBe("a\tb\r\n");
  });

  it("escapes invisible characters JSON leaves raw", () => {
    expect(exactToken("a\u200bb")).toBe('"a\\u200bb"');
    expect(exactToken("\u00a0")).toBe('"\\u00a0"');
    expect(JSON.parse(exactToken("a\u200bb"))).toBe("a\u200bb");
  });
});
