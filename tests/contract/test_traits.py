"""Each widget's synced traits are exactly the ones its TypeScript view reads (``TRAITS`` in
``js/views/<view>_model.ts``): a trait renamed or added on one side only fails here."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[2] / "js" / "views"
VIEWS = {
    "TokenHeatmapView": ("interplay.widgets.token_heatmap", "token_heatmap_model.ts"),
    "AttentionView": ("interplay.widgets.attention", "attention_model.ts"),
    "LogitLensView": ("interplay.widgets.logit_lens", "logit_lens_model.ts"),
    "DLAView": ("interplay.widgets.dla", "dla_model.ts"),
    "AttributionView": ("interplay.widgets.attribution", "attribution_model.ts"),
    "PatchingView": ("interplay.widgets.patching", "patching_model.ts"),
    "CircuitView": ("interplay.widgets.circuit", "circuit_model.ts"),
    "AnnotatorView": ("interplay.widgets.annotator", "annotator_model.ts"),
    "FeatureView": ("interplay.widgets.feature", "feature_model.ts"),
    "PromptFeaturesView": ("interplay.widgets.prompt_features", "prompt_features_model.ts"),
}


def ts_traits(file: str) -> list[str]:
    text = (JS / file).read_text(encoding="utf-8")
    m = re.search(r"export const TRAITS\b[^=]*=\s*\[(.*?)\]", text, re.S)
    assert m, f"no TRAITS list in {file}"
    return re.findall(r'"([a-z_]+)"', m.group(1))


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_synced_traits_equal_the_typescript_list(view: str) -> None:
    import anywidget

    module, file = VIEWS[view]
    cls = getattr(importlib.import_module(module), view)
    base = set(anywidget.AnyWidget.class_trait_names(sync=True))
    ours = {n for n in cls.class_trait_names(sync=True) if n not in base and not n.startswith("_")}
    theirs = ts_traits(file)
    assert len(theirs) == len(set(theirs)), f"{file} lists a trait twice"
    assert ours == set(theirs), f"only in Python: {sorted(ours - set(theirs))}; only in {file}: {sorted(set(theirs) - ours)}"
