"""tui.backend.rules.ops: the upload / replace / delete logic shared by the CLI and the app."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tui.backend.core.errors import (
    Ambiguous,
    ConnectionFailed,
    InvalidInput,
    NotFound,
    ServerError,
)
from tui.backend.core.models import RuleSpec
from tui.backend.rules import ops
from tui.backend.source.bundle import bundle_for_upload
from tui.backend.source.rule_origin import origin_for, with_origin
from tui.backend.workspace.local import LocalBackend

FINAL = "Skills: Final Response"
PROJECT = "evaltui-demo"
OLD_CODE = "def perform_eval(run, example):\n    return {'score': 1}\n"

EVALS = '''\
LIMIT = 3


def _norm(text):
    return str(text).strip().lower()


def exact(run, example):
    got = _norm(run["outputs"].get("expected_response", ""))
    want = _norm(example["outputs"].get("expected_response", ""))
    return {"exact": int(got == want)}
'''


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    yield b
    b.close()


@pytest.fixture
def evals(evaltui_home: Path) -> Path:
    path = evaltui_home.parent / "evals.py"
    path.write_text(EVALS, encoding="utf-8")
    return path


def add_rule(backend, name, *, project=False, code=OLD_CODE):
    if project:
        spec = RuleSpec(name=name, code=code, project_id=backend.get_project(PROJECT).id)
    else:
        spec = RuleSpec(name=name, code=code, dataset_id=backend.get_dataset(FINAL).id)
    return backend.create_rule(spec)


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(0, 0.0), (1, 1.0), ("0.5", 0.5), (0.25, 0.25)])
def test_sample_rate_ok(value, expected):
    assert ops.validate_sample_rate(value) == expected


@pytest.mark.parametrize("value", [-1, 1.5, "abc", math.nan, None, "", "1e9"])
def test_sample_rate_rejected(value):
    with pytest.raises(InvalidInput) as info:
        ops.validate_sample_rate(value)
    assert info.value.exit_code == 2
    assert "between 0 and 1" in str(info.value) and repr(value) in str(info.value)


@pytest.mark.parametrize("name", ["", "  ", None])
def test_empty_name_rejected(name):
    with pytest.raises(InvalidInput, match="name must not be empty"):
        ops.validate_name(name)


# -- resolve_binding ---------------------------------------------------------------------------


def test_resolve_binding(backend):
    ds = backend.get_dataset(FINAL)
    assert ops.resolve_binding(backend, dataset=FINAL) == (ds.id, None, f"dataset: {FINAL}")
    assert ops.resolve_binding(backend, dataset=ds.id) == (ds.id, None, f"dataset: {FINAL}")
    proj = backend.get_project(PROJECT)
    assert ops.resolve_binding(backend, project=PROJECT) == (None, proj.id, f"project: {PROJECT}")
    assert ops.resolve_binding(backend) == (None, None, "unbound")


def test_resolve_binding_errors(backend):
    with pytest.raises(InvalidInput, match="not both"):
        ops.resolve_binding(backend, dataset=FINAL, project=PROJECT)
    with pytest.raises(NotFound) as info:
        ops.resolve_binding(backend, dataset="Skills: Final")
    assert FINAL in info.value.suggestions


# -- code_diff ---------------------------------------------------------------------------------


def test_code_diff():
    assert ops.code_diff("a\nb\n", "a\nb\n") == ""
    diff = ops.code_diff("a\nb", "a\nc\n", "X")
    assert diff.splitlines()[:2] == ["--- X (uploaded)", "+++ X (new)"]
    assert "-b" in diff.splitlines() and "+c" in diff.splitlines()
    assert "+only" in ops.code_diff(None, "only\n").splitlines()


# -- plan / apply upload -----------------------------------------------------------------------


def test_plan_and_create(backend, evals):
    plan = ops.plan_upload(backend, evals, "exact", "Exact", dataset=FINAL, sample_rate="0.5")
    assert plan.existing == [] and plan.diff == "" and not plan.is_ambiguous
    assert plan.spec == RuleSpec(
        name="Exact",
        code=with_origin(bundle_for_upload(evals, "exact").code, origin_for(evals, "exact")),
        sampling_rate=0.5,
        dataset_id=backend.get_dataset(FINAL).id,
    )
    outcome = ops.apply_upload(backend, plan, replace=False)
    assert outcome.action == "created"
    assert outcome.message == f"Uploaded evaluator 'Exact' (dataset: {FINAL})."
    assert backend.get_rule(outcome.rule.id).code == plan.spec.code


def test_bundle_is_runnable(backend, evals):
    """What ops uploads runs on its own: exec it in a fresh namespace and score a pair."""
    plan = ops.plan_upload(backend, evals, "exact", "Exact", dataset=FINAL)
    namespace: dict = {}
    exec(compile(plan.spec.code, "<bundle>", "exec"), namespace)
    result = namespace["perform_eval"](
        {"outputs": {"expected_response": " Paris"}}, {"outputs": {"expected_response": "paris"}}
    )
    assert result == {"exact": 1}


def test_plan_replace_has_diff_and_apply_updates_in_place(backend, evals):
    old = add_rule(backend, "Exact")
    plan = ops.plan_upload(backend, evals, "exact", "Exact", dataset=FINAL)
    assert plan.existing == [old]
    assert "-    return {'score': 1}" in plan.diff.splitlines()
    assert "+def _norm(text):" in plan.diff.splitlines()
    with pytest.raises(ops.AlreadyExists, match="Add --replace"):
        ops.apply_upload(backend, plan, replace=False)
    assert backend.get_rule(old.id).code == OLD_CODE
    outcome = ops.apply_upload(backend, plan, replace=True)
    assert outcome.action == "replaced" and outcome.rule.id == old.id
    assert [r.code for r in backend.list_rules("Exact")] == [plan.spec.code]


def test_plan_without_target_keeps_existing_target(backend, evals):
    old = add_rule(backend, "Exact", project=True)
    plan = ops.plan_upload(backend, evals, "exact", "Exact")
    assert plan.spec.project_id == old.project_id and plan.target_label == f"project: {PROJECT}"
    with pytest.raises(InvalidInput, match="--dataset NAME or --project NAME"):
        ops.plan_upload(backend, evals, "exact", "New one")


def test_plan_validates_before_touching_anything(backend, evals):
    with pytest.raises(InvalidInput):
        ops.plan_upload(backend, evals, "exact", "", dataset=FINAL)
    with pytest.raises(InvalidInput):
        ops.plan_upload(backend, evals, "exact", "X", dataset=FINAL, sample_rate=2)
    with pytest.raises(InvalidInput):
        ops.plan_upload(backend, evals, "exact", "X", dataset=FINAL, project=PROJECT)
    assert backend.list_rules() == []


def test_duplicates_are_ambiguous_until_an_id_is_given(backend, evals):
    a = add_rule(backend, "Twin")
    b = add_rule(backend, "Twin", project=True)
    plan = ops.plan_upload(backend, evals, "exact", "Twin", dataset=FINAL)
    assert plan.is_ambiguous and plan.diff == ""
    with pytest.raises(Ambiguous) as info:
        ops.apply_upload(backend, plan, replace=True)
    assert a.id in str(info.value) and b.id in str(info.value)
    with pytest.raises(Ambiguous):
        ops.plan_upload(backend, evals, "exact", "Twin")  # no target to inherit from two rules
    plan = ops.plan_upload(backend, evals, "exact", "Twin", rule_id=b.id)
    assert plan.existing == [b] and plan.spec.project_id == b.project_id
    ops.apply_upload(backend, plan, replace=True)
    assert backend.get_rule(a.id).code == OLD_CODE
    assert backend.get_rule(b.id).code == plan.spec.code
    with pytest.raises(NotFound):
        ops.plan_upload(backend, evals, "exact", "Twin", rule_id="no-such-id")


# -- replace failures on the fake LangSmith ----------------------------------------------------


@pytest.fixture
def remote(fake_langsmith):
    from tui.backend.workspace.langsmith import LangSmithBackend

    fake_langsmith.seed_dataset(FINAL, [({"q": "a"}, {"expected_response": "A"})])
    backend = LangSmithBackend(fake_langsmith.api_key, fake_langsmith.url, timeout_s=0.5, retries=1, backoff=0)
    yield fake_langsmith, backend
    backend.close()


def test_replace_failure_leaves_old_rule_and_says_so(remote, evals):
    fake, backend = remote
    old = fake.seed_rule("Exact", OLD_CODE, dataset_id=next(iter(fake.datasets)))
    plan = ops.plan_upload(backend, evals, "exact", "Exact", dataset=FINAL)
    fake.inject("PATCH", r"^(/api/v[12])?/runs/rules/", status=500, times=5)
    with pytest.raises(ops.ReplaceFailed) as info:
        ops.apply_upload(backend, plan, replace=True)
    assert isinstance(info.value.cause, ServerError) and info.value.exit_code == 1
    assert "The old rule is still in place, unchanged." in str(info.value)
    assert fake.rules[old["id"]]["code_evaluators"][0]["code"] == OLD_CODE


def test_replace_applied_but_answer_lost_says_new_version_is_in_place(remote, evals):
    fake, backend = remote
    old = fake.seed_rule("Exact", OLD_CODE, dataset_id=next(iter(fake.datasets)))
    plan = ops.plan_upload(backend, evals, "exact", "Exact", dataset=FINAL)
    # The server applies the PATCH, then answers after the client gave up waiting.
    fake.inject("PATCH", r"^(/api/v[12])?/runs/rules/", status=None, delay=1.5)
    with pytest.raises(ops.ReplaceFailed) as info:
        ops.apply_upload(backend, plan, replace=True)
    assert isinstance(info.value.cause, ConnectionFailed)
    assert "the new version is in place" in str(info.value)
    assert fake.rules[old["id"]]["code_evaluators"][0]["code"] == plan.spec.code


def test_replace_failure_when_recheck_also_fails(remote, evals):
    fake, backend = remote
    fake.seed_rule("Exact", OLD_CODE, dataset_id=next(iter(fake.datasets)))
    plan = ops.plan_upload(backend, evals, "exact", "Exact", dataset=FINAL)
    fake.inject("*", r"^(/api/v[12])?/runs/rules", status=503, times=100)
    with pytest.raises(ops.ReplaceFailed, match="could not be re-checked"):
        ops.apply_upload(backend, plan, replace=True)


# -- find / delete -----------------------------------------------------------------------------


def test_find_and_delete(backend):
    rule = add_rule(backend, "Exact")
    assert ops.find_rule(backend, "Exact") == rule
    assert ops.find_rule(backend, "Exact", rule.id) == rule
    assert ops.delete_rule(backend, rule) == f"Deleted evaluator 'Exact' (dataset: {FINAL})."
    assert backend.list_rules() == []


def test_find_errors(backend):
    add_rule(backend, "Exact match")
    with pytest.raises(NotFound) as info:
        ops.find_rule(backend, "Exact mtch")
    assert info.value.suggestions == ["Exact match"]
    a = add_rule(backend, "Twin")
    b = add_rule(backend, "Twin", project=True)
    with pytest.raises(Ambiguous) as amb:
        ops.find_rule(backend, "Twin")
    assert str(amb.value) == (
        f"2 evaluators are named 'Twin': {a.id} (python code, dataset: {FINAL}); "
        f"{b.id} (python code, project: {PROJECT}). "
        "Pass --id RULE_ID to pick one."
    )
    assert ops.find_rule(backend, "Twin", b.id) == b
    with pytest.raises(NotFound):
        ops.find_rule(backend, "Twin", "wrong-id")
