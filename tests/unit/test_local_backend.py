"""LocalBackend: the embedded SQLite workspace, against real files."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tui.backend.core.errors import InvalidInput, NotFound, WorkspaceError
from tui.backend.core.models import ExperimentResult, RuleSpec, Score
from tui.backend.workspace.base import Backend
from tui.backend.workspace.local import SCHEMA_VERSION, LocalBackend
from tui.backend.workspace.seed_data import DEMO_PROJECT, FINAL_RESPONSE, SINGLE_STEP, TRAJECTORY


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "workspace.sqlite3"


@pytest.fixture
def backend(db_path: Path):
    b = LocalBackend(db_path)
    yield b
    b.close()


@pytest.fixture
def empty(tmp_path: Path):
    b = LocalBackend(tmp_path / "empty" / "ws.sqlite3", seed=False)
    yield b
    b.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- identity, protocol, seeding --------------------------------------------------------------

def test_conforms_to_backend_protocol(backend, db_path):
    assert isinstance(backend, Backend)
    assert backend.kind == "local"
    assert backend.describe() == f"Local workspace {db_path}"
    backend.check()


def test_open_via_settings(evaltui_home):
    from tui.backend.core.config import Settings
    from tui.backend.workspace.factory import open_backend

    b = open_backend(Settings.from_env(backend="local"))
    try:
        assert isinstance(b, LocalBackend)
        assert b.db_path == evaltui_home / "workspace.sqlite3"
    finally:
        b.close()


def test_first_open_seeds_demo_data_once(db_path):
    with LocalBackend(db_path) as first:
        datasets = {d.name: d for d in first.list_datasets()}
        assert list(datasets) == [FINAL_RESPONSE, TRAJECTORY, SINGLE_STEP]
        for d in datasets.values():
            assert d.example_count >= 20 and first.count_examples(d.id) == d.example_count
        assert [p.name for p in first.list_projects()] == [DEMO_PROJECT]
        ex = next(first.list_examples(datasets[TRAJECTORY].id, limit=1))
        assert set(ex.inputs) == {"query"} and isinstance(ex.outputs["expected_trajectory"], list)
    with LocalBackend(db_path) as again:  # reopening does not seed twice
        assert len(list(again.list_datasets())) == 3
        assert len(list(again.list_projects())) == 1
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sample_evaluators_copied_user_only(db_path):
    LocalBackend(db_path).close()
    target = db_path.parent / "evaluators"
    names = sorted(p.name for p in target.iterdir())
    assert names == ["llm_judges.py", "skills_evaluators.py"]
    assert _mode(target) == 0o700
    assert all(_mode(p) == 0o600 for p in target.iterdir())
    assert "def exact_match_evaluator(run, example)" in (target / "skills_evaluators.py").read_text()


def test_existing_evaluators_dir_is_left_alone(db_path):
    target = db_path.parent / "evaluators"
    target.mkdir(parents=True)
    (target / "mine.py").write_text("x = 1\n")
    LocalBackend(db_path).close()
    assert [p.name for p in target.iterdir()] == ["mine.py"]


def test_files_are_user_only(db_path):
    with LocalBackend(db_path) as b:
        b.add_project("write something")
        assert _mode(db_path.parent) == 0o700
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(db_path) + suffix)
            assert path.exists(), suffix
            assert _mode(path) == 0o600, suffix


# -- datasets, examples, paging -----------------------------------------------------------

def test_get_dataset_by_name_or_id_and_suggestions(backend):
    ds = backend.get_dataset(FINAL_RESPONSE)
    assert backend.get_dataset(ds.id) == ds
    with pytest.raises(NotFound) as info:
        backend.get_dataset("skills: final responses")
    assert FINAL_RESPONSE in info.value.suggestions
    assert "Did you mean" in str(info.value)
    with pytest.raises(NotFound) as info:
        backend.get_dataset("zzzz")
    assert info.value.suggestions == []


def test_get_project_and_suggestions(backend):
    assert backend.get_project(DEMO_PROJECT).name == DEMO_PROJECT
    with pytest.raises(NotFound) as info:
        backend.get_project("evaltui-dem")
    assert info.value.suggestions == [DEMO_PROJECT]


def test_add_dataset_and_examples_keep_order(empty):
    ds = empty.add_dataset("numbers", [{"inputs": {"n": i}, "outputs": {"m": i * 2}} for i in range(5)],
                           description="d")
    assert (ds.name, ds.description, ds.example_count) == ("numbers", "d", 5)
    assert empty.add_examples(ds.id, [({"n": 5}, {"m": 10}, {"tag": "t"})]) == 1
    examples = list(empty.list_examples(ds.id))
    assert [e.inputs["n"] for e in examples] == list(range(6))
    assert examples[-1].metadata == {"tag": "t"} and examples[-1].outputs == {"m": 10}
    assert [e.inputs["n"] for e in empty.list_examples(ds.id, offset=2, limit=3)] == [2, 3, 4]
    assert list(empty.list_examples(ds.id, offset=10)) == []
    with pytest.raises(NotFound):
        empty.add_examples("no-such-id", [({}, {})])
    with pytest.raises(InvalidInput):
        empty.add_dataset("  ")


def test_paging_ten_thousand_examples_is_fast(empty):
    ds = empty.add_dataset("big", ({"inputs": {"i": i}, "outputs": {"o": i}} for i in range(10_000)))
    assert empty.count_examples(ds.id) == 10_000
    start = time.perf_counter()
    last_page = list(empty.list_examples(ds.id, offset=9_950, limit=50))
    count = empty.count_examples(ds.id)
    elapsed = time.perf_counter() - start
    assert [e.inputs["i"] for e in last_page] == list(range(9_950, 10_000))
    assert count == 10_000
    assert elapsed < 0.2, f"last page + count took {elapsed * 1000:.1f} ms"
    all_rows = empty.list_examples(ds.id)  # lazily pages through everything
    assert sum(1 for _ in all_rows) == 10_000


def test_negative_paging_is_rejected(backend):
    with pytest.raises(InvalidInput):
        backend.list_examples("x", offset=-1)


# -- rules ------------------------------------------------------------------------------------

def test_rules_crud(backend):
    ds = backend.get_dataset(TRAJECTORY)
    project = backend.get_project(DEMO_PROJECT)
    rule = backend.create_rule(RuleSpec(name="Trajectory Match", code="def perform_eval(run, example): ...",
                                        sampling_rate=0.5, dataset_id=ds.id))
    assert (rule.name, rule.sampling_rate, rule.is_enabled) == ("Trajectory Match", 0.5, True)
    assert rule.dataset_name == TRAJECTORY and rule.target_label == f"dataset: {TRAJECTORY}"
    assert rule.created_at == rule.updated_at and rule.created_at.tzinfo is not None
    assert backend.get_rule(rule.id) == rule
    twin = backend.create_rule(RuleSpec(name="Trajectory Match", code="v2", project_id=project.id))
    assert twin.project_name == DEMO_PROJECT and twin.dataset_id is None
    other = backend.create_rule(RuleSpec(name="Other", code="x"))
    assert other.target_label == "unbound"
    assert [r.id for r in backend.list_rules(name="Trajectory Match")] == [rule.id, twin.id]
    assert backend.list_rules(name="trajectory match") == []
    assert len(backend.list_rules()) == 3

    time.sleep(0.002)
    updated = backend.update_rule(rule.id, RuleSpec(name="Trajectory Match", code="new code", sampling_rate=1.0,
                                                    project_id=project.id, is_enabled=False))
    assert updated.id == rule.id and updated.created_at == rule.created_at
    assert updated.updated_at > rule.updated_at
    assert (updated.code, updated.is_enabled, updated.dataset_id, updated.project_name) == (
        "new code", False, None, DEMO_PROJECT)

    backend.delete_rule(rule.id)
    with pytest.raises(NotFound):
        backend.get_rule(rule.id)
    with pytest.raises(NotFound):
        backend.delete_rule(rule.id)
    with pytest.raises(NotFound):
        backend.update_rule(rule.id, RuleSpec(name="x", code="y"))
    assert [r.id for r in backend.list_rules()] == [twin.id, other.id]


@pytest.mark.parametrize("spec", [
    RuleSpec(name="", code="x"),
    RuleSpec(name="r", code="x", sampling_rate=-0.1),
    RuleSpec(name="r", code="x", sampling_rate=1.5),
    RuleSpec(name="r", code="x", sampling_rate=float("nan")),
    RuleSpec(name="r", code="x", dataset_id="d", project_id="p"),
])
def test_invalid_rule_specs(backend, spec):
    with pytest.raises(InvalidInput):
        backend.create_rule(spec)
    assert backend.list_rules() == []


def test_rule_bound_to_missing_dataset(backend):
    with pytest.raises(NotFound):
        backend.create_rule(RuleSpec(name="r", code="x", dataset_id="missing"))


def test_unicode_rule_names_round_trip(backend):
    name = 'Évaluateur "quoted" \'single\' ✓'
    rule = backend.create_rule(RuleSpec(name=name, code="print('hé')"))
    assert backend.list_rules(name=name) == [rule]


# -- experiments and results ----------------------------------------------------------------

def _result(exp_id, example, **kw):
    return ExperimentResult(experiment_id=exp_id, example_id=example.id, inputs=example.inputs,
                            outputs=kw.pop("outputs", {"expected_response": "x"}),
                            reference_outputs=example.outputs, **kw)


def test_experiment_round_trip_with_bool_scores_and_errors(backend):
    ds = backend.get_dataset(FINAL_RESPONSE)
    exp = backend.create_experiment("skills-eval-v1-abc", ds.id, metadata={"target": "demo"})
    assert (exp.status, exp.example_count, exp.metadata) == ("running", 0, {"target": "demo"})
    examples = list(backend.list_examples(ds.id, limit=3))
    backend.record_results([
        _result(exp.id, examples[0], latency_ms=12.5, scores=(
            Score("exact_match", True, "Match: True"), Score("accuracy", 0.75), Score("count", 3))),
        _result(exp.id, examples[1], outputs=None, error="TimeoutError: target took too long"),
        _result(exp.id, examples[2], scores=(Score("exact_match", None, "boom", error="ValueError: boom"),
                                             Score("flag", False))),
    ])
    rows = backend.list_results(exp.id)
    assert [r.example_id for r in rows] == [e.id for e in examples]
    first, second, third = rows
    assert first.scores == (Score("exact_match", True, "Match: True"), Score("accuracy", 0.75), Score("count", 3))
    assert first.scores[0].score is True and type(first.scores[2].score) is int
    assert first.latency_ms == 12.5 and first.reference_outputs == examples[0].outputs
    assert second.outputs is None and second.error.startswith("TimeoutError") and second.scores == ()
    assert third.scores[0].error == "ValueError: boom" and third.scores[0].score is None
    assert third.scores[1].score is False
    assert backend.get_experiment(exp.id).example_count == 3

    # upsert: a retry replaces the row and same-key scores, keeps other keys
    backend.record_results([_result(exp.id, examples[1], scores=(Score("exact_match", 1),))])
    retried = backend.list_results(exp.id)[1]
    assert retried.error is None and retried.scores == (Score("exact_match", 1),)
    assert backend.get_experiment(exp.id).example_count == 3

    backend.finish_experiment(exp.id, "done")
    assert backend.get_experiment("skills-eval-v1-abc").status == "done"
    assert [e.id for e in backend.list_experiments(ds.id)] == [exp.id]
    assert backend.list_experiments(backend.get_dataset(TRAJECTORY).id) == []
    with pytest.raises(InvalidInput):
        backend.finish_experiment(exp.id, "finished")
    with pytest.raises(NotFound):
        backend.finish_experiment("nope", "done")
    with pytest.raises(NotFound) as info:
        backend.get_experiment("skills-eval-v1-abd")
    assert info.value.suggestions == ["skills-eval-v1-abc"]


def test_record_results_for_unknown_experiment_writes_nothing(backend):
    ds = backend.get_dataset(FINAL_RESPONSE)
    exp = backend.create_experiment("e", ds.id)
    ex = next(backend.list_examples(ds.id))
    with pytest.raises(NotFound):
        backend.record_results([_result(exp.id, ex), _result("missing", ex)])
    assert backend.list_results(exp.id) == []
    with pytest.raises(NotFound):
        backend.create_experiment("e", "no-dataset")


def test_record_results_is_fast_and_batches_survive_a_crash(db_path):
    b = LocalBackend(db_path)
    ds = b.add_dataset("bulk", ({"inputs": {"i": i}, "outputs": {"o": i}} for i in range(2_000)))
    exp = b.create_experiment("bulk-run", ds.id)
    examples = list(b.list_examples(ds.id))
    start = time.perf_counter()
    for chunk in range(0, 2_000, 250):
        b.record_results(
            ExperimentResult(exp.id, e.id, e.inputs, {"o": e.inputs["i"]}, e.outputs,
                             scores=(Score("match", True), Score("score", 0.5, "ok")))
            for e in examples[chunk:chunk + 250]
        )
    rate = 2_000 / (time.perf_counter() - start)
    assert rate > 2_000, f"only {rate:.0f} results/s"
    # simulate a crash: no close(), the connection is simply abandoned; another process reads
    code = textwrap.dedent(f"""
        from tui.backend.workspace.local import LocalBackend
        b = LocalBackend({str(db_path)!r})
        exp = b.get_experiment('bulk-run')
        print(len(b.list_results(exp.id)), exp.example_count)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["2000", "2000"], out.stderr
    b.close()


# -- threads and processes ------------------------------------------------------------------

def test_many_threads_share_one_backend(backend):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(20):
                backend.create_rule(RuleSpec(name=f"t{n}", code=str(i)))
                list(backend.list_datasets())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(backend.list_rules()) == 80


_WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from tui.backend.workspace.local import LocalBackend
    from tui.backend.core.models import RuleSpec
    path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    b = LocalBackend(path)
    ds = b.get_dataset("Skills: Trajectory")
    go = Path(path).with_name("go")
    Path(path).with_name("ready-" + tag).touch()
    while not go.exists():  # start writing at the same moment as the other process
        time.sleep(0.005)
    for i in range(count):
        rule = b.create_rule(RuleSpec(name=f"{tag}-{i}", code="x", dataset_id=ds.id))
        b.update_rule(rule.id, RuleSpec(name=f"{tag}-{i}", code="y", dataset_id=ds.id))
    b.close()
""")


class _ScriptedConnection:
    """Answers `PRAGMA journal_mode = WAL` the way SQLite does while another process is switching
    the same new file: "database is locked" at once (busy_timeout is not consulted) or the old mode.
    Two real processes hit this in about 5% of simultaneous first opens."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def execute(self, sql):
        assert sql == "PRAGMA journal_mode = WAL"
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return type("Cursor", (), {"fetchone": lambda self: (answer,)})()


def test_switching_to_wal_waits_while_another_process_holds_the_lock(backend):
    locked = sqlite3.OperationalError("database is locked")
    conn = _ScriptedConnection(locked, locked, "delete", "wal")
    backend._enable_wal(conn)
    assert conn.calls == 4


def test_switching_to_wal_gives_up_after_the_busy_timeout(db_path):
    b = LocalBackend(db_path, busy_timeout_ms=100)
    try:
        start = time.monotonic()
        with pytest.raises(WorkspaceError, match="could not switch to WAL mode"):
            b._enable_wal(_ScriptedConnection("delete"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            b._enable_wal(_ScriptedConnection(sqlite3.OperationalError("database is locked")))
        assert time.monotonic() - start < 2
        with pytest.raises(sqlite3.OperationalError, match="disk I/O"):  # other errors are not retried
            b._enable_wal(_ScriptedConnection(sqlite3.OperationalError("disk I/O error")))
    finally:
        b.close()


def test_two_processes_at_once_lose_nothing(db_path):
    # both start on a file that does not exist yet: schema + seed must happen exactly once
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(db_path), tag, "100"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("a", "b")]
    deadline = time.monotonic() + 30
    while not all((db_path.parent / f"ready-{t}").exists() for t in "ab"):
        dead = [p for p in procs if p.poll() is not None]
        assert not dead, f"a worker died before it was ready: {dead[0].communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.005)
    (db_path.parent / "go").touch()
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    with LocalBackend(db_path) as b:
        rules = b.list_rules()
        assert sorted(r.name for r in rules) == sorted(f"{t}-{i}" for t in "ab" for i in range(100))
        assert all(r.code == "y" and r.dataset_name == TRAJECTORY for r in rules)
        assert len(list(b.list_datasets())) == 3
        b.check()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- broken workspaces -------------------------------------------------------------------------

def test_corrupted_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "ws.sqlite3"
    path.write_bytes(b"this is definitely not sqlite \x00\xff" * 200)
    with pytest.raises(WorkspaceError) as info:
        LocalBackend(path)
    message = str(info.value)
    assert str(path) in message and "corrupted" in message and "Move it away" in message
    assert "Traceback" not in message


def test_locked_file_gives_a_clear_error(db_path):
    b = LocalBackend(db_path, busy_timeout_ms=50)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(WorkspaceError) as info:
            b.create_rule(RuleSpec(name="r", code="x"))
        assert "locked" in str(info.value) and str(db_path) in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    b.create_rule(RuleSpec(name="r", code="x"))  # usable again once the lock is gone
    b.close()


def test_unwritable_location_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(WorkspaceError) as info:
        LocalBackend(blocker / "ws.sqlite3")
    assert str(blocker) in str(info.value)
    with pytest.raises(WorkspaceError) as info:
        LocalBackend(tmp_path)  # a directory given as the db file
    assert "directory" in str(info.value)


def test_newer_schema_is_refused(db_path):
    LocalBackend(db_path).close()
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(WorkspaceError) as info:
        LocalBackend(db_path)
    assert "newer evaltui" in str(info.value)


def test_closed_backend_raises_workspace_error(db_path):
    b = LocalBackend(db_path)
    b.close()
    b.close()  # idempotent
    with pytest.raises(WorkspaceError):
        b.list_rules()


def test_local_rules_of_every_kind_keep_their_settings_and_only_python_ones_run(tmp_path):
    """The local workspace has the same rule concepts as LangSmith (issue 10)."""
    from tui.backend.core.models import RuleSpec
    from tui.backend.runs.rules_local import rules_for_dataset

    backend = LocalBackend(tmp_path / "w.sqlite3")
    ds = next(iter(backend.list_datasets()))
    hook = backend.add_rule({"display_name": "Hook", "sampling_rate": 0.3, "is_enabled": True,
                             "dataset_id": ds.id, "webhooks": [{"url": "https://h.example.com/x"}]})
    js = backend.add_rule({"display_name": "JS", "sampling_rate": 1.0, "dataset_id": ds.id,
                           "code_evaluators": [{"code": "function f() {}", "language": "javascript"}]})
    py = backend.add_rule({"display_name": "Py", "sampling_rate": 0.4, "is_enabled": True, "dataset_id": ds.id,
                           "filter": "eq(x, 1)", "webhooks": [{"url": "https://h.example.com/py"}],
                           "code_evaluators": [{"code": "def perform_eval(run, example):\n    return {}\n"}]})
    assert (hook.kind, js.kind, py.kind) == ("actions", "javascript", "python")
    assert hook.side_actions == ("webhook h.example.com/x",) and js.code == "function f() {}"
    assert [r.name for r in rules_for_dataset(backend, ds.id)] == ["Py"]
    updated = backend.update_rule(py.id, RuleSpec("Py", "x = 1\n", 0.4, ds.id), base=py)
    assert updated.code == "x = 1\n" and updated.filters == (("filter", "eq(x, 1)"),)
    assert updated.side_actions == ("webhook h.example.com/py",) and updated.evaluator_version == 2
    from tui.backend.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="changed by someone else"):
        backend.update_rule(py.id, RuleSpec("Py", "y = 2\n", 0.4, ds.id), base=py)  # stale version
    with pytest.raises(InvalidInput, match="replaces it only with a javascript code evaluator"):
        backend.update_rule(js.id, RuleSpec("JS", "x = 1\n", 1.0, ds.id))
    backend.close()
