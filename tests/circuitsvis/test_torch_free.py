"""The drop-in never imports torch (a notebook that draws saved arrays needs numpy alone), and it is
a layer of its own in ``tests/test_layers.py``: a torch import added to it is named there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.test_layers import SRC, violations


def test_using_the_drop_in_never_imports_torch() -> None:
    code = (
        "import sys, numpy as np\n"
        "from interplay import circuitsvis as cv\n"
        "p = np.full((2, 3, 3), 1 / 3, np.float32)\n"
        "cv.attention.attention_heads(attention=p, tokens=['a', 'b', 'c'])\n"
        "cv.tokens.colored_tokens(['a', 'b'], np.array([1.0, -1.0]), negative_color='blue', positive_color='red')\n"
        "cv.topk_tokens.topk_tokens([['a', 'b']], [np.zeros((1, 2, 2))])\n"
        "cv.logits.token_log_probs(np.arange(3), np.log(np.full((3, 4), 0.25)), str, top_k=2)\n"
        "assert 'torch' not in sys.modules and 'circuitsvis' not in sys.modules, sorted(sys.modules)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_a_torch_import_in_the_drop_in_is_a_layer_violation(tmp_path: Path) -> None:
    copy = tmp_path / "interplay"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("static", "assets", "__pycache__"))
    before = set(violations(copy))  # whatever the rest of the tree holds today
    target = copy / "circuitsvis" / "attention.py"
    target.write_text(target.read_text(encoding="utf-8") + "\n\ndef f():\n    import torch\n", encoding="utf-8")
    other = copy / "circuitsvis" / "tokens.py"
    other.write_text(other.read_text(encoding="utf-8") + "\n\nfrom interplay.methods import attention\n",
                     encoding="utf-8")
    found = [v for v in violations(copy) if v not in before]
    assert len(found) == 2, found
    assert found[0].startswith("interplay/circuitsvis/attention.py:") and found[0].endswith("circuitsvis imports torch")
    assert found[1].startswith("interplay/circuitsvis/tokens.py:") and "(methods)" in found[1]
