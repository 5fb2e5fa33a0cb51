"""Issue 18, area R3: file loaders and the scripts' command lines. Every way a file can be wrong
(missing, a folder, empty, truncated, foreign, a zip of something else, from a newer interplay, a
member missing or damaged, another kind) raises ResultFileError / AnnotationError / ViewError
naming the file and the problem and saying what is expected; the file is left as it is. A bad
command-line argument of a script exits with code 2, the usage line and a message naming the option,
the value and what is accepted (argparse's documented behaviour), before any work starts.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.data.heatmap import TokenHeatmapData
from interplay.errors import AnnotationError, ResultFileError, ViewError
from tests.reliability.conftest import TALLY, case, expect_error

ROOT = Path(__file__).resolve().parents[2]
_TMP: dict[str, Path] = {}


def tmp() -> Path:
    """One folder for this module's files (made on first use)."""
    import tempfile

    if "dir" not in _TMP:
        _TMP["dir"] = Path(tempfile.mkdtemp(prefix="interplay-r3-"))
    return _TMP["dir"]


def heatmap_data() -> TokenHeatmapData:
    from interplay.widgets.token_heatmap import TokenHeatmapView

    data: TokenHeatmapData = TokenHeatmapView.from_arrays(["a", "b", "c"], np.arange(3, dtype=np.float32)).data
    return data


def good_file(name: str = "good.interplay") -> Path:
    """A good result file (a HeatmapResult) that load_result reads."""
    path = tmp() / name
    heatmap_data().save(path, kind="HeatmapResult")
    return path


def made(name: str, write: Callable[[Path], Any]) -> Callable[[], Path]:
    """A file ``name`` written by ``write`` (lazily, once)."""
    def make() -> Path:
        path = tmp() / name
        if not path.exists():
            write(path)
        return path
    return make


def _rezip(path: Path, edit: Callable[[dict[str, bytes]], dict[str, bytes]]) -> None:
    with zipfile.ZipFile(good_file("source-" + path.name)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(path, "w") as zf:
        for n, b in edit(members).items():
            zf.writestr(n, b)


def _header(edit: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    def change(members: dict[str, bytes]) -> dict[str, bytes]:
        header = json.loads(members["interplay.json"])
        members["interplay.json"] = json.dumps(edit(header)).encode()
        return members
    return change


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def edit(h: dict[str, Any]) -> dict[str, Any]:
        return {**h, key: value}
    return edit


def _drop(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def edit(h: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in h.items() if k != key}
    return edit


def _shape(h: dict[str, Any]) -> dict[str, Any]:
    arrays = dict(h["arrays"])
    name = sorted(arrays)[0]
    arrays[name] = {**arrays[name], "shape": [99]}
    return {**h, "arrays": arrays}


def _no_member(members: dict[str, bytes]) -> dict[str, bytes]:
    name = sorted(n for n in members if n.startswith("arrays/"))[0]
    return {k: v for k, v in members.items() if k != name}


def _pickled(members: dict[str, bytes]) -> dict[str, bytes]:
    name = sorted(n for n in members if n.startswith("arrays/"))[0]
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([{"x": 1}, None], dtype=object), allow_pickle=True)
    return {**members, name: buf.getvalue()}


MISSING = made("missing-dir-never-made/none.interplay", lambda p: None)
EMPTY = made("empty.interplay", lambda p: p.write_bytes(b""))
TEXT = made("notes.interplay", lambda p: p.write_text("hello, this is not a result\n"))
NPZ = made("arrays.npz", lambda p: np.savez(p, x=np.zeros(3)))
TRUNCATED = made("truncated.interplay", lambda p: p.write_bytes(good_file("t-src.interplay").read_bytes()[:150]))
NOT_JSON = made("not-json.interplay", lambda p: _rezip(p, lambda m: {**m, "interplay.json": b"{oops"}))
FOREIGN = made("foreign.interplay", lambda p: _rezip(p, _header(_set("format", "someone.else"))))
NEWER = made("newer.interplay", lambda p: _rezip(p, _header(_set("format_version", 99))))
VERSION_STR = made("version-str.interplay", lambda p: _rezip(p, _header(_set("format_version", "1"))))
UNKNOWN_KIND = made("unknown-kind.interplay", lambda p: _rezip(p, _header(_set("kind", "HoroscopeResult"))))
NO_META = made("no-meta.interplay", lambda p: _rezip(p, _header(_drop("meta"))))
SHAPE = made("shape.interplay", lambda p: _rezip(p, _header(_shape)))
NO_MEMBER = made("no-member.interplay", lambda p: _rezip(p, _no_member))
PICKLED = made("pickled.interplay", lambda p: _rezip(p, _pickled))
NEWER_DATA = made("newer-data.interplay", lambda p: _rezip(p, _header(_set("data_version", 42))))
NO_FIELD = made("no-field.interplay", lambda p: _rezip(p, _header(lambda h: {**h, "meta": {}})))
WRONG_FIELD = made("wrong-field.interplay", lambda p: _rezip(
    p, _header(lambda h: {**h, "meta": {**h["meta"], "tokens": 5}})))


def _flip_byte(p: Path) -> None:
    raw = bytearray(good_file("f-src.interplay").read_bytes())
    at = raw.index(b"\x93NUMPY") + 140  # inside the first array's data
    raw[at] ^= 0xFF
    p.write_bytes(bytes(raw))


CORRUPT = made("corrupt.interplay", _flip_byte)
load_result = interplay.load_result

RESULTS = [
    case("result-missing", lambda: load_result(MISSING()), ResultFileError, r"none\.interplay", r"no such file"),
    case("result-folder", lambda: load_result(tmp()), ResultFileError, r"interplay-r3-", r"is a directory",
         r"not an interplay result file"),
    case("result-empty", lambda: load_result(EMPTY()), ResultFileError, r"empty\.interplay",
         r"truncated, corrupted or not a zip"),
    case("result-text-file", lambda: load_result(TEXT()), ResultFileError, r"notes\.interplay", r"not a zip"),
    case("result-npz", lambda: load_result(NPZ()), ResultFileError, r"arrays\.npz", r"zip archive but not",
         r"no interplay\.json"),
    case("result-truncated", lambda: load_result(TRUNCATED()), ResultFileError, r"truncated\.interplay",
         r"truncated"),
    case("result-header-not-json", lambda: load_result(NOT_JSON()), ResultFileError, r"not-json", r"not JSON"),
    case("result-foreign-format", lambda: load_result(FOREIGN()), ResultFileError, r"foreign\.interplay",
         r"not an interplay result file", r"interplay\.result"),
    case("result-newer-format", lambda: load_result(NEWER()), ResultFileError, r"newer\.interplay",
         r"newer interplay", r"file format 99", r"reads file format 1", r"upgrade"),
    case("result-version-not-int", lambda: load_result(VERSION_STR()), ResultFileError, r"format_version",
         r"'1'", r"not an integer"),
    case("result-unknown-kind", lambda: load_result(UNKNOWN_KIND()), ResultFileError, r"HoroscopeResult",
         r"does not know", r"HeatmapResult"),
    case("result-no-meta", lambda: load_result(NO_META()), ResultFileError, r"no-meta", r"'meta'",
         r"missing or not a dict"),
    case("result-shape-mismatch", lambda: load_result(SHAPE()), ResultFileError, r"shape", r"\[99\]",
         r"header says"),
    case("result-member-missing", lambda: load_result(NO_MEMBER()), ResultFileError, r"no-member",
         r"listed but missing"),
    case("result-pickled-member", lambda: load_result(PICKLED()), ResultFileError, r"pickled",
         r"truncated or corrupted", r"pickle"),
    case("result-flipped-byte", lambda: load_result(CORRUPT()), ResultFileError, r"corrupt\.interplay",
         r"corrupted|CRC|Bad"),
    case("result-path-none", lambda: load_result(None), ResultFileError, r"path", r"None",
         r"str or os\.PathLike|a file path"),
    case("result-path-int", lambda: load_result(3), ResultFileError, r"path", r"3", r"a file path"),
    case("data-load-other-kind", lambda: __import__("interplay.data.logit_lens", fromlist=["x"]).LogitLensData.load(
        good_file()), ResultFileError,
         r"holds a HeatmapResult", r"not a LogitLensData", r"load_result"),
    case("data-load-newer-data", lambda: load_result(NEWER_DATA()), ResultFileError, r"data version 42",
         r"newer", r"reads version \d"),
    case("data-load-field-missing", lambda: load_result(NO_FIELD()), ResultFileError, r"no-field",
         r"(field|array) '\w+' is missing"),
    case("data-load-field-wrong", lambda: load_result(WRONG_FIELD()), ResultFileError, r"wrong-field",
         r"field 'tokens' is 5", r"must be a list\[str\]"),
    case("data-save-object-array", lambda: __import__("interplay.data.io", fromlist=["x"]).write(
        tmp() / "obj.interplay", "X", 1, {}, {"a": np.array([object()])}), ResultFileError, r"obj\.interplay",
        r"'a'", r"Python objects"),
    case("data-save-into-missing-folder", lambda: heatmap_data().save(tmp() / "no" / "such" / "x.interplay"),
         ResultFileError, r"x\.interplay", r"folder|directory", r"exist"),
]


@pytest.mark.parametrize("c", RESULTS)
def test_a_bad_result_file_is_named(c: Any) -> None:
    expect_error(c)


def test_a_bad_file_is_left_as_it_is() -> None:
    for make in (TRUNCATED, FOREIGN, NEWER, CORRUPT):
        path = make()
        before = path.read_bytes()
        with pytest.raises(ResultFileError):
            load_result(path)
        assert path.read_bytes() == before
    assert isinstance(load_result(good_file()).data, TokenHeatmapData)  # a good file still loads


# ------------------------------------------------------------------------- annotation and label files
def annotator() -> Any:
    from interplay.widgets.annotator import AnnotatorView

    return AnnotatorView.from_texts([["a", "b", "c"], ["d", "e"]], ["name", "place"])


def _annotation_file(name: str, edit: Callable[[dict[str, Any]], Any]) -> Callable[[], Path]:
    def write(p: Path) -> None:
        p.write_text(json.dumps(edit(annotator().data.to_json())))
    return made(name, write)


def _labels_file(p: Path) -> None:
    from interplay.widgets.annotator import AnnotatorView

    AnnotatorView.from_texts([["x", "y"]], ["name"], path=p)  # a labels file for other texts


ANN_FOREIGN = _annotation_file("foreign-ann.json", lambda o: {**o, "format": "labelstudio"})
ANN_NEWER = _annotation_file("newer-ann.json", lambda o: {**o, "version": 7})
ANN_TEXTS = _annotation_file("texts-ann.json", lambda o: {**o, "texts": "abc"})
ANN_LABELS = _annotation_file("labels-ann.json", lambda o: {**o, "labels": ["name", "name"]})
ANN_RECORD = _annotation_file("record-ann.json", lambda o: {**o, "annotations": [
    {"text": 5, "start": 0, "end": 1, "label": "name"}]})
ANN_NOT_JSON = made("not-json-ann.json", lambda p: p.write_text("{'single': 'quotes'}"))
ANN_LIST = made("list-ann.json", lambda p: p.write_text("[1, 2]"))
OTHER_LABELS = made("other-texts.labels.jsonl", _labels_file)
DAMAGED_LABELS = made("damaged.labels.jsonl", lambda p: p.write_bytes(b"\x00\x01garbage\n"))
RESULT_AS_LABELS = made("result-as-labels.jsonl", lambda p: p.write_bytes(good_file("r.interplay").read_bytes()))
FEATURE_LABELS_FOREIGN = made("foreign-features.json", lambda p: p.write_text(json.dumps({"format": "x"})))
FEATURE_LABELS_BROKEN = made("broken-features.json", lambda p: p.write_text("{"))
FEATURE_LABELS_NEWER = made("newer-features.json", lambda p: p.write_text(json.dumps(
    {"format": "interplay.feature-labels", "version": 9, "labels": {}})))
FEATURE_LABELS_OTHER = made("other-features.json", lambda p: p.write_text(json.dumps(
    {"format": "interplay.feature-labels", "version": 1, "n_features": 99, "features": ["z"] * 99,
     "labels": {}})))


def _load(path: Callable[[], Path]) -> Callable[[], Any]:
    from interplay.widgets.annotator import AnnotatorView

    return lambda: AnnotatorView.load(path())


def _resume(path: Callable[[], Path]) -> Callable[[], Any]:
    from interplay.widgets.annotator import AnnotatorView

    return lambda: AnnotatorView.from_texts([["a", "b", "c"], ["d", "e"]], ["name", "place"], path=path())


def _feature_labels(path: Callable[[], Path] | Any) -> Callable[[], Any]:
    from interplay.widgets.feature import FeatureView
    from tests.widgets.test_feature_view import make_data

    return lambda: FeatureView(make_data(), path=path() if callable(path) else path)


FILES = [
    case("annotations-missing", _load(MISSING), AnnotationError, r"none\.interplay", r"no such file"),
    case("annotations-folder", lambda: __import__("interplay.widgets.annotator", fromlist=["x"]).AnnotatorView.load(
        tmp()), AnnotationError, r"interplay-r3-", r"not a file"),
    case("annotations-not-json", _load(ANN_NOT_JSON), AnnotationError, r"not-json-ann\.json", r"not JSON"),
    case("annotations-a-list", _load(ANN_LIST), AnnotationError, r"list-ann\.json",
         r"not an interplay annotation file", r"interplay\.annotations"),
    case("annotations-foreign", _load(ANN_FOREIGN), AnnotationError, r"foreign-ann\.json",
         r"not an interplay annotation file", r"interplay\.annotations"),
    case("annotations-newer", _load(ANN_NEWER), AnnotationError, r"newer-ann\.json", r"version 7",
         r"reads version 1"),
    case("annotations-texts-not-list", _load(ANN_TEXTS), AnnotationError, r"texts-ann\.json", r"'texts'",
         r"must be a list"),
    case("annotations-duplicate-label", _load(ANN_LABELS), AnnotationError, r"name", r"labels must be distinct", r"repeated"),
    case("annotations-record-text-range", _load(ANN_RECORD), AnnotationError, r"text", r"5", r"2 texts|0\.\.1"),
    case("annotations-result-of-other-kind", _load(lambda: good_file("hm.interplay")), ResultFileError,
         r"holds a HeatmapResult", r"not a AnnotationData|not an AnnotationData"),
    case("labels-other-texts", _resume(OTHER_LABELS), AnnotationError, r"other-texts\.labels\.jsonl",
         r"other texts|different texts|made for"),
    case("labels-damaged", _resume(DAMAGED_LABELS), AnnotationError, r"damaged\.labels\.jsonl",
         r"not an interplay labels file", r"left as it is"),
    case("labels-a-result-file", _resume(RESULT_AS_LABELS), AnnotationError, r"result-as-labels",
         r"not an interplay labels file", r"zip archive.*AnnotatorView\.load"),
    case("labels-folder", _resume(lambda: tmp()), AnnotationError, r"interplay-r3-", r"folder|directory"),
    case("labels-folder-missing", _resume(lambda: tmp() / "nope" / "x.jsonl"), AnnotationError, r"x\.jsonl",
         r"does not exist|no such"),
    case("feature-labels-foreign", _feature_labels(FEATURE_LABELS_FOREIGN), ViewError, r"foreign-features",
         r"not an interplay feature labels file", r"interplay\.feature-labels"),
    case("feature-labels-broken", _feature_labels(FEATURE_LABELS_BROKEN), ViewError, r"broken-features",
         r"not a feature labels file", r"left as it is"),
    case("feature-labels-other-features", _feature_labels(FEATURE_LABELS_OTHER), ViewError, r"other-features",
         r"other features", r"99"),
    case("feature-labels-newer", _feature_labels(FEATURE_LABELS_NEWER), ViewError, r"newer-features",
         r"version 9", r"reads version 1"),
    case("feature-labels-path-int", _feature_labels(5), ViewError, r"path", r"int", r"str or Path"),
    case("feature-labels-folder", _feature_labels(lambda: tmp()), ViewError, r"interplay-r3-", r"is a folder",
         r"\.json file"),
]


@pytest.mark.parametrize("c", FILES)
def test_a_bad_annotation_or_label_file_is_named(c: Any) -> None:
    expect_error(c)


def test_a_refused_labels_file_is_left_as_it_is() -> None:
    for make in (OTHER_LABELS, DAMAGED_LABELS, RESULT_AS_LABELS):
        path = make()
        before = path.read_bytes()
        with pytest.raises(AnnotationError):
            _resume(make)()
        assert path.read_bytes() == before


# ---------------------------------------------------------------------------------- scripts' CLIs
def _script(name: str) -> Any:
    import importlib

    return importlib.import_module(f"scripts.{name}")


def _train_demo(argv: list[str]) -> Any:
    return _script("train_demo_model").parse_args(argv)


def _evaluate(argv: list[str]) -> Any:
    return _script("evaluate_demo_model").main(argv)


def _dictionaries(argv: list[str]) -> Any:
    module = _script("train_dictionaries")
    return module.main(argv)


CLI = [
    ("train-steps-zero", _train_demo, ["--steps", "0"], ["--steps", r"\b0\b", r">= 1"]),
    ("train-steps-text", _train_demo, ["--steps", "many"], ["--steps", "'many'", r"integer >= 1"]),
    ("train-batch-negative", _train_demo, ["--batch-size", "-2"], ["--batch-size", "-2", r">= 1"]),
    ("train-lr-zero", _train_demo, ["--lr", "0"], ["--lr", r"0\.0", r"> 0"]),
    ("train-lr-nan", _train_demo, ["--lr", "nan"], ["--lr", "nan", r"finite number > 0"]),
    ("train-heads-divide", _train_demo, ["--heads", "3"], ["--heads", r"\b3\b", "divisor of --d-model"]),
    ("train-pos-dims-odd", _train_demo, ["--pos-dims", "5"], ["--pos-dims", r"\b5\b", "even number between 2"]),
    ("train-layers-zero", _train_demo, ["--layers", "0"], ["--layers", r"\b0\b", r">= 1"]),
    ("train-threads-zero", _train_demo, ["--threads", "0"], ["--threads", r"\b0\b", r">= 1"]),
    ("train-pos-init", _train_demo, ["--pos-init", "learned"], ["--pos-init", "'learned'", "normal.*sinusoidal"]),
    ("train-schedule-missing", _train_demo, ["--schedule", "/no/such/schedule.json"],
     ["--schedule", "schedule.json", "existing file"]),
    ("train-unknown-option", _train_demo, ["--stpes", "5"], ["unrecognized arguments", "--stpes"]),
    ("evaluate-dir-missing", _evaluate, ["--dir", "/no/such/model"], ["--dir", "/no/such/model",
                                                                       "existing folder"]),
    ("dictionaries-steps-negative", _dictionaries, ["--steps", "-1"], ["--steps", "-1", r">= 1"]),
    ("dictionaries-threads-text", _dictionaries, ["--threads", "two"], ["--threads", "'two'", "integer"]),
]


@pytest.mark.parametrize(("run", "argv", "says"), [pytest.param(r, a, s, id=i) for i, r, a, s in CLI])
def test_a_bad_script_argument_exits_2_with_usage(run: Any, argv: list[str], says: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import re

    TALLY["bad inputs"] += 1
    with pytest.raises(SystemExit) as info:
        run(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: "), err
    for pattern in says:
        assert re.search(pattern, err), f"{argv}: {err!r} does not say {pattern!r}"
