"""The fake LangSmith server, driven through the real `langsmith.Client` over loopback."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import requests

from tests.fakes.langsmith_server import FakeLangSmith


@pytest.fixture
def client(fake_langsmith: FakeLangSmith):
    from langsmith import Client

    c = Client(api_url=fake_langsmith.url, api_key=fake_langsmith.api_key, auto_batch_tracing=False)
    yield c
    c.session.close()


def test_read_and_list_datasets(fake_langsmith, client):
    ds = fake_langsmith.seed_dataset("Skills: Final Response", [({"q": "a"}, {"r": "A"})], "demo")
    fake_langsmith.seed_dataset("Other", [])
    assert str(client.read_dataset(dataset_name="Skills: Final Response").id) == ds["id"]
    by_id = client.read_dataset(dataset_id=ds["id"])
    assert by_id.name == "Skills: Final Response" and by_id.example_count == 1
    assert by_id.description == "demo"
    assert sorted(d.name for d in client.list_datasets()) == ["Other", "Skills: Final Response"]
    sent = fake_langsmith.requests_to("GET", "/datasets")[0]
    assert sent.headers["x-api-key"] == fake_langsmith.api_key


def test_examples_are_paged_with_offset_and_limit(fake_langsmith, client):
    ds = fake_langsmith.seed_dataset("big", [({"i": i}, {"o": i}) for i in range(250)])
    examples = list(client.list_examples(dataset_id=ds["id"]))
    assert [e.inputs["i"] for e in examples] == list(range(250))
    pages = fake_langsmith.requests_to("GET", "/examples")
    assert [(r.query["offset"], r.query["limit"]) for r in pages] == [
        ("0", "100"),
        ("100", "100"),
        ("200", "100"),
    ]
    window = list(client.list_examples(dataset_id=ds["id"], offset=10, limit=5))
    assert [e.inputs["i"] for e in window] == [10, 11, 12, 13, 14]


def test_projects_create_read_list(fake_langsmith, client):
    fake_langsmith.seed_project("tracing")
    created = client.create_project("mine")
    assert client.read_project(project_name="mine").id == created.id
    assert client.read_project(project_id=created.id).name == "mine"
    assert sorted(p.name for p in client.list_projects()) == ["default", "mine", "tracing"]


def test_wrong_key_gets_401_json(fake_langsmith):
    r = requests.get(f"{fake_langsmith.url}/datasets", headers={"x-api-key": "nope"})
    assert r.status_code == 401 and "detail" in r.json()


def test_rules_crud_and_filters(fake_langsmith):
    ds = fake_langsmith.seed_dataset("ds", [])
    proj = fake_langsmith.seed_project("proj")
    h = {"x-api-key": fake_langsmith.api_key}
    base = f"{fake_langsmith.url}/runs/rules"
    body = {"display_name": "em", "sampling_rate": 0.5, "is_enabled": True,
            "code_evaluators": [{"code": "x", "language": "python"}], "dataset_id": ds["id"]}
    rule = requests.post(base, json=body, headers=h).json()
    assert rule["dataset_name"] == "ds" and rule["code_evaluators"] == body["code_evaluators"]
    fake_langsmith.seed_rule("on project", session_id=proj["id"])
    by_dataset = requests.get(base, params={"dataset_id": ds["id"]}, headers=h).json()
    assert [r["display_name"] for r in by_dataset] == ["em"]
    by_session = requests.get(base, params={"session_id": proj["id"]}, headers=h).json()
    assert [r["session_name"] for r in by_session] == ["proj"]
    assert len(requests.get(base, params={"name_contains": "proj"}, headers=h).json()) == 1
    partial = requests.patch(f"{base}/{rule['id']}", json={"sampling_rate": 1.0}, headers=h)
    assert partial.status_code == 422
    updated = requests.patch(f"{base}/{rule['id']}", json={**body, "sampling_rate": 1.0}, headers=h).json()
    assert updated["sampling_rate"] == 1.0 and updated["created_at"] == rule["created_at"]
    assert requests.delete(f"{base}/{rule['id']}", headers=h).status_code == 200
    assert requests.delete(f"{base}/{rule['id']}", headers=h).status_code == 404


def test_fault_injection_nth_times_and_delay(fake_langsmith):
    h = {"x-api-key": fake_langsmith.api_key}
    url = f"{fake_langsmith.url}/datasets"
    fake_langsmith.inject("GET", r"^/datasets", status=503, nth=2)
    assert [requests.get(url, headers=h).status_code for _ in range(3)] == [200, 503, 200]
    fake_langsmith.inject("GET", r"^/datasets", status=429, times=2)
    assert [requests.get(url, headers=h).status_code for _ in range(3)] == [429, 429, 200]
    fake_langsmith.inject("GET", r"^/datasets", status=None, delay=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(url, headers=h, timeout=0.1)
    fake_langsmith.inject("GET", r"^/datasets", drop_connection=True)
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=h)


def test_aevaluate_uploads_experiment_runs_and_feedback(fake_langsmith, client):
    import langsmith

    ds = fake_langsmith.seed_dataset("qa", [({"q": f"q{i}"}, {"a": f"a{i}"}) for i in range(4)])

    async def target(inputs: dict) -> dict:
        return {"a": inputs["q"].replace("q", "a") if inputs["q"] != "q3" else "wrong"}

    def exact(outputs: dict, reference_outputs: dict) -> dict:
        return {"key": "exact", "score": outputs == reference_outputs}

    uploading = langsmith.Client(api_url=fake_langsmith.url, api_key=fake_langsmith.api_key)
    results = asyncio.run(
        langsmith.aevaluate(target, data="qa", evaluators=[exact], client=uploading, upload_results=True)
    )
    uploading.flush()
    experiment = next(s for s in fake_langsmith.sessions.values() if s["name"] == results.experiment_name)
    assert experiment["reference_dataset_id"] == ds["id"]
    roots = [r for r in fake_langsmith.runs_in(experiment["id"]) if not r.get("parent_run_id")]
    assert sorted(r["inputs"]["q"] for r in roots) == ["q0", "q1", "q2", "q3"]
    assert all(r["outputs"] and r["reference_example_id"] for r in roots)
    scores = {fake_langsmith.runs[str(f["run_id"])]["inputs"]["q"]: f["score"]
              for f in fake_langsmith.feedback.values() if f["key"] == "exact"}
    assert scores == {"q0": True, "q1": True, "q2": True, "q3": False}
    assert fake_langsmith.requests_to("POST", "/runs/multipart")


def test_runs_batch_and_feedback_listing(fake_langsmith):
    # Run ids are UUIDs now (they were "r1"): GET /feedback?run=... takes UUIDs only and answers 422
    # otherwise, like the real API (behaviour 7), and the SDK's Run model needs a UUID trace_id.
    h = {"x-api-key": fake_langsmith.api_key}
    proj = fake_langsmith.seed_project("p")
    rid = str(uuid.uuid4())
    run = {"id": rid, "name": "t", "session_name": "p", "inputs": {"x": 1}, "trace_id": rid}
    batch = {"post": [run], "patch": [{"id": rid, "outputs": {"y": 2}, "end_time": "2025-01-01T00:00:00"}]}
    assert requests.post(f"{fake_langsmith.url}/runs/batch", json=batch, headers=h).status_code == 202
    stored = fake_langsmith.runs[rid]
    assert (stored["session_id"], stored["outputs"], stored["status"]) == (proj["id"], {"y": 2}, "success")
    requests.post(f"{fake_langsmith.url}/feedback", json={"run_id": rid, "key": "k", "score": 1}, headers=h)
    listed = requests.get(f"{fake_langsmith.url}/feedback", params={"run": rid}, headers=h).json()
    assert [(f["key"], f["session_id"]) for f in listed] == [("k", proj["id"])]
    assert requests.get(f"{fake_langsmith.url}/feedback", params={"run": "r1"}, headers=h).status_code == 422


# -- the contract behaviours (see the fake's module doc) -------------------------------------------

def _api(fake: FakeLangSmith):
    """A requests session with the API key, and the base URL."""
    s = requests.Session()
    s.headers["x-api-key"] = fake.api_key
    return s, fake.url


def test_rule_stored_with_every_v1_field_and_names(fake_langsmith):
    from tests.fakes.langsmith_server import RULE_V1_FIELDS

    s, url = _api(fake_langsmith)
    ds = fake_langsmith.seed_dataset("ds", [])
    sink = fake_langsmith.seed_dataset("sink", [])
    queue = fake_langsmith.seed_annotation_queue("Review")
    body = {"display_name": "em", "sampling_rate": 0.5, "dataset_id": ds["id"],
            "add_to_dataset_id": sink["id"], "add_to_annotation_queue_id": queue["id"],
            "code_evaluators": [{"code": "x"}]}
    created = s.post(f"{url}/runs/rules", json=body).json()
    assert set(created) == set(RULE_V1_FIELDS)
    assert set(fake_langsmith.rules[created["id"]]) == set(RULE_V1_FIELDS)
    assert created["evaluator_version"] == 1 and created["tenant_id"]
    assert (created["dataset_name"], created["add_to_dataset_name"], created["add_to_annotation_queue_name"]) == (
        "ds", "sink", "Review")
    assert created["code_evaluators"] == [{"code": "x", "language": "python"}]  # the schema default
    assert created["is_enabled"] is True and created["webhooks"] == [] and created["extend_only"] is False
    assert created["session_id"] is None and created["session_name"] is None


def test_rule_bodies_are_validated_like_fastapi(fake_langsmith):
    s, url = _api(fake_langsmith)
    ds = fake_langsmith.seed_dataset("ds", [])
    ok = {"display_name": "em", "sampling_rate": 1.0, "dataset_id": ds["id"]}

    def detail(body, method="post", path="/runs/rules"):
        r = getattr(s, method)(f"{url}{path}", json=body)
        assert r.status_code == 422, r.text
        return {(tuple(d["loc"]), d["type"]) for d in r.json()["detail"]}

    assert detail({"sampling_rate": 1.0}) == {(("body", "display_name"), "missing")}
    assert detail({**ok, "sampling_rate": "high"}) == {(("body", "sampling_rate"), "number_type")}
    assert detail({**ok, "dataset_id": "not-a-uuid"}) == {(("body", "dataset_id"), "uuid_parsing")}
    assert detail({**ok, "code_evaluators": [{"code": "x", "language": "ruby"}]}) == {
        (("body", "code_evaluators", 0, "language"), "enum")}
    # The strictness choice: unknown fields are refused (the real server would drop them) ...
    assert detail({**ok, "langauge": "python"}) == {(("body", "langauge"), "extra_forbidden")}
    assert detail({**ok, "code_evaluators": [{"code": "x", "lang": "python"}]}) == {
        (("body", "code_evaluators", 0, "lang"), "extra_forbidden")}
    rule = s.post(f"{url}/runs/rules", json=ok).json()
    assert detail({**ok, "colour": 1}, "patch", f"/runs/rules/{rule['id']}") == {(("body", "colour"), "extra_forbidden")}
    # ... unless switched off: then they are ignored, as by the real server.
    fake_langsmith.strict_bodies = False
    lenient = s.post(f"{url}/runs/rules", json={**ok, "colour": 1})
    assert lenient.status_code == 200 and "colour" not in lenient.json()
    assert s.post(f"{url}/runs/rules", json={"sampling_rate": 1.0}).status_code == 422  # still a schema


def test_patch_replaces_the_17_columns_and_checks_the_version(fake_langsmith):
    from tests.fakes.langsmith_server import RULE_REPLACED_ON_PATCH

    assert len(RULE_REPLACED_ON_PATCH) == 17
    s, url = _api(fake_langsmith)
    ds = fake_langsmith.seed_dataset("ds", [])
    rule = fake_langsmith.seed_rule(
        "full", dataset_id=ds["id"], is_enabled=False, filter='eq(status, "error")', trace_filter="t",
        tree_filter="u", webhooks=[{"url": "https://hook.example/x", "headers": {"a": "b"}}],
        alerts=[{"routing_key": "rk"}], add_to_dataset_id=ds["id"], add_to_dataset_prefer_correction=True,
        extend_only=True, include_extended_stats=True, use_corrections_dataset=True,
    )
    created_at, first_updated = rule["created_at"], rule["updated_at"]
    time.sleep(0.002)
    r = s.patch(f"{url}/runs/rules/{rule['id']}", json={"display_name": "full", "sampling_rate": 0.5,
                                                        "dataset_id": ds["id"], "evaluator_version": 1})
    assert r.status_code == 200, r.text
    new = r.json()
    for key in ("filter", "trace_filter", "tree_filter", "add_to_dataset_id", "add_to_dataset_name"):
        assert new[key] is None, key
    for key in ("webhooks", "alerts", "code_evaluators", "evaluators"):
        assert new[key] == [], key
    assert new["is_enabled"] is True  # the schema default, not the stored False
    assert (new["extend_only"], new["include_extended_stats"], new["add_to_dataset_prefer_correction"]) == (
        False, False, False)
    assert new["use_corrections_dataset"] is True  # not one of the 17: kept
    assert new["evaluator_version"] == 2 and new["created_at"] == created_at
    assert new["updated_at"] > first_updated
    assert fake_langsmith.rules[rule["id"]]["evaluator_version"] == 2
    assert rule["evaluator_version"] == 1  # the seeded dict is the state before the PATCH
    stale = s.patch(f"{url}/runs/rules/{rule['id']}", json={"display_name": "x", "sampling_rate": 1.0,
                                                            "evaluator_version": 1})
    assert stale.status_code == 409 and isinstance(stale.json()["detail"], str)
    assert s.patch(f"{url}/runs/rules/{rule['id']}", json={"display_name": "x", "sampling_rate": 1.0}
                   ).json()["evaluator_version"] == 3  # no version sent: no check


def test_v1_rule_list_filters_alias_and_gone(fake_langsmith):
    s, url = _api(fake_langsmith)
    ds = fake_langsmith.seed_dataset("ds", [])
    proj = fake_langsmith.seed_project("proj")
    a = fake_langsmith.seed_rule("Exact Match", dataset_id=ds["id"])
    b = fake_langsmith.seed_rule("on project", session_id=proj["id"])
    c = fake_langsmith.seed_rule("other EXACT", dataset_id=ds["id"])

    def names(path="/runs/rules", **params):
        r = s.get(f"{url}{path}", params=params)
        assert r.status_code == 200, r.text
        return [x["display_name"] for x in r.json()]

    assert names() == names("/api/v1/runs/rules") == ["Exact Match", "on project", "other EXACT"]
    assert names(name_contains="exact") == ["Exact Match", "other EXACT"]
    assert names(dataset_id=ds["id"]) == ["Exact Match", "other EXACT"]
    assert names(session_id=proj["id"]) == ["on project"]
    assert names(type="session") == ["on project"] and names(type="dataset") == ["Exact Match", "other EXACT"]
    assert names(id=[a["id"], b["id"]]) == ["Exact Match", "on project"]
    assert s.get(f"{url}/runs/rules", params={"type": "project"}).status_code == 422
    assert s.get(f"{url}/runs/rules", params={"dataset_id": "ds"}).status_code == 422
    fake_langsmith.v1_rules_enabled = False
    for path in ("/runs/rules", "/api/v1/runs/rules"):
        gone = s.get(f"{url}{path}")
        assert gone.status_code == 410
        assert gone.json() == {"detail": "GET /api/v1/runs/rules was removed; use GET /api/v2/runs/rules"}
    assert s.delete(f"{url}/runs/rules/{c['id']}").status_code == 200  # only the listing is gone


def test_v2_rule_list_shape_order_pages_and_switch(fake_langsmith):
    s, url = _api(fake_langsmith)
    ds = fake_langsmith.seed_dataset("ds", [])
    proj = fake_langsmith.seed_project("proj")
    rules = [fake_langsmith.seed_rule(f"r{i}", dataset_id=ds["id"]) for i in range(5)]
    js = fake_langsmith.seed_rule("js", "function perform_eval() {}", language="javascript", session_id=proj["id"],
                                  alerts=[{"routing_key": "k", "severity": "critical"}], group_by="thread_id")
    first = s.get(f"{url}/api/v2/runs/rules", params={"page_size": 2})
    assert first.status_code == 200 and set(first.json()) == {"items", "next_cursor"}
    seen, cursor = [], None
    while True:
        params = {"page_size": 2, **({"cursor": cursor} if cursor else {})}
        page = s.get(f"{url}/api/v2/runs/rules", params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [r["display_name"] for r in seen] == ["js", "r4", "r3", "r2", "r1", "r0"]  # updated_at desc
    top = seen[0]
    assert top["project_id"] == proj["id"] and top["project_name"] == "proj" and "session_id" not in top
    assert top["code_evaluators"] == [{"code": "function perform_eval() {}", "language": "JAVASCRIPT",
                                       "require_attachments": False}]
    assert top["alerts"][0]["type"] == "PAGERDUTY" and top["alerts"][0]["severity"] == "CRITICAL"
    assert top["group_by"] == "THREAD_ID"
    # equal updated_at: id desc
    for r in rules:
        r["updated_at"] = rules[0]["updated_at"]
    same = s.get(f"{url}/api/v2/runs/rules", params={"dataset_id": ds["id"]}).json()["items"]
    assert [r["id"] for r in same] == sorted((r["id"] for r in rules), reverse=True)

    def v2(**params):
        return s.get(f"{url}/api/v2/runs/rules", params=params)

    assert [r["display_name"] for r in v2(project_id=proj["id"]).json()["items"]] == ["js"]
    assert [r["display_name"] for r in v2(type="PROJECT").json()["items"]] == ["js"]
    assert len(v2(type="DATASET").json()["items"]) == 5
    assert [r["display_name"] for r in v2(name_contains="JS").json()["items"]] == ["js"]
    assert len(v2(id=[rules[0]["id"], js["id"]]).json()["items"]) == 2
    assert v2().json()["next_cursor"] is None  # 6 rules < the default page size of 20
    for bad in ({"page_size": 101}, {"page_size": 0}, {"cursor": "garbage!"}, {"type": "session"},
                {"project_id": "p"}):
        assert v2(**bad).status_code == 422, bad
    fake_langsmith.v2_rules_enabled = False
    assert v2().status_code == 404


def test_seed_rule_kinds(fake_langsmith):
    ds = fake_langsmith.seed_dataset("ds", [])
    proj = fake_langsmith.seed_project("proj")
    judge = {"structured": {"prompt": [["system", "Grade it"], ["human", "{input}"]], "schema": {"type": "object"},
                            "model": {"lc": 1}, "variable_mapping": {"input": "input"}, "template_format": "f-string"}}
    py = fake_langsmith.seed_rule("py", dataset_id=ds["id"])  # the old positional signature still works
    assert py["code_evaluators"][0]["language"] == "python" and py["evaluators"] == []
    llm = fake_langsmith.seed_rule("judge", evaluators=[judge], session_id=proj["id"])
    assert llm["code_evaluators"] == [] and llm["evaluators"] == [judge]
    hook = fake_langsmith.seed_rule("hook", None, session_id=proj["id"], webhooks=[{"url": "https://h.example"}])
    assert hook["code_evaluators"] == [] and hook["webhooks"] == [{"url": "https://h.example", "headers": None}]
    queued = fake_langsmith.seed_rule("queue", None, session_id=proj["id"],
                                      add_to_annotation_queue_id=str(uuid.uuid4()))
    assert queued["add_to_annotation_queue_name"].startswith("Annotation queue ")  # synthesized
    to_ds = fake_langsmith.seed_rule("collect", None, session_id=proj["id"], add_to_dataset_id=ds["id"],
                                     filter='eq(feedback_key, "bad")')
    assert to_ds["add_to_dataset_name"] == "ds" and to_ds["filter"] == 'eq(feedback_key, "bad")'
    with pytest.raises(ValueError, match="HTTP 422"):
        fake_langsmith.seed_rule("bad", language="cobol")


def test_limits_and_uuid_ids(fake_langsmith):
    s, url = _api(fake_langsmith)
    ds = fake_langsmith.seed_dataset("ds", [({"a": 1}, {"b": 2})])
    for path in ("/datasets", "/examples", "/sessions", "/feedback", "/api/v1/datasets"):
        assert s.get(f"{url}{path}", params={"limit": 100}).status_code == 200, path
        for bad in ({"limit": 101}, {"limit": 0}, {"limit": "ten"}, {"offset": -1}):
            r = s.get(f"{url}{path}", params=bad)
            assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "query", (path, bad)
    assert s.post(f"{url}/runs/query", json={"limit": 101}).status_code == 422
    assert s.post(f"{url}/runs/query", json={"limit": 100}).status_code == 200
    assert s.post(f"{url}/runs/query", json={"session": ["nope"]}).status_code == 422
    missing = str(uuid.uuid4())
    for path in ("/datasets/{}", "/datasets/{}/version", "/examples/{}", "/sessions/{}", "/runs/{}"):
        bad = s.get(f"{url}{path.format('nope')}")
        assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "uuid_parsing", path
        assert s.get(f"{url}{path.format(missing)}").status_code == 404, path
    for method in ("patch", "delete"):
        assert getattr(s, method)(f"{url}/runs/rules/0000", json={"display_name": "x", "sampling_rate": 1}
                                  ).status_code == 422
        assert getattr(s, method)(f"{url}/runs/rules/{missing}", json={"display_name": "x", "sampling_rate": 1}
                                  ).status_code == 404
    assert s.get(f"{url}/datasets/{ds['id'].upper()}").status_code == 200  # any UUID spelling
    # the platform evaluators service is a Go service: its spec says 400 {"error": ...}
    for params in ({"limit": 101}, {"limit": 0}, {"offset": -1}):
        r = s.get(f"{url}/api/v1/platform/evaluators", params=params)
        assert r.status_code == 400 and "error" in r.json()
    assert s.get(f"{url}/api/v1/platform/evaluators/nope").status_code == 400
    assert s.get(f"{url}/api/v1/platform/evaluators/{missing}").status_code == 404


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # list_runs
def test_the_sdk_itself_never_sends_limits_over_100(fake_langsmith, client):
    ds = fake_langsmith.seed_dataset("big", [({"i": i}, {"o": i}) for i in range(120)])
    for _ in range(3):
        fake_langsmith.seed_project(f"p{_}")
    assert len(list(client.list_examples(dataset_id=ds["id"], limit=500))) == 120
    list(client.list_datasets(limit=500))
    list(client.list_projects(limit=500))
    list(client.list_feedback(limit=500))
    list(client.list_runs(project_name="default"))
    answers = [r.status for r in fake_langsmith.requests]
    assert 422 not in answers, [(r.path, r.query, r.status) for r in fake_langsmith.requests]


def test_ingestion_is_asynchronous_with_ingest_delay(client):
    fake = FakeLangSmith(ingest_delay=0.4).start()
    try:
        s, url = _api(fake)
        proj = fake.seed_project("p")
        rid = str(uuid.uuid4())
        post = {"id": rid, "trace_id": rid, "name": "t", "run_type": "chain", "session_id": proj["id"],
                "inputs": {"x": 1}, "start_time": "2025-01-01T00:00:00+00:00"}
        assert s.post(f"{url}/runs", json=post).status_code == 202
        assert s.patch(f"{url}/runs/{rid}", json={"outputs": {"y": 1}, "end_time": "2025-01-01T00:00:01+00:00"}
                       ).status_code == 202
        fb = s.post(f"{url}/feedback", json={"run_id": rid, "key": "k", "score": 1})
        assert fb.status_code == 200 and fb.json()["key"] == "k"  # accepted at once ...
        assert s.post(f"{url}/runs/query", json={"session": [proj["id"]]}).json()["runs"] == []  # ... not visible
        assert s.get(f"{url}/runs/{rid}").status_code == 404
        assert s.get(f"{url}/feedback", params={"run": rid}).json() == []
        assert s.get(f"{url}/sessions/{proj['id']}", params={"include_stats": "true"}).json()["run_count"] == 0
        assert fake.pending_ingestion == 3 and fake.runs == {}
        assert fake.wait_ingested(timeout=5)
        assert s.get(f"{url}/runs/{rid}").json()["outputs"] == {"y": 1}
        assert [f["key"] for f in s.get(f"{url}/feedback", params={"run": rid}).json()] == ["k"]
        assert s.get(f"{url}/sessions/{proj['id']}", params={"include_stats": "true"}).json()["run_count"] == 1
        rid2 = str(uuid.uuid4())
        s.post(f"{url}/runs/batch", json={"post": [{**post, "id": rid2, "trace_id": rid2}]})
        assert rid2 not in fake.runs
        fake.flush_ingestion()
        assert rid2 in fake.runs
    finally:
        fake.stop()


def test_feedback_reads_back_without_error(fake_langsmith, client):
    proj = fake_langsmith.seed_project("p")
    run_id = uuid.uuid4()
    client.create_run("t", {"x": 1}, "chain", id=run_id, project_name="p")
    client.create_feedback(run_id, "exact", score=0, comment="boom", error=True, trace_id=run_id,
                           session_id=proj["id"], extra={"error": True, "error_message": "boom"})
    stored = next(iter(fake_langsmith.feedback.values()))
    assert stored["error"] is True  # stored as received
    s, url = _api(fake_langsmith)
    [listed] = s.get(f"{url}/feedback", params={"run": str(run_id)}).json()
    assert "error" not in listed and "feedback_config" not in listed
    assert listed["extra"] == {"error": True, "error_message": "boom"} and listed["session_id"] == proj["id"]
    assert listed["is_root"] is True
    [sdk] = list(client.list_feedback(run_ids=[run_id]))
    assert sdk.extra == {"error": True, "error_message": "boom"}


def test_session_stats_only_with_include_stats(fake_langsmith, client):
    proj = fake_langsmith.seed_project("p")
    root = uuid.uuid4()
    client.create_run("t", {"x": 1}, "chain", id=root, project_name="p")
    client.create_run("child", {"x": 1}, "llm", id=uuid.uuid4(), parent_run_id=root, project_name="p")
    assert client.read_project(project_id=proj["id"]).run_count is None
    assert client.read_project(project_id=proj["id"], include_stats=True).run_count == 1  # root runs only
    assert client.read_project(project_name="p", include_stats=True).run_count == 1
    assert {p.name: p.run_count for p in client.list_projects()}["p"] is None
    assert {p.name: p.run_count for p in client.list_projects(include_stats=True)}["p"] == 1
    s, url = _api(fake_langsmith)
    assert s.get(f"{url}/sessions/{proj['id']}", params={"include_stats": "maybe"}).status_code == 422


def test_workspace_evaluators(fake_langsmith):
    s, url = _api(fake_langsmith)
    ds = fake_langsmith.seed_dataset("ds", [])
    code = fake_langsmith.seed_workspace_evaluator("Exact", feedback_keys=["exact"], dependencies="numpy",
                                                   build_status="FAILED", build_error="no wheel")
    llm = fake_langsmith.seed_workspace_evaluator("Helpful", type="llm", prompt_repo_handle="me/helpful",
                                                  commit="abc123", variable_mapping={"q": "input"},
                                                  feedback_keys=["helpful"])
    rule = fake_langsmith.seed_rule("exact on ds", dataset_id=ds["id"], evaluator_id=code["id"])
    base = f"{url}/api/v1/platform/evaluators"
    listed = s.get(base).json()
    assert listed["total"] == 2 and {e["name"] for e in listed["evaluators"]} == {"Exact", "Helpful"}
    one = s.get(f"{base}/{code['id']}").json()
    assert one["code_evaluator"]["evaluator_build_status"] == "FAILED"
    assert one["code_evaluator"]["evaluator_build_error"] == "no wheel"
    assert one["run_rules"] == [{"id": rule["id"], "dataset_id": ds["id"], "dataset_name": "ds",
                                 "use_corrections_dataset": False}]
    assert s.get(f"{base}/{llm['id']}").json()["llm_evaluator"]["commit_hash_or_tag"] == "abc123"
    assert s.get(f"{base}/{llm['id']}").json()["run_rules"] == []
    assert [e["name"] for e in s.get(base, params={"type": "llm"}).json()["evaluators"]] == ["Helpful"]
    assert [e["name"] for e in s.get(base, params={"name_contains": "exa"}).json()["evaluators"]] == ["Exact"]
    assert [e["name"] for e in s.get(base, params={"feedback_key": "helpful"}).json()["evaluators"]] == ["Helpful"]
    page = s.get(base, params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 2 and len(page["evaluators"]) == 1
    assert s.get(base, params={"offset": 2}).json()["evaluators"] == []
    v1 = s.get(f"{url}/runs/rules").json()[0]
    assert (v1["evaluator_id"], v1["evaluator_name"], v1["evaluator_type"]) == (code["id"], "Exact", "code")
    created = s.post(base, json={"name": "New", "type": "code", "code_evaluator": {"code": "x"}})
    assert created.status_code == 201 and created.json()["evaluator"]["code_evaluator"]["language"] == "python"
    for bad in ({"name": "x", "type": "code"}, {"name": "x", "type": "code", "code_evaluator": {"code": 1}},
                {"name": "x", "type": "code", "code_evaluator": {"code": "y", "colour": 1}}, {"type": "llm"}):
        r = s.post(base, json=bad)
        assert r.status_code == 400 and "error" in r.json(), bad
    assert s.get(f"{url}/v1/platform/evaluators").json()["total"] == 3  # the spec's own path
