"""Examples as JSON text a person edits: `{"inputs": …, "outputs": …, "metadata": …, "split": […]}`.

The app writes an example this way into a file for `$VISUAL` / `$EDITOR` (keys `a` and `e` of the
examples pane) and into the "add to dataset" form; `parse_examples` reads the text back. The shape
is an import file's line (`dataset_file`), so the same rules apply; a problem is one sentence that
names its line, and nothing is written until the text reads back whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import SPLIT_KEY, Example, NewExample, splits_of
from tui.backend.datasets.dataset_file import JSONL_FIELDS, _jsonl_example

#: What `a` opens in the editor: a blank example to fill in.
BLANK = {"inputs": {}, "outputs": {}, "metadata": {}, "split": []}


def example_dict(example: Example | NewExample) -> dict[str, Any]:
    """The editable form of an example (split membership as `split`, out of the metadata)."""
    metadata = {k: v for k, v in (example.metadata or {}).items() if k != SPLIT_KEY}
    splits = list(example.splits) if isinstance(example, NewExample) else list(splits_of(example.metadata))
    splits = list(dict.fromkeys(splits + list(splits_of(example.metadata))))
    return {"inputs": example.inputs, "outputs": example.outputs, "metadata": metadata, "split": splits}


def to_text(value: dict[str, Any] | Iterable[dict[str, Any]]) -> str:
    """Pretty JSON (2 spaces, non-ASCII kept) ending with a newline, as an editor saves it."""
    data = value if isinstance(value, dict) else list(value)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def parse_example(text: str) -> NewExample:
    """One example object; InvalidInput naming the line when it is not JSON or not that shape."""
    examples = parse_examples(text, allow_list=False)
    return examples[0]


def parse_examples(text: str, *, allow_list: bool = True) -> list[NewExample]:
    """One example object, or (when `allow_list`) a JSON list of them."""
    if not text.strip():
        raise InvalidInput("The text is empty: write an example as {\"inputs\": {...}, \"outputs\": {...}}.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}).") from None
    if isinstance(value, list) and allow_list:
        if not value:
            raise InvalidInput("The list is empty: there is no example to add.")
        items = list(zip(value, _item_lines(text), strict=True))
    else:
        items = [(value, _first_line(text))]
    examples: list[NewExample] = []
    for item, line in items:
        if not isinstance(item, dict):
            kind = "a JSON object or a list of them" if allow_list else "a JSON object"
            raise InvalidInput(f"line {line}: expected {kind}, got {type(item).__name__}.")
        unknown = [k for k in item if k not in JSONL_FIELDS]
        if unknown:
            raise InvalidInput(f"line {line}: unknown field {unknown[0]!r} (an example has "
                               f"{', '.join(JSONL_FIELDS)}).")
        parsed = _jsonl_example(item, line)
        if isinstance(parsed, str):
            raise InvalidInput(parsed + ".")
        examples.append(parsed)
    return examples


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _first_line(text: str) -> int:
    return _line_of(text, _skip_space(text, 0))


def _item_lines(text: str) -> list[int]:
    """The line each element of the (valid) top-level JSON list starts on."""
    decoder = json.JSONDecoder()
    index = _skip_space(text, 0) + 1  # past "["
    lines: list[int] = []
    while True:
        index = _skip_space(text, index)
        if index >= len(text) or text[index] == "]":
            return lines
        lines.append(_line_of(text, index))
        _, index = decoder.raw_decode(text, index)
        index = _skip_space(text, index)
        if index < len(text) and text[index] == ",":
            index += 1
