"""LangSmith as it really is (issue 10): one test per failure found on first contact with the real
API, each against the contract-checked fake (`tests/contract/` proves the fake speaks the API)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

EVALUATOR_FILE = '''\
def matches(inputs, outputs, reference_outputs):
    return {"key": "matches", "score": int(outputs == reference_outputs)}


def broken(run, example):
    raise ValueError("boom")
'''

JS_CODE = "function performEval(run, example) { return { score: 1 }; }\n"
LLM_JUDGE = {
    "structured": {
        "prompt": [["system", "Grade the answer."], ["human", "Answer: {response}\nExpected: {expected}"]],
        "schema": {"title": "grade", "type": "object", "properties": {"score": {"type": "boolean"}},
                   "required": ["score"]},
        "model": {"lc": 1, "type": "constructor", "id": ["langchain", "chat_models", "openai", "ChatOpenAI"],
                  "kwargs": {"model": "gpt-4o-mini", "temperature": 0}},
        "variable_mapping": {"response": "outputs.response", "expected": "reference.expected_response"},
        "template_format": "f-string",
    }
}


@pytest.fixture
def ls(langsmith_env, evaltui_home, monkeypatch):
    monkeypatch.setenv("EVALTUI_DEBUG", "0")
    fake = langsmith_env
    fake.dataset = fake.seed_dataset(
        "Skills: Final Response",
        [({"query": f"q{i}"}, {"expected_response": f"a{i}"}) for i in range(4)],
    )
    fake.project = fake.seed_project("prod-agent")
    return fake


@pytest.fixture
def evaluator_file(evaltui_home: Path) -> Path:
    path = evaltui_home.parent / "fidelity_evals.py"
    path.write_text(EVALUATOR_FILE, encoding="utf-8")
    return path


def _rule_writes(fake) -> list:
    return [r for r in fake.requests if r.method in ("POST", "PATCH", "DELETE") and "/runs/rules" in r.path]


# -- 1. replace keeps every setting --------------------------------------------------------------


def _busy_rule(fake):
    queue = fake.seed_annotation_queue("Review")
    return copy.deepcopy(fake.seed_rule(
        "Matches", dataset_id=fake.dataset["id"], sampling_rate=0.3, is_enabled=False,
        filter='eq(status, "error")', trace_filter='eq(name, "agent")', tree_filter='has(tags, "prod")',
        webhooks=[{"url": "https://hooks.example.com/evals?token=s3cret", "headers": {"X-Token": "hdr-secret"}}],
        add_to_annotation_queue_id=queue["id"], include_extended_stats=True,
    ))  # a copy: the fake's dict changes with the rule


def test_replace_keeps_filters_webhooks_actions_sampling_and_state(ls, evaluator_file):
    old = _busy_rule(ls)
    r = run_cli("upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
                "--replace", "--yes")
    assert r.code == 0, r.err
    stored = ls.rules[old["id"]]
    assert stored["sampling_rate"] == 0.3 and stored["is_enabled"] is False
    assert stored["filter"] == 'eq(status, "error")' and stored["trace_filter"] == 'eq(name, "agent")'
    assert stored["tree_filter"] == 'has(tags, "prod")'
    assert stored["webhooks"] == old["webhooks"]  # headers included: sent back untouched
    assert stored["add_to_annotation_queue_id"] == old["add_to_annotation_queue_id"]
    assert stored["include_extended_stats"] is True
    assert "def perform_eval" in stored["code_evaluators"][0]["code"]
    assert stored["evaluator_version"] == old["evaluator_version"] + 1
    (patch,) = [w for w in _rule_writes(ls) if w.method == "PATCH"]
    assert patch.json["evaluator_version"] == old["evaluator_version"]
    # The confirmation shows what is kept, and never a webhook's secret query or headers.
    for line in ("kept: sampling rate 30%", "kept: state disabled", 'kept: filter eq(status, "error")',
                 "kept: webhook hooks.example.com/evals", "kept: add to annotation queue 'Review'"):
        assert line in r.out
    assert "s3cret" not in r.text and "hdr-secret" not in r.text


def test_replace_changes_only_what_is_asked(ls, evaluator_file):
    old = _busy_rule(ls)
    r = run_cli("upload", str(evaluator_file), "--name", "Matches", "--function", "matches",
                "--replace", "--yes", "--sample-rate", "0.5", "--enable")
    assert r.code == 0, r.err
    stored = ls.rules[old["id"]]
    assert stored["sampling_rate"] == 0.5 and stored["is_enabled"] is True
    assert stored["webhooks"] == old["webhooks"] and stored["filter"] == old["filter"]
    assert "changed: sampling rate 30% -> 50%" in r.out and "changed: state disabled -> enabled" in r.out


def test_replace_refused_when_someone_else_changed_the_rule_in_between(ls, evaluator_file):
    from tui.backend.core.models import RuleSpec
    from tui.backend.workspace.langsmith import LangSmithBackend

    old = _busy_rule(ls)
    backend = LangSmithBackend(ls.api_key, ls.url)
    rule = backend.get_rule(old["id"])
    ls.rules[old["id"]]["evaluator_version"] += 1  # a colleague saved the rule meanwhile
    from tui.backend.core import errors

    with pytest.raises(errors.InvalidInput, match="changed by someone else"):
        backend.update_rule(rule.id, RuleSpec("Matches", "x = 1\n", 0.3, ls.dataset["id"]), base=rule)
    assert ls.rules[old["id"]]["code_evaluators"][0]["code"] == old["code_evaluators"][0]["code"]
    backend.close()


# -- 2. rule kinds -------------------------------------------------------------------------------


def _kinds(fake):
    ds = fake.dataset["id"]
    return {
        "js": fake.seed_rule("JS check", JS_CODE, language="javascript", dataset_id=ds),
        "llm": fake.seed_rule("Judge", evaluators=[LLM_JUDGE], dataset_id=ds),
        "hook": fake.seed_rule("Hook only", None, dataset_id=ds, webhooks=[{"url": "https://h.example.com/x"}]),
        "queue": fake.seed_rule("To queue", None, session_id=fake.project["id"],
                                add_to_annotation_queue_id=fake.seed_annotation_queue("Triage")["id"]),
        "py": fake.seed_rule("Py", dataset_id=ds, webhooks=[{"url": "https://h.example.com/py"}]),
    }


def test_list_shows_each_rule_kind(ls):
    _kinds(ls)
    r = run_cli("list")
    assert r.code == 0, r.err
    lines = {line.split("  ")[0]: line for line in r.out.splitlines()[2:]}
    assert lines["JS check"].rstrip().endswith("javascript code")
    assert lines["Judge"].rstrip().endswith("LLM judge")
    assert lines["Hook only"].rstrip().endswith("actions only: webhook")
    assert lines["To queue"].rstrip().endswith("actions only: annotation queue")
    assert lines["Py"].rstrip().endswith("python code + webhook")


@pytest.mark.parametrize("name", ["JS check", "Judge", "Hook only"])
def test_upload_never_turns_another_kind_into_a_python_rule(ls, evaluator_file, name):
    rules = _kinds(ls)
    before = {k: dict(v) for k, v in ls.rules.items()}
    r = run_cli("upload", str(evaluator_file), "--name", name, "--function", "matches", "--replace", "--yes")
    assert r.code == 2
    assert "not a Python code rule" in r.err and "--name" in r.err
    assert _rule_writes(ls) == [] and ls.rules == before
    assert rules  # seeded


def test_delete_names_the_side_actions(ls):
    rules = _kinds(ls)
    r = run_cli("delete", "Hook only", stdin="n\n")
    assert "Delete evaluator 'Hook only' (actions only, dataset: Skills: Final Response" in r.out
    assert "Its side actions go with it: webhook h.example.com/x." in r.out
    assert rules["hook"]["id"] in ls.rules


def test_javascript_rule_is_never_run_as_python_locally(ls):
    from tui.backend.workspace.langsmith import LangSmithBackend

    _kinds(ls)
    backend = LangSmithBackend(ls.api_key, ls.url)
    by_name = {r.name: r for r in backend.list_rules()}
    assert by_name["JS check"].kind == "javascript" and not by_name["JS check"].is_python
    assert by_name["Judge"].kind == "llm" and by_name["Judge"].llm["variable_mapping"]["response"] == "outputs.response"
    assert by_name["Judge"].code is None
    backend.close()


# -- 7. v2 listing, v1 only as a fallback ------------------------------------------------------------


def test_listing_uses_v2_cursor_pages_and_survives_v1_removal(ls):
    for i in range(130):
        ls.seed_rule(f"rule {i:03d}", dataset_id=ls.dataset["id"])
    ls.v1_rules_enabled = False  # 2027-04-01
    r = run_cli("list")
    assert r.code == 0, r.err
    assert len(r.out.splitlines()) == 2 + 130
    pages = [q for q in ls.requests if q.path == "/api/v2/runs/rules"]
    assert len(pages) == 2 and pages[0].query["page_size"] == "100" and "cursor" in pages[1].query
    assert not [q for q in ls.requests if q.path in ("/runs/rules", "/api/v1/runs/rules") and q.method == "GET"]


def test_listing_falls_back_to_v1_where_v2_is_missing(ls):
    ls.seed_rule("Old server rule", dataset_id=ls.dataset["id"])
    ls.v2_rules_enabled = False
    r = run_cli("list")
    assert r.code == 0, r.err
    assert "Old server rule" in r.out
    assert [q.path for q in ls.requests if "runs/rules" in q.path] == ["/api/v2/runs/rules", "/runs/rules"]


def test_name_filter_is_applied_on_the_server(ls):
    ls.seed_rule("Matches", dataset_id=ls.dataset["id"])
    run_cli("delete", "Matches", "--yes")
    first = next(q for q in ls.requests if q.path == "/api/v2/runs/rules")
    assert first.query["name_contains"] == "Matches"


# -- 9. ids are UUIDs -------------------------------------------------------------------------------


def test_a_malformed_rule_id_is_a_clear_message_not_a_422(ls):
    ls.seed_rule("Matches", dataset_id=ls.dataset["id"])
    r = run_cli("delete", "Matches", "--id", "not-a-uuid", "--yes")
    assert r.code == 1 and "not-a-uuid" in r.err and "HTTP 422" not in r.err
    assert _rule_writes(ls) == []


# -- 3-6. experiments: asynchronous ingestion, errors in extra, counts with stats, a failed close --------


def _run(ls, evaluator_file, *extra: str):
    # `broken` raises on every example (its errors must survive the read-back): --allow-errors keeps
    # the exit code about the upload alone.
    return run_cli("run", "--dataset", "Skills: Final Response", "--target", "demo", "--allow-errors",
                   "--evaluators", f"{evaluator_file}:matches,{evaluator_file}:broken", "--json", *extra)


def test_late_ingestion_is_waited_for_and_not_called_lost(ls, evaluator_file):
    ls.ingest_delay = 1.0
    r = _run(ls, evaluator_file)
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["upload"] == "verified" and doc["upload_missing_runs"] == []
    assert "Waiting for LangSmith to ingest the results" in r.err
    assert "failed to upload" not in r.err


def test_results_still_not_readable_at_the_deadline_are_pending_exit_0(ls, evaluator_file, monkeypatch):
    monkeypatch.setenv("EVALTUI_UPLOAD_WAIT", "0.5")
    ls.ingest_delay = 30.0
    r = _run(ls, evaluator_file)
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["upload"] == "pending" and len(doc["upload_pending_runs"]) == 4
    assert doc["upload_missing_runs"] == [] and "still being ingested" in r.err
    assert "failed to upload" not in r.err


def test_evaluator_errors_survive_the_read_back_and_counts_use_stats(ls, evaluator_file):
    r = _run(ls, evaluator_file)
    assert r.code == 0, r.err
    exp = json.loads(r.out)["experiment"]["name"]
    listing = run_cli("experiments")
    assert listing.code == 0, listing.err
    row = next(line for line in listing.out.splitlines() if exp in line)
    assert " 4 " in f" {row} "  # the example count, read with include_stats
    assert any(str(q.query.get("include_stats")).lower() == "true"
               for q in ls.requests if q.path.startswith("/sessions"))
    export = run_cli("export", exp, "--format", "json", "--output", str(evaluator_file.parent / "x.json"))
    assert export.code == 0, export.err
    rows = json.loads((evaluator_file.parent / "x.json").read_text())
    errors = [s for row in rows["results"] for s in row["scores"] if s.get("error")]
    assert len(errors) == 4 and all("boom" in s["error"] for s in errors)


def test_a_failed_experiment_close_is_reported_with_exit_1(ls, evaluator_file):
    # The SDK's own end-of-run PATCH goes through; evaltui's close (it writes evaltui_status) fails.
    serve = ls.handle

    def handle(req):
        if req.method == "PATCH" and req.path.startswith("/sessions/") and b"evaltui_status" in req.body:
            ls.requests.append(req)
            return 500, {"detail": "Internal Server Error"}, 0.0, False
        return serve(req)

    ls.handle = handle
    r = _run(ls, evaluator_file)
    assert r.code == 1, r.text
    doc = json.loads(r.out)
    assert "closed" in doc, r.text
    assert doc["closed"] is False and "could not be marked" in r.err


def test_list_names_every_action_of_an_actions_only_rule(ls):
    ds = ls.dataset["id"]
    ls.seed_rule("Everything", None, dataset_id=ds, webhooks=[{"url": "https://a.example.com"},
                                                               {"url": "https://b.example.com"}],
                 add_to_annotation_queue_id=ls.seed_annotation_queue("Triage")["id"], add_to_dataset_id=ds)
    r = run_cli("list")
    line = next(line for line in r.out.splitlines() if line.startswith("Everything"))
    assert line.rstrip().endswith("actions only: webhook, annotation queue, add to dataset")
