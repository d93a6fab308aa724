"""Example files: every bad line named with its number, the flat and CSV key lists, and the writers
reading back to what they were given."""

from __future__ import annotations

import io
import json

import pytest

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import Example, NewExample
from tui.backend.datasets.dataset_file import (
    CsvWriter,
    KeyLists,
    check_file,
    import_hint,
    jsonl_line,
    parse_keys,
    read_examples,
)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_rows_read_with_splits_from_either_place(tmp_path):
    path = write(tmp_path, "a.jsonl", "\n".join([
        json.dumps({"inputs": {"q": "1"}, "outputs": {"a": 1}, "metadata": {"m": 1}, "split": "train"}),
        "",
        json.dumps({"inputs": {"q": "2"}, "metadata": {"dataset_split": ["test", "hard"]}}),
        json.dumps({"inputs": {"q": "3"}, "outputs": None, "split": ["a", "b"]}),
    ]))
    rows = list(read_examples(path))
    assert rows == [
        NewExample({"q": "1"}, {"a": 1}, {"m": 1}, ("train",)),
        NewExample({"q": "2"}, None, {}, ("test", "hard")),
        NewExample({"q": "3"}, None, {}, ("a", "b")),
    ]
    assert [r.splits for r in read_examples(path, split="extra")] == [
        ("train", "extra"), ("test", "hard", "extra"), ("a", "b", "extra")]


def test_every_bad_line_is_named_and_counted(tmp_path):
    path = write(tmp_path, "bad.jsonl", "\n".join([
        json.dumps({"inputs": {"q": 1}}),
        "{not json",
        json.dumps({"outputs": {"a": 1}}),
        json.dumps({"inputs": "text"}),
        json.dumps([1, 2]),
        json.dumps({"inputs": {}, "split": 3}),
        json.dumps({"inputs": {}, "input": {}}),
        json.dumps({"inputs": {"q": 2}}),
    ]))
    check = check_file(path)
    assert check.count == 2 and check.bad_lines == 6
    assert check.problems == [
        "line 2: not JSON (Expecting property name enclosed in double quotes at column 2)",
        'line 3: no "inputs"',
        'line 4: "inputs" must be an object, not a string',
        "line 5: expected a JSON object, got a list",
        'line 6: "split" must be a string or a list of strings, not a number',
        "line 7: unknown field 'input' (a line has inputs, outputs, metadata, split; for flat objects pass "
        "--input-keys)",
    ]
    with pytest.raises(InvalidInput) as err:
        check.raise_if_bad()
    assert "6 bad lines, nothing was imported" in str(err.value) and "line 7" in str(err.value)


def test_many_bad_lines_are_summarised(tmp_path):
    path = write(tmp_path, "bad.jsonl", "\n".join(["nope"] * 25))
    check = check_file(path)
    with pytest.raises(InvalidInput) as err:
        check.raise_if_bad()
    assert "25 bad lines" in str(err.value) and "… and 15 more lines" in str(err.value)


def test_an_empty_file_or_a_missing_one_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="holds no examples"):
        check_file(write(tmp_path, "e.jsonl", "\n\n")).raise_if_bad()
    with pytest.raises(InvalidInput, match="no such file"):
        check_file(tmp_path / "missing.jsonl")
    with pytest.raises(InvalidInput, match="cannot tell the format"):
        check_file(write(tmp_path, "x.txt", "{}"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        path = tmp_path / "latin.jsonl"
        path.write_bytes(b'{"inputs": {"q": "caf\xe9"}}\n')
        check_file(path)


def test_flat_jsonl_with_key_lists(tmp_path):
    path = write(tmp_path, "flat.jsonl", "\n".join([
        json.dumps({"question": "q1", "answer": "a1", "source": "faq", "ignored": 1}),
        json.dumps({"answer": "a2"}),
    ]))
    keys = KeyLists(("question",), ("answer",), ("source",))
    check = check_file(path, keys=keys)
    assert check.problems == ["line 2: no input key 'question'"]
    first = next(read_examples(path, keys=keys))
    assert first == NewExample({"question": "q1"}, {"answer": "a1"}, {"source": "faq"})


def test_csv_with_key_lists_as_langsmith_upload_takes_them(tmp_path):
    path = write(tmp_path, "d.csv", 'question,answer,source,split\n"What, exactly?",42,faq,"train,hard"\n\nq2,7,kb,\n'
                 "short\n")
    keys = KeyLists(("question",), ("answer",), ("source",))
    check = check_file(path, keys=keys)
    assert check.count == 2 and check.problems == ["line 5: 1 cells, the header has 4"]
    rows = list(read_examples(path, keys=KeyLists(("question",), ("answer",)), check=check_file(path, keys=keys)))
    assert rows[0] == NewExample({"question": "What, exactly?"}, {"answer": "42"}, {}, ("train", "hard"))
    with pytest.raises(InvalidInput, match="needs --input-keys .* d.csv has the columns: question, answer, source, split"):
        list(read_examples(path))
    with pytest.raises(InvalidInput, match="no column 'qq' in the header"):
        list(read_examples(path, keys=KeyLists(("qq",))))
    with pytest.raises(InvalidInput, match="both input and output key"):
        list(read_examples(path, keys=KeyLists(("question",), ("question",))))


def test_parse_keys():
    assert parse_keys("a, b,,c ") == ("a", "b", "c")
    assert parse_keys(None) == ()


def _example(i: int, **meta) -> Example:
    return Example(id=f"id{i}", dataset_id="d", inputs={"q": f"q{i}", "n": i}, outputs={"a": [i]},
                   metadata=meta)


def test_jsonl_line_reads_back_to_the_same_example(tmp_path):
    ex = _example(1, source="x", dataset_split=["train", "hard"])
    line = jsonl_line(ex)
    assert json.loads(line) == {"inputs": {"q": "q1", "n": 1}, "outputs": {"a": [1]}, "metadata": {"source": "x"},
                                "split": ["train", "hard"]}
    path = write(tmp_path, "back.jsonl", line + "\n")
    assert list(read_examples(path)) == [NewExample({"q": "q1", "n": 1}, {"a": [1]}, {"source": "x"},
                                                    ("train", "hard"))]


def test_csv_writer_header_and_the_flags_that_import_it_back(tmp_path):
    out = io.StringIO()
    examples = [_example(1, dataset_split=["base"]), _example(2, tag="t")]
    writer = CsvWriter(out, examples)
    for ex in examples:
        writer.write(ex)
    assert out.getvalue().splitlines() == ["q,n,a,tag,split", 'q1,1,[1],,base', 'q2,2,[2],t,']
    assert import_hint(writer.keys) == "--input-keys q,n --output-keys a --metadata-keys tag"
    path = write(tmp_path, "back.csv", out.getvalue())
    rows = list(read_examples(path, keys=writer.keys))
    assert rows[0] == NewExample({"q": "q1", "n": "1"}, {"a": "[1]"}, {"tag": ""}, ("base",))


def test_csv_writer_prefixes_columns_when_names_clash():
    ex = Example(id="i", dataset_id="d", inputs={"x": 1}, outputs={"x": 2})
    out = io.StringIO()
    CsvWriter(out, [ex]).write(ex)
    assert out.getvalue().splitlines()[0] == "inputs.x,outputs.x,split"
