"""Bad-input matrix for the CLI (issue 6): one table-driven test, run in-process through `main()`.

Every case checks the exit code, a message naming the problem, that no traceback reached the
user, and that nothing was lost: the workspace (local SQLite or the fake LangSmith) is unchanged
unless the case is meant to change it.
"""

from __future__ import annotations

import copy
import io
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run_cli
from tui.__main__ import main

FINAL = "Skills: Final Response"
KEEP = "Keep Me"  # a rule that exists before every case and must survive it

EVALUATORS = '''\
import math


def good(inputs, outputs, reference_outputs):
    same = outputs.get("expected_response") == reference_outputs.get("expected_response")
    return {"key": "good", "score": 1 if same else 0}


def ret_none(inputs, outputs, reference_outputs):
    return None


def ret_str(inputs, outputs, reference_outputs):
    return "great"


def ret_list(inputs, outputs, reference_outputs):
    return [1, 2, 3]


def ret_no_score(inputs, outputs, reference_outputs):
    return {"key": "x", "comment": "forgot the score"}


def ret_nan(inputs, outputs, reference_outputs):
    return {"key": "x", "score": math.nan}


def huge_comment(inputs, outputs, reference_outputs):
    same = outputs.get("expected_response") == reference_outputs.get("expected_response")
    return {"key": "huge", "score": int(same), "comment": "HUGE" * 100_000}


def raises(inputs, outputs, reference_outputs):
    raise ValueError("kaboom in the evaluator")


def hangs(inputs, outputs, reference_outputs):
    import time

    time.sleep(20)


def prints(inputs, outputs, reference_outputs):
    print("NOISE FROM THE EVALUATOR")
    same = outputs.get("expected_response") == reference_outputs.get("expected_response")
    return {"key": "prints", "score": int(same)}


def four_args(a, b, c, d):
    return 1


async def judge(run, example):
    from evaluators import accuracy_evaluator

    return await accuracy_evaluator(run, example)


NOT_A_FUNCTION = 42
'''

SIDE_EFFECTS = '''\
import pathlib

pathlib.Path(__file__).with_name("IMPORT_MARKER").write_text("the module body ran")
print("IMPORT NOISE")


def ok(inputs, outputs, reference_outputs):
    same = outputs.get("expected_response") == reference_outputs.get("expected_response")
    return {"key": "ok", "score": int(same)}
'''


@dataclass
class Env:
    """What a case can use: file paths, the fakes, and the workspace kind."""

    tmp: Path
    home: Path
    backend: str
    langsmith: Any = None
    openai: Any = None
    monkeypatch: Any = None

    @property
    def evals(self) -> str:
        return str(self.tmp / "evals.py")

    def file(self, name: str) -> str:
        return str(self.tmp / name)


@dataclass
class Case:
    id: str
    argv: Callable[[Env], list[str]]
    code: int
    expect: tuple[str, ...]
    backend: str = "local"  # local | langsmith | judge (local workspace + fake OpenAI)
    setup: Callable[[Env], None] | None = None
    stdin: str | None = ""  # None: a closed stdin
    changes_state: bool = False
    check: Callable[[Env, str], None] | None = None  # extra assertions on (env, stdout+stderr)
    absent: tuple[str, ...] = ()  # text that must not appear in the output


def upload(*extra: str, fn: str = "good", name: str = "New Rule") -> Callable[[Env], list[str]]:
    return lambda env: ["upload", env.evals, "--name", name, "--function", fn, *extra]


def check_cmd(fn: str, *extra: str, path: str | None = None) -> Callable[[Env], list[str]]:
    return lambda env: ["test", env.file(path) if path else env.evals, "--function", fn,
                        "--dataset", FINAL, "--limit", "2", *extra]


def run_cmd(spec: str, *extra: str) -> Callable[[Env], list[str]]:
    return lambda env: ["run", "--dataset", FINAL, "--target", "demo", "--limit", "2", "--no-rules",
                        "--evaluators", spec.format(evals=env.evals), *extra]


def inject(method: str, path: str, **kw: Any) -> Callable[[Env], None]:
    return lambda env: env.langsmith.inject(method, path, **kw) and None


def openai_mode(mode: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        env.openai.mode = mode

    return setup


def write_bytes(name: str, data: bytes) -> Callable[[Env], None]:
    return lambda env: (env.tmp / name).write_bytes(data) and None


def corrupt_workspace(env: Env) -> None:
    db = env.home / "workspace.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not an sqlite database\n" * 200)


def lock_workspace(env: Env) -> None:
    """Another process holds the write lock for longer than evaltui waits."""
    env.monkeypatch.setenv("EVALTUI_LOCK_TIMEOUT", "0.3")
    conn = sqlite3.connect(str(env.home / "workspace.sqlite3"), isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    env.lock = conn  # type: ignore[attr-defined]  # released by the test after the command


def refused(env: Env) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env.monkeypatch.setenv("LANGSMITH_ENDPOINT", f"http://127.0.0.1:{port}")


def slow_server(env: Env) -> None:
    env.monkeypatch.setenv("EVALTUI_HTTP_TIMEOUT", "0.3")
    env.langsmith.inject("GET", r"^(/api/v[12])?/runs/rules", status=None, delay=1.5, times=5)


def unicode_round_trip(env: Env, text: str) -> None:
    name = 'Ünïcødé "quoted" \'single\' — 评估器 ✓'
    r = run_cli("list")
    assert r.code == 0
    assert name in r.out
    r = run_cli("delete", name, "--yes")
    assert r.code == 0
    assert f"Deleted evaluator {name!r}" in r.out


def marker_absent(env: Env, text: str) -> None:
    assert not (env.tmp / "IMPORT_MARKER").exists(), "the module body was executed"


def output_is_small(env: Env, text: str) -> None:
    assert len(text) < 20_000, f"a huge comment flooded the output ({len(text)} chars)"


def workspace_file_untouched(env: Env, text: str) -> None:
    assert (env.home / "workspace.sqlite3").read_bytes() == b"this is not an sqlite database\n" * 200


UNICODE_NAME = 'Ünïcødé "quoted" \'single\' — 评估器 ✓'

CASES = [
    # -- the evaluator file --------------------------------------------------------------------
    Case("syntax-error", check_cmd("f", path="syntax.py"), 2, ("syntax.py:1", "syntax error"),
         setup=lambda env: (env.tmp / "syntax.py").write_text("def f(inputs, outputs:\n    pass\n") and None),
    Case("missing-function", upload(fn="nope"), 2, ("'nope' not found", "Functions in the file")),
    Case("not-a-function", upload(fn="NOT_A_FUNCTION"), 2, ("NOT_A_FUNCTION", "not a function")),
    Case("wrong-signature", upload(fn="four_args"), 2, ("four_args(a, b, c, d)", "not an evaluator signature")),
    Case("raises", check_cmd("raises"), 1, ("raised ValueError: kaboom in the evaluator",)),
    Case("hangs-test", check_cmd("hangs", "--timeout", "0.3"), 1, ("timed out after 0.3s",)),
    # A run goes on past evaluator errors (issue 5: errors are results), so it exits 0 and names them.
    Case("hangs-run", run_cmd("{evals}:hangs", "--timeout", "0.3"), 3,
         ("Evaluator 'hangs' timed out after 0.3s", "2 evaluator errors"), changes_state=True),
    Case("returns-none", check_cmd("ret_none"), 1, ("returned None", "not a usable score")),
    Case("returns-string", check_cmd("ret_str"), 1, ("returned 'great'",)),
    Case("returns-list", check_cmd("ret_list"), 1, ("returned [1, 2, 3]",)),
    Case("dict-without-score", check_cmd("ret_no_score"), 1, ("'ret_no_score'", "score")),
    Case("returns-nan", check_cmd("ret_nan"), 1, ("not a finite number",)),
    Case("huge-comment", check_cmd("huge_comment"), 0, ("OK: known-good pairs score higher",),
         check=output_is_small),
    Case("prints-to-stdout", check_cmd("prints"), 0, ("OK: known-good pairs score higher",),
         absent=("NOISE FROM THE EVALUATOR",)),
    Case("side-effects-at-import", lambda env: ["upload", env.file("side.py"), "--name", "Side",
                                                "--function", "ok", "--dataset", FINAL, "--yes"],
         0, ("Uploaded evaluator 'Side'",), changes_state=True, check=marker_absent,
         setup=lambda env: (env.tmp / "side.py").write_text(SIDE_EFFECTS) and None,
         absent=("IMPORT NOISE",)),
    Case("non-utf8", check_cmd("f", path="latin.py"), 2, ("latin.py is not valid UTF-8", "byte 0xe9"),
         setup=write_bytes("latin.py", b"def f(inputs, outputs, reference_outputs):\n    return 1  # caf\xe9\n")),
    Case("file-not-found", lambda env: ["upload", env.file("missing.py"), "--name", "N", "--function", "f",
                                        "--dataset", FINAL], 2, ("missing.py", "does not exist")),
    Case("directory-not-file", lambda env: ["test", str(env.tmp), "--function", "f", "--dataset", FINAL],
         2, ("is a directory",)),
    # -- flags -----------------------------------------------------------------------------------
    Case("unknown-dataset", upload("--dataset", "Skills: Final Respons"), 1,
         ("Dataset 'Skills: Final Respons' not found", "Did you mean", FINAL)),
    Case("unknown-project", upload("--project", "no-such-project"), 1, ("Project 'no-such-project' not found",)),
    Case("unknown-dataset-langsmith", upload("--dataset", "Nope"), 1, ("Dataset 'Nope' not found",),
         backend="langsmith"),
    Case("dataset-and-project", upload("--dataset", FINAL, "--project", "p"), 2, ("not both",)),
    Case("sample-rate-negative", upload("--dataset", FINAL, "--sample-rate=-1"), 2,
         ("--sample-rate", "between 0 and 1", "'-1'")),
    Case("sample-rate-above-one", upload("--dataset", FINAL, "--sample-rate", "1.5"), 2,
         ("--sample-rate", "between 0 and 1", "'1.5'")),
    Case("sample-rate-text", upload("--dataset", FINAL, "--sample-rate", "abc"), 2,
         ("--sample-rate", "must be a number", "'abc'")),
    Case("empty-name", upload("--dataset", FINAL, name="  "), 2, ("name must not be empty",)),
    Case("unicode-quoted-name", upload("--dataset", FINAL, name=UNICODE_NAME), 0,
         (f"Uploaded evaluator {UNICODE_NAME!r}",), changes_state=True, check=unicode_round_trip),
    Case("unicode-quoted-name-langsmith", upload("--dataset", FINAL, name=UNICODE_NAME), 0,
         (f"Uploaded evaluator {UNICODE_NAME!r}",), backend="langsmith", changes_state=True,
         check=unicode_round_trip),
    Case("exists-without-replace", upload("--dataset", FINAL, name=KEEP), 1,
         (f"Evaluator {KEEP!r} already exists", "--replace")),
    Case("delete-missing-name", lambda env: ["delete", "Keep Me Not", "--yes"], 1,
         ("Evaluator 'Keep Me Not' not found",)),
    # -- prompts ----------------------------------------------------------------------------------
    Case("no-stdin-delete", lambda env: ["delete", KEEP], 1, ("No input available; answering No.", "nothing deleted")),
    Case("closed-stdin-replace", upload("--dataset", FINAL, "--replace", name=KEEP), 1,
         ("No input available; answering No.", "nothing changed"), stdin=None),
    # -- the LangSmith server ---------------------------------------------------------------------
    Case("http-401", lambda env: ["list"], 1, ("rejected the API key (HTTP 401)", "LANGSMITH_API_KEY"),
         backend="langsmith", setup=inject("GET", r"^(/api/v[12])?/runs/rules", status=401)),
    Case("http-403", lambda env: ["delete", KEEP, "--yes"], 1, ("rejected the API key (HTTP 403)",),
         backend="langsmith", setup=inject("DELETE", r"^(/api/v[12])?/runs/rules", status=403)),
    Case("http-404", lambda env: ["list"], 1, ("not found",), backend="langsmith",
         # times=2: a 404 on v2 alone means "an older server" and the v1 list is tried.
         setup=inject("GET", r"^(/api/v[12])?/runs/rules", status=404, times=2)),
    Case("http-429", upload("--dataset", FINAL), 1, ("rate limiting", "HTTP 429"), backend="langsmith",
         setup=inject("POST", r"^(/api/v[12])?/runs/rules", status=429, times=10)),
    Case("http-500", upload("--dataset", FINAL, "--replace", "--yes", name=KEEP), 1,
         ("server error (HTTP 500)", "old rule is still in place"), backend="langsmith",
         setup=inject("PATCH", r"^(/api/v[12])?/runs/rules", status=500, times=10)),
    Case("connection-refused", lambda env: ["list"], 1, ("Could not connect to LangSmith",),
         backend="langsmith", setup=refused),
    Case("slow-server", lambda env: ["list"], 1, ("did not answer within 0.3 s",), backend="langsmith",
         setup=slow_server),
    # -- the LLM judge (errors are results: the run finishes and names them) -----------------------
    Case("judge-broken-json", run_cmd("{evals}:judge"), 3, ("judge:", "2 evaluator errors"),
         backend="judge", setup=openai_mode("broken_json"), changes_state=True),
    Case("judge-429", run_cmd("{evals}:judge"), 3, ("judge:", "429", "2 evaluator errors"),
         backend="judge", setup=openai_mode("rate_limit"), changes_state=True),
    Case("judge-refusal", run_cmd("{evals}:judge"), 3, ("judge:", "OpenAIRefusalError", "2 evaluator errors"),
         backend="judge", setup=openai_mode("refusal"), changes_state=True),
    Case("judge-broken-json-test", check_cmd("judge"), 1, ("'judge'",), backend="judge",
         setup=openai_mode("broken_json")),
    # -- the workspace file ------------------------------------------------------------------------
    Case("corrupted-workspace", lambda env: ["list"], 1, ("is corrupted", "mv "), setup=corrupt_workspace,
         check=workspace_file_untouched),
    Case("locked-workspace", upload("--dataset", FINAL), 1, ("is locked by another process",),
         setup=lock_workspace),
]


# -- the harness ------------------------------------------------------------------------------


def _snapshot(env: Env) -> Any:
    if env.backend == "langsmith":
        return copy.deepcopy(env.langsmith.rules)
    if not (env.home / "workspace.sqlite3").exists():
        return None
    db = env.home / "workspace.sqlite3"
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            return (
                conn.execute("SELECT * FROM rules ORDER BY id").fetchall(),
                conn.execute("SELECT count(*) FROM experiments").fetchone(),
            )
        finally:
            conn.close()
    except sqlite3.Error:
        return db.read_bytes()


@pytest.fixture
def make_env(tmp_path, evaltui_home, monkeypatch, request):
    monkeypatch.setenv("EVALTUI_DEBUG", "0")

    def build(case: Case) -> Env:
        (tmp_path / "evals.py").write_text(EVALUATORS, encoding="utf-8")
        env = Env(tmp=tmp_path, home=evaltui_home, backend="langsmith" if case.backend == "langsmith" else "local",
                  monkeypatch=monkeypatch)
        if case.backend == "langsmith":
            fake = request.getfixturevalue("langsmith_env")
            ds = fake.seed_dataset(FINAL, [({"query": f"q{i}"}, {"expected_response": f"a{i}"}) for i in range(3)])
            fake.seed_rule(KEEP, dataset_id=ds["id"])
            env.langsmith = fake
        else:
            from tui.backend.core.models import RuleSpec
            from tui.backend.workspace.local import LocalBackend

            with LocalBackend(evaltui_home / "workspace.sqlite3") as backend:
                ds = backend.get_dataset(FINAL)
                backend.create_rule(RuleSpec(name=KEEP, code="def perform_eval(run, example):\n"
                                             "    return {'score': 1}\n", sampling_rate=1.0, dataset_id=ds.id))
            if case.backend == "judge":
                env.openai = request.getfixturevalue("openai_env")
                monkeypatch.setenv("EVALTUI_JUDGE_MAX_RETRIES", "0")
        return env

    return build


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, make_env):
    env = make_env(case)
    if case.setup:
        case.setup(env)
    before = _snapshot(env)
    out, err = io.StringIO(), io.StringIO()
    stdin: io.StringIO | None = io.StringIO(case.stdin or "")
    if case.stdin is None:
        stdin.close()
    try:
        code = main(case.argv(env), stdin=stdin, stdout=out, stderr=err)
    finally:
        lock = getattr(env, "lock", None)
        if lock is not None:
            lock.execute("ROLLBACK")
            lock.close()
    text = out.getvalue() + err.getvalue()
    assert code == case.code, text[-3000:]
    for expected in case.expect:
        assert expected in text, f"{expected!r} missing from:\n{text[-3000:]}"
    for unwanted in case.absent:
        assert unwanted not in text
    assert "Traceback" not in text
    if not case.changes_state:
        assert _snapshot(env) == before, "the workspace changed"
    if env.langsmith is not None:
        assert env.langsmith.api_key not in text
    if case.check:
        env.langsmith and env.langsmith.clear_faults()
        case.check(env, text)


def test_the_matrix_is_big_enough():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
