"""The layers point one way, checked on the source (AST), imports inside functions included.

::

    facade      interplay/__init__.py, interplay/_aliases.py        anything
    methods     interplay/methods/   (torch)      backend, results, widgets, data, tasks
    results     interplay/results/   (numpy)      widgets, data
    circuitsvis interplay/circuitsvis/ (numpy)   widgets, data   (the CircuitsVis drop-in)
    widgets     interplay/widgets/   (numpy, anywidget)              data
    backend     interplay/backend/   (torch)      data
    tasks       interplay/tasks/     (numpy)      data
    data        interplay/data/      (numpy)      -
    core        errors, _lazy, _deprecation, _version (stdlib)

Every layer may import the core and itself. An import is an ``import``/``from`` statement anywhere
in a module, or a string literal naming an interplay module (``"interplay.methods.x"``: the lazy
tables and ``importlib.import_module``), so a lazy import cannot hide a violation.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "interplay"
CORE = {"interplay.errors", "interplay.checks", "interplay._lazy", "interplay._deprecation", "interplay._version"}
NUMPY = {"numpy"}
NOTEBOOK = {"traitlets", "anywidget", "ipywidgets", "IPython"}
TABLES = {"pandas", "matplotlib", "networkx"}  # .to_dataframe() / .plot() / .to_networkx(), imported lazily
TORCH = {"torch", "transformers", "accelerate", "safetensors", "tqdm"}
#: layer -> (interplay layers it may import, third-party top-level packages it may import)
RULES: dict[str, tuple[set[str], set[str]]] = {
    "core": (set(), set()),
    "data": (set(), NUMPY),
    "widgets": ({"data"}, NUMPY | NOTEBOOK | {"pandas"}),
    "results": ({"data", "widgets"}, NUMPY | NOTEBOOK | TABLES),
    "circuitsvis": ({"data", "widgets"}, NUMPY | NOTEBOOK),  # the CircuitsVis drop-in: views from arrays
    "backend": ({"data"}, NUMPY | TORCH),
    "tasks": ({"data"}, NUMPY | {"tokenizers"}),
    "methods": ({"data", "widgets", "results", "backend", "tasks"}, NUMPY | NOTEBOOK | TABLES | TORCH),
    "facade": ({"data", "widgets", "results", "backend", "tasks", "methods", "circuitsvis", "facade"}, set()),
}
_MODULE_STRING = re.compile(r"^interplay(\.[A-Za-z_]\w*)+(:\w*)?$")


def layer_of(module: str) -> str:
    if module in CORE:
        return "core"
    if module in ("interplay", "interplay._aliases"):
        return "facade"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RULES else "facade"


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def exists(name: str, root: Path) -> bool:
    """Whether ``name`` (``interplay.x.y``) is a module or package under ``root``."""
    path = root.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports(tree: ast.AST, module: str, is_package: bool, root: Path = SRC) -> list[tuple[int, str]]:
    """(line, imported module) for every import in ``tree`` (relative imports resolved)."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name == "interplay":  # from interplay import x: x may be a submodule
                out += [(node.lineno, f"interplay.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, name))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_STRING.match(node.value) \
                and exists(node.value.split(":")[0], root):
            out.append((node.lineno, node.value.split(":")[0]))
    return out


def violations(root: Path = SRC) -> list[str]:
    found = []
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        layer = layer_of(module)
        allowed_layers, allowed_third = RULES[layer]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in imports(tree, module, path.name == "__init__.py", root):
            top = name.split(".")[0]
            where = f"{path.relative_to(root.parent)}:{line}"
            if top == "interplay":
                target = layer_of(name)
                if target != "core" and target != layer and target not in allowed_layers:
                    found.append(f"{where}: {layer} imports {name} ({target})")
            elif layer != "facade" and top not in stdlib and top not in allowed_third:
                found.append(f"{where}: {layer} imports {name}")
    return found


def test_the_layers_point_one_way() -> None:
    found = violations()
    assert not found, "layering violations:\n" + "\n".join(found)


VIOLATIONS = {  # each of the violations that main had before the redesign, as a snippet
    "backend/model.py": "def attention(self):\n    from interplay.widgets.attention import AttentionView\n",
    "backend/trace.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from interplay.widgets.token_heatmap import TokenHeatmap\n",
    "widgets/attention.py": "def f():\n    from interplay.methods.attention import from_trace\n",
    "widgets/circuit.py": "def node():\n    from interplay.methods.dla import direct_logit_attribution\n",
    "widgets/patching.py": "def recompute():\n    from interplay.methods._sweep import GRANULARITY\n",
    "widgets/logit_lens.py": "def table():\n    from interplay.backend.tokens import token_strings\n",
    "widgets/token_heatmap.py": "def array(values):\n    import torch\n",
    "widgets/annotator.py": "from interplay.methods import annotations\n",
    "results/logit_lens.py": "def explain():\n    import torch\n",
    "data/base.py": "TABLE = {'load': 'interplay.backend.model'}\n",
    "backend/hooks.py": "def f():\n    import importlib\n    importlib.import_module('interplay.methods.attention')\n",
}


@pytest.mark.parametrize("where", sorted(VIOLATIONS))
def test_the_test_sees_a_deliberate_violation(where: str, tmp_path: Path) -> None:
    """Copy the package, add one forbidden import (inside a function, lazily or as a string), and
    the check must name it."""
    import shutil

    copy = tmp_path / "interplay"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("static", "assets", "__pycache__"))
    assert violations(copy) == []
    target = copy / where
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + VIOLATIONS[where], encoding="utf-8")
    found = violations(copy)
    assert len(found) == 1 and found[0].startswith(f"interplay/{where}:"), found


def test_torch_free_imports() -> None:
    """What a notebook that only draws saved results imports: never torch."""
    import subprocess

    code = (
        "import sys, interplay\n"
        "import interplay.widgets.attention, interplay.widgets.annotator, interplay.results\n"
        "for name in ['TokenHeatmapView', 'AttentionView', 'LogitLensView', 'DLAView', 'AttributionView',\n"
        "             'PatchingView', 'CircuitView', 'AnnotatorView', 'load_result', 'LogitLensResult',\n"
        "             'AttentionResult', 'PatchingResult', 'CircuitResult', 'ProbeResult', 'DLAResult',\n"
        "             'AttributionResult', 'SteeringResult', 'HeatmapResult', 'tasks', 'FeatureView',\n"
        "             'PromptFeaturesView', 'TopActivationsResult', 'PromptFeaturesResult', 'FeatureSteeringResult']:\n"
        "    getattr(interplay, name)\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, sorted(sys.modules)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
