/**
 * Token strings for display. Tokens are model data: they reach the DOM only as text
 * (`textContent`, canvas `fillText`), never as HTML.
 */

const VISIBLE: Record<string, string> = { " ": "␣", "\n": "↵", "\t": "→", "\r": "␍" };

/** Characters that would be invisible or ambiguous on screen: controls, format characters
 * (zero-width, bidi overrides, BOM), line/paragraph separators, no-break space, lone surrogates. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0\p{Cs}]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, "gu");

function escapeChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = cp.toString(16).padStart(4, "0");
  return cp > 0xffff ? `\\u{${hex}}` : `\\u${hex}`;
}

/**
 * A visible, unambiguous form of a token: space → ␣, newline → ↵, tab → →, carriage return → ␍,
 * any other control or invisible character → `\uXXXX`; the empty token → ∅.
 */
export function displayToken(s: string): string {
  if (s.length === 0) return "∅";
  let out = "";
  for (const c of s) {
    const v = VISIBLE[c];
    if (v !== undefined) out += v;
    else if (INVISIBLE.test(c)) out += escapeChar(c);
    else out += c;
  }
  return out;
}

/** The exact string, JSON-escaped (with invisible characters as `\uXXXX` too), for tooltips. */
export function exactToken(s: string): string {
  return JSON.stringify(s).replace(INVISIBLE_ALL, escapeChar);
}
