"""Results: frozen numpy data plus an optional live session (numpy only; no torch).

One module per kind of result. :func:`load_result` reads any result file back, whatever its kind.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from interplay.data import io
from interplay.errors import ResultFileError

#: result class name -> module that defines it
KINDS = {
    "AttentionResult": "interplay.results.attention",
    "AttributionResult": "interplay.results.attribution",
    "CircuitResult": "interplay.results.circuit",
    "DLAResult": "interplay.results.dla",
    "FeatureSteeringResult": "interplay.results.prompt_features",
    "HeatmapResult": "interplay.results.heatmap",
    "LogitLensResult": "interplay.results.logit_lens",
    "PatchingResult": "interplay.results.patching",
    "ProbeResult": "interplay.results.probe",
    "PromptFeaturesResult": "interplay.results.prompt_features",
    "SteeringResult": "interplay.results.steering",
    "TopActivationsResult": "interplay.results.features",
}


def load_result(path: str | os.PathLike[str]) -> Any:
    """Read any result file written by ``result.save(path)`` (no model, no torch needed)."""
    kind = io.read(path, arrays=False).kind
    if kind not in KINDS:
        raise ResultFileError(f"{path} holds a {kind!r}, which this interplay does not know "
                              f"(it knows {', '.join(sorted(KINDS))}): upgrade interplay")
    cls = getattr(importlib.import_module(KINDS[kind]), kind)
    return cls.load(path)


__all__ = ["KINDS", "load_result"]
