"""AnnotatorView(..., path=...): every edit, from the page (as its update messages arrive) or from
Python, is in the labels file before it is accepted, and a view made again resumes from the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import interplay
from interplay.data.label_store import LabelStore
from interplay.widgets.annotator import AnnotatorView

TEXTS = ["When Mary and John went to the store", "Then John gave a drink to Mary"]


def make(path: Path, **kwargs: Any) -> AnnotatorView:
    return AnnotatorView.from_texts(TEXTS, labels=["name", "verb"], path=path, **kwargs)


def edits(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()[1:]]


def page_record(w: AnnotatorView, text: int, start: int, end: int, label: str) -> dict[str, Any]:
    """A record as the page builds it (js/views/annotator_model.ts makeRecord)."""
    offs = w.offsets[text][start:end]
    return {"text": text, "start": start, "end": end, "char_start": min(o[0] for o in offs),
            "char_end": max(o[1] for o in offs), "label": label, "tokens": w.tokens[text][start:end]}


def from_page(w: AnnotatorView, state: dict[str, Any]) -> None:
    """An update message from the page, handled as ipywidgets handles one."""
    w._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []})


def test_edits_from_the_page_are_written_before_the_echo(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    w = make(path)
    assert w.path == path and edits(path) == []
    assert w.saved_to == str(path) and AnnotatorView.from_texts(TEXTS).saved_to == ""  # the view says where
    events: list[Any] = []
    w._send = lambda msg, buffers=None: events.append(("sent", msg["method"], len(edits(path))))  # type: ignore[method-assign]
    mary = page_record(w, 0, 1, 2, "name")
    from_page(w, {"annotations": [mary]})  # a label set
    assert events[0] == ("sent", "echo_update", 1), "the edit is on disk before the page hears it was taken"
    verb = page_record(w, 1, 2, 5, "verb")
    from_page(w, {"annotations": [mary, verb]})
    from_page(w, {"annotations": [verb]})  # a label removed
    from_page(w, {"annotations": [verb, page_record(w, 0, 1, 2, "verb")]})  # undo of a removal, as another label
    lines = edits(path)
    assert [e["from"] for e in lines] == ["view"] * 4
    assert [sorted(set(e) - {"time", "from"}) for e in lines] == [["add"], ["add"], ["remove"], ["add"]]
    assert lines[2]["remove"] == [{"text": 0, "start": 1, "end": 2, "label": "name", "tokens": [" Mary"]}]
    from_page(w, {"index": 1})  # not an edit of the labels: nothing written
    assert len(edits(path)) == 4
    again = make(path)
    assert again.annotations == w.annotations == [verb, page_record(w, 0, 1, 2, "verb")]
    assert again.get_state("annotations")["annotations"] == w.annotations  # what the page is sent on resume


def test_edits_from_python_are_written(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    w = make(path)
    w.add("name", 1)
    w.extend([{"text": 1, "start": 0, "end": 1, "label": "verb"}])
    assert w.add_where("name", lambda t: t.strip() == "John") == 2
    w.annotations = [{**r, "label": "verb"} if r["start"] == 1 else r for r in w.annotations]  # a label changed
    w.clear("verb", text=1)
    assert [e["from"] for e in edits(path)] == ["python"] * 5
    assert make(path).annotations == w.annotations
    other = tmp_path / "other.json"
    AnnotatorView.from_texts(TEXTS, labels=["name", "verb"], annotations=[{"text": 0, "start": 0, "end": 1,
                                                                           "label": "name"}]).save(other)
    w.load_annotations(other)
    assert make(path).annotations == w.annotations == [w.data.annotations[0]]
    w.clear()
    assert make(path).annotations == []
    assert len(w.to_dataframe()) == 0 and w.to_json()["annotations"] == []  # the exports still work


def test_resume_keeps_exports_and_probe_input(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    w = make(path, annotations=[{"text": 0, "start": 1, "end": 2, "label": "name"}])  # seeds a new file
    w.add("verb", 2, 5, text=1)
    again = make(path)
    assert again.annotations == w.annotations and again.positions("name") == [1]
    assert list(again.to_dataframe()["span"]) == [" Mary", " gave a drink"]
    again.save(tmp_path / "l.json")
    assert AnnotatorView.load(tmp_path / "l.json").annotations == w.annotations
    assert AnnotatorView.load(tmp_path / "l.json", path=path).annotations == w.annotations  # load + resume
    with pytest.warns(DeprecationWarning):
        old = interplay.Annotator(TEXTS, labels=["name", "verb"], path=path)
    assert old.annotations == w.annotations and old.path == path


def test_a_refused_write_refuses_the_edit(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    w = make(path)
    w.add("name", 1)
    good = list(w.annotations)
    path.unlink()  # the file is gone: the next edit cannot be kept
    sent: list[Any] = []
    w.send_state = lambda key=None: sent.append(key)  # type: ignore[method-assign]
    w.set_state({"annotations": [*good, page_record(w, 0, 3, 4, "name")]})
    assert w.annotations == good and "annotations" in sent  # the page gets the last good labels back
    assert "edit refused" in w.error and "deleted or moved" in w.error and "not saved" in w.error
    with pytest.raises(interplay.AnnotationError, match="deleted or moved"):
        w.add("name", 3)
    assert w.annotations == good


def test_a_file_for_other_texts_is_refused_before_a_view_exists(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    make(path).add("name", 1)
    before = path.read_bytes()
    with pytest.raises(interplay.AnnotationError, match="was made for other texts"):
        AnnotatorView.from_texts(["Something else entirely", TEXTS[1]], labels=["name", "verb"], path=path)
    with pytest.raises(interplay.AnnotationError, match=r"folder .* does not exist"):
        make(tmp_path / "missing" / "labels.jsonl")
    assert path.read_bytes() == before


def test_the_view_and_the_store_agree(tmp_path: Path) -> None:
    """The widget only wires the store in: what it writes is what the store reads back."""
    path = tmp_path / "labels.jsonl"
    w = make(path)
    w.add("verb", 0, 3)
    w.add("name", 1)
    store = LabelStore.open(path, w.data.corpus, w.labels)
    assert store.records == w.annotations
