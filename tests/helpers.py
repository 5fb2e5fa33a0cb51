"""Helpers shared by the Python-level widget tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from interplay.widgets._serialize import decode_array


def wire(widget: Any, trait: str) -> Any:
    """The value of ``trait`` exactly as it goes over the wire (an array trait's payload)."""
    return widget.get_state(trait)[trait]


def sent(widget: Any, trait: str) -> np.ndarray:
    """An array trait's payload decoded again (what the view receives)."""
    return decode_array(wire(widget, trait))
