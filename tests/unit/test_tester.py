"""tui.backend.rules.tester: known-good vs known-bad pairs on a real (local) workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.backend.core.errors import EvaluatorLoadError, InvalidInput, NotFound
from tui.backend.rules.tester import test_evaluator as check_evaluator
from tui.backend.workspace.local import LocalBackend

EVALS = '''\
import asyncio


def matches(inputs, outputs, reference_outputs):
    return outputs == reference_outputs


async def async_matches(run, example):
    await asyncio.sleep(0)
    return {"match": 1 if run["outputs"] == example["outputs"] else 0, "comment": "compared"}


def inverted(run, example):
    return {"inv": 0 if run["outputs"] == example["outputs"] else 1}


def constant(run, example):
    return {"constant": 1}


def broken(run, example):
    raise ValueError("boom")


def chatty(run, example):
    print("LOUD OUTPUT FROM EVALUATOR")
    return {"score": run["outputs"] == example["outputs"]}


def returns_none(run, example):
    return None
'''


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    b.add_dataset("Tiny", [({"q": str(i)}, {"a": str(i)}) for i in range(4)])
    b.add_dataset("Same", [({"q": str(i)}, {"a": "x"}) for i in range(3)])
    b.add_dataset("Empty", [])
    yield b
    b.close()


@pytest.fixture
def evals(evaltui_home: Path) -> Path:
    path = evaltui_home.parent / "evals.py"
    path.write_text(EVALS, encoding="utf-8")
    return path


@pytest.mark.parametrize("function", ["matches", "async_matches", "chatty"])
def test_good_evaluators_pass(backend, evals, function, capsys):
    report = check_evaluator(backend, evals, function, "Tiny")
    assert report.ok, report.message
    assert report.evaluator == function and report.dataset == "Tiny"
    assert (report.mean_good, report.mean_bad) == (1.0, 0.0)
    assert [r.good for r in report.rows] == [1.0] * 4 and [r.bad for r in report.rows] == [0.0] * 4
    assert report.rows[0].input_preview == '{"q": "0"}'
    assert report.message.startswith("OK:")
    assert "LOUD OUTPUT" not in capsys.readouterr().out


def test_comments_are_kept(backend, evals):
    report = check_evaluator(backend, evals, "async_matches", "Tiny", limit=1)
    assert report.rows[0].notes == "good: compared | bad: compared"


@pytest.mark.parametrize("function, phrase", [("inverted", "do not score above"), ("constant", "do not score above")])
def test_flags_evaluators_that_do_not_separate(backend, evals, function, phrase):
    report = check_evaluator(backend, evals, function, "Tiny")
    assert not report.ok
    assert phrase in report.message


@pytest.mark.parametrize("function, note", [("broken", "boom"), ("returns_none", "returns_none")])
def test_flags_errors(backend, evals, function, note):
    report = check_evaluator(backend, evals, function, "Tiny", limit=2)
    assert not report.ok and report.error_count == 2
    assert "failed on 2 pair(s)" in report.message
    assert note in report.rows[0].notes
    assert report.rows[0].good is None


def test_limit(backend, evals):
    report = check_evaluator(backend, evals, "matches", "Tiny", limit=2)
    assert len(report.rows) == 2


def test_no_bad_pair_possible(backend, evals):
    report = check_evaluator(backend, evals, "matches", "Same")
    assert report.mean_bad is None and not report.ok
    assert "same outputs" in report.message


def test_input_errors(backend, evals):
    with pytest.raises(InvalidInput, match="no examples"):
        check_evaluator(backend, evals, "matches", "Empty")
    with pytest.raises(InvalidInput, match="at least 1"):
        check_evaluator(backend, evals, "matches", "Tiny", limit=0)
    with pytest.raises(NotFound, match="Did you mean"):
        check_evaluator(backend, evals, "matches", "Tiyn")
    with pytest.raises(EvaluatorLoadError):
        check_evaluator(backend, evals, "nope", "Tiny")


def test_seeded_sample_evaluators_pass(backend, evaltui_home):
    samples = evaltui_home / "evaluators" / "skills_evaluators.py"
    for function, dataset in [
        ("exact_match_evaluator", "Skills: Final Response"),
        ("trajectory_evaluator", "Skills: Trajectory"),
    ]:
        report = check_evaluator(backend, samples, function, dataset, limit=5)
        assert report.ok, (function, report.message, report.rows)


def test_single_step_sample_scores_good_above_bad(evaltui_home):
    """The seed's single_step_evaluator reads run outputs `output` and `node_name`, which the
    reference outputs (`expected_output`) lack: the tester must build them for good/bad pairs."""
    from tui.backend.rules.tester import test_evaluator as run_tester
    from tui.backend.workspace.local import LocalBackend

    backend = LocalBackend(evaltui_home / "workspace.sqlite3")
    sample = evaltui_home / "evaluators" / "skills_evaluators.py"
    report = run_tester(backend, sample, "single_step_evaluator", "Skills: Single Step", limit=6)
    assert report.ok, report.message
    assert report.mean_good == 1.0 and report.mean_bad is not None and report.mean_bad < 1.0
    assert any("Expected:" in row.notes for row in report.rows)  # the classification branch ran


def test_whole_dict_evaluator_gets_reference_outputs_unchanged():
    from tui.backend.rules.tester import as_run_outputs, keys_read_by

    reads = keys_read_by("def f(outputs, reference_outputs):\n    return outputs == reference_outputs\n")
    assert as_run_outputs({"node_name": "n"}, {"expected_output": 1}, reads) == {"expected_output": 1}
    reads = keys_read_by('x = run["outputs"].get("output"); n = run["outputs"].get("node_name")')
    assert as_run_outputs({"node_name": "n"}, {"expected_output": 1}, reads) == {
        "expected_output": 1, "output": 1, "node_name": "n"}


def test_a_hanging_evaluator_stops_the_test_after_the_first_timeout(evaltui_home, tmp_path):
    from tui.backend.rules.tester import test_evaluator as run_tester
    from tui.backend.workspace.local import LocalBackend

    path = tmp_path / "hang.py"
    path.write_text("import time\n\ndef slow(run, example):\n    time.sleep(5)\n    return {'x': 1}\n")
    backend = LocalBackend(evaltui_home / "workspace.sqlite3")
    report = run_tester(backend, path, "slow", "Skills: Final Response", limit=10, timeout=0.2)
    assert not report.ok
    assert len(report.rows) == 1  # not 10 x 2 timeouts
    assert "timed out" in report.message
