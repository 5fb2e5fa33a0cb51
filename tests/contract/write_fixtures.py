"""Write wire-format payload fixtures for the JS contract tests (``tests/js/contract.test.ts``).

For each case: ``<name>.json`` holds the payload's metadata (everything but ``data``) plus
``expected`` (the decoded values, C order, NaN as null) and ``<name>.bin`` holds ``data``.
Run: ``python tests/contract/write_fixtures.py tests/fixtures/contract``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from interplay.widgets._serialize import decode_array, encode_array


def cases() -> dict[str, dict[str, object]]:
    rng = np.random.default_rng(0)
    signed = rng.normal(size=(3, 7)).astype(np.float32)
    signed[1, 4] = np.nan
    return {
        "float32_3x7": encode_array(signed, ["row", "pos"], center=0.0),
        "float32_1x5": encode_array(np.array([[0.0, 0.25, 0.5, 0.75, 1.0]], np.float32), ["row", "pos"]),
        "float64_as_f32_2x3x4": encode_array(np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7, ["layer", "head", "pos"]),
        "uint8_5x2": encode_array(np.arange(10, dtype=np.uint8).reshape(5, 2) * 25, ["row", "pos"]),
        "int32_2x3": encode_array(np.array([[-3, 0, 7], [100000, -100000, 1]], np.int32), ["row", "pos"]),
        "u8linear_4x6": encode_array(
            np.where(np.arange(24).reshape(4, 6) == 5, np.nan, np.linspace(-2, 2, 24).reshape(4, 6)),
            ["query", "key"],
            encoding="u8-linear",
        ),
        "all_nan_2x2": encode_array(np.full((2, 2), np.nan, np.float32), ["row", "pos"]),
    }


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, payload in cases().items():
        meta = {k: v for k, v in payload.items() if k != "data"}
        decoded = decode_array(payload).astype(np.float64).ravel()
        meta["expected"] = [None if np.isnan(x) else float(x) for x in decoded]
        (out / f"{name}.json").write_text(json.dumps(meta, indent=1))
        (out / f"{name}.bin").write_bytes(bytes(payload["data"]))  # type: ignore[arg-type]
    print(f"wrote {len(cases())} contract fixtures to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/contract"))
