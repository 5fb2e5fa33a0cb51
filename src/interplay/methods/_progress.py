"""Progress bars for long method runs (tqdm, which comes with transformers)."""

from __future__ import annotations

from typing import Any


def progress_bar(total: int | None, desc: str) -> Any:
    """A tqdm bar that disappears when done, or None when tqdm is missing."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with transformers
        return None
    return tqdm(total=total, desc=desc, leave=False)
