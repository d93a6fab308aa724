"""New evaluator files from a template: Method 1, Method 2, or an async LLM judge in the seed's shape
(`ChatOpenAI(...).with_structured_output(TypedDict, method="json_schema", strict=True)`).

`write_new_evaluator` only ever creates a file (never overwrites one), user-only (0600).
"""

from __future__ import annotations

import keyword
import os
from pathlib import Path

from tui.backend.core.errors import InvalidInput

TEMPLATES = {
    "method1": "Method 1: (inputs, outputs, reference_outputs)",
    "method2": "Method 2: (run, example)",
    "judge": "async LLM judge (ChatOpenAI, structured output)",
}

_METHOD1 = '''"""{name}: a Method 1 evaluator (LangSmith's SDK form)."""


def {name}(inputs: dict, outputs: dict, reference_outputs: dict) -> dict:
    """Score the agent's answer against the expected one."""
    actual = str(outputs.get("response", "")).strip().lower()
    expected = str(reference_outputs.get("expected_response", "")).strip().lower()
    matched = bool(expected) and expected in actual
    return {{"key": "{name}", "score": 1 if matched else 0, "comment": f"expected in answer: {{matched}}"}}
'''

_METHOD2 = '''"""{name}: a Method 2 evaluator (uploads as a LangSmith custom-code rule)."""


def {name}(run: dict, example: dict) -> dict:
    """Score the run's answer against the example's expected answer."""
    actual = str((run.get("outputs") or {{}}).get("response", "")).strip().lower()
    expected = str((example.get("outputs") or {{}}).get("expected_response", "")).strip().lower()
    matched = bool(expected) and expected in actual
    return {{"{name}": 1 if matched else 0, "comment": f"expected in answer: {{matched}}"}}
'''

_JUDGE = '''"""{name}: an async LLM-as-judge evaluator (uploads as a LangSmith LLM-as-judge rule).

Needs OPENAI_API_KEY (OPENAI_BASE_URL points at any OpenAI-compatible server).
"""

from typing import Annotated, TypedDict

from langchain_openai import ChatOpenAI


class {grade}(TypedDict):
    """Structured evaluation output."""

    reasoning: Annotated[str, ..., "Explain your reasoning"]
    is_accurate: Annotated[bool, ..., "True if the answer is accurate"]


judge = ChatOpenAI(model="gpt-4o-mini", temperature=0).with_structured_output(
    {grade}, method="json_schema", strict=True
)


async def {name}(run: dict, example: dict) -> dict:
    """Ask the judge whether the answer is accurate."""
    expected = example["outputs"].get("expected_response", "")
    answer = run["outputs"].get("response", "")
    grade = await judge.ainvoke([
        {{"role": "system", "content": "You grade an AI agent's answer against the expected answer."}},
        {{"role": "user", "content": f"<expected>\\n{{expected}}\\n</expected>\\n\\n<agent_output>\\n{{answer}}\\n</agent_output>"}},
    ])
    return {{"{name}": 1 if grade["is_accurate"] else 0, "comment": grade["reasoning"]}}
'''

_SOURCES = {"method1": _METHOD1, "method2": _METHOD2, "judge": _JUDGE}


def evaluator_source(name: str, template: str) -> str:
    if template not in _SOURCES:
        raise InvalidInput(f"Unknown template {template!r}: use one of {', '.join(TEMPLATES)}.")
    grade = "".join(part.capitalize() for part in name.split("_") if part) + "Grade"
    return _SOURCES[template].format(name=name, grade=grade)


def check_name(name: str) -> str:
    name = name.strip()
    if not name.isidentifier() or keyword.iskeyword(name):
        raise InvalidInput(f"{name!r} is not a Python function name: use letters, digits and _ (e.g. my_evaluator).")
    return name


def write_new_evaluator(directory: Path, name: str, template: str) -> Path:
    """Create `directory/<name>.py` holding the template's function `name`; returns its path."""
    name = check_name(name)
    source = evaluator_source(name, template)
    directory = Path(directory)
    path = directory / f"{name}.py"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{path} already exists: choose another name (nothing was changed).") from None
    except OSError as exc:
        raise InvalidInput(f"Cannot create {path}: {exc.strerror or exc}.") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(source)
    return path
