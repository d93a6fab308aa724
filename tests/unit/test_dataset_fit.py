"""#11: the test form picks the dataset whose references the evaluator reads, warns when the chosen
one lacks them, flags scores outside 0–1 and keeps every error in full."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.backend.rules.dataset_fit import fit_warning, keys_used, pick_dataset, reads_of, reference_keys_of
from tui.backend.rules.tester import DETAIL_CHARS
from tui.backend.rules.tester import test_evaluator as check_evaluator
from tui.backend.workspace.local import LocalBackend

REFS = {"Final": {"expected_response"}, "Trajectory": {"expected_trajectory"}, "Step": {"expected_output"}}

EVALS = '''
def trajectory(run, example):
    return {"t": run["outputs"]["expected_trajectory"] == example["outputs"]["expected_trajectory"]}


def step(run, example):
    return {"s": run["outputs"]["output"] == example["outputs"]["expected_output"]}


def forty_two(run, example):
    return {"x": 42 if run["outputs"] == example["outputs"] else 0}


def long_error(run, example):
    raise ValueError("x" * 300 + " END " + "y" * 5000)
'''


def test_keys_used_counts_expected_prefix_for_the_short_name():
    assert keys_used({"output"}, {"expected_output"}) == {"expected_output"}
    assert keys_used({"expected_response", "comment"}, {"expected_response"}) == {"expected_response"}
    assert keys_used({"comment"}, {"expected_response"}) == set()


def test_pick_dataset_keeps_a_fitting_choice_and_moves_off_a_wrong_one():
    assert pick_dataset({"expected_trajectory"}, REFS, "Trajectory") == "Trajectory"
    assert pick_dataset({"expected_trajectory"}, REFS, "Final") == "Trajectory"
    assert pick_dataset({"output", "node_name"}, REFS, "Final") == "Step"
    assert pick_dataset({"whatever"}, REFS, "Final") == "Final"  # nothing fits: the user's choice stays


def test_fit_warning_names_the_keys_and_a_dataset_that_has_them():
    warning = fit_warning("trajectory", {"expected_trajectory"}, REFS, "Final")
    assert warning == ("trajectory reads expected_trajectory, which the reference outputs of 'Final' lack "
                       "(they have expected_response): its scores here mean little. 'Trajectory' has them.")
    assert fit_warning("trajectory", {"expected_trajectory"}, REFS, "Trajectory") == ""
    assert fit_warning("whole_dict", set(), REFS, "Final") == ""  # compares whole dicts: cannot tell


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    b.add_dataset("Tiny", [({"q": str(i)}, {"a": str(i)}) for i in range(4)])
    yield b
    b.close()


def test_reads_of_a_file_by_ast_and_reference_keys_of_datasets(backend, tmp_path):
    path = tmp_path / "evals.py"
    path.write_text(EVALS)
    assert "expected_trajectory" in reads_of(backend, path=path, function="trajectory")
    assert reads_of(backend, path=path, function="missing") == set()
    keys = reference_keys_of(backend, ["Tiny", "Skills: Trajectory", "nope"])
    assert keys["Tiny"] == {"a"} and keys["Skills: Trajectory"] == {"expected_trajectory"} and "nope" not in keys


def test_a_score_outside_zero_to_one_is_flagged(backend, tmp_path):
    path = tmp_path / "evals.py"
    path.write_text(EVALS)
    report = check_evaluator(backend, path, "forty_two", "Tiny", limit=3)
    assert report.warnings and report.warnings[0].startswith("score 42 is outside 0–1")
    assert report.rows[0].notes.startswith("good: score 42 is outside 0–1")


def test_row_detail_keeps_the_error_in_full_up_to_a_bound(backend, tmp_path):
    path = tmp_path / "evals.py"
    path.write_text(EVALS)
    row = check_evaluator(backend, path, "long_error", "Tiny", limit=1).rows[0]
    assert len(row.notes) <= 120 and row.notes.endswith("…")
    assert " END " in row.detail and "more characters)" in row.detail
    assert len(row.detail.splitlines()[0]) < DETAIL_CHARS + 100
