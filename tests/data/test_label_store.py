"""The labels file (interplay.data.label_store): every edit durable as it happens, resumed from the
file, a torn last line dropped without losing an earlier label, and a damaged, foreign or
unwritable file refused with a clear AnnotationError and never changed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from interplay.data import annotations as ann
from interplay.data import label_store as ls
from interplay.data.label_store import LabelStore
from interplay.errors import AnnotationError

TEXTS = ["When Mary and John went to the store", "Then John gave a drink to Mary"]
LABELS = ["name", "verb"]
CORPUS = ann.build_corpus(TEXTS)
REPO = Path(__file__).resolve().parents[2]


def rec(text: int, start: int, end: int | None = None, label: str = "name") -> dict[str, Any]:
    return ann.check_record({"text": text, "start": start, "end": start + 1 if end is None else end, "label": label},
                            CORPUS, LABELS)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def open_store(path: Path, **kw: Any) -> LabelStore:
    return LabelStore.open(path, CORPUS, LABELS, **kw)


def test_round_trip_and_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = open_store(path)
    assert store.records == [] and path.exists()
    header = lines(path)[0]
    assert header["format"] == "interplay.labels" and header["version"] == 1 and header["labels"] == LABELS
    assert [t["n_tokens"] for t in header["texts"]] == [8, 7]
    assert header["texts"][0]["start"] == TEXTS[0][:40] and len(header["texts"][0]["sha256"]) == 64
    records = [rec(0, 1), rec(1, 2, 5, "verb")]
    store.write(records[:1], "view")
    store.write(records, "python")
    assert store.records == records
    edits = lines(path)[1:]
    assert edits[0]["from"] == "view" and edits[0]["add"] == [
        {"text": 0, "start": 1, "end": 2, "label": "name", "tokens": [" Mary"]}]
    assert edits[1]["from"] == "python" and edits[1]["add"][0]["tokens"] == [" gave", " a", " drink"]
    assert "remove" not in edits[0] and edits[0]["time"].endswith("+00:00")
    again = open_store(path)  # resume: the same records, derived fields and all
    assert again.records == records
    assert ls.read_records(path, CORPUS, LABELS) == records


def test_every_edit_kind_is_one_line_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = open_store(path)
    a, b, c = rec(0, 1), rec(0, 3), rec(1, 2, 5, "verb")
    steps = [
        ([a], {"add"}),                                  # a label set
        ([a, b, c], {"add"}),                            # several at once (one edit, one line)
        ([a, c], {"remove"}),                            # a label removed
        ([c, {**a, "label": "verb"}], None),             # a label changed: remove + add in one line
        ([{**a, "label": "verb"}, c], {"set"}),          # the records reordered: the whole list
        ([], {"remove"}),                                # everything cleared
        ([b], {"add"}),
    ]
    for i, (records, kinds) in enumerate(steps):
        checked = ann.check_records(records, CORPUS, LABELS)
        store.write(checked)
        edit = lines(path)[-1]
        assert len(lines(path)) == i + 2, "one line per edit"
        if kinds is None:
            assert edit["remove"] == [ls.file_record(a)] and edit["add"] == [ls.file_record({**rec(0, 1, label="verb")})]
        else:
            assert set(edit) - {"time", "from"} == kinds
        assert open_store(path).records == checked, f"after step {i}"
    n = len(lines(path))
    store.write(store.records)  # no change: nothing written
    assert len(lines(path)) == n


def test_seed_starts_a_new_file_and_an_existing_file_wins(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = open_store(path, seed=[rec(0, 1)])
    assert store.records == [rec(0, 1)] and len(lines(path)) == 2  # header and the seed, created as one
    store.write([])
    with pytest.warns(UserWarning, match="resumes from the file"):
        again = open_store(path, seed=[rec(0, 1)])
    assert again.records == []  # the labeller removed it: the seed does not come back
    empty = tmp_path / "empty.jsonl"
    open_store(empty)
    assert open_store(empty, seed=[rec(1, 0)]).records == [rec(1, 0)]  # a file without edits takes the seed
    assert open_store(empty).records == [rec(1, 0)]


def test_torn_last_line_is_dropped_at_every_cut_and_nothing_earlier_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = open_store(path)
    store.write([rec(0, 1)])
    store.write([rec(0, 1), rec(1, 2, 5, "verb")])
    good = path.read_bytes()
    store.write([rec(0, 1), rec(1, 2, 5, "verb"), rec(0, 3)])
    full = path.read_bytes()
    last = full[len(good):]
    assert last.endswith(b"\n")
    for cut in range(1, len(last) - 1):  # a kill after `cut` bytes of the last edit's line
        path.write_bytes(full[:len(good) + cut])
        with pytest.warns(UserWarning, match=r"write cut short .* Every earlier label is intact"):
            resumed = open_store(path)
        assert resumed.records == [rec(0, 1), rec(1, 2, 5, "verb")], cut
        assert path.read_bytes() == good, "the torn bytes are dropped, nothing else"
    path.write_bytes(full[:-1])  # everything but the newline: the edit is whole, and kept
    assert open_store(path).records == [rec(0, 1), rec(1, 2, 5, "verb"), rec(0, 3)]
    assert path.read_bytes() == full
    # the next edit after a torn tail starts its own line, and the file stays readable
    path.write_bytes(full[:len(good) + 9])
    with pytest.warns(UserWarning):
        resumed = open_store(path)
    resumed.write([*resumed.records, rec(1, 0, label="verb")])
    assert open_store(path).records == [rec(0, 1), rec(1, 2, 5, "verb"), rec(1, 0, label="verb")]


def test_a_torn_tail_left_by_another_writer_is_dropped_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = open_store(path)
    store.write([rec(0, 1)])
    with path.open("ab") as f:  # another process on this file, killed in the middle of its line
        f.write(b'{"time": "x", "from": "view", "add": [{"te')
    with pytest.warns(UserWarning, match="write cut short"):
        store.write([rec(0, 1), rec(0, 3)])
    assert open_store(path).records == [rec(0, 1), rec(0, 3)]


KILLER = """
import sys
from interplay.data import annotations as ann
from interplay.data.label_store import LabelStore
texts = ["w%d " % i * 40 for i in range(4)]
corpus = ann.build_corpus(texts)
store = LabelStore.open(sys.argv[1], corpus, ["x"])
records = []
for i in range(100000):
    records = records + [ann.check_record({"text": i % 4, "start": i % 40, "end": i % 40 + 1, "label": "x"}, corpus, ["x"])]
    if i % 40 == 39:
        records = []
    store.write(records)
    print(i, flush=True)  # acknowledged: the edit is on disk
"""


def test_kill_9_while_writing_loses_no_acknowledged_edit(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    acked = -1
    deadline = time.time() + 30
    while acked < 150 and time.time() < deadline:
        acked = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for line in proc.stdout:  # edits acknowledged before the kill landed
        acked = int(line)
    assert acked >= 150
    corpus = ann.build_corpus([f"w{i} " * 40 for i in range(4)])
    records = LabelStore.open(path, corpus, ["x"]).records
    n_lines = len(path.read_text().splitlines())
    assert n_lines - 2 >= acked, "every acknowledged edit is in the file"
    done = n_lines - 2  # the index of the last edit on disk
    assert len(records) == done % 40 + 1 if done % 40 != 39 else records == []
    assert records[-1]["start"] == done % 40 if records else True


def test_two_stores_on_one_file_keep_every_edit(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    one, two = open_store(path), open_store(path)
    one.write([rec(0, 1)])
    two.write([rec(1, 0, label="verb")])
    one.write([rec(0, 1), rec(0, 3)])
    assert open_store(path).records == [rec(0, 1), rec(1, 0, label="verb"), rec(0, 3)]


CONCURRENT = """
import sys
from interplay.data import annotations as ann
from interplay.data.label_store import LabelStore
corpus = ann.build_corpus(["a b c d e f g h i j " * 20])
store = LabelStore.open(sys.argv[1], corpus, ["p%s" % i for i in range(2)])
me = "p" + sys.argv[2]
records = store.records  # what the other process wrote before this one opened the file
for k in range(60):
    records = records + [ann.check_record({"text": 0, "start": k, "end": k + 1, "label": me}, corpus, ["p0", "p1"])]
    store.write(records)
"""


def test_two_processes_appending_at_once_leave_a_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    corpus = ann.build_corpus(["a b c d e f g h i j " * 20])
    LabelStore.open(path, corpus, ["p0", "p1"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(path), str(i)], env=env) for i in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert len(lines(path)) == 121  # every line whole
    records = LabelStore.open(path, corpus, ["p0", "p1"]).records
    assert sorted((r["label"], r["start"]) for r in records) == [(f"p{i}", k) for i in range(2) for k in range(60)]


# -- refused files: a clear error, and the file's bytes unchanged ----------------------------


def _make_good(path: Path) -> None:
    store = open_store(path)
    store.write([rec(0, 1)])
    store.write([rec(0, 1), rec(1, 2, 5, "verb")])


def _middle(path: Path, line: bytes) -> None:
    rows = path.read_bytes().split(b"\n")
    rows[1] = line
    path.write_bytes(b"\n".join(rows))


@pytest.mark.parametrize(("damage", "message"), [
    (lambda p: _middle(p, b'{"time": "x", "add": [{"text": 0, "sta'), r"line 2 is damaged \(not JSON"),
    (lambda p: _middle(p, b"\x00\x00\x00\x00"), r"line 2 is damaged"),
    (lambda p: _middle(p, b"[1, 2]"), r"line 2 is not an edit"),
    (lambda p: _middle(p, b'{"add": [], "colour": 1}'), r"line 2: unknown keys \['colour'\]"),
    (lambda p: _middle(p, b'{"add": {"text": 0}}'), r"line 2: 'add' must be a list"),
    (lambda p: _middle(p, b'{"set": [], "add": []}'), r"either \"set\" or"),
    (lambda p: _middle(p, b'{"add": [{"text": 0, "start": 1, "end": 2, "label": "place"}]}'),
     r"holds labels \['place'\] that this view does not have \(its labels are \['name', 'verb'\]\)"),
    (lambda p: _middle(p, b'{"add": [{"text": 0, "start": 1, "end": 2, "label": 7}]}'),
     r"line 2, add record 0: the label 7 is not a label name"),
    (lambda p: _middle(p, b'{"add": [{"text": 0, "start": 1, "end": 2}]}'), r"line 2, add record 0: missing \['label'\]"),
    (lambda p: _middle(p, b'{"add": ["0:1:2:name"]}'), r"line 2, add record 0 must be a dict"),
    (lambda p: _middle(p, b'{"add": [{"text": 0, "start": 5, "end": 50, "label": "name"}]}'),
     r"line 2, add record 0: tokens 5..50 .* out of range"),
    (lambda p: _middle(p, b'{"remove": [{"text": 9, "start": 0, "end": 1, "label": "name"}]}'),
     r"line 2, remove record 0: text 9 is out of range"),
    (lambda p: p.write_bytes(p.read_bytes().replace(b'"version": 1', b'"version": 7', 1)), r"newer interplay .* version 7"),
    (lambda p: p.write_bytes(p.read_bytes().replace(b'"texts": [', b'"texts": [1, ', 1)), r"line 1: the header's \"texts\""),
])
def test_a_damaged_file_is_refused_and_never_changed(tmp_path: Path, damage: Any, message: str) -> None:
    path = tmp_path / "labels.jsonl"
    _make_good(path)
    damage(path)
    before = path.read_bytes()
    with pytest.raises(AnnotationError, match=message) as info:
        open_store(path)
    assert str(path) in str(info.value)
    with pytest.raises(AnnotationError, match=message):
        ls.read_records(path, CORPUS, LABELS)
    assert path.read_bytes() == before


def _annotation_json(path: Path) -> None:
    data = ann.AnnotationData(texts=CORPUS.texts, tokens=CORPUS.tokens, offsets=CORPUS.offsets, labels=LABELS)
    path.write_text(json.dumps(data.to_json(), indent=1))


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("interplay.json", "{}")


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_text("name,start\nMary,1\n"), r"is not an interplay labels file \(its first line is not a JSON"),
    (lambda p: p.write_text('{"format": "something.else"}\n{"add": []}\n'), r"no \"format\": 'interplay.labels'"),
    (lambda p: p.write_bytes(b""), r"is empty"),
    (lambda p: p.write_text("no newline at all"), r"no complete first line"),
    (_annotation_json, r"AnnotatorView.save: open it with AnnotatorView.load"),
    (_zip, r"zip archive"),
    (lambda p: p.write_bytes(b"\xff\xfe\x00binary\n\x00"), r"not an interplay labels file"),
])
def test_a_foreign_file_is_refused_and_never_changed(tmp_path: Path, make: Any, message: str) -> None:
    path = tmp_path / "labels.jsonl"
    make(path)
    before = path.read_bytes()
    with pytest.raises(AnnotationError, match=message) as info:
        open_store(path)
    assert str(path) in str(info.value) and "left as it is" in str(info.value)
    assert path.read_bytes() == before


def test_a_file_for_other_texts_is_refused_and_never_changed(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    _make_good(path)
    before = path.read_bytes()
    with pytest.raises(AnnotationError, match=r"holds labels for 2 texts and this view has 1"):
        LabelStore.open(path, ann.build_corpus(TEXTS[:1]), LABELS)
    with pytest.raises(AnnotationError, match=r"its text 1 has 7 tokens and starts 'Then John.*this view's has 4 tokens"):
        LabelStore.open(path, ann.build_corpus([TEXTS[0], "Then Bob went home"]), LABELS)
    # the same texts cut into other tokens (another tokenizer): refused too
    other_cut = ann.build_corpus([TEXTS[0], ["Then", " Jo", "hn", " gave a drink to Mary"]])
    assert other_cut.texts == TEXTS
    with pytest.raises(AnnotationError, match=r"the texts or the tokenizer differ"):
        LabelStore.open(path, other_cut, LABELS)
    with pytest.raises(AnnotationError, match=r"holds labels \['verb'\] that this view does not have"):
        LabelStore.open(path, CORPUS, ["name"])  # a label in the file that the view does not have
    assert path.read_bytes() == before
    assert LabelStore.open(path, CORPUS, [*LABELS, "place"]).records == [rec(0, 1), rec(1, 2, 5, "verb")]  # a new label: fine


def test_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match=r"the folder .*nowhere does not exist"):
        open_store(tmp_path / "nowhere" / "labels.jsonl")
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(AnnotationError, match="it is a folder"):
        open_store(tmp_path)
    with pytest.raises(AnnotationError, match="not 3"):
        LabelStore.open(3, CORPUS, LABELS)  # type: ignore[arg-type]
    assert [p.name for p in tmp_path.iterdir()] == []  # no stray temporary file


def test_a_file_deleted_or_replaced_under_the_view_refuses_the_edit(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = open_store(path)
    store.write([rec(0, 1)])
    path.unlink()
    with pytest.raises(AnnotationError, match="deleted or moved; the edit was not saved"):
        store.write([rec(0, 1), rec(0, 3)])
    assert store.records == [rec(0, 1)]
    _make_good(tmp_path / "other.jsonl")
    os.replace(tmp_path / "other.jsonl", path)
    before = path.read_bytes()
    with pytest.raises(AnnotationError, match="replaced by another file"):
        store.write([rec(0, 1), rec(0, 3)])
    assert path.read_bytes() == before and store.records == [rec(0, 1)]
    again = open_store(path)
    path.write_bytes(path.read_bytes()[:-30].rsplit(b"\n", 1)[0] + b"\n")  # cut short in place
    with pytest.raises(AnnotationError, match="cut short by something else"):
        again.write([])


UNWRITABLE = """
import os, sys, json
from interplay.data import annotations as ann
from interplay.data.label_store import LabelStore
from interplay.errors import AnnotationError
corpus = ann.build_corpus(["a b c"])
if os.geteuid() == 0:  # root ignores permissions: act as nobody
    os.setgid(65534)
    os.setuid(65534)
folder, ro_folder, ro_file = sys.argv[1:4]
out = {}
try:
    LabelStore.open(os.path.join(ro_folder, "labels.jsonl"), corpus, ["x"])
except AnnotationError as e:
    out["folder"] = str(e)
try:
    LabelStore.open(ro_file, corpus, ["x"])
except AnnotationError as e:
    out["file"] = str(e)
path = os.path.join(folder, "labels.jsonl")
store = LabelStore.open(path, corpus, ["x"])
store.write([ann.check_record({"text": 0, "start": 0, "end": 1, "label": "x"}, corpus, ["x"])])
os.chmod(path, 0o444)
before = open(path, "rb").read()
try:
    store.write([])
except AnnotationError as e:
    out["write"] = str(e)
out["unchanged"] = open(path, "rb").read() == before and len(store.records) == 1
print(json.dumps(out))
"""


def test_permission_errors_are_clear() -> None:
    with tempfile.TemporaryDirectory() as tmp:  # (pytest's tmp_path is closed to the user nobody)
        _permission_errors(Path(tmp))


def _permission_errors(tmp_path: Path) -> None:
    folder, ro_folder = tmp_path / "rw", tmp_path / "ro"
    folder.mkdir()
    ro_folder.mkdir()
    ro_file = tmp_path / "ro.jsonl"
    open_store(ro_file)
    os.chmod(folder, 0o777)
    os.chmod(ro_folder, 0o555)
    os.chmod(ro_file, 0o444)
    os.chmod(tmp_path, 0o755)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", UNWRITABLE, str(folder), str(ro_folder), str(ro_file)],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert "cannot create labels file" in result["folder"] and "Permission denied" in result["folder"]
    assert str(ro_file) in result["file"] and "Permission denied" in result["file"]
    assert "cannot write to labels file" in result["write"] and "Permission denied" in result["write"]
    assert "the edit was not saved" in result["write"] and result["unchanged"]


def test_a_relative_path_stays_where_it_was_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path)
    store = LabelStore.open("labels.jsonl", CORPUS, LABELS)
    monkeypatch.chdir(tmp_path / "b")
    store.write([rec(0, 1)])
    assert store.path == tmp_path / "labels.jsonl" and not (tmp_path / "b" / "labels.jsonl").exists()
    assert LabelStore.open(tmp_path / "labels.jsonl", CORPUS, LABELS).records == [rec(0, 1)]


def test_a_label_used_and_removed_since_does_not_matter(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = open_store(path)
    store.write([rec(0, 1), rec(1, 0, label="verb")])
    store.write([rec(0, 1)])
    assert LabelStore.open(path, CORPUS, ["name"]).records == [rec(0, 1)]  # 'verb' is gone from the view: fine
