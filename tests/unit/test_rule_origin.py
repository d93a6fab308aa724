"""Rules remember where they came from: the `file:function` recorded on upload pairs a local
function with its rule (sync state, replace, test) when the names differ, on both backends."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tui.backend.core.models import Rule
from tui.backend.rules import ops
from tui.backend.source.discovery import scan_local_functions
from tui.backend.source.rule_origin import (
    ORIGIN_MARKER,
    RuleOrigin,
    function_for,
    origin_for,
    origin_of,
    origin_of_code,
    pair_rules,
    rule_for,
    with_origin,
    without_origin,
)
from tui.backend.workspace.langsmith import LangSmithBackend
from tui.backend.workspace.local import LocalBackend

SAMPLE = Path(__file__).resolve().parents[2] / "tui/backend/workspace/samples/skills_evaluators.py"
TRAJECTORY = "Skills: Trajectory"
CODE = "def perform_eval(run, example):\n    return {'score': 1}\n"


def _rule(name: str, code: str | None = CODE, rule_id: str | None = None, kind: str = "python",
          updated: int = 0) -> Rule:
    return Rule(id=rule_id or name, name=name, code=code, kind=kind,  # type: ignore[arg-type]
                updated_at=datetime(2026, 1, 1 + updated, tzinfo=timezone.utc))


def _from(path: Path, function: str, name: str, **kw) -> Rule:
    return _rule(name, with_origin(CODE, origin_for(path, function)), **kw)


# -- the origin line -----------------------------------------------------------------------------


def test_origin_line_round_trip_and_replaces_an_older_one(tmp_path):
    path = tmp_path / "evals.py"
    code = with_origin(CODE, origin_for(path, "traj"))
    assert code.splitlines()[0] == f"{ORIGIN_MARKER}{path.resolve().as_posix()}:traj"
    assert origin_of_code(code) == RuleOrigin(path.resolve().as_posix(), "traj")
    assert without_origin(code) == CODE
    moved = with_origin(code, origin_for(tmp_path / "other.py", "traj"))
    assert moved.count(ORIGIN_MARKER) == 1 and moved.endswith(CODE)
    assert origin_of_code(moved).file.endswith("/other.py")


def test_origin_under_home_is_written_with_a_tilde():
    origin = origin_for(Path.home() / "proj" / "evals.py", "traj")
    assert origin.label == "~/proj/evals.py:traj"
    assert origin.path == (Path.home() / "proj" / "evals.py").resolve()


@pytest.mark.parametrize("code", [None, "", CODE, "# evaltui origin: no function here\n" + CODE,
                                  "# evaltui origin: f.py:not an identifier\n" + CODE,
                                  "x = 1\n# evaltui origin: f.py:traj\n"])
def test_code_without_a_valid_first_line_origin_has_none(code):
    assert origin_of_code(code) is None
    assert without_origin(code) == (code or "")


def test_only_python_rules_have_an_origin(tmp_path):
    code = with_origin(CODE, origin_for(tmp_path / "e.py", "f"))
    assert origin_of(_rule("x", code)) is not None
    assert origin_of(_rule("x", code, kind="javascript")) is None


# -- pairing -------------------------------------------------------------------------------------


def test_origin_pairs_before_name(tmp_path):
    evals = tmp_path / "evals.py"
    evals.write_text("")
    traj = _from(evals, "trajectory_evaluator", "Trajectory Match")
    named = _rule("exact", rule_id="named")
    paired = pair_rules([(evals, "trajectory_evaluator"), (evals, "exact")], [named, traj])
    assert paired[(evals, "trajectory_evaluator")] is traj
    assert paired[(evals, "exact")] is named


def test_a_rule_claimed_by_its_origin_is_not_paired_by_name_with_another_function(tmp_path):
    evals = tmp_path / "evals.py"
    evals.write_text("")
    # uploaded from `foo` under the name of another function of the file
    rule = _from(evals, "foo", "bar")
    paired = pair_rules([(evals, "bar"), (evals, "foo")], [rule])
    assert paired == {(evals, "foo"): rule}
    assert function_for(rule, [(evals, "bar"), (evals, "foo")], [rule]) == (evals, "foo")


def test_a_moved_folder_pairs_by_file_name_and_function(tmp_path):
    old, new = tmp_path / "old" / "evals.py", tmp_path / "new" / "evals.py"
    rule = _from(old, "traj", "Trajectory Match")  # old/ no longer exists
    assert rule_for(new, "traj", [], [rule]) is rule


def test_a_renamed_function_or_a_vanished_origin_falls_back_to_name(tmp_path):
    evals = tmp_path / "evals.py"
    renamed = _from(evals, "old_name", "Trajectory Match")
    assert rule_for(evals, "new_name", [], [renamed]) is None  # no origin, no name: not uploaded
    gone = _from(tmp_path / "deleted.py", "other", "new_name")  # just a rule called new_name
    assert rule_for(evals, "new_name", [], [renamed, gone]) is gone


def test_two_rules_from_one_function_prefer_its_name_then_the_latest(tmp_path):
    evals = tmp_path / "evals.py"
    older = _from(evals, "traj", "A", rule_id="a", updated=0)
    newer = _from(evals, "traj", "B", rule_id="b", updated=5)
    assert rule_for(evals, "traj", [], [older, newer]) is newer
    own_name = _from(evals, "traj", "traj", rule_id="c", updated=1)
    assert rule_for(evals, "traj", [], [older, newer, own_name]) is own_name


# -- both backends: upload records the origin; sync and replace follow it -------------------------


@pytest.fixture(params=["local", "langsmith"])
def backend(request, evaltui_home: Path):
    if request.param == "local":
        b = LocalBackend(evaltui_home / "workspace.sqlite3")
    else:
        fake = request.getfixturevalue("fake_langsmith")
        fake.seed_dataset(TRAJECTORY, [{"inputs": {"q": 1}, "outputs": {"expected_trajectory": ["a"]}}])
        b = LangSmithBackend(fake.api_key, fake.url, backoff=0.01)
    yield b
    b.close()


@pytest.fixture
def folder(evaltui_home: Path) -> Path:
    folder = evaltui_home.parent / "evaluators"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "skills_evaluators.py")
    return folder


def _states(folder: Path, backend) -> dict[str, str]:
    functions, _ = scan_local_functions(folder, backend.list_rules())
    return {f.name: f.sync for f in functions}


def test_upload_records_origin_and_sync_follows_it(backend, folder, request):
    path = folder / "skills_evaluators.py"
    plan = ops.plan_upload(backend, path, "trajectory_evaluator", "Trajectory Match", dataset=TRAJECTORY,
                           check=False)
    assert plan.spec.code.splitlines()[0] == f"{ORIGIN_MARKER}{path.resolve().as_posix()}:trajectory_evaluator"
    rule = ops.apply_upload(backend, plan, replace=False).rule
    stored = backend.get_rule(rule.id)
    assert origin_of(stored) == RuleOrigin(path.resolve().as_posix(), "trajectory_evaluator")
    if request.node.callspec.params["backend"] == "langsmith":
        fake = request.getfixturevalue("fake_langsmith")
        sent = fake.requests_to("POST", "/runs/rules")[-1].json
        assert sent["code_evaluators"][0]["code"] == plan.spec.code  # the origin travels in the code
        assert set(sent) == {"display_name", "sampling_rate", "is_enabled", "code_evaluators", "dataset_id"}

    states = _states(folder, backend)
    assert states["trajectory_evaluator"] == "in sync"
    assert states["exact_match_evaluator"] == "not uploaded"

    path.write_text(path.read_text().replace("# Exact sequence match", "# Exact match, in order"))
    assert _states(folder, backend)["trajectory_evaluator"] == "changed"

    # A replace finds the rule by its name and keeps the origin, saying so.
    again = ops.plan_upload(backend, path, "trajectory_evaluator", "Trajectory Match", check=False)
    assert [r.id for r in again.existing] == [rule.id]
    assert f"kept: origin {origin_for(path, 'trajectory_evaluator').label}" in again.settings
    assert "+    # Exact match, in order" in again.diff
    assert f"+{ORIGIN_MARKER}" not in again.diff and f"-{ORIGIN_MARKER}" not in again.diff
    replaced = ops.apply_upload(backend, again, replace=True).rule
    assert replaced.id == rule.id and origin_of(replaced).function == "trajectory_evaluator"
    assert _states(folder, backend)["trajectory_evaluator"] == "in sync"


def test_rule_from_before_origins_is_paired_by_name_and_a_replace_adds_the_origin(backend, folder):
    path = folder / "skills_evaluators.py"
    plan = ops.plan_upload(backend, path, "exact_match_evaluator", "exact_match_evaluator",
                           dataset=TRAJECTORY, check=False)
    rule = backend.create_rule(dataclasses.replace(plan.spec, code=without_origin(plan.spec.code)))
    assert origin_of(rule) is None
    assert _states(folder, backend)["exact_match_evaluator"] == "in sync"  # by name, as before

    again = ops.plan_upload(backend, path, "exact_match_evaluator", "exact_match_evaluator", check=False)
    label = origin_for(path, "exact_match_evaluator").label
    assert f"changed: origin not recorded -> {label}" in again.settings
    assert f"+{ORIGIN_MARKER}{label}" in again.diff
    assert origin_of(ops.apply_upload(backend, again, replace=True).rule).label == label


def test_a_renamed_function_degrades_to_not_uploaded_and_its_rule_stays_a_rule(backend, folder):
    path = folder / "skills_evaluators.py"
    ops.apply_upload(backend, ops.plan_upload(backend, path, "trajectory_evaluator", "Trajectory Match",
                                              dataset=TRAJECTORY, check=False), replace=False)
    path.write_text(path.read_text().replace("def trajectory_evaluator(", "def tool_path_evaluator("))
    states = _states(folder, backend)
    assert states["tool_path_evaluator"] == "not uploaded"
    assert [r.name for r in backend.list_rules()] == ["Trajectory Match"]
