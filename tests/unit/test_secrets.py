"""Secrets and trust (issue 6): keys never shown, remote code never run, `.env` never written,
files user-only. The app's screenshots are scanned by the app's own tests."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

FINAL = "Skills: Final Response"

EVALS = '''\
def good(inputs, outputs, reference_outputs):
    same = outputs.get("expected_response") == reference_outputs.get("expected_response")
    return {"key": "good", "score": int(same)}


def boom(run, example):
    raise RuntimeError("evaluator failed")


async def judge(run, example):
    from evaluators import accuracy_evaluator

    return await accuracy_evaluator(run, example)
'''

REMOTE_CODE = '''\
import pathlib
pathlib.Path({marker!r}).write_text("remote code ran at import")


def perform_eval(run, example):
    pathlib.Path({marker!r}).write_text("remote code ran")
    return {{"score": 1}}
'''


def cli(*argv: str, stdin: str = "") -> tuple[int, str]:
    r = run_cli(*argv, stdin=stdin)
    return r.code, r.text


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def keyed(langsmith_env, openai_env, evaltui_home, tmp_path, monkeypatch):
    """Both fakes with known keys set; a dataset and a rule on the fake LangSmith."""
    monkeypatch.setenv("EVALTUI_DEBUG", "1")  # tracebacks on: they must not carry keys either
    monkeypatch.setenv("EVALTUI_HTTP_TIMEOUT", "0.3")
    fake = langsmith_env
    fake.ds = fake.seed_dataset(FINAL, [({"query": f"q{i}"}, {"expected_response": f"a{i}"}) for i in range(4)])
    (tmp_path / "evals.py").write_text(EVALS)
    return fake


def test_keys_never_reach_output_logs_errors_exports_or_files(keyed, openai_env, evaltui_home, tmp_path,
                                                              caplog, monkeypatch):
    import os

    fake = keyed
    secrets = [os.environ["LANGSMITH_API_KEY"], os.environ["OPENAI_API_KEY"]]
    assert all(len(s) > 12 for s in secrets)
    evals = str(tmp_path / "evals.py")
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    def run(*argv: str, stdin: str = "") -> int:
        code, text = cli(*argv, stdin=stdin)
        texts.append(text)
        return code

    assert run("list") == 0
    assert run("upload", evals, "--name", "Good", "--function", "good", "--dataset", FINAL) == 0
    assert run("upload", evals, "--name", "Good", "--function", "boom", "--replace", "--yes") == 0
    run("upload", evals, "--name", "Good", "--function", "good", "--replace", stdin="n\n")
    assert run("test", evals, "--function", "good", "--dataset", FINAL) == 0
    run("test", evals, "--function", "judge", "--dataset", FINAL, "--limit", "2")
    assert run("run", "--dataset", FINAL, "--target", "demo", "--evaluators", f"{evals}:good,{evals}:judge",
               "--prefix", "sec") == 0
    openai_env.mode = "rate_limit"
    run("run", "--dataset", FINAL, "--target", "demo", "--evaluators", f"{evals}:judge", "--json")
    openai_env.mode = "ok"
    assert run("experiments") == 0
    exp = next(s for s in fake.sessions.values() if s["name"].startswith("sec"))
    for fmt in ("csv", "json"):
        assert run("export", exp["name"], "-o", str(tmp_path / f"out.{fmt}")) == 0
    assert run("export", exp["name"], "--format", "json") == 0
    assert run("delete", "Good", "--yes") == 0
    # Errors of every kind, with the key set.
    for status in (401, 403, 500, 429):
        fake.inject("GET", r"^(/api/v[12])?/runs/rules", status=status, times=5)
        assert run("list") != 0
        fake.clear_faults()
    fake.inject("GET", r"^(/api/v[12])?/runs/rules", status=None, delay=1.0, times=3)
    assert run("list") != 0
    fake.clear_faults()
    monkeypatch.setenv("LANGSMITH_API_KEY", secrets[0] + "-wrong")  # a wrong key is a key too
    secrets.append(secrets[0] + "-wrong")
    assert run("list") != 0
    monkeypatch.setenv("LANGSMITH_API_KEY", secrets[0])
    monkeypatch.setenv("LANGSMITH_ENDPOINT", "http://127.0.0.1:9")
    assert run("list") != 0
    assert run("--backend", "local", "list") == 0  # the local workspace, OPENAI key still set

    # Exceptions raised to callers (the app shows their text).
    from tui.backend.core.errors import EvaltuiError
    from tui.backend.workspace.langsmith import LangSmithBackend

    for status in (401, 403, 404, 422, 500):
        fake.inject("*", r"^(/api/v[12])?/runs/rules", status=status, times=5)
        backend = LangSmithBackend(secrets[0], fake.url, retries=0)
        with pytest.raises(EvaltuiError) as info:
            backend.list_rules()
        texts.append(str(info.value) + repr(info.value.args))
        fake.clear_faults()
        backend.close()

    exported = [tmp_path / "out.csv", tmp_path / "out.json"]
    files = all_files(evaltui_home) + exported
    assert any(p.name == "workspace.sqlite3" for p in files)
    haystacks = {"output": "\n".join(texts), "logs": caplog.text}
    haystacks.update({str(p): p.read_bytes().decode("utf-8", "replace") for p in files})
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"a key leaked into {where}"
    assert "Error:" in haystacks["output"]  # the errors above were really reported


def test_remote_rule_code_is_never_executed(keyed, evaltui_home, tmp_path):
    fake = keyed
    marker = tmp_path / "REMOTE_CODE_RAN"
    fake.seed_rule("Remote", REMOTE_CODE.format(marker=str(marker)), dataset_id=fake.ds["id"])
    (tmp_path / "mine.py").write_text(EVALS)
    assert cli("list")[0] == 0
    code, text = cli("upload", str(tmp_path / "mine.py"), "--name", "Remote", "--function", "good",
                     "--replace", stdin="n\n")  # shows the diff against the remote code, declines
    assert code == 1 and "remote code ran" in text  # the diff shows it as text
    assert cli("delete", "Remote", stdin="\n")[0] == 1
    # A run on the dataset the rule is bound to: LangSmith applies it, evaltui must not.
    code, text = cli("run", "--dataset", FINAL, "--target", "demo", "--evaluators", f"{tmp_path}/mine.py:good")
    assert code == 0, text
    from tui.backend.workspace.langsmith import LangSmithBackend

    backend = LangSmithBackend(fake.api_key, fake.url)
    rule = backend.get_rule(next(iter(fake.rules)))
    assert "perform_eval" in (rule.code or "")
    backend.close()
    assert not marker.exists(), "code from a remote rule was executed"


def test_env_file_is_never_written(evaltui_home, tmp_path, monkeypatch):
    env_text = "# my settings\nOPENAI_API_KEY=sk-from-dotenv-0000000000\nEVALTUI_JUDGE_MODEL=gpt-4o-mini\n"
    env_files = [tmp_path / ".env", evaltui_home / ".env"]
    for path in env_files:
        path.write_text(env_text)
        path.chmod(0o600)
    stamps = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in env_files}
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    (tmp_path / "evals.py").write_text(EVALS)
    evals = str(tmp_path / "evals.py")
    cli("list")
    cli("upload", evals, "--name", "E", "--function", "good", "--dataset", FINAL)
    cli("upload", evals, "--name", "E", "--function", "good", "--replace", "--yes")
    cli("test", evals, "--function", "good", "--dataset", FINAL)
    cli("run", "--dataset", FINAL, "--target", "demo", "--evaluators", f"{evals}:good", "--limit", "3")
    cli("experiments")
    cli("delete", "E", "--yes")
    cli("--backend", "langsmith", "list")  # fails: no LangSmith key; must not "fix" .env either
    for path, (mtime, content) in stamps.items():
        assert path.stat().st_mtime_ns == mtime and path.read_bytes() == content, f"{path} was written"


def test_files_evaltui_writes_are_user_only(evaltui_home, tmp_path):
    (tmp_path / "evals.py").write_text(EVALS)
    evals = str(tmp_path / "evals.py")
    assert cli("upload", evals, "--name", "E", "--function", "good", "--dataset", FINAL)[0] == 0
    code, text = cli("run", "--dataset", FINAL, "--target", "demo", "--evaluators", f"{evals}:good",
                     "--limit", "3", "--prefix", "perm", "--json")
    assert code == 0, text
    import json

    name = json.loads(text[: text.rindex("}") + 1])["experiment"]["name"]
    stale = tmp_path / "stale.csv"
    stale.write_text("old")
    stale.chmod(0o644)  # exporting over a world-readable file makes it private
    for out in ("out.csv", "out.json", "stale.csv"):
        assert cli("export", name, "-o", str(tmp_path / out))[0] == 0
    db = evaltui_home / "workspace.sqlite3"
    from tui.backend.workspace.local import LocalBackend

    held = LocalBackend(db)  # -wal / -shm exist while a connection is open
    held.add_project("keeps the wal busy")
    written = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), tmp_path / "out.csv", tmp_path / "out.json", stale]
    samples = evaltui_home / "evaluators"
    written += list(samples.glob("*"))
    assert samples.is_dir() and list(samples.glob("*.py"))
    for path in written:
        assert path.exists(), path
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({oct(mode)})"
    for directory in (evaltui_home, samples):
        if directory == evaltui_home and stat.S_IMODE(directory.stat().st_mode) & 0o077:
            continue  # EVALTUI_HOME already existed (made by the test), evaltui did not create it
        assert stat.S_IMODE(directory.stat().st_mode) & 0o077 == 0, directory
    held.close()
