"""Checkers for the torch-typed arguments of the backend's entry points: a device and a dtype.

The core checkers (counts, flags, prompts...) live in :mod:`interplay.checks`; these two need torch,
so they live here, used by :func:`~interplay.backend.model.load`, the dictionaries and
:func:`~interplay.backend.dictionary_io.load_dictionary`. Each names the argument, repeats the bad
value and says what is accepted, with a :class:`~interplay.errors.InterplayError` (or ``error``).
"""

from __future__ import annotations

from typing import Any

import torch

from interplay.errors import InterplayError

Error = type[InterplayError]
#: the floating-point dtypes a model or a dictionary can hold, by the names users write
FLOAT_DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float": torch.float32, "fp32": torch.float32,
    "float16": torch.float16, "half": torch.float16, "fp16": torch.float16,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
    "float64": torch.float64, "double": torch.float64,
}
_ACCEPTED_DTYPES = "a floating-point torch dtype (torch.float32, torch.float16, torch.bfloat16, torch.float64) or its name ('float32', 'bfloat16'...)"
_ACCEPTED_DEVICES = "'cpu', 'cuda', 'cuda:0', 'mps', a torch.device or a GPU index"


def device(name: str, value: Any, *, error: Error = InterplayError) -> torch.device:
    """A torch device that exists on this machine (``"cpu"``, ``"cuda:1"``, ``torch.device``, ``0``)."""
    if isinstance(value, bool) or not isinstance(value, (str, torch.device, int)):
        raise error(f"{name}={value!r:.60} (a {type(value).__name__}) is not a device; accepted: {_ACCEPTED_DEVICES}")
    try:
        dev = value if isinstance(value, torch.device) else torch.device(value)
    except (RuntimeError, ValueError, TypeError):
        hint = " ('gpu' is spelt 'cuda' in torch)" if str(value).lower().startswith("gpu") else ""
        raise error(f"{name}={value!r} is not a device; accepted: {_ACCEPTED_DEVICES}{hint}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise error(f"{name}={value!r}: this machine has no CUDA GPU (torch.cuda.is_available() is False); "
                        "accepted here: 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise error(f"{name}={value!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s); "
                        f"accepted: 'cuda:0'..'cuda:{torch.cuda.device_count() - 1}' or 'cpu'")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise error(f"{name}={value!r}: MPS (Apple GPU) is not available here; accepted here: 'cpu'"
                        + (" or 'cuda'" if torch.cuda.is_available() else ""))
    elif dev.type not in ("cpu", "meta"):
        raise error(f"{name}={value!r} is a device type interplay does not run on; accepted: {_ACCEPTED_DEVICES}")
    return dev


def dtype(name: str, value: Any, *, error: Error = InterplayError) -> torch.dtype:
    """A floating-point torch dtype, given as a ``torch.dtype`` or by name (``"bfloat16"``, ``"fp16"``)."""
    if isinstance(value, str):
        key = value.removeprefix("torch.")
        if key not in FLOAT_DTYPES:
            import difflib

            close = difflib.get_close_matches(key, list(FLOAT_DTYPES), n=2)
            hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
            raise error(f"{name}={value!r} is not a dtype; accepted: {_ACCEPTED_DTYPES}{hint}")
        return FLOAT_DTYPES[key]
    if not isinstance(value, torch.dtype) or not value.is_floating_point:
        what = "a floating-point dtype" if isinstance(value, torch.dtype) else f"a dtype (it is a {type(value).__name__})"
        raise error(f"{name}={value!r:.60} is not {what}; accepted: {_ACCEPTED_DTYPES}")
    return value


__all__ = ["FLOAT_DTYPES", "device", "dtype"]
