"""#11: which of the bundle's warnings mean the upload will fail in LangSmith's sandbox (the upload
form asks before sending those), checked against the warnings `bundle_for_upload` really gives."""

from __future__ import annotations

from pathlib import Path

from tui.backend.rules.sandbox_check import failing_in_sandbox
from tui.backend.source.bundle import bundle_for_upload
from tui.modals.upload_check_modal import sandbox_warning_lines
from tui.modals.upload_modal import warnings_text

CODE = '''
import socket
import numpy
import requests
from langchain_openai import ChatOpenAI


async def everything(run, example):
    ChatOpenAI(model="m").invoke("x")
    socket.gethostname()
    requests.get("http://x")
    return {"s": float(numpy.mean([1])) + helper_missing()}


async def fine(run, example):
    return {"s": float(numpy.mean([1]))}
'''


def _warnings(tmp_path: Path, function: str) -> list[str]:
    path = tmp_path / "evals.py"
    path.write_text(CODE)
    return list(bundle_for_upload(path, function).warnings)


def test_failing_warnings_are_told_from_harmless_ones(tmp_path):
    warnings = _warnings(tmp_path, "everything")
    failing = failing_in_sandbox(warnings)
    assert [w for w in warnings if w not in failing] == [w for w in warnings if "is async" in w]
    joined = " ".join(failing)
    for what in ("imports socket", "imports requests", "imports langchain_openai", "'helper_missing'"):
        assert what in joined
    assert failing_in_sandbox(_warnings(tmp_path, "fine")) == []


def test_the_question_and_the_form_name_every_warning(tmp_path):
    warnings = _warnings(tmp_path, "everything")
    lines = sandbox_warning_lines(failing_in_sandbox(warnings))
    assert all(f"⚠ {w}" in lines for w in failing_in_sandbox(warnings))
    assert "will fail in LangSmith's code-evaluator sandbox" in lines[-1]
    text = warnings_text(warnings)
    assert text.splitlines()[0] == f"{len(warnings)} warnings, {len(warnings) - 1} of them will fail in LangSmith's sandbox:"
    assert all(w in text for w in warnings)
    assert warnings_text(warnings[:1]) == f"⚠ {warnings[0]}"
