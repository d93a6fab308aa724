"""The fake LangSmith speaks the real API: the contract suite.

The contract is what ships with the SDK: the generated client `langsmith.Langsmith` (Stainless,
from LangSmith's OpenAPI spec) validates every answer against its models when built with
`_strict_response_validation=True`, and the spec's own schemas (extracted with `$ref`s resolved
into tests/contract/schemas/ by extract_schemas.py) describe the v1 endpoints the generated client
does not cover. A fake seeded with every kind of object is read back through both; negative tests
show that a broken answer is caught. Request bodies are checked too: the rule bodies the fake got
against the spec's create/update schemas, and the feedback the classic client wrote against
`langsmith.schemas.FeedbackCreate`.
"""

from __future__ import annotations

import asyncio
import math
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import jsonschema
import pydantic
import pytest

from tests.fakes.langsmith_server import (
    RULE_V1_FIELDS,
    RULE_V2_FIELDS,
    FakeLangSmith,
    forbid_unknown_fields,
    load_schema,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

JUDGE = {
    "structured": {
        "prompt": [["system", "You grade answers."], ["human", "Q: {input}\nA: {output}"]],
        "schema": {"type": "object", "properties": {"correct": {"type": "boolean"}}, "required": ["correct"]},
        "model": {"lc": 1, "type": "constructor", "id": ["langchain", "chat_models", "openai", "ChatOpenAI"],
                  "kwargs": {"model": "gpt-4o-mini", "temperature": 0}},
        "variable_mapping": {"input": "input", "output": "output"},
        "template_format": "f-string",
    }
}
MUSTACHE_JUDGE = {"structured": {**JUDGE["structured"], "template_format": "mustache",
                                 "prompt": [["human", "Is {{output}} polite?"]]}}
PY_CODE = "def perform_eval(run, example):\n    return {'score': 1}\n"
JS_CODE = "function performEval(run, example) {\n  return { score: 1 };\n}\n"


# -- the seeded world ------------------------------------------------------------------------------

class World:
    fake: FakeLangSmith
    classic: Any  # langsmith.Client
    gen: Any  # langsmith.Langsmith, strict
    ids: dict[str, str]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    import langsmith

    w = World()
    w.fake = fake = FakeLangSmith().start()
    w.ids = ids = {}
    w.classic = langsmith.Client(api_url=fake.url, api_key=fake.api_key, auto_batch_tracing=False)
    w.gen = langsmith.Langsmith(base_url=fake.url, api_key=fake.api_key, _strict_response_validation=True,
                                max_retries=0)
    try:
        _seed(w, ids)
        yield w
    finally:
        w.classic.session.close()
        w.gen.close()
        fake.stop()


def _post_rule(w: World, body: dict) -> dict:
    """Create a rule the way the product does: the classic client's request_with_retries."""
    return w.classic.request_with_retries("POST", "/runs/rules", json=body).json()


def _seed(w: World, ids: dict[str, str]) -> None:
    import langsmith

    fake, classic = w.fake, w.classic
    qa = fake.seed_dataset("qa", [({"q": f"q{i}"}, {"a": f"a{i}"}) for i in range(5)], "questions")
    sink = classic.create_dataset("corrections", description="made by the classic client")
    # the fake has no example upload endpoint (/examples/bulk): examples are seeded
    fake._new_example(str(sink.id), {"q": "x"}, {"a": "y"})
    ids.update(qa=qa["id"], sink=str(sink.id))
    prod = classic.create_project("prod-agent", description="tracing")
    ids["prod"] = str(prod.id)
    root, child = uuid.uuid4(), uuid.uuid4()
    classic.create_run("agent", {"q": "hi"}, "chain", id=root, project_name="prod-agent", outputs={"a": "hello"})
    classic.create_run("llm", {"messages": []}, "llm", id=child, parent_run_id=root, trace_id=root,
                       project_name="prod-agent")
    classic.update_run(child, outputs={"text": "hello"}, end_time=None)
    classic.create_feedback(root, "helpful", score=1, comment="good", trace_id=root, session_id=prod.id)
    classic.create_feedback(root, "exact", score=0, comment="boom", error=True, trace_id=root, session_id=prod.id,
                            extra={"error": True, "error_message": "boom"})
    ids.update(root=str(root), child=str(child))

    # an experiment uploaded by aevaluate (multipart runs + feedback), one evaluator that fails
    async def target(inputs: dict) -> dict:
        return {"a": inputs["q"].replace("q", "a")}

    def exact(outputs: dict, reference_outputs: dict) -> dict:
        return {"key": "exact", "score": outputs == reference_outputs}

    def broken(outputs: dict) -> dict:
        raise RuntimeError("evaluator crashed")

    uploader = langsmith.Client(api_url=fake.url, api_key=fake.api_key)
    results = asyncio.run(langsmith.aevaluate(target, data="qa", evaluators=[exact, broken], client=uploader,
                                              upload_results=True, max_concurrency=2))
    uploader.flush()
    uploader.session.close()
    ids["experiment"] = next(s["id"] for s in fake.sessions.values() if s["name"] == results.experiment_name)

    # workspace evaluators of both types (one created through the generated client)
    code_ev = fake.seed_workspace_evaluator("Exact match", feedback_keys=["exact"], dependencies="rapidfuzz==3.9")
    js_ev = fake.seed_workspace_evaluator("JS length", code=JS_CODE, language="javascript",
                                          build_status="FAILED", build_error="npm install failed")
    llm_ev = fake.seed_workspace_evaluator("Helpfulness", type="llm", prompt_repo_handle="evals/helpful",
                                           commit="0a1b2c3", variable_mapping={"input": "input"},
                                           feedback_keys=["helpful"], metadata={"team": "qa"})
    made = w.gen.online_evaluators.create(name="Created", type="code",
                                          code_evaluator={"code": PY_CODE, "language": "python"})
    ids.update(code_ev=code_ev["id"], js_ev=js_ev["id"], llm_ev=llm_ev["id"], made_ev=made.evaluator.id)
    for i in range(3):
        fake.seed_workspace_evaluator(f"Filler {i}", type="llm" if i % 2 else "code")

    # every kind of rule: some through POST /runs/rules (the product's way), some seeded
    queue = fake.seed_annotation_queue("Review queue")
    ids["python"] = _post_rule(w, {"display_name": "Exact match (python)", "sampling_rate": 1.0,
                                   "is_enabled": True, "dataset_id": ids["qa"],
                                   "code_evaluators": [{"code": PY_CODE, "language": "python"}],
                                   "evaluator_id": ids["code_ev"]})["id"]
    ids["javascript"] = _post_rule(w, {"display_name": "Length (javascript)", "sampling_rate": 0.25,
                                       "session_id": ids["prod"],
                                       "code_evaluators": [{"code": JS_CODE, "language": "javascript"}],
                                       "filter": 'eq(run_type, "chain")', "evaluator_id": ids["js_ev"]})["id"]
    ids["judge"] = _post_rule(w, {"display_name": "Helpfulness judge", "sampling_rate": 0.5,
                                  "session_id": ids["prod"], "evaluators": [JUDGE],
                                  "evaluator_id": ids["llm_ev"], "trace_filter": 'eq(is_root, true)',
                                  "alerts": [{"routing_key": "pd-key", "severity": "error", "summary": "bad"}],
                                  "include_extended_stats": True})["id"]
    ids["mustache"] = fake.seed_rule("Politeness (mustache)", evaluators=[MUSTACHE_JUDGE], dataset_id=ids["qa"],
                                     use_corrections_dataset=True, num_few_shot_examples=3)["id"]
    ids["webhook"] = fake.seed_rule("Webhook only", None, session_id=ids["prod"],
                                    webhooks=[{"url": "https://hooks.example/x", "headers": {"X-T": "1"}}],
                                    tree_filter='eq(name, "llm")', is_enabled=False)["id"]
    ids["queue"] = fake.seed_rule("To review", None, session_id=ids["prod"], sampling_rate=0.1,
                                  add_to_annotation_queue_id=queue["id"], extend_only=True)["id"]
    ids["to_dataset"] = _post_rule(w, {"display_name": "Collect corrections", "sampling_rate": 1.0,
                                       "session_id": ids["prod"], "add_to_dataset_id": ids["sink"],
                                       "add_to_dataset_prefer_correction": True,
                                       "filter": 'and(eq(feedback_key, "exact"), eq(feedback_score, 0))'})["id"]
    ids["threads"] = fake.seed_rule("Per thread", PY_CODE, session_id=ids["prod"], group_by="thread_id",
                                    spend_limit={"limit_usd": 5, "window": "weekly"},
                                    backfill_from="2025-01-01T00:00:00+00:00")["id"]
    # one PATCH (evaluator_version 2), as the product replaces a rule
    classic.request_with_retries("PATCH", f"/runs/rules/{ids['python']}", json={
        "display_name": "Exact match (python)", "sampling_rate": 0.75, "is_enabled": True, "dataset_id": ids["qa"],
        "code_evaluators": [{"code": "# v2\n" + PY_CODE, "language": "python"}], "evaluator_version": 1})
    # and one through the generated client's alias path
    w.gen.post("/api/v1/runs/rules", cast_to=object, body={
        "display_name": "Via /api/v1", "sampling_rate": 1.0, "dataset_id": ids["qa"],
        "code_evaluators": [{"code": PY_CODE}]})


# -- helpers -----------------------------------------------------------------------------------

def _raw(w: World, method: str, path: str, **kwargs) -> Any:
    response = w.classic.request_with_retries(method, path, **kwargs)
    return response.json()


def assert_matches_schema(name: str, data: Any, *, exact_fields: bool = True) -> None:
    """`data` (one object or a list) validates against the spec schema `name`; with `exact_fields`
    no object carries a key the schema does not list (the server's response_model drops them)."""
    schema = load_schema(name)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for item in data if isinstance(data, list) else [data]:
        errors = sorted(validator.iter_errors(item), key=lambda e: list(map(str, e.absolute_path)))
        assert not errors, f"{name}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
        if exact_fields:
            extra = set(item) - set(schema["properties"])
            assert not extra, f"{name} has no field(s) {sorted(extra)}"


# -- the models the fake mirrors ---------------------------------------------------------------

def test_rule_field_lists_are_the_sdk_models():
    from langsmith.types.evaluator import Evaluator
    from langsmith.types.rule import Rule

    assert RULE_V1_FIELDS == tuple(Evaluator.model_fields)
    assert set(RULE_V2_FIELDS) == set(Rule.model_fields)


# -- rules -------------------------------------------------------------------------------------

RULE_KINDS = ("python", "javascript", "judge", "mustache", "webhook", "queue", "to_dataset", "threads")


def test_v1_rule_list_passes_strict_validation(world):
    from langsmith.types.evaluator import Evaluator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rules = world.gen.evaluators.list()
        by_id = {r.id: r for r in rules}
        assert {world.ids[k] for k in RULE_KINDS} <= set(by_id)
        assert all(isinstance(r, Evaluator) for r in rules)
        python = by_id[world.ids["python"]]
        assert python.evaluator_version == 2 and python.sampling_rate == 0.75
        assert python.code_evaluators[0].language == "python" and python.evaluator_name == "Exact match"
        assert by_id[world.ids["javascript"]].code_evaluators[0].language == "javascript"
        judge = by_id[world.ids["judge"]]
        assert judge.evaluators[0].structured.template_format == "f-string"
        assert judge.alerts[0].severity == "error" and judge.session_name == "prod-agent"
        assert by_id[world.ids["mustache"]].evaluators[0].structured.template_format == "mustache"
        assert by_id[world.ids["webhook"]].webhooks[0].headers == {"X-T": "1"}
        assert by_id[world.ids["queue"]].add_to_annotation_queue_name == "Review queue"
        assert by_id[world.ids["to_dataset"]].add_to_dataset_name == "corrections"
        assert by_id[world.ids["threads"]].group_by == "thread_id"
        assert by_id[world.ids["threads"]].spend_limit.limit_usd == "5"

        def ids_of(**filters) -> set[str]:
            return {r.id for r in world.gen.evaluators.list(**filters)}

        assert ids_of(dataset_id=world.ids["qa"]) == {r.id for r in rules if r.dataset_id == world.ids["qa"]}
        assert ids_of(session_id=world.ids["prod"]) == {r.id for r in rules if r.session_id == world.ids["prod"]}
        assert ids_of(type="dataset") == {r.id for r in rules if r.dataset_id}
        assert ids_of(type="session") == {r.id for r in rules if r.session_id}
        assert ids_of(name_contains="JUDGE") == {world.ids["judge"]}
        assert ids_of(id=[world.ids["queue"], world.ids["webhook"]]) == {world.ids["queue"], world.ids["webhook"]}
        assert ids_of(evaluator_id=world.ids["llm_ev"]) == {world.ids["judge"]}
    raw = _raw(world, "GET", "/runs/rules")
    assert_matches_schema("RunRulesSchema", raw, exact_fields=False)  # the SDK model is newer: a superset
    assert all(set(r) == set(RULE_V1_FIELDS) for r in raw)


def test_v2_rule_list_all_pages_and_filters(world):
    from langsmith.types.rule import Rule

    n = len(world.fake.rules)
    before = len(world.fake.requests_to("GET", "/api/v2/runs/rules"))
    rules = list(world.gen.evaluators.list_v2(page_size=2))
    pages = len(world.fake.requests_to("GET", "/api/v2/runs/rules")) - before
    assert len(rules) == n and len({r.id for r in rules}) == n
    assert pages == math.ceil(n / 2)
    assert all(isinstance(r, Rule) for r in rules)
    keys = [(r.updated_at, r.id) for r in rules]
    assert keys == sorted(keys, reverse=True)
    by_id = {r.id: r for r in rules}
    js = by_id[world.ids["javascript"]]
    assert js.code_evaluators[0].language == "JAVASCRIPT" and js.code_evaluators[0].require_attachments is False
    assert js.project_id == world.ids["prod"] and js.project_name == "prod-agent"
    assert by_id[world.ids["python"]].code_evaluators[0].language == "PYTHON"
    assert by_id[world.ids["judge"]].alerts[0].type == "PAGERDUTY"
    assert by_id[world.ids["threads"]].group_by == "THREAD_ID"
    assert by_id[world.ids["threads"]].spend_limit.window == "WEEKLY"

    def ids_of(**filters) -> list[str]:
        return [r.id for r in world.gen.evaluators.list_v2(page_size=3, **filters)]

    assert set(ids_of(dataset_id=world.ids["qa"])) == {r.id for r in rules if r.dataset_id == world.ids["qa"]}
    assert set(ids_of(project_id=world.ids["prod"])) == {r.id for r in rules if r.project_id == world.ids["prod"]}
    assert set(ids_of(evaluator_id=world.ids["code_ev"])) == {world.ids["python"]}
    assert set(ids_of(name_contains="(PYTHON)")) == {world.ids["python"]}
    assert set(ids_of(id=[world.ids["judge"], world.ids["queue"]])) == {world.ids["judge"], world.ids["queue"]}
    assert set(ids_of(type="DATASET")) == {r.id for r in rules if r.dataset_id}
    assert set(ids_of(type="PROJECT")) == {r.id for r in rules if r.project_id}
    assert len(ids_of()) == n


def test_rule_bodies_the_fake_received_match_the_spec(world):
    bodies = [(r.method, r.json) for r in world.fake.requests
              if r.method in ("POST", "PATCH") and "/runs/rules" in r.path]
    assert len(bodies) >= 5
    create = jsonschema.Draft202012Validator(forbid_unknown_fields(load_schema("RunRulesCreateSchema")),
                                             format_checker=jsonschema.FormatChecker())
    update = jsonschema.Draft202012Validator(forbid_unknown_fields(load_schema("RunRulesUpdateSchema")),
                                             format_checker=jsonschema.FormatChecker())
    for method, body in bodies:
        errors = list((create if method == "POST" else update).iter_errors(body))
        assert not errors, (method, body, [e.message for e in errors])


def test_product_rule_bodies_match_the_spec(world):
    """The product's own create / replace bodies (rule_payload.create_body / replace_body) pass the strict schemas."""
    from tui.backend.core.models import RuleSpec
    from tui.backend.workspace.langsmith import LangSmithBackend

    backend = LangSmithBackend(world.fake.api_key, world.fake.url)
    try:
        rule = backend.create_rule(RuleSpec(name="product rule", code=PY_CODE, dataset_id=world.ids["qa"]))
        backend.update_rule(rule.id, RuleSpec(name="product rule", code="# v2\n" + PY_CODE,
                                              project_id=world.ids["prod"], sampling_rate=0.5))
        backend.delete_rule(rule.id)
    finally:
        backend.close()
    sent = [r for r in world.fake.requests if "/runs/rules" in r.path and r.method in ("POST", "PATCH")][-2:]
    assert [r.status for r in sent] == [200, 200], [(r.method, r.status) for r in sent]


# -- workspace evaluators ------------------------------------------------------------------------

def test_online_evaluators_all_pages_and_retrieve(world):
    from langsmith.types.online_evaluator import OnlineEvaluator

    listed = list(world.gen.online_evaluators.list(limit=2))
    assert len(listed) == len(world.fake.workspace_evaluators) == 7
    assert all(isinstance(e, OnlineEvaluator) for e in listed)
    for ev in listed:
        again = world.gen.online_evaluators.retrieve(ev.id)
        assert again.id == ev.id and again.type in ("code", "llm")
    code = world.gen.online_evaluators.retrieve(world.ids["code_ev"])
    assert code.code_evaluator.evaluator_build_status == "READY" and code.code_evaluator.dependencies
    assert [(r.id, r.dataset_name) for r in code.run_rules] == [(world.ids["python"], "qa")]
    js = world.gen.online_evaluators.retrieve(world.ids["js_ev"])
    assert js.code_evaluator.language == "javascript" and js.code_evaluator.evaluator_build_error
    assert [r.session_name for r in js.run_rules] == ["prod-agent"]
    llm = world.gen.online_evaluators.retrieve(world.ids["llm_ev"])
    assert llm.llm_evaluator.prompt_repo_handle == "evals/helpful" and llm.metadata == {"team": "qa"}
    assert [r.id for r in llm.run_rules] == [world.ids["judge"]]
    assert {e.name for e in world.gen.online_evaluators.list(type="llm")} == {"Helpfulness", "Filler 1"}
    assert {e.name for e in world.gen.online_evaluators.list(name_contains="filler")} == {
        "Filler 0", "Filler 1", "Filler 2"}
    assert [e.name for e in world.gen.online_evaluators.list(feedback_key="helpful")] == ["Helpfulness"]
    page = world.gen.online_evaluators.list(limit=3, offset=1)
    assert page.total == 7 and len(page.evaluators) == 3
    raw = _raw(world, "GET", "/api/v1/platform/evaluators")
    assert_matches_schema("evaluators.ListEvaluatorsResponse", raw, exact_fields=False)


# -- datasets, examples, sessions, runs, feedback ---------------------------------------------------

def test_datasets_and_examples(world):
    from langsmith import schemas as ls_schemas
    from langsmith.types.dataset import Dataset

    datasets = world.gen.get("/api/v1/datasets", cast_to=list[Dataset], options={"params": {"limit": 100}})
    assert {d.name for d in datasets} == {"qa", "corrections"}
    qa = world.gen.get(f"/api/v1/datasets/{world.ids['qa']}", cast_to=Dataset)
    assert qa.example_count == 5 and qa.session_count == 1  # the aevaluate experiment
    raw = _raw(world, "GET", "/datasets")
    assert_matches_schema("Dataset", raw)
    pydantic.TypeAdapter(list[ls_schemas.Dataset]).validate_python(raw)
    assert_matches_schema("DatasetVersion", _raw(world, "GET", f"/datasets/{world.ids['qa']}/version"))
    examples = _raw(world, "GET", "/examples", params={"dataset": world.ids["qa"], "limit": 100})
    assert len(examples) == 5
    assert_matches_schema("Example", examples)
    pydantic.TypeAdapter(list[ls_schemas.Example]).validate_python(examples)
    assert_matches_schema("Example", _raw(world, "GET", f"/examples/{examples[0]['id']}"))
    assert [e.inputs["q"] for e in world.classic.list_examples(dataset_id=world.ids["qa"])] == [
        f"q{i}" for i in range(5)]


def test_sessions_with_and_without_stats(world):
    from langsmith.types.tracer_session import TracerSession

    plain = world.gen.sessions.retrieve(world.ids["prod"])
    assert isinstance(plain, TracerSession) and plain.run_count is None and plain.feedback_stats is None
    stats = world.gen.sessions.retrieve(world.ids["prod"], include_stats=True)
    assert stats.run_count == 1 and stats.feedback_stats["exact"]["n"] == 1
    experiment = world.gen.sessions.retrieve(world.ids["experiment"], include_stats=True)
    assert experiment.run_count == 5 and experiment.reference_dataset_id == world.ids["qa"]
    listed = world.gen.get("/api/v1/sessions", cast_to=list[TracerSession], options={"params": {"limit": 100}})
    assert all(s.run_count is None for s in listed)
    with_stats = world.gen.get("/api/v1/sessions", cast_to=list[TracerSession],
                               options={"params": {"include_stats": True}})
    assert {s.name: s.run_count for s in with_stats}["prod-agent"] == 1
    assert_matches_schema("TracerSession", _raw(world, "GET", "/sessions", params={"include_stats": True}))
    assert_matches_schema("TracerSession", _raw(world, "GET", f"/sessions/{world.ids['prod']}"))
    made = world.gen.sessions.create(name="made by the generated client")
    renamed = world.gen.sessions.update(made.id, description="renamed")
    assert renamed.description == "renamed"
    assert_matches_schema("TracerSessionWithoutVirtualFields",
                          _raw(world, "POST", "/sessions", json={"name": "raw"}))
    assert world.classic.read_project(project_id=world.ids["prod"], include_stats=True).run_count == 1


def test_runs_query_and_read(world):
    from langsmith import schemas as ls_schemas

    page = _raw(world, "POST", "/runs/query", json={"session": [world.ids["prod"]], "limit": 100})
    assert_matches_schema("ListRunsResponse", page)
    assert_matches_schema("RunSchema", page["runs"])
    runs = pydantic.TypeAdapter(list[ls_schemas.Run]).validate_python(page["runs"])
    assert {str(r.id) for r in runs} == {world.ids["root"], world.ids["child"]}
    root = _raw(world, "GET", f"/runs/{world.ids['root']}")
    assert_matches_schema("RunSchema", root)
    assert root["child_run_ids"] == [world.ids["child"]] and root["feedback_stats"]["helpful"]["avg"] == 1
    experiment = _raw(world, "POST", "/runs/query", json={"session": [world.ids["experiment"]], "is_root": True})
    assert_matches_schema("RunSchema", experiment["runs"])
    assert len(experiment["runs"]) == 5 and all(r["reference_example_id"] for r in experiment["runs"])
    assert len(list(world.classic.list_runs(project_id=world.ids["experiment"], is_root=True))) == 5


def test_feedback_read_back_in_the_read_schema(world):
    from langsmith import schemas as ls_schemas

    raw = _raw(world, "GET", "/feedback", params={"limit": 100})
    assert raw and all("error" not in f for f in raw)
    assert_matches_schema("FeedbackSchema", raw)
    pydantic.TypeAdapter(list[ls_schemas.Feedback]).validate_python(raw)
    mine = next(f for f in raw if f["key"] == "exact" and f["run_id"] == world.ids["root"])
    assert mine["extra"] == {"error": True, "error_message": "boom"}
    crashed = [f for f in raw if f["key"] == "broken"]
    assert len(crashed) == 5 and all((f.get("extra") or {}).get("error") for f in crashed)  # aevaluate's way
    assert {f.key for f in world.classic.list_feedback(run_ids=[world.ids["root"]])} == {"helpful", "exact"}


def test_feedback_bodies_the_sdk_sent_are_feedback_create(world):
    from langsmith import schemas as ls_schemas

    bodies = [r.json for r in world.fake.requests if r.method == "POST" and r.path.endswith("/feedback")]
    for r in world.fake.requests:
        if r.path.endswith("/runs/multipart") and isinstance(r.json, dict):
            bodies += [v for k, v in r.json.items() if k.startswith("feedback.")]
    assert len(bodies) >= 12  # 2 direct + 10 from aevaluate
    validator = jsonschema.Draft202012Validator(load_schema("FeedbackCreateSchema"),
                                                format_checker=jsonschema.FormatChecker())
    for body in bodies:
        ls_schemas.FeedbackCreate.model_validate(body)
        assert not list(validator.iter_errors(body)), body


def test_info(world):
    info = world.gen.info.list()
    assert info.version and info.batch_ingest_config.use_multipart_endpoint is True
    assert_matches_schema("InfoGetResponse", _raw(world, "GET", "/info"), exact_fields=False)


# -- the suite has teeth: broken answers are caught ---------------------------------------------

def test_a_rule_without_evaluator_version_fails_strict_validation(world, monkeypatch):
    import langsmith

    rule = world.fake.rules[world.ids["queue"]]
    monkeypatch.delitem(rule, "evaluator_version")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(langsmith.APIResponseValidationError):
            world.gen.evaluators.list()
    with pytest.raises(langsmith.APIResponseValidationError):
        list(world.gen.evaluators.list_v2())


def test_a_lower_case_language_in_v2_fails_strict_validation(world, monkeypatch):
    import langsmith

    real = FakeLangSmith._rule_v2

    def lower_case(self, rule):
        out = real(self, rule)
        for ce in out["code_evaluators"]:
            ce["language"] = ce["language"].lower()
        return out

    monkeypatch.setattr(FakeLangSmith, "_rule_v2", lower_case)
    with pytest.raises(langsmith.APIResponseValidationError):
        list(world.gen.evaluators.list_v2(id=[world.ids["python"]]))


def test_a_v2_code_evaluator_without_require_attachments_fails(world, monkeypatch):
    import langsmith

    real = FakeLangSmith._rule_v2

    def without(self, rule):
        out = real(self, rule)
        for ce in out["code_evaluators"]:
            ce.pop("require_attachments")
        return out

    monkeypatch.setattr(FakeLangSmith, "_rule_v2", without)
    with pytest.raises(langsmith.APIResponseValidationError):
        list(world.gen.evaluators.list_v2(id=[world.ids["javascript"]]))


def test_an_unknown_build_status_fails_strict_validation(world, monkeypatch):
    import langsmith

    ev = world.fake.workspace_evaluators[world.ids["code_ev"]]
    monkeypatch.setitem(ev["code_evaluator"], "evaluator_build_status", "DONE")
    with pytest.raises(langsmith.APIResponseValidationError):
        world.gen.online_evaluators.retrieve(world.ids["code_ev"])
    with pytest.raises(langsmith.APIResponseValidationError):
        list(world.gen.online_evaluators.list())


def test_a_session_without_tenant_fails_strict_validation(world, monkeypatch):
    import langsmith

    monkeypatch.delitem(world.fake.sessions[world.ids["prod"]], "tenant_id")
    with pytest.raises(langsmith.APIResponseValidationError):
        world.gen.sessions.retrieve(world.ids["prod"])


def test_feedback_with_a_top_level_error_fails_the_read_schema(world, monkeypatch):
    real = FakeLangSmith._feedback_view
    monkeypatch.setattr(FakeLangSmith, "_feedback_view", lambda self, fb: {**real(self, fb), "error": True})
    raw = _raw(world, "GET", "/feedback", params={"run": world.ids["root"]})
    with pytest.raises(AssertionError, match="no field"):
        assert_matches_schema("FeedbackSchema", raw)


def test_an_example_without_name_fails_the_spec(world, monkeypatch):
    ex = next(iter(world.fake.examples.values()))
    monkeypatch.delitem(ex, "name")
    raw = _raw(world, "GET", f"/examples/{ex['id']}")
    with pytest.raises(AssertionError, match="name"):
        assert_matches_schema("Example", raw)


def test_a_bad_rule_body_is_caught(world):
    bad = {"display_name": "x", "sampling_rate": 1.0, "code_evaluators": [{"code": "x", "language": "PYTHON"}]}
    validator = jsonschema.Draft202012Validator(load_schema("RunRulesCreateSchema"),
                                                format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(bad))
    r = world.classic.session.post(f"{world.fake.url}/runs/rules", json=bad,
                                   headers={"x-api-key": world.fake.api_key})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "code_evaluators", 0, "language"]


def test_prompt_commits_match_the_generated_client(world):
    from tui.backend.workspace.seed_data import DEMO_PROMPTS

    manifest = DEMO_PROMPTS["evaltui-demo/accuracy-judge"]
    first = world.fake.seed_prompt("evaltui-demo/accuracy-judge", manifest)
    world.fake.seed_prompt("evaltui-demo/accuracy-judge", {**manifest, "note": "newer"})
    latest = world.gen.commits.retrieve("latest", owner="evaltui-demo", repo="accuracy-judge", include_model=True)
    assert latest.manifest["note"] == "newer"
    pinned = world.gen.commits.retrieve(first, owner="evaltui-demo", repo="accuracy-judge")
    assert pinned.commit_hash == first and pinned.manifest == manifest
    # the classic client the product uses (pull_prompt_commit parses it into PromptCommit)
    commit = world.classic.pull_prompt_commit(f"evaltui-demo/accuracy-judge:{first}", include_model=True, skip_cache=True,
                                              dangerously_pull_public_prompt=True)
    assert commit.manifest == manifest


# -- datasets on LangSmith (#17): versions, tags, splits, example writes -----------------------------

class DatasetWorld:
    fake: FakeLangSmith
    classic: Any  # langsmith.Client, with the multipart example endpoints (the fake advertises them)
    legacy: Any  # langsmith.Client that found them off: /examples/bulk and PATCH /examples/{id}
    gen: Any
    ds: str
    ids: list[str]
    versions: list[str]  # oldest first


@pytest.fixture(scope="module")
def dsw() -> Iterator[DatasetWorld]:
    import langsmith

    w = DatasetWorld()
    w.fake = fake = FakeLangSmith().start()
    w.classic = classic = langsmith.Client(api_url=fake.url, api_key=fake.api_key, auto_batch_tracing=False)
    w.gen = langsmith.Langsmith(base_url=fake.url, api_key=fake.api_key, _strict_response_validation=True,
                                max_retries=0)
    try:
        ds = classic.create_dataset("versioned", description="every write a version")
        w.ds = str(ds.id)
        made = classic.create_examples(dataset_id=ds.id, examples=[
            {"inputs": {"q": "one"}, "reference_outputs": {"a": 1}, "metadata": {"src": "sdk"}, "split": ["train"]},
            {"inputs": {"q": "two"}, "reference_outputs": {"a": 2}},
            {"inputs": {"q": "three"}},
        ])
        w.ids = [str(i) for i in made["example_ids"]]
        fake.info["instance_flags"]["dataset_examples_multipart_enabled"] = False
        w.legacy = langsmith.Client(api_url=fake.url, api_key=fake.api_key, auto_batch_tracing=False)
        assert not w.legacy.info.instance_flags["dataset_examples_multipart_enabled"]  # read once, now
        fake.info["instance_flags"]["dataset_examples_multipart_enabled"] = True
        legacy_made = w.legacy.create_examples(dataset_id=ds.id, examples=[
            {"inputs": {"q": "four"}, "reference_outputs": {"a": 4}, "split": "test", "metadata": {"k": 4}}])
        w.ids += [str(i) for i in legacy_made["example_ids"]]
        classic.update_example(w.ids[0], inputs={"q": "one!"}, outputs={"a": 11}, split=["train", "hard"])
        w.legacy.update_example(w.ids[3], inputs={"q": "four!"}, metadata={"k": 44})
        classic.delete_examples([w.ids[1]])
        classic.update_dataset_splits(dataset_id=ds.id, split_name="regression", example_ids=w.ids[2:4])
        fake.bulk_metadata_enabled = False  # an older server: the SDK falls back to PUT /splits
        classic.update_dataset_splits(dataset_id=ds.id, split_name="hard", example_ids=[w.ids[3]], remove=True)
        fake.bulk_metadata_enabled = True
        w.versions = fake.versions_of(w.ds)
        classic.update_dataset_tag(dataset_id=ds.id, as_of=_dt(w.versions[0]), tag="v1")
        yield w
    finally:
        for client in (w.classic, getattr(w, "legacy", None)):
            if client is not None:
                client.session.close()
        w.gen.close()
        fake.stop()


def _dt(iso: str):
    from datetime import datetime

    return datetime.fromisoformat(iso)


def _sent(w: DatasetWorld, method: str, pattern: str) -> list:
    import re

    return [r for r in w.fake.requests if r.method == method and re.search(pattern, r.path)]


def test_dataset_write_bodies_the_sdk_sent_match_the_spec(dsw):
    """Every write body the classic client sent validates against the spec's request schema
    (unknown fields rejected), or for the multipart upload against the operation's part rules."""
    strict = {name: jsonschema.Draft202012Validator(forbid_unknown_fields(load_schema(name)),
                                                    format_checker=jsonschema.FormatChecker())
              for name in ("DatasetCreate", "ExampleBulkCreateList", "ExampleUpdate", "PutDatasetVersionsSchema",
                           "Body_update_dataset_splits_api_v1_datasets__dataset_id__splits_put")}

    def check(name: str, body: Any) -> None:
        errors = list(strict[name].iter_errors(body))
        assert not errors, f"{name}: " + "; ".join(e.message for e in errors[:3])

    checked = {
        "DatasetCreate": [r.json for r in _sent(dsw, "POST", r"^/datasets$")],
        "ExampleBulkCreateList": [r.json for r in _sent(dsw, "POST", r"^/examples/bulk$")],
        # the classic client repeats the path's example id in the body; the server ignores it
        "ExampleUpdate": [{k: v for k, v in r.json.items() if k != "id"}
                          for r in _sent(dsw, "PATCH", r"^/examples/[^/]+$")],
        "PutDatasetVersionsSchema": [r.json for r in _sent(dsw, "PUT", r"/tags$")],
        "Body_update_dataset_splits_api_v1_datasets__dataset_id__splits_put": [
            r.json for r in _sent(dsw, "PUT", r"/splits$")],
    }
    for name, bodies in checked.items():
        assert bodies, f"the SDK sent no {name}"
        for body in bodies:
            check(name, body)

    # multipart: per example a JSON part `{id}` with only the documented keys, `{id}.inputs` on create
    info_keys = {"metadata", "split", "use_source_run_io", "use_source_run_attachments", "source_run_id",
                 "created_at", "modified_at"}
    for creating, method in ((True, "POST"), (False, "PATCH")):
        requests_ = _sent(dsw, method, r"^/v1/platform/datasets/[^/]+/examples$")
        assert requests_
        for r in requests_:
            assert r.headers["content-type"].startswith("multipart/form-data")
            ids = {name for name in r.json if "." not in name}
            assert ids and all(uuid.UUID(i) for i in ids)
            for i in ids:
                assert set(r.json[i]) <= (info_keys if creating else {"metadata", "split"})
                assert not creating or isinstance(r.json[f"{i}.inputs"], dict)

    # the bulk metadata body is the generated ExampleUpdateMetadataParams, but for the operation's
    # case: the SDK sends lower case (its comment: the endpoint first shipped accepting only that)
    from langsmith.types.datasets.example_update_metadata_params import ExampleUpdateMetadataParams

    patches = _sent(dsw, "PATCH", r"/examples/metadata$")
    assert patches and {r.status for r in patches} == {207, 404}
    for r in patches:
        assert {op["operation"] for op in r.json["operations"]} <= {"array_add", "array_remove"}
        upper = {**r.json, "operations": [{**op, "operation": op["operation"].upper()} for op in r.json["operations"]]}
        pydantic.TypeAdapter(ExampleUpdateMetadataParams).validate_python(upper)


def test_dataset_answers_match_the_spec(dsw):
    w, ds = dsw, dsw.ds
    created = _raw(w, "POST", "/datasets", json={"name": "raw", "description": None})
    assert_matches_schema("Dataset", created)
    assert_matches_schema("Dataset", _raw(w, "GET", f"/datasets/{ds}"))
    for as_of in (None, "latest", "v1", w.versions[0], w.versions[2]):
        listed = _raw(w, "GET", "/examples", params={"dataset": ds, "as_of": as_of})
        assert_matches_schema("ExampleList", [listed], exact_fields=False)
        assert_matches_schema("Example", listed)
        count = _raw(w, "GET", "/examples/count", params={"dataset": ds, "as_of": as_of})
        assert_matches_schema("ExamplesCount", [count], exact_fields=False)
        assert count == len(listed)
        names = _raw(w, "GET", f"/datasets/{ds}/splits", params={"as_of": as_of})
        assert_matches_schema("DatasetSplitNames", [names], exact_fields=False)
    split = _raw(w, "GET", "/examples", params={"dataset": ds, "splits": ["regression", "nope"]})
    assert_matches_schema("ExampleList", [split], exact_fields=False)
    assert {e["id"] for e in split} == set(w.ids[2:4])
    versions = _raw(w, "GET", f"/datasets/{ds}/versions")
    assert_matches_schema("DatasetVersionList", [versions], exact_fields=False)
    assert_matches_schema("DatasetVersion", versions)
    assert [v["as_of"] for v in versions] == w.versions[::-1]
    assert versions[0]["tags"] == ["latest"] and versions[-1]["tags"] == ["v1"]
    for params in ({"tag": "latest"}, {"tag": "v1"}, {"as_of": w.versions[1]}, {}):
        assert_matches_schema("DatasetVersion", _raw(w, "GET", f"/datasets/{ds}/version", params=params))
    tagged = _raw(w, "PUT", f"/datasets/{ds}/tags", json={"as_of": w.versions[1], "tag": "v2"})
    assert_matches_schema("DatasetVersion", tagged)
    assert tagged == {"as_of": w.versions[1], "tags": ["v2"]}
    bulk = _raw(w, "POST", "/examples/bulk", json=[{"dataset_id": ds, "inputs": {"q": "raw"}}])
    assert_matches_schema("ExampleList", [bulk], exact_fields=False)
    assert_matches_schema("Example", bulk)
    assert bulk[0]["metadata"] == {"dataset_split": ["base"]}
    put = _raw(w, "PUT", f"/datasets/{ds}/splits", json={"split_name": "raw", "examples": [bulk[0]["id"]]})
    assert_matches_schema("DatasetSplitsUpdated", [put], exact_fields=False)
    assert put == [bulk[0]["id"]]
    # the platform (Go) endpoints: their own answer and error shapes
    from langsmith import schemas as ls_schemas

    uploaded = w.classic.upload_examples_multipart(dataset_id=ds, uploads=[
        ls_schemas.ExampleCreate(inputs={"q": "mp"}, reference_outputs={"a": 0})])
    assert_matches_schema("examples.ExamplesCreatedResponse", uploaded)
    updated = w.classic.update_examples_multipart(dataset_id=ds, updates=[
        ls_schemas.ExampleUpdate(id=uploaded["example_ids"][0], inputs={"q": "mp!"})])
    assert_matches_schema("examples.ExamplesUpdatedResponse", updated)
    missing = w.classic.session.post(f"{w.fake.url}/v1/platform/datasets/{uuid.uuid4()}/examples",
                                     files={str(uuid.uuid4()): ("", b"{}", "application/json")},
                                     headers={"x-api-key": w.fake.api_key})
    assert missing.status_code == 404
    assert_matches_schema("examples.ErrorResponse", missing.json())


def test_bulk_metadata_through_the_generated_client(dsw):
    from langsmith.types.datasets.example_update_metadata_response import ExampleUpdateMetadataResponse

    w = dsw
    gone = str(uuid.uuid4())
    answer = w.gen.datasets.examples.update_metadata(
        w.ds, example_ids=[w.ids[2], gone, w.ids[1]],  # ids[1] was soft-deleted
        operations=[{"key": "dataset_split", "operation": "ARRAY_ADD", "values": ["gen"]},
                    {"key": "team", "operation": "SET", "value": {"name": "qa"}}])
    assert isinstance(answer, ExampleUpdateMetadataResponse)
    assert [(s.id, s.status) for s in answer.statuses] == [(w.ids[2], "UPDATED"), (gone, "NOT_FOUND"),
                                                           (w.ids[1], "NOT_FOUND")]
    meta = w.fake.examples[w.ids[2]]["metadata"]
    assert meta["team"] == {"name": "qa"} and meta["dataset_split"][-1] == "gen"


def test_the_classic_client_reads_versions_splits_and_as_of(dsw):
    w = dsw
    versions = list(w.classic.list_dataset_versions(dataset_id=w.ds))
    assert [v.as_of.isoformat() for v in versions] == w.fake.versions_of(w.ds)[::-1]
    assert versions[0].tags == ["latest"] and "v1" in versions[-1].tags
    v1 = w.classic.read_dataset_version(dataset_id=w.ds, tag="v1")
    assert v1.as_of.isoformat() == w.versions[0]
    first = list(w.classic.list_examples(dataset_id=w.ds, as_of="v1"))
    assert [e.inputs["q"] for e in first] == ["one", "two", "three"]  # before the edits and the delete
    assert first[0].metadata["dataset_split"] == ["train"] and first[1].metadata["dataset_split"] == ["base"]
    assert "regression" not in w.classic.list_dataset_splits(dataset_id=w.ds, as_of=_dt(w.versions[0]))
    assert "regression" in w.classic.list_dataset_splits(dataset_id=w.ds)
    edited = w.classic.read_example(w.ids[3])
    assert (edited.inputs, edited.metadata["k"], edited.metadata["dataset_split"]) == (
        {"q": "four!"}, 44, ["test", "regression"])


def test_exports_follow_the_version(dsw):
    import csv
    import io
    import json

    w = dsw
    response = w.classic.session.get(f"{w.fake.url}/api/v1/datasets/{w.ds}/jsonl", params={"as_of": w.versions[0]},
                                     headers={"x-api-key": w.fake.api_key})
    assert response.status_code == 200 and response.headers["content-type"] == "application/jsonl"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert_matches_schema("Example", lines)
    assert [e["inputs"]["q"] for e in lines] == ["one", "two", "three"]
    response = w.classic.session.get(f"{w.fake.url}/api/v1/datasets/{w.ds}/csv", headers={"x-api-key": w.fake.api_key})
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["id", "inputs", "outputs", "metadata", "created_at", "modified_at"]
    assert {r["id"] for r in rows} == {e["id"] for e in w.fake.examples_of(w.ds)}
    assert w.ids[1] not in {r["id"] for r in rows}  # soft-deleted: not in the latest version


def test_a_version_with_bad_tags_fails_the_spec(dsw, monkeypatch):
    real = FakeLangSmith._version_view
    monkeypatch.setattr(FakeLangSmith, "_version_view", lambda self, ds, at: {**real(self, ds, at), "tags": "latest"})
    with pytest.raises(AssertionError, match="tags"):
        assert_matches_schema("DatasetVersion", _raw(dsw, "GET", f"/datasets/{dsw.ds}/version"))


def test_a_lower_case_metadata_status_fails_strict_validation(dsw, monkeypatch):
    import langsmith

    real = FakeLangSmith._metadata_status
    monkeypatch.setattr(FakeLangSmith, "_metadata_status",
                        lambda self, ex_id, found: {**real(ex_id, found), "status": "updated"})
    with pytest.raises(langsmith.APIResponseValidationError):
        dsw.gen.datasets.examples.update_metadata(
            dsw.ds, example_ids=[dsw.ids[0]], operations=[{"key": "x", "operation": "SET", "value": 1}])
