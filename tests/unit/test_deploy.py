"""Evaluators as code (#19): evaltui.toml checked with its lines, `init` round trip, `plan` exit codes,
drift, prune, `apply` idempotent and keeping every other setting, a concurrent edit refused, a
server failure midway reported and finished by the next apply, and the score impact of a change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tui.backend.core.models import RuleSpec
from tui.backend.deploy.apply import apply_plan
from tui.backend.deploy.manifest import ManifestError, load_manifest
from tui.backend.deploy.plan import make_plan

DATASET = "QA"
EVALS = '''
def exact(run, example):
    return {"exact": int(run["outputs"]["answer"] == example["outputs"]["answer"]), "comment": "cmp"}


def zero(run, example):
    return {"exact": 0}


def length(inputs, outputs, reference_outputs):
    return {"key": "length", "score": len(outputs["answer"])}
'''
AGENT = '''
def agent(inputs):
    return {"answer": "a1" if inputs["q"] in ("q1", "q2") else "wrong"}
'''


@pytest.fixture(params=["local", "langsmith"])
def project(request, evaltui_home, tmp_path, monkeypatch):
    """A folder with evaluators, an agent and a manifest helper, on either workspace (dataset QA)."""
    monkeypatch.setenv("EVALTUI_DEBUG", "0")
    monkeypatch.setenv("EVALTUI_UPLOAD_WAIT", "5")
    fake = request.getfixturevalue("langsmith_env") if request.param == "langsmith" else None
    folder = tmp_path / "repo"
    (folder / "evals").mkdir(parents=True)
    (folder / "evals" / "checks.py").write_text(EVALS)
    (folder / "agent.py").write_text(AGENT)
    monkeypatch.chdir(folder)
    from tui.backend.core.config import Settings
    from tui.backend.core.models import NewExample
    from tui.backend.workspace.factory import open_backend

    backend = open_backend(Settings.from_env(backend="langsmith" if fake else "local"))
    dataset = backend.create_dataset(DATASET)
    backend.create_examples(dataset.id, [NewExample({"q": f"q{i}"}, {"answer": f"a{i}"}) for i in range(6)])
    return folder, backend, fake


def write_manifest(folder: Path, *tables: str) -> Path:
    path = folder / "evaltui.toml"
    path.write_text("\n".join(tables))
    return path


def rule_table(name="Exact", source="evals/checks.py:exact", extra="") -> str:
    return f'[[rule]]\nname = "{name}"\nsource = "{source}"\ndataset = "{DATASET}"\n{extra}\n'


# -- the manifest ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, line, words", [
    ('[[rule]]\nname = "A"\nsource = "evals/checks.py:exact"\ndataset = "QA"\ncolour = 1\n', 5, "unknown key 'colour'"),
    ('[[rule]]\nname = "A"\nsource = "evals/checks.py:exact"\ndataset = "QA"\nfilter = "x"\n', 5,
     "'filter' is a filter: it goes in the rule's filters table, [rule.filters] on its own line"),
    ('[[rule]]\nname = "A"\nsource = "evals/checks.py:exact"\ndataset = "QA"\nfilters = "x"\n', 5,
     "`filters` must be a table: [rule.filters] on its own line, then one filter a line"),
    ('[[rule]]\nname = "A"\ndataset = "QA"\n', 1, "needs `source"),
    ('[[rule]]\nname = "A"\nsource = "evals/checks.py:exact"\ndataset = "QA"\nsampling_rate = 2\n', 5,
     "from 0 to 1, not 2"),
    ('[[rule]]\nname = "A"\nsource = "evals/checks.py:exact"\ndataset = "QA"\nproject = "P"\n', 1, "exactly one of"),
    ('[[rule]]\nname = "A"\nsource = "evals/nope.py:exact"\ndataset = "QA"\n', 3, "no file 'evals/nope.py'"),
    ('[[rule]]\nname = "A"\nsource = "evals/checks.py:exact"\ndataset = "QA"\n\n'
     '[[rule]]\nname = "A"\nsource = "evals/checks.py:zero"\ndataset = "QA"\n', 6, "a second rule named 'A'"),
    ('[[rule]]\nname = "A"\nsource = "evals/checks.py:exact"\ndataset = "QA"\nenabled = "yes"\n', 5,
     "true or false"),
    ('[[rule]]\nname = "A"\nsource = "evals/checks.py:exact"\ndataset = "QA"\n[rule.filters]\nfiltre = "x"\n', 6,
     "unknown filter 'filtre'"),
    ('[[rule]\nname = "A"\n', None, "not valid TOML"),
])
def test_manifest_errors_name_the_line(tmp_path, text, line, words):
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "checks.py").write_text(EVALS)
    path = tmp_path / "evaltui.toml"
    path.write_text(text)
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    assert words in str(err.value)
    if line is not None:
        assert f"evaltui.toml:{line}:" in str(err.value)


def test_plan_on_a_bad_manifest_exits_1_not_2(project):
    folder, _, _ = project
    write_manifest(folder, '[[rule]]\nname = "A"\n')
    r = run_cli("plan")
    assert r.code == 1 and "evaltui.toml:1:" in r.err and "Traceback" not in r.text


# -- plan and apply ---------------------------------------------------------------------------------


def test_plan_apply_then_nothing_left(project):
    folder, backend, _ = project
    write_manifest(folder, rule_table(extra="sampling_rate = 0.5"), rule_table("Len", "evals/checks.py:length"))
    first = run_cli("plan", "--no-impact")
    assert first.code == 2, first.text
    assert "+ create 'Exact' (dataset: QA)" in first.out and "Plan: 2 to create, 0 to update, 0 to delete." in first.out
    declined = run_cli("apply", "--no-impact")
    assert declined.code == 1 and "Nothing applied." in declined.out and backend.list_rules() == []
    applied = run_cli("apply", "--yes", "--no-impact")
    assert applied.code == 0, applied.text
    assert "Applied 2 changes." in applied.out
    rules = {r.name: r for r in backend.list_rules()}
    assert rules["Exact"].sampling_rate == 0.5 and rules["Exact"].dataset_name == DATASET
    assert "def perform_eval(run, example)" in rules["Exact"].code
    again = run_cli("plan")
    assert again.code == 0 and "No changes" in again.out, again.text
    assert run_cli("apply", "--yes").code == 0  # idempotent: nothing to do
    state = json.loads((folder / ".evaltui" / "state.json").read_text())
    assert set(state["rules"]) == {"Exact", "Len"}


def test_an_update_changes_only_what_the_manifest_says_and_keeps_every_other_setting(project):
    folder, backend, fake = project
    write_manifest(folder, rule_table())
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    (rule,) = backend.list_rules()
    if fake is not None:  # a side action added in LangSmith's UI meanwhile
        fake.rules[rule.id]["webhooks"] = [{"url": "https://hooks.example.com/x", "headers": {}}]
    write_manifest(folder, rule_table(source="evals/checks.py:zero", extra="enabled = false\n"
                                      "[rule.filters]\nfilter = 'eq(is_root, true)'"))
    plan = run_cli("plan", "--no-impact")
    assert plan.code == 2, plan.text
    assert "~ update 'Exact'" in plan.out and "changed: state enabled -> disabled" in plan.out
    assert "kept: sampling rate 100%" in plan.out and "+    return {\"exact\": 0}" in plan.out
    assert "changed: filter none -> eq(is_root, true)" in plan.out
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    (after,) = backend.list_rules()
    assert after.id == rule.id and not after.is_enabled and after.settings["filter"] == "eq(is_root, true)"
    assert 'return {"exact": 0}' in after.code
    if fake is not None:
        assert fake.rules[rule.id]["webhooks"] == [{"url": "https://hooks.example.com/x", "headers": {}}]
    assert run_cli("plan", "--no-impact").code == 0


def test_drift_is_shown_when_the_server_changed_a_rule_since_the_last_apply(project):
    folder, backend, _ = project
    write_manifest(folder, rule_table())
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    (rule,) = backend.list_rules()
    backend.update_rule(rule.id, RuleSpec(name="Exact", code=rule.code or "", sampling_rate=0.2,
                                          dataset_id=rule.dataset_id), base=rule)
    plan = run_cli("plan", "--no-impact")
    assert plan.code == 2, plan.text
    assert "! drift 'Exact': edited on the server since the last apply" in plan.out
    assert "changed: sampling rate 20% -> 100%" in plan.out
    backend.delete_rule(rule.id)
    gone = run_cli("plan", "--no-impact")
    assert "! drift 'Exact': deleted on the server since the last apply" in gone.out
    assert "+ create 'Exact'" in gone.out


def test_prune_deletes_only_what_the_manifest_does_not_name_and_only_when_asked(project):
    folder, backend, _ = project
    write_manifest(folder, rule_table())
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    ds = backend.get_dataset(DATASET)
    backend.create_rule(RuleSpec(name="Stray", code="def perform_eval(run, example):\n    return {'s': 1}\n",
                                 dataset_id=ds.id))
    kept = run_cli("plan", "--no-impact")
    assert kept.code == 0 and "not in the manifest (kept" in kept.out and "Stray (python code)" in kept.out
    pruned = run_cli("plan", "--prune", "--no-impact")
    assert pruned.code == 2 and "- delete 'Stray' (dataset: QA)" in pruned.out
    assert run_cli("apply", "--prune", "--yes", "--no-impact").code == 0
    assert [r.name for r in backend.list_rules()] == ["Exact"]


def test_a_saved_plan_is_applied_exactly_or_refused_when_the_rule_changed_since(project):
    folder, backend, _ = project
    write_manifest(folder, rule_table())
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    write_manifest(folder, rule_table(extra="sampling_rate = 0.3"))
    saved = run_cli("plan", "--out", "plan.json", "--no-impact")
    assert saved.code == 2 and "apply plan.json" in saved.out
    (rule,) = backend.list_rules()
    backend.update_rule(rule.id, RuleSpec(name="Exact", code=rule.code or "", sampling_rate=0.9,
                                          dataset_id=rule.dataset_id), base=rule)  # someone else
    refused = run_cli("apply", "plan.json", "--yes")
    assert refused.code == 1 and "was changed since the plan was made" in refused.err, refused.text
    assert backend.list_rules()[0].sampling_rate == 0.9
    assert run_cli("plan", "--out", "plan.json", "--no-impact").code == 2
    done = run_cli("apply", "plan.json", "--yes")
    assert done.code == 0, done.text
    assert backend.list_rules()[0].sampling_rate == 0.3


def test_a_concurrent_edit_between_plan_and_apply_is_refused(project):
    folder, backend, _ = project
    write_manifest(folder, rule_table())
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    write_manifest(folder, rule_table(extra="sampling_rate = 0.3"))
    manifest = load_manifest(folder / "evaltui.toml")
    plan = make_plan(backend, manifest)
    (rule,) = backend.list_rules()
    backend.update_rule(rule.id, RuleSpec(name="Exact", code=rule.code or "", sampling_rate=0.9,
                                          dataset_id=rule.dataset_id), base=rule)
    report = apply_plan(backend, plan)
    assert not report.ok and report.failed is not None and report.applied == []
    assert backend.list_rules()[0].sampling_rate == 0.9  # the other edit is not overwritten


@pytest.mark.parametrize("project", ["langsmith"], indirect=True)  # a fault injected into the fake LangSmith
def test_a_server_failure_midway_says_what_is_applied_and_the_next_apply_finishes(project):
    folder, backend, fake = project
    write_manifest(folder, rule_table("A"))
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    write_manifest(folder, rule_table("A", extra="sampling_rate = 0.4"), rule_table("B"), rule_table("C"))
    fake.inject("POST", r"^(/api/v1)?/runs/rules", status=500, times=10)  # creates fail, retries too
    r = run_cli("apply", "--yes", "--no-impact")
    assert r.code == 1, r.text
    assert "applied: update 'A'" in r.out
    assert "FAILED: create 'B'" in r.err and "not applied: create 'C'" in r.err
    assert "1 of 3 changes applied" in r.err
    assert [(x.name, x.sampling_rate) for x in backend.list_rules()] == [("A", 0.4)]
    fake.clear_faults()
    rest = run_cli("plan", "--no-impact")
    assert rest.code == 2 and "Plan: 2 to create" in rest.out
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    assert sorted(x.name for x in backend.list_rules()) == ["A", "B", "C"]
    assert run_cli("plan", "--no-impact").code == 0


def test_init_writes_a_manifest_that_plans_no_change(project):
    folder, backend, _ = project
    up = run_cli("upload", "evals/checks.py", "--name", "Uploaded", "--function", "exact", "--dataset", DATASET,
                 "--sample-rate", "0.25", "--no-check")
    assert up.code == 0, up.text
    ds = backend.get_dataset(DATASET)
    backend.create_rule(RuleSpec(name="Made elsewhere", code="def perform_eval(run, example):\n    return {'x': 1}\n",
                                 dataset_id=ds.id, is_enabled=False))
    r = run_cli("init")
    assert r.code == 0 and "with 2 rules" in r.out, r.text
    text = (folder / "evaltui.toml").read_text()
    assert 'source = "evals/checks.py:exact"' in text and "sampling_rate = 0.25" in text
    assert 'source = "rules/made_elsewhere.py:perform_eval"' in text and "enabled = false" in text
    assert (folder / "rules" / "made_elsewhere.py").read_text().startswith("def perform_eval")
    assert run_cli("init").code == 2  # not over an existing one without --force
    plan = run_cli("plan", "--no-impact")
    assert plan.code == 0, plan.text


def test_init_on_a_workspace_without_rules_writes_a_commented_example_that_plans_nothing(project):
    folder, _, _ = project
    r = run_cli("init")
    assert r.code == 0 and "with 0 rules" in r.out, r.text
    text = (folder / "evaltui.toml").read_text()
    assert "# [[rule]]" in text and "# [rule.filters]" in text
    assert run_cli("plan", "--no-impact").code == 0


def test_the_plan_shows_the_score_impact_of_a_changed_evaluator(project):
    folder, backend, _ = project
    write_manifest(folder, rule_table(source="evals/checks.py:zero"))
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    ran = run_cli("run", "--dataset", DATASET, "--target", "agent.py:agent", "--evaluators", "evals/checks.py:zero",
                  "--no-rules", "--json")
    assert ran.code == 0, ran.text
    write_manifest(folder, rule_table(source="evals/checks.py:exact"))
    plan = run_cli("plan")
    assert plan.code == 2, plan.text
    assert "score impact on " in plan.out and "(6 stored rows re-scored)" in plan.out
    line = next(x for x in plan.out.splitlines() if x.strip().startswith("exact "))
    assert "exact +0.17" in line and "1 better, 0 worse" in line and "1 fail→pass, 0 pass→fail" in line
    doc = json.loads(run_cli("plan", "--json").out)
    (key,) = doc["impact"]["Exact"]["keys"]
    assert key["improved"] == 1 and key["regressed"] == 0 and abs(key["diff"] - 1 / 6) < 1e-9


def test_a_new_rule_whose_key_the_experiment_lacks_shows_its_mean_on_the_stored_outputs(project):
    folder, _, _ = project
    ran = run_cli("run", "--dataset", DATASET, "--target", "agent.py:agent", "--evaluators", "evals/checks.py:length",
                  "--no-rules")
    assert ran.code == 0, ran.text
    write_manifest(folder, rule_table(source="evals/checks.py:exact"))
    plan = run_cli("plan")
    assert plan.code == 2, plan.text
    assert "(6 stored rows re-scored):" in plan.out
    assert "exact (a key " in plan.out and "nothing to pair with): mean 0.17 over 6 rows" in plan.out
    doc = json.loads(run_cli("plan", "--json").out)
    assert doc["impact"]["Exact"]["new_keys"] == [{"key": "exact", "mean": 1 / 6, "n": 6}]


def test_a_dataset_the_workspace_lacks_is_named_with_its_line_and_close_names(project):
    folder, backend, _ = project
    write_manifest(folder, rule_table(), '[[rule]]\nname = "B"\nsource = "evals/checks.py:zero"\ndataset = "Q A"\n')
    r = run_cli("plan", "--no-impact")
    assert r.code == 1, r.text
    assert f"{folder / 'evaltui.toml'}:10: rule 'B': Dataset 'Q A' not found." in r.err
    assert "Did you mean: 'QA'" in r.err and backend.list_rules() == []


def _strict_after_the_edit(request: dict) -> dict:
    """The fake judge's grade: the edited prompt ("Grade the accuracy:") fails every answer."""
    text = json.dumps(request["messages"])
    accurate = "Grade the accuracy:" not in text
    return {"reasoning": "because", "is_accurate": accurate, "confidence": 0.9 if accurate else 0.1}


def _llm_project(project, openai_env):
    from tests.unit.test_judge_rule import SEED_JUDGE

    judge = SEED_JUDGE.replace("'expected_response'", "'answer'")  # this dataset's key: six different prompts
    folder, backend, _ = project
    (folder / "evals" / "judge.py").write_text(judge, encoding="utf-8")
    write_manifest(folder, rule_table(name="Accuracy", source="evals/judge.py:accuracy_evaluator"))
    openai_env.responder = _strict_after_the_edit
    return folder, backend, judge


def test_an_llm_judge_in_the_manifest_is_an_llm_rule_updated_by_its_prompt_with_its_score_impact(project, openai_env):
    """`source` naming a ChatOpenAI structured-output judge: the plan creates an LLM-as-judge rule
    (evaluators[].structured), a prompt edit is an update showing the prompt's diff, and the impact
    re-scores the stored outputs as the rule will (its schema's feedback keys), through ChatOpenAI on
    the fake OpenAI server, against the scores the rule gave; the judge cache on."""
    folder, backend, judge = _llm_project(project, openai_env)
    first = run_cli("plan", "--no-impact")
    assert first.code == 2 and "+ create 'Accuracy' (dataset: QA)" in first.out, first.text
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    (rule,) = backend.list_rules()
    assert rule.kind == "llm" and "Evaluate accuracy:" in json.dumps(rule.llm)
    assert run_cli("plan", "--no-impact").code == 0

    ran = run_cli("run", "--dataset", DATASET, "--target", "agent.py:agent", "--no-rules",
                  "--evaluators", "rule:Accuracy")  # the rule's own scores, as LangSmith would store them
    assert ran.code == 0, ran.text
    (folder / "evals" / "judge.py").write_text(judge.replace("Evaluate accuracy:", "Grade the accuracy:"),
                                               encoding="utf-8")
    calls = len(openai_env.chat_requests())
    plan = run_cli("plan")
    assert plan.code == 2, plan.text
    assert "~ update 'Accuracy' (dataset: QA)" in plan.out
    diff = [x.strip() for x in plan.out.splitlines()]
    assert any(x.startswith("-") and x.endswith('Evaluate accuracy:"') for x in diff), plan.out
    assert any(x.startswith("+") and x.endswith('Grade the accuracy:"') for x in diff), plan.out
    assert "(6 stored rows re-scored)" in plan.out and "baseline for" not in plan.out
    accurate = next(x for x in diff if x.startswith("is_accurate "))
    assert "is_accurate -1.00" in accurate and "0 better, 6 worse" in accurate and "6 pass→fail" in accurate
    confidence = next(x for x in diff if x.startswith("confidence "))
    assert confidence.startswith("confidence -0.80 [-0.80, -0.80], 0 better, 6 worse")
    assert len(openai_env.chat_requests()) == calls + 6
    assert run_cli("plan").code == 2 and len(openai_env.chat_requests()) == calls + 6  # the judge cache
    assert "sk-must-never-leave" not in plan.text
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    (after,) = backend.list_rules()
    assert after.id == rule.id and "Grade the accuracy:" in json.dumps(after.llm)
    assert "sk-must-never-leave" not in json.dumps(after.llm)
    assert run_cli("plan", "--no-impact").code == 0


def test_an_llm_rule_whose_scores_the_experiment_lacks_is_paired_with_the_uploaded_rule_re_scoring(project,
                                                                                                   openai_env):
    folder, _, judge = _llm_project(project, openai_env)
    assert run_cli("apply", "--yes", "--no-impact").code == 0
    ran = run_cli("run", "--dataset", DATASET, "--target", "agent.py:agent", "--no-rules",
                  "--evaluators", "evals/checks.py:exact")  # no judge scores stored
    assert ran.code == 0, ran.text
    (folder / "evals" / "judge.py").write_text(judge.replace("Evaluate accuracy:", "Grade the accuracy:"),
                                               encoding="utf-8")
    calls = len(openai_env.chat_requests())
    plan = run_cli("plan")
    assert plan.code == 2, plan.text
    assert "(baseline for confidence, is_accurate: the uploaded LLM rule re-scoring the same outputs;" in plan.out
    assert "is_accurate -1.00" in plan.out and len(openai_env.chat_requests()) == calls + 12  # new and old prompts
    doc = json.loads(run_cli("plan", "--json").out)
    assert doc["impact"]["Accuracy"]["rescored_baseline"] == ["confidence", "is_accurate"]
