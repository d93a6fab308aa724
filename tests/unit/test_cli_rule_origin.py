"""`evaltui upload` records where a rule came from; `--replace` onto a name nothing has, while the
function was uploaded under another name, warns and asks before making a second rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tui.backend.source.rule_origin import ORIGIN_MARKER, origin_for, origin_of
from tui.backend.workspace.langsmith import LangSmithBackend
from tui.backend.workspace.local import LocalBackend

SAMPLE = Path(__file__).resolve().parents[2] / "tui/backend/workspace/samples/skills_evaluators.py"
TRAJECTORY = "Skills: Trajectory"


@pytest.fixture(params=["local", "langsmith"])
def workspace(request, evaltui_home: Path, monkeypatch: pytest.MonkeyPatch):
    """(evaluator file, a function listing the rules) on the local workspace or the fake LangSmith."""
    path = evaltui_home.parent / "my_evaluators.py"
    shutil.copy(SAMPLE, path)
    if request.param == "local":
        monkeypatch.setenv("EVALTUI_BACKEND", "local")

        def rules():
            backend = LocalBackend(evaltui_home / "workspace.sqlite3")
            try:
                return backend.list_rules()
            finally:
                backend.close()
    else:
        fake = request.getfixturevalue("langsmith_env")
        fake.seed_dataset(TRAJECTORY, [{"inputs": {"q": 1}, "outputs": {"expected_trajectory": ["a"]}}])

        def rules():
            backend = LangSmithBackend(fake.api_key, fake.url, backoff=0.01)
            try:
                return backend.list_rules()
            finally:
                backend.close()
    return path, rules


def _upload(path: Path, name: str, *extra: str, stdin: str = ""):
    return run_cli("upload", str(path), "--name", name, "--function", "trajectory_evaluator",
                   "--no-check", *extra, stdin=stdin)


def test_upload_records_the_origin_and_replace_onto_a_new_name_asks(workspace):
    path, rules = workspace
    r = _upload(path, "Trajectory Match", "--dataset", TRAJECTORY)
    assert r.code == 0, r.err
    (rule,) = rules()
    assert origin_of(rule) == origin_for(path, "trajectory_evaluator")
    assert rule.code.startswith(ORIGIN_MARKER)

    # The user remembers the function's name, not the rule's: say which rule it is, default No.
    r = _upload(path, "trajectory_evaluator", "--replace")
    assert r.code == 1
    assert ("no evaluator is named 'trajectory_evaluator', but trajectory_evaluator was uploaded from this "
            f"file as 'Trajectory Match' (id {rule.id}); to replace it, pass --name 'Trajectory Match'") in r.err
    assert "Upload 'trajectory_evaluator' as a new evaluator? [y/N]" in r.out
    assert [x.name for x in rules()] == ["Trajectory Match"]

    # Replacing by the rule's name works as before and says the origin is kept.
    r = _upload(path, "Trajectory Match", "--replace", "--yes")
    assert r.code == 0, r.err
    assert f"kept: origin {origin_for(path, 'trajectory_evaluator').label}" in r.out
    assert [x.id for x in rules()] == [rule.id]


def test_replace_onto_a_new_name_without_a_recorded_origin_just_uploads(workspace):
    path, rules = workspace
    r = _upload(path, "Fresh", "--dataset", TRAJECTORY, "--replace")
    assert r.code == 0, r.err
    assert "Warning" not in r.err
    assert [x.name for x in rules()] == ["Fresh"]
