"""Token ids back into the text they stand for: what every view and result shows for a token.

Pure Python (a tokenizer object is only called): the backend, the Annotator and the methods all use
this one function, so a token looks the same everywhere.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet, inverted (the printable stand-ins for raw bytes)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=True)}


def token_strings(tokenizer: Any, ids: list[int]) -> list[str]:
    """Each id as the text it stands for (``" Mary"``, ``"\\n"``).

    A byte-level token that is only part of a UTF-8 character is shown with its bytes escaped
    (``"\\xe2\\x80"``) instead of a replacement character, so different tokens never look alike.
    """
    out = []
    raw = tokenizer.convert_ids_to_tokens(ids)
    dec = _byte_decoder()
    for i, r in zip(ids, raw, strict=True):
        text = tokenizer.decode([i], skip_special_tokens=False, clean_up_tokenization_spaces=False)
        if "\ufffd" in text and isinstance(r, str) and all(ch in dec for ch in r):
            text = bytes(dec[ch] for ch in r).decode("utf-8", errors="backslashreplace")
        out.append(text)
    return out
