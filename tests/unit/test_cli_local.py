"""`evaltui` CLI on the embedded workspace: every command, flag and prompt answer, with the
workspace state checked afterwards; plus real subprocess runs of the `evaltui` entry point."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import OLD_CODE, run_cli
from tui.__main__ import main
from tui.backend.core.models import RuleSpec
from tui.backend.workspace.local import LocalBackend

FINAL = "Skills: Final Response"
TRAJECTORY = "Skills: Trajectory"
PROJECT = "evaltui-demo"
@pytest.fixture
def workspace(evaltui_home: Path):
    """The seeded local workspace (opened once so demo data and sample evaluators exist)."""
    backend = LocalBackend(evaltui_home / "workspace.sqlite3")
    yield backend
    backend.close()


@pytest.fixture
def samples(workspace, evaltui_home: Path) -> Path:
    return evaltui_home / "evaluators" / "skills_evaluators.py"


def seed_rule(backend: LocalBackend, name: str, *, dataset: str | None = FINAL, project: str | None = None,
              code: str = OLD_CODE):
    ds = backend.get_dataset(dataset).id if dataset and not project else None
    proj = backend.get_project(project).id if project else None
    return backend.create_rule(RuleSpec(name=name, code=code, dataset_id=ds, project_id=proj))


def upload_args(path: Path, name: str = "Exact", function: str = "exact_match_evaluator", *extra: str):
    return ("upload", str(path), "--name", name, "--function", function, *extra)


# -- list --------------------------------------------------------------------------------------


def test_first_list_is_empty(evaltui_home):
    r = run_cli("list")
    assert r.code == 0, r.err
    assert r.out == "No evaluators found.\n"
    assert (evaltui_home / "workspace.sqlite3").exists()


def test_list_shows_rules(workspace):
    rule = seed_rule(workspace, "Exact")
    seed_rule(workspace, "Prod check", project=PROJECT)
    r = run_cli("list")
    assert r.code == 0
    header, rule_line = r.out.splitlines()[0], r.out.splitlines()[2]
    # The official script's columns in its order, plus KIND.
    assert header.split() == ["NAME", "TARGET", "SAMPLING", "ENABLED", "UPDATED", "ID", "KIND"]
    assert rule_line.startswith("Exact") and f"dataset: {FINAL}" in rule_line and rule.id in rule_line
    assert rule_line.rstrip().endswith("python code")
    assert "project: evaltui-demo" in r.out
    assert "\x1b[" not in r.out  # no colour when not a tty


# -- upload ------------------------------------------------------------------------------------


def test_upload_creates_rule(workspace, samples):
    r = run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", "--dataset", FINAL, "--sample-rate", "0.5"))
    assert r.code == 0, r.err
    (rule,) = workspace.list_rules()
    assert rule.name == "Exact" and rule.dataset_name == FINAL and rule.sampling_rate == 0.5
    assert "def perform_eval(run, example)" in rule.code
    assert f"Uploaded evaluator 'Exact' (dataset: {FINAL}). Sampling rate 50%, enabled, id {rule.id}." in r.out


def test_upload_method1_function_to_project(workspace, samples):
    r = run_cli(*upload_args(samples, "Tools", "all_tools_used", "--project", PROJECT))
    assert r.code == 0, r.err
    (rule,) = workspace.list_rules()
    assert rule.project_name == PROJECT and rule.dataset_id is None
    assert "def perform_eval(run, example)" in rule.code


def test_upload_without_target_is_clear(workspace, samples):
    r = run_cli(*upload_args(samples))
    assert r.code == 2
    assert "--dataset NAME or --project NAME" in r.err
    assert workspace.list_rules() == []


def test_upload_existing_refuses_without_replace(workspace, samples):
    seed_rule(workspace, "Exact")
    r = run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", "--dataset", FINAL))
    assert r.code == 1
    assert "Evaluator 'Exact' already exists" in r.err and "Add --replace" in r.err
    assert workspace.list_rules()[0].code == OLD_CODE


@pytest.mark.parametrize(
    "answer, replaced",
    [("y\n", True), ("Y\n", True), ("n\n", False), ("\n", False), ("", False)],
    ids=["y", "Y", "n", "default", "eof"],
)
def test_replace_prompt(workspace, samples, answer, replaced):
    old = seed_rule(workspace, "Exact")
    r = run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", "--dataset", FINAL, "--replace"), stdin=answer)
    assert "-    return {'score': 1}" in r.out  # the diff of old vs new code
    assert "+def perform_eval(run, example):" in r.out or "+    " in r.out
    assert f"Replace evaluator 'Exact' (dataset: {FINAL})? [y/N]" in r.out
    (rule,) = workspace.list_rules()
    assert rule.id == old.id  # replaced in place, never deleted
    if replaced:
        assert r.code == 0, r.err
        assert rule.code != OLD_CODE and "perform_eval" in rule.code
        assert "Replaced evaluator 'Exact'" in r.out
    else:
        assert r.code == 1
        assert rule.code == OLD_CODE
        assert "nothing changed" in r.out


def test_replace_same_code_says_unchanged(workspace, samples):
    assert run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", "--dataset", FINAL)).code == 0
    r = run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", "--dataset", FINAL, "--replace", "--yes"))
    assert r.code == 0, r.err
    assert "The code is unchanged." in r.out
    assert "[y/N]" not in r.out


def test_replace_can_move_rule_to_another_dataset(workspace, samples):
    old = seed_rule(workspace, "Exact")
    r = run_cli(*upload_args(samples, "Exact", "trajectory_evaluator", "--dataset", TRAJECTORY, "--replace", "--yes"))
    assert r.code == 0, r.err
    (rule,) = workspace.list_rules()
    assert rule.id == old.id and rule.dataset_name == TRAJECTORY


def test_duplicate_names_need_id(workspace, samples):
    a = seed_rule(workspace, "Twin")
    b = seed_rule(workspace, "Twin", project=PROJECT)
    r = run_cli(*upload_args(samples, "Twin", "exact_match_evaluator", "--replace", "--yes"))
    assert r.code == 1
    assert "2 evaluators are named 'Twin'" in r.err and a.id in r.err and b.id in r.err
    r = run_cli(*upload_args(samples, "Twin", "exact_match_evaluator", "--replace", "--yes", "--id", a.id))
    assert r.code == 0, r.err
    codes = {rule.id: rule.code for rule in workspace.list_rules()}
    assert codes[b.id] == OLD_CODE and codes[a.id] != OLD_CODE
    r = run_cli(*upload_args(samples, "Twin", "exact_match_evaluator", "--replace", "--yes", "--id", "nope"))
    assert r.code == 1 and "'nope' not found" in r.err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", FINAL, "--project", PROJECT], "either --dataset or --project"),
        (["--dataset", FINAL, "--sample-rate", "-1"], "must be between 0 and 1, not '-1'"),
        (["--dataset", FINAL, "--sample-rate", "1.5"], "must be between 0 and 1, not '1.5'"),
        (["--dataset", FINAL, "--sample-rate", "abc"], "must be a number between 0 and 1, not 'abc'"),
    ],
)
def test_bad_flags(workspace, samples, argv, message):
    r = run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", *argv))
    assert r.code == 2
    assert message in r.err
    assert workspace.list_rules() == []


def test_empty_name(workspace, samples):
    r = run_cli(*upload_args(samples, "", "exact_match_evaluator", "--dataset", FINAL))
    assert r.code == 2 and "name must not be empty" in r.err


def test_unknown_dataset_and_project_suggest(workspace, samples):
    r = run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", "--dataset", "Skills: Trajectry"))
    assert r.code == 1
    assert "Dataset 'Skills: Trajectry' not found. Did you mean: 'Skills: Trajectory'" in r.err
    r = run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", "--project", "evaltui-dem"))
    assert r.code == 1 and "'evaltui-demo'" in r.err


@pytest.mark.parametrize(
    "content, function, message",
    [
        ("def f(run, example):\n    return {\n", "f", "bad.py:"),
        ("def g(run, example):\n    return 1\n", "missing", "g"),
        ("X = 3\n", "X", "X"),
        ("def f(a, b, c, d):\n    return 1\n", "f", "f"),
    ],
    ids=["syntax-error", "missing-function", "not-a-function", "wrong-signature"],
)
def test_bad_evaluator_files(workspace, evaltui_home, content, function, message):
    path = evaltui_home.parent / "bad.py"
    path.write_text(content, encoding="utf-8")
    r = run_cli(*upload_args(path, "Bad", function, "--dataset", FINAL))
    assert r.code == 2, r.err
    assert r.err.startswith("Error: ") and message in r.err
    assert "Traceback" not in r.err
    assert workspace.list_rules() == []


def test_missing_file_and_directory(workspace, evaltui_home):
    r = run_cli(*upload_args(evaltui_home / "nope.py", "X", "f", "--dataset", FINAL))
    assert r.code == 2 and "nope.py" in r.err
    r = run_cli(*upload_args(evaltui_home, "X", "f", "--dataset", FINAL))
    assert r.code == 2 and r.err.startswith("Error: ")
    latin = evaltui_home.parent / "latin.py"
    latin.write_bytes(b"# caf\xe9\ndef f(run, example):\n    return 1\n")
    r = run_cli(*upload_args(latin, "X", "f", "--dataset", FINAL))
    assert r.code == 2 and "latin.py" in r.err and "Traceback" not in r.err
    assert workspace.list_rules() == []


def test_upload_warns_about_sandbox_imports(workspace, evaltui_home):
    path = evaltui_home.parent / "judge.py"
    path.write_text(
        "from langchain_openai import ChatOpenAI\n\n\n"
        "def judge(run, example):\n    ChatOpenAI\n    return {'score': 1}\n",
        encoding="utf-8",
    )
    # The warning stays; the sandbox check now also runs the code and finds the import fails there,
    # so the upload asks first (no stdin = No), and goes ahead only when the user says yes.
    r = run_cli(*upload_args(path, "Judge", "judge", "--dataset", FINAL))
    assert r.code == 1, r.err
    assert r.err.startswith("Warning: judge imports langchain_openai")
    assert "Sandbox check on 'Skills: Final Response' FAILED" in r.out and "No module named 'langchain_openai'" in r.out
    assert "upload 'Judge' anyway? [y/N]" in r.out and workspace.list_rules() == []
    r = run_cli(*upload_args(path, "Judge", "judge", "--dataset", FINAL), stdin="y\n")
    assert r.code == 0, r.err
    assert len(workspace.list_rules()) == 1


def test_upload_runs_the_code_in_a_sandbox_first(workspace, evaltui_home):
    path = evaltui_home.parent / "net.py"
    path.write_text(
        "import urllib.request\n\n\n"
        "def fetcher(run, example):\n"
        "    urllib.request.urlopen('http://127.0.0.1:9/')\n"
        "    return {'score': 1}\n\n\n"
        "def fine(run, example):\n"
        "    return {'same': int(run['outputs'] == example['outputs'])}\n",
        encoding="utf-8",
    )
    r = run_cli(*upload_args(path, "Fetch", "fetcher", "--dataset", FINAL))
    assert r.code == 1 and "no network access" in r.out and workspace.list_rules() == []
    r = run_cli(*upload_args(path, "Fine", "fine", "--dataset", FINAL))
    assert r.code == 0, r.err
    assert "Sandbox check on 2 example(s) of 'Skills: Final Response' passed" in r.out
    assert r.out.count('returned {"same": 1}') == 2
    r = run_cli(*upload_args(path, "Fetch", "fetcher", "--dataset", FINAL, "--no-check"))
    assert r.code == 0 and "Sandbox check" not in r.out



def test_a_sandbox_check_on_an_empty_dataset_says_not_checked_and_uploads(workspace, samples):
    workspace.create_dataset("Empty")
    for extra in ((), ("--yes",)):  # no question either way: nothing failed
        name = f"Exact{len(extra)}"
        r = run_cli(*upload_args(samples, name, "exact_match_evaluator", "--dataset", "Empty", *extra))
        assert r.code == 0, r.text
        assert "Sandbox check: not checked: dataset 'Empty' has no examples to try the code on." in r.out
        assert "[y/N]" not in r.out and f"Uploaded evaluator {name!r} (dataset: Empty)" in r.out
    assert sorted(rule.name for rule in workspace.list_rules()) == ["Exact0", "Exact1"]


def test_a_sandbox_process_that_cannot_start_says_not_checked_and_uploads(workspace, samples, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(samples.parent / "no-such-python"))
    r = run_cli(*upload_args(samples, "Exact", "exact_match_evaluator", "--dataset", FINAL))
    assert r.code == 0, r.text
    assert "Sandbox check: not checked: the sandbox-like process could not start (No such file or directory)." in r.out
    assert "Traceback" not in r.text and [rule.name for rule in workspace.list_rules()] == ["Exact"]

def test_unicode_and_quotes_in_name(workspace, samples):
    name = "Précis \"exact\" l'évaluateur ✓"
    assert run_cli(*upload_args(samples, name, "exact_match_evaluator", "--dataset", FINAL)).code == 0
    assert workspace.list_rules()[0].name == name
    assert name in run_cli("list").out
    r = run_cli("delete", name, stdin="y\n")
    assert r.code == 0, r.err
    assert workspace.list_rules() == []


# -- delete ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, deleted", [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False), ("", False)],
    ids=["y", "yes", "n", "default", "eof"],
)
def test_delete_prompt(workspace, answer, deleted):
    seed_rule(workspace, "Exact")
    r = run_cli("delete", "Exact", stdin=answer)
    assert f"Delete evaluator 'Exact' (python code, dataset: {FINAL}, sampling 100%, enabled)? [y/N]" in r.out
    assert (r.code == 0) is deleted
    assert (workspace.list_rules() == []) is deleted


def test_delete_yes_and_no_stdin(workspace):
    seed_rule(workspace, "A")
    seed_rule(workspace, "B")
    r = run_cli("delete", "A")
    assert r.code == 1 and "No input available; answering No." in r.out
    assert run_cli("delete", "A", "--yes").code == 0
    assert [r.name for r in workspace.list_rules()] == ["B"]


def test_delete_missing_and_duplicates(workspace):
    a = seed_rule(workspace, "Twin")
    seed_rule(workspace, "Twin", project=PROJECT)
    r = run_cli("delete", "Twn", "--yes")
    assert r.code == 1 and "Evaluator 'Twn' not found. Did you mean: 'Twin'?" in r.err
    r = run_cli("delete", "Twin", "--yes")
    assert r.code == 1 and "Pass --id RULE_ID" in r.err
    assert len(workspace.list_rules()) == 2
    assert run_cli("delete", "Twin", "--yes", "--id", a.id).code == 0
    assert [r.project_name for r in workspace.list_rules()] == [PROJECT]


# -- test --------------------------------------------------------------------------------------


def test_test_command_passes_for_sample(workspace, samples):
    r = run_cli("test", str(samples), "--function", "exact_match_evaluator", "--dataset", FINAL, "--limit", "5")
    assert r.code == 0, r.out + r.err
    assert "(5 examples from 'Skills: Final Response')" in r.out
    assert "OK:" in r.out


def test_test_command_bad_limit(workspace, samples):
    r = run_cli("test", str(samples), "--function", "exact_match_evaluator", "--dataset", FINAL, "--limit", "0")
    assert r.code == 2 and "at least 1" in r.err


# -- entry point -------------------------------------------------------------------------------


def test_no_subcommand_starts_app_with_dir(evaltui_home, monkeypatch):
    """Without a subcommand main() hands over to tui.app.run_app (here: a stand-in module)."""
    import types

    seen = {}
    fake_app = types.ModuleType("tui.app")

    def run_app(settings, evaluator_dir):
        seen.update(settings=settings, dir=evaluator_dir)
        return 0

    fake_app.run_app = run_app
    monkeypatch.setitem(sys.modules, "tui.app", fake_app)
    assert main([]) == 0
    assert seen["dir"] == evaltui_home / "evaluators" and seen["settings"].backend == "local"
    (evaltui_home.parent / "evaluators").mkdir()
    assert main(["--backend", "local"]) == 0
    assert seen["dir"] == Path.cwd() / "evaluators"
    assert main(["--dir", "somewhere"]) == 0
    assert seen["dir"] == Path("somewhere")


def test_unexpected_error_is_one_line(evaltui_home, monkeypatch):
    import types

    fake_app = types.ModuleType("tui.app")

    def run_app(settings, evaluator_dir):
        raise RuntimeError("kaboom\nsecond line")

    fake_app.run_app = run_app
    monkeypatch.setitem(sys.modules, "tui.app", fake_app)
    monkeypatch.delenv("EVALTUI_DEBUG", raising=False)
    err = io.StringIO()
    assert main([], stderr=err) == 1
    assert err.getvalue() == "Unexpected error (RuntimeError): kaboom second line (set EVALTUI_DEBUG=1 for details)\n"
    monkeypatch.setenv("EVALTUI_DEBUG", "1")
    err = io.StringIO()
    assert main([], stderr=err) == 1
    assert "Traceback" in err.getvalue()


def test_keyboard_interrupt_exits_130(evaltui_home, monkeypatch):
    import types

    fake_app = types.ModuleType("tui.app")

    def run_app(settings, evaluator_dir):
        raise KeyboardInterrupt

    fake_app.run_app = run_app
    monkeypatch.setitem(sys.modules, "tui.app", fake_app)
    err = io.StringIO()
    assert main([], stderr=err) == 130
    assert err.getvalue() == "Cancelled.\n"


def test_env_file_is_loaded(evaltui_home):
    (evaltui_home / ".env").write_text("EVALTUI_BACKEND=bogus\n")
    assert "EVALTUI_BACKEND" not in os.environ
    try:
        r = run_cli("list")
    finally:
        os.environ.pop("EVALTUI_BACKEND", None)  # load_dotenv wrote it into os.environ
    assert r.code == 2 and "Unknown backend 'bogus'" in r.err


def _evaltui() -> list[str]:
    exe = shutil.which("evaltui")
    return [exe] if exe else [sys.executable, "-m", "tui"]


HEAVY = ("textual", "langsmith", "langchain", "langchain_core", "langchain_openai", "openai")


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_stay_light(flag, evaltui_home):
    code = (
        "import sys, io\n"
        "from tui.__main__ import main\n"
        f"rc = main([{flag!r}], stdout=io.StringIO())\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(rc, heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "0 []", proc.stdout + proc.stderr


def test_entry_point_subprocess(evaltui_home, tmp_path):
    env = {**os.environ, "EVALTUI_HOME": str(evaltui_home)}
    proc = subprocess.run(_evaltui() + ["--version"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("evaltui ")
    proc = subprocess.run(
        _evaltui() + ["delete", "nothing-here"], capture_output=True, text=True, env=env, timeout=60,
        stdin=subprocess.DEVNULL, cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr == "Error: Evaluator 'nothing-here' not found.\n"
    proc = subprocess.run(_evaltui() + ["list"], capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "No evaluators found.\n"


class _CtrlCStdin(io.StringIO):
    """A terminal where the user presses Ctrl+C at the prompt."""

    def readline(self, *args):  # noqa: ARG002
        raise KeyboardInterrupt


def test_ctrl_c_at_prompt_cancels_and_keeps_rule(workspace):
    seed_rule(workspace, "Exact")
    out, err = io.StringIO(), io.StringIO()
    assert main(["delete", "Exact"], stdin=_CtrlCStdin(), stdout=out, stderr=err) == 130
    assert err.getvalue() == "Cancelled.\n"
    assert [r.name for r in workspace.list_rules()] == ["Exact"]
