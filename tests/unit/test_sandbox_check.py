"""The pre-upload sandbox check runs code as LangSmith's code-evaluator sandbox would (issue 13)."""

from __future__ import annotations

import importlib.util

import pytest

from tui.backend.core.models import Example
from tui.backend.rules.sandbox_check import check_in_sandbox

EXAMPLES = [
    Example(id=f"ex-{i}", dataset_id="d", inputs={"q": f"q{i}"}, outputs={"expected_response": f"a{i}"})
    for i in range(2)
]


def check(code: str, **kw):
    return check_in_sandbox(code, EXAMPLES, "D", **kw)


def test_a_good_evaluator_passes_and_shows_what_it_returned():
    report = check("def perform_eval(run, example):\n"
                   "    return {'same': int(run['outputs'] == example['outputs'])}\n")
    assert report.ok and not report.failed
    assert [c.value for c in report.cases] == [{"same": 1}, {"same": 1}]
    assert "passed" in report.lines()[0] and 'returned {"same": 1}' in report.lines()[1]


def test_imports_the_sandbox_lacks_fail_as_they_would_there():
    report = check("import langchain_openai\n\ndef perform_eval(run, example):\n    return {}\n")
    assert report.failed and "No module named 'langchain_openai'" in report.load_error
    assert "only the standard library" in report.load_error


def test_the_network_is_closed():
    report = check("import socket\n\ndef perform_eval(run, example):\n"
                   "    socket.create_connection(('127.0.0.1', 9))\n    return {}\n")
    assert report.failed and all("no network access" in c.error for c in report.cases)


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="numpy is not installed here")
def test_sandbox_packages_import_with_their_own_dependencies():
    report = check("import numpy as np\n\ndef perform_eval(run, example):\n"
                   "    return {'mean': float(np.mean([1, 2]))}\n")
    assert report.ok, report.lines()


def test_a_sandbox_package_missing_here_skips_rather_than_fails():
    report = check("import pandas_is_not_here_either\n\ndef perform_eval(run, example):\n    return {}\n")
    assert report.failed  # an unknown package is a real failure ...
    if importlib.util.find_spec("sklearn") is None:
        skipped = check("import sklearn\n\ndef perform_eval(run, example):\n    return {}\n")
        assert not skipped.failed and "pip install scikit-learn" in skipped.skipped  # ... a missing sandbox one is not


def test_an_evaluator_that_hangs_is_stopped(monkeypatch):
    report = check("import time\n\ndef perform_eval(run, example):\n    time.sleep(30)\n", timeout_s=1)
    assert report.failed and "did not finish within 1 s" in report.load_error


def test_the_child_sees_no_keys(monkeypatch):
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2_pt_secret_abcd")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    report = check("import os\n\ndef perform_eval(run, example):\n"
                   "    return {'keys': sorted(k for k in os.environ if k.endswith('_KEY'))}\n")
    assert [c.value for c in report.cases] == [{"keys": []}, {"keys": []}]
