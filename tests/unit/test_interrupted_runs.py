"""A run whose process died (killed mid-run) is found on the next `experiments` call and marked
interrupted, with its finished results kept, on both workspaces (issue 11)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli_helpers import run_cli
from tui.backend.core.run_owner import owner_gone, owner_metadata

ROOT = Path(__file__).resolve().parents[2]
SLOW_TARGET = "import time\n\ndef agent(inputs):\n    time.sleep(0.4)\n    return {'response': 'x'}\n"


def _start_run(tmp_path: Path, env: dict) -> subprocess.Popen:
    target = tmp_path / "slow_agent.py"
    target.write_text(SLOW_TARGET, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "run", "--dataset", "Skills: Final Response", "--target",
         f"{target}:agent", "--evaluators", "evaluators:exact_match", "--max-concurrency", "1"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_owner_metadata_names_this_live_process():
    mine = owner_metadata()
    assert not owner_gone(mine)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert owner_gone({**mine, "evaltui_pid": child.pid})
    assert not owner_gone({**mine, "evaltui_pid": child.pid, "evaltui_host": "another-machine"})
    assert not owner_gone({})  # not started by evaltui: nothing to say


def test_a_killed_local_run_is_marked_interrupted_and_keeps_its_results(evaltui_home, tmp_path):
    from tui.backend.workspace.local import LocalBackend

    assert run_cli("experiments").code == 0  # creates and seeds the workspace
    proc = _start_run(tmp_path, {"EVALTUI_HOME": str(evaltui_home), "EVALTUI_BACKEND": "local"})
    backend = LocalBackend(evaltui_home / "workspace.sqlite3")
    try:
        def two_results() -> bool:
            running = [e for e in backend.list_experiments() if e.status == "running"]
            return bool(running) and len(backend.list_results(running[0].id)) >= 2

        _wait_for(two_results)
        (experiment,) = [e for e in backend.list_experiments() if e.status == "running"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        listing = run_cli("experiments", "--json")
        assert listing.code == 0, listing.err
        assert backend.get_experiment(experiment.id).status == "interrupted"
        kept = backend.list_results(experiment.id)
        assert 2 <= len(kept) < 10 and all(r.scores for r in kept)
        assert '"interrupted"' in listing.out
        # `resume` runs what never ran, into the same experiment; the rows kept stay as they were
        resumed = run_cli("resume", experiment.id, "--max-concurrency", "6", "--json")
        assert resumed.code == 0, resumed.err
        rows = {r.example_id: r for r in backend.list_results(experiment.id)}
        assert len(rows) == 24 and all(r.scores for r in rows.values())
        assert all(rows[r.example_id] == r for r in kept)
        assert backend.get_experiment(experiment.id).status == "done"
    finally:
        if proc.poll() is None:
            proc.kill()
        backend.close()


def test_a_killed_langsmith_run_is_closed_as_interrupted(langsmith_env, tmp_path):
    langsmith_env.seed_dataset("Skills: Final Response",
                               [({"query": f"q{i}"}, {"expected_response": "x"}) for i in range(12)])
    proc = _start_run(tmp_path, {"LANGSMITH_API_KEY": langsmith_env.api_key,
                                 "LANGSMITH_ENDPOINT": langsmith_env.url})
    try:
        def experiment_with_runs():
            sessions = [s for s in langsmith_env.sessions.values() if s.get("reference_dataset_id")]
            return sessions and len(langsmith_env.runs_in(sessions[0]["id"])) >= 2

        _wait_for(experiment_with_runs)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        listing = run_cli("experiments", "--json")
        assert listing.code == 0, listing.err
        assert '"interrupted"' in listing.out
        (session,) = [s for s in langsmith_env.sessions.values() if s.get("reference_dataset_id")]
        assert session.get("end_time")  # closed on the server: no longer running forever
    finally:
        if proc.poll() is None:
            proc.kill()
