"""`evaltui` CLI against the fake LangSmith server: every command, flag, prompt answer and error,
with assertions on the exact requests the server received."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import OLD_CODE, Result, run_cli
from tests.rule_bodies import full_replace_body, without_version

EVALUATOR_FILE = '''\
import json

PASS = 1


def matches(inputs, outputs, reference_outputs):
    """Method 1: the whole output equals the reference."""
    return {"key": "matches", "score": PASS if outputs == reference_outputs else 0}


def constant(run, example):
    return {"constant": 1, "comment": "always one"}


def broken(run, example):
    raise ValueError("boom")
'''


@pytest.fixture
def ls(langsmith_env, evaltui_home, monkeypatch):
    """The fake LangSmith with one dataset (3 examples) and one project; LANGSMITH_* set."""
    monkeypatch.setenv("EVALTUI_DEBUG", "0")
    fake = langsmith_env
    fake.dataset = fake.seed_dataset(
        "Skills: Final Response",
        [
            ({"query": "capital of France?"}, {"expected_response": "Paris"}),
            ({"query": "2 + 2?"}, {"expected_response": "4"}),
            ({"query": "colour of the sky?"}, {"expected_response": "blue"}),
        ],
    )
    fake.project = fake.seed_project("prod-agent")
    return fake


@pytest.fixture
def evaluator_file(evaltui_home: Path) -> Path:
    path = evaltui_home.parent / "my_evals.py"
    path.write_text(EVALUATOR_FILE, encoding="utf-8")
    return path


def bundle_code(path: Path, function: str) -> str:
    """The code an upload sends: the bundle, after the line recording its origin."""
    from tui.backend.source.bundle import bundle_for_upload
    from tui.backend.source.rule_origin import origin_for, with_origin

    return with_origin(bundle_for_upload(path, function).code, origin_for(path, function))


def writes(fake) -> list:
    return [r for r in fake.requests if r.method in ("POST", "PATCH", "DELETE") and r.path.startswith("/runs/rules")]


def assert_no_key(fake, result: Result) -> None:
    assert fake.api_key not in result.text
    assert fake.api_key[8:] not in result.text


# -- list --------------------------------------------------------------------------------------


def test_list_empty(ls):
    r = run_cli("list")
    assert r.code == 0, r.err
    assert "No evaluators found." in r.out


def test_list_table_shows_name_target_rate_enabled_and_id(ls):
    rule = ls.seed_rule("Exact", dataset_id=ls.dataset["id"], sampling_rate=0.5)
    ls.seed_rule("On prod", session_id=ls.project["id"], is_enabled=False)
    r = run_cli("list")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].split() == ["NAME", "TARGET", "SAMPLING", "ENABLED", "UPDATED", "ID", "KIND"]
    exact = next(line for line in lines if line.startswith("Exact"))
    assert "dataset: Skills: Final Response" in exact and "50%" in exact and "yes" in exact
    assert rule["id"] in exact
    prod = next(line for line in lines if line.startswith("On prod"))
    assert "project: prod-agent" in prod and " no " in prod
    # columns are aligned: the TARGET column starts at the same offset on every row
    col = lines[0].index("TARGET")
    assert exact[col:].startswith("dataset:") and prod[col:].startswith("project:")


def test_backend_flag_after_subcommand_and_before(ls, evaltui_home):
    ls.seed_rule("Remote only", dataset_id=ls.dataset["id"])
    assert "Remote only" in run_cli("list").out
    assert "Remote only" not in run_cli("--backend", "local", "list").out
    assert "Remote only" not in run_cli("list", "--backend", "local").out


# -- upload ------------------------------------------------------------------------------------


def test_upload_new_rule_posts_exact_body(ls, evaluator_file):
    r = run_cli(
        "upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
        "--dataset", "Skills: Final Response",
    )
    assert r.code == 0, r.err
    assert "Uploaded evaluator 'Matches' (dataset: Skills: Final Response)" in r.out
    (post,) = writes(ls)
    assert post.method == "POST" and post.path == "/runs/rules"
    assert post.json == {
        "display_name": "Matches",
        "sampling_rate": 1.0,
        "is_enabled": True,
        "code_evaluators": [{"code": bundle_code(evaluator_file, "matches"), "language": "python"}],
        "dataset_id": ls.dataset["id"],
    }
    assert "def perform_eval(run, example)" in post.json["code_evaluators"][0]["code"]
    assert [rule["display_name"] for rule in ls.rules.values()] == ["Matches"]


def test_upload_to_project_with_sample_rate(ls, evaluator_file):
    r = run_cli(
        "upload", str(evaluator_file), "--name", "Const", "--function", "constant",
        "--project", "prod-agent", "--sample-rate", "0.25",
    )
    assert r.code == 0, r.err
    (post,) = writes(ls)
    assert post.json["session_id"] == ls.project["id"]
    assert "dataset_id" not in post.json
    assert post.json["sampling_rate"] == 0.25
    assert "25%" in r.out


def test_upload_existing_without_replace_refuses(ls, evaluator_file):
    ls.seed_rule("Matches", OLD_CODE, dataset_id=ls.dataset["id"])
    r = run_cli(
        "upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
        "--dataset", "Skills: Final Response",
    )
    assert r.code != 0
    assert "already exists" in r.err and "--replace" in r.err
    assert writes(ls) == []


@pytest.mark.parametrize("answer", ["y\n", "yes\n"])
def test_replace_confirmed_shows_diff_and_patches_in_place(ls, evaluator_file, answer):
    old = ls.seed_rule("Matches", OLD_CODE, dataset_id=ls.dataset["id"])
    r = run_cli(
        "upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
        "--dataset", "Skills: Final Response", "--replace", stdin=answer,
    )
    assert r.code == 0, r.err
    assert "--- Matches (uploaded)" in r.out and "+++ Matches (new)" in r.out
    assert "-    return {'score': 1}" in r.out
    assert "Replace evaluator 'Matches' (dataset: Skills: Final Response)? [y/N]" in r.out
    assert "Replaced evaluator 'Matches'" in r.out
    (patch,) = writes(ls)  # updated in place: no POST, no DELETE
    assert patch.method == "PATCH" and patch.path == f"/runs/rules/{old['id']}"
    new_code = bundle_code(evaluator_file, "matches")
    # A full replace: every column is sent back (PATCH clears what it omits).
    assert without_version(patch.json) == full_replace_body(
        new_code, display_name="Matches", dataset_id=ls.dataset["id"]
    )
    assert patch.json.get("evaluator_version") == old.get("evaluator_version")
    assert list(ls.rules) == [old["id"]]
    assert ls.rules[old["id"]]["code_evaluators"][0]["code"] == new_code


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "maybe\n"], ids=["no", "default", "eof", "other"])
def test_replace_declined_changes_nothing(ls, evaluator_file, answer):
    old = ls.seed_rule("Matches", OLD_CODE, dataset_id=ls.dataset["id"])
    r = run_cli(
        "upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
        "--dataset", "Skills: Final Response", "--replace", stdin=answer,
    )
    assert r.code == 1
    assert "nothing changed" in r.out
    if answer == "":
        assert "No input available" in r.out
    assert writes(ls) == []
    assert ls.rules[old["id"]]["code_evaluators"][0]["code"] == OLD_CODE


def test_replace_with_yes_skips_prompt_and_keeps_target_when_none_given(ls, evaluator_file):
    old = ls.seed_rule("Matches", OLD_CODE, session_id=ls.project["id"])
    r = run_cli(
        "upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
        "--replace", "--yes",
    )
    assert r.code == 0, r.err
    assert "[y/N]" not in r.out
    (patch,) = writes(ls)
    assert patch.path == f"/runs/rules/{old['id']}"
    assert patch.json["session_id"] == ls.project["id"]


def test_replace_when_patch_fails_keeps_old_rule_and_says_so(ls, evaluator_file):
    old = ls.seed_rule("Matches", OLD_CODE, dataset_id=ls.dataset["id"])
    ls.inject("PATCH", r"^(/api/v[12])?/runs/rules/", status=500, times=10)
    r = run_cli(
        "upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
        "--dataset", "Skills: Final Response", "--replace", "--yes",
    )
    assert r.code == 1
    assert "old rule is still in place" in r.err
    assert "HTTP 500" in r.err
    assert ls.rules[old["id"]]["code_evaluators"][0]["code"] == OLD_CODE
    assert_no_key(ls, r)


def test_upload_duplicate_names_needs_id(ls, evaluator_file):
    a = ls.seed_rule("Twin", OLD_CODE, dataset_id=ls.dataset["id"])
    b = ls.seed_rule("Twin", OLD_CODE, session_id=ls.project["id"])
    base = ("upload", str(evaluator_file), "--name", "Twin", "--function", "matches", "--replace", "--yes")
    r = run_cli(*base, "--dataset", "Skills: Final Response")
    assert r.code == 1
    assert a["id"] in r.err and b["id"] in r.err and "--id" in r.err
    assert writes(ls) == []
    r = run_cli(*base, "--id", b["id"])
    assert r.code == 0, r.err
    (patch,) = writes(ls)
    assert patch.path == f"/runs/rules/{b['id']}"
    assert ls.rules[a["id"]]["code_evaluators"][0]["code"] == OLD_CODE


def test_unicode_and_quotes_in_name(ls, evaluator_file):
    name = 'Rüstig "quoted" \'single\' ✓ 評価'
    r = run_cli(
        "upload", str(evaluator_file), "--name", name, "--function", "matches",
        "--dataset", "Skills: Final Response",
    )
    assert r.code == 0, r.err
    assert writes(ls)[0].json["display_name"] == name
    assert name in run_cli("list").out
    r = run_cli("delete", name, "--yes")
    assert r.code == 0, r.err
    assert ls.rules == {}


# -- errors ------------------------------------------------------------------------------------


def test_unknown_dataset_suggests_close_names(ls, evaluator_file):
    r = run_cli(
        "upload", str(evaluator_file), "--name", "M", "--function", "matches",
        "--dataset", "Skills: Final Respons",
    )
    assert r.code == 1
    assert "Dataset 'Skills: Final Respons' not found" in r.err
    assert "Did you mean: 'Skills: Final Response'" in r.err
    assert writes(ls) == []


def test_unknown_project_suggests_close_names(ls, evaluator_file):
    r = run_cli(
        "upload", str(evaluator_file), "--name", "M", "--function", "matches", "--project", "prod-agnt",
    )
    assert r.code == 1
    assert "Project 'prod-agnt' not found" in r.err and "'prod-agent'" in r.err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--dataset", "Skills: Final Response", "--project", "prod-agent"], "either --dataset or --project"),
        (["--dataset", "Skills: Final Response", "--sample-rate", "-1"], "between 0 and 1"),
        (["--dataset", "Skills: Final Response", "--sample-rate", "1.5"], "between 0 and 1"),
        (["--dataset", "Skills: Final Response", "--sample-rate", "abc"], "number between 0 and 1, not 'abc'"),
        (["--dataset", "Skills: Final Response", "--sample-rate", "nan"], "between 0 and 1"),
    ],
    ids=["both-targets", "rate-negative", "rate-above-one", "rate-not-a-number", "rate-nan"],
)
def test_bad_upload_flags_exit_2(ls, evaluator_file, extra, message):
    r = run_cli("upload", str(evaluator_file), "--name", "M", "--function", "matches", *extra)
    assert r.code == 2
    assert message in r.err
    assert writes(ls) == []


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_name_rejected(ls, evaluator_file, name):
    r = run_cli(
        "upload", str(evaluator_file), "--name", name, "--function", "matches",
        "--dataset", "Skills: Final Response",
    )
    assert r.code == 2
    assert "name must not be empty" in r.err
    assert writes(ls) == []


@pytest.mark.parametrize(
    "status, exit_code, message",
    [
        (401, 1, "rejected the API key (HTTP 401)"),
        (403, 1, "HTTP 403"),
        (404, 1, "not found"),
        (429, 1, "rate limiting"),
        (500, 1, "server error (HTTP 500)"),
    ],
)
@pytest.mark.parametrize("command", ["list", "delete", "upload"])
def test_http_errors_give_clear_message_without_key(ls, evaluator_file, status, exit_code, message, command):
    ls.seed_rule("Matches", OLD_CODE, dataset_id=ls.dataset["id"])
    ls.inject("GET", r"^(/api/v[12])?/runs/rules", status=status, times=10)
    argv = {
        "list": ["list"],
        "delete": ["delete", "Matches", "--yes"],
        "upload": ["upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
                   "--dataset", "Skills: Final Response", "--replace", "--yes"],
    }[command]
    r = run_cli(*argv)
    assert r.code == exit_code
    assert message in r.err
    assert r.err.startswith("Error: ") and r.err.count("\n") == 1  # one line, no traceback
    assert "Traceback" not in r.text
    assert_no_key(ls, r)
    assert writes(ls) == []


def test_connection_refused(evaltui_home, monkeypatch):
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2_pt_secretsecretsecret_0000")
    monkeypatch.setenv("LANGSMITH_ENDPOINT", "http://127.0.0.1:9")
    r = run_cli("list")
    assert r.code == 1
    assert "127.0.0.1:9" in r.err and "LANGSMITH_ENDPOINT" in r.err
    assert r.err.startswith("Error: ") and r.err.count("\n") == 1
    assert "secretsecret" not in r.text


def test_langsmith_backend_without_key_is_clear(evaltui_home):
    r = run_cli("--backend", "langsmith", "list")
    assert r.code == 2
    assert "LANGSMITH_API_KEY" in r.err


# -- delete ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, deleted", [("y\n", True), ("n\n", False), ("", False), ("\n", False)],
    ids=["yes", "no", "eof", "default"],
)
def test_delete_prompt(ls, answer, deleted):
    rule = ls.seed_rule("Matches", dataset_id=ls.dataset["id"])
    r = run_cli("delete", "Matches", stdin=answer)
    assert (
        "Delete evaluator 'Matches' (python code, dataset: Skills: Final Response, sampling 100%, enabled)? [y/N]"
        in r.out
    )
    assert (r.code == 0) is deleted
    assert (rule["id"] not in ls.rules) is deleted
    if deleted:
        (req,) = writes(ls)
        assert req.method == "DELETE" and req.path == f"/runs/rules/{rule['id']}"
        assert "Deleted evaluator 'Matches'" in r.out
    else:
        assert writes(ls) == []
        assert "nothing deleted" in r.out


def test_delete_yes_skips_prompt(ls):
    ls.seed_rule("Matches", dataset_id=ls.dataset["id"])
    r = run_cli("delete", "Matches", "--yes")
    assert r.code == 0 and "[y/N]" not in r.out
    assert ls.rules == {}


def test_delete_missing_name_suggests(ls):
    ls.seed_rule("Matches", dataset_id=ls.dataset["id"])
    r = run_cli("delete", "Matchs", "--yes")
    assert r.code == 1
    assert "Evaluator 'Matchs' not found. Did you mean: 'Matches'?" in r.err
    assert writes(ls) == []


def test_delete_duplicates_lists_ids_and_id_picks_one(ls):
    a = ls.seed_rule("Twin", dataset_id=ls.dataset["id"])
    b = ls.seed_rule("Twin", session_id=ls.project["id"])
    r = run_cli("delete", "Twin", "--yes")
    assert r.code == 1
    assert a["id"] in r.err and b["id"] in r.err and "--id" in r.err
    assert len(ls.rules) == 2
    r = run_cli("delete", "Twin", "--id", b["id"], stdin="y\n")
    assert "Delete evaluator 'Twin' (python code, project: prod-agent, sampling 100%, enabled)?" in r.out
    assert r.code == 0, r.err
    assert list(ls.rules) == [a["id"]]


def test_delete_when_server_fails_keeps_rule(ls):
    rule = ls.seed_rule("Matches", dataset_id=ls.dataset["id"])
    ls.inject("DELETE", r"^(/api/v[12])?/runs/rules/", status=500, times=10)
    r = run_cli("delete", "Matches", "--yes")
    assert r.code == 1 and "HTTP 500" in r.err
    assert rule["id"] in ls.rules


# -- test --------------------------------------------------------------------------------------


def test_test_command_good_evaluator_passes(ls, evaluator_file):
    r = run_cli("test", str(evaluator_file), "--function", "matches", "--dataset", "Skills: Final Response")
    assert r.code == 0, r.text
    assert r.out.splitlines()[1].split() == ["EXAMPLE", "INPUT", "GOOD", "BAD", "NOTES"]
    assert "Mean score: good 1.00, bad 0.00 (3 examples" in r.out
    assert "OK:" in r.out


def test_test_command_flags_constant_evaluator(ls, evaluator_file):
    r = run_cli(
        "test", str(evaluator_file), "--function", "constant", "--dataset", "Skills: Final Response",
        "--limit", "2",
    )
    assert r.code == 1
    assert "(2 examples" in r.out
    assert "do not score above" in r.out


def test_test_command_flags_errors(ls, evaluator_file):
    r = run_cli("test", str(evaluator_file), "--function", "broken", "--dataset", "Skills: Final Response")
    assert r.code == 1
    assert "boom" in r.out
    assert "failed on 3 pair(s)" in r.out


def test_test_command_unknown_dataset(ls, evaluator_file):
    r = run_cli("test", str(evaluator_file), "--function", "matches", "--dataset", "Skills: Final")
    assert r.code == 1
    assert "Did you mean" in r.err


@pytest.mark.parametrize("fault", [dict(status=404, body={"detail": "resource '/examples' not found"}),
                                   dict(status=503, times=10), dict(status=None, drop_connection=True, times=10)])
def test_a_sandbox_check_that_cannot_read_examples_says_not_checked_and_uploads(ls, evaluator_file, fault,
                                                                                 monkeypatch):
    monkeypatch.setenv("EVALTUI_HTTP_TIMEOUT", "2")
    ls.inject("GET", r"^(/api/v1)?/examples", **fault)
    r = run_cli("upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
                "--dataset", "Skills: Final Response")
    assert r.code == 0, r.text
    assert "Sandbox check: not checked: the examples of 'Skills: Final Response' could not be read" in r.out
    assert "Uploaded evaluator 'Matches'" in r.out and "Traceback" not in r.text
    assert [rule["display_name"] for rule in ls.rules.values()] == ["Matches"]



def test_a_sandbox_check_whose_examples_time_out_says_not_checked_and_uploads_with_yes(ls, evaluator_file,
                                                                                       monkeypatch):
    monkeypatch.setenv("EVALTUI_HTTP_TIMEOUT", "1")
    ls.inject("GET", r"^(/api/v1)?/examples", status=None, delay=3, times=10)
    r = run_cli("upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
                "--dataset", "Skills: Final Response", "--yes")
    assert r.code == 0, r.text
    line = next(line for line in r.out.splitlines() if line.startswith("Sandbox check"))
    assert line.startswith("Sandbox check: not checked: the examples of 'Skills: Final Response' could not be read")
    assert "did not answer within 1 s" in line and ls.api_key not in r.text
    assert [rule["display_name"] for rule in ls.rules.values()] == ["Matches"]

def test_a_sandbox_check_on_an_empty_dataset_says_not_checked(ls, evaluator_file):
    ls.seed_dataset("Empty", [])
    r = run_cli("upload", str(evaluator_file), "--name", "Matches", "--function", "matches", "--dataset", "Empty")
    assert r.code == 0, r.text
    assert "Sandbox check: not checked: dataset 'Empty' has no examples to try the code on." in r.out
