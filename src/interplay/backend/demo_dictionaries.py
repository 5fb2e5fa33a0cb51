"""The sparse dictionaries bundled with the demo model: SAEs on its residual stream and a transcoder
for every MLP, trained by ``scripts/train_dictionaries.py`` and described (with every number
measured and re-checked by ``tests/demo/test_dictionary_card.py``) in
``assets/demo-dictionaries/DICTIONARY_CARD.md``.

``demo_dictionary("resid_post.2")`` loads one (``"demo/resid_post.2"`` works too);
``demo_dictionaries()`` all of them, by name. Each is a fresh float32 copy.
"""

from __future__ import annotations

from pathlib import Path

from interplay.backend.dictionaries import Dictionary
from interplay.errors import DictionaryError

DEMO_DICTIONARIES_DIR = Path(__file__).resolve().parents[1] / "assets" / "demo-dictionaries"
PREFIX = "demo/"


def demo_dictionary_names() -> list[str]:
    """The bundled dictionaries' names (directories holding a cfg.json), sorted."""
    if not DEMO_DICTIONARIES_DIR.is_dir():
        return []
    return sorted(p.name for p in DEMO_DICTIONARIES_DIR.iterdir() if (p / "cfg.json").is_file())


def demo_dictionary(name: str) -> Dictionary:
    """One bundled dictionary by name (``"resid_post.1"``, ``"transcoder.0"``, with or without ``"demo/"``)."""
    from interplay.backend.dictionary_io import load_dictionary

    names = demo_dictionary_names()
    short = name.removeprefix(PREFIX) if isinstance(name, str) else name
    if not isinstance(short, str) or short not in names:
        listed = ", ".join(repr(n) for n in names) or "none (the bundle is missing: run scripts/train_dictionaries.py)"
        raise DictionaryError(f"name={name!r} is not a bundled demo dictionary; the bundled ones are: {listed}")
    return load_dictionary(DEMO_DICTIONARIES_DIR / short)


def demo_dictionaries() -> dict[str, Dictionary]:
    """Every bundled dictionary, ``{name: dictionary}`` in name order."""
    names = demo_dictionary_names()
    if not names:
        raise DictionaryError(f"no demo dictionaries at {str(DEMO_DICTIONARIES_DIR)!r}: run scripts/train_dictionaries.py")
    return {n: demo_dictionary(n) for n in names}


__all__ = ["DEMO_DICTIONARIES_DIR", "demo_dictionaries", "demo_dictionary", "demo_dictionary_names"]
