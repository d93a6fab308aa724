"""The fake LangSmith server, driven through the real `langsmith.Client` over loopback."""

from __future__ import annotations

import asyncio

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
    h = {"x-api-key": fake_langsmith.api_key}
    proj = fake_langsmith.seed_project("p")
    run = {"id": "r1", "name": "t", "session_name": "p", "inputs": {"x": 1}, "trace_id": "r1"}
    batch = {"post": [run], "patch": [{"id": "r1", "outputs": {"y": 2}, "end_time": "2025-01-01T00:00:00"}]}
    assert requests.post(f"{fake_langsmith.url}/runs/batch", json=batch, headers=h).status_code == 202
    stored = fake_langsmith.runs["r1"]
    assert (stored["session_id"], stored["outputs"], stored["status"]) == (proj["id"], {"y": 2}, "success")
    requests.post(f"{fake_langsmith.url}/feedback", json={"run_id": "r1", "key": "k", "score": 1}, headers=h)
    listed = requests.get(f"{fake_langsmith.url}/feedback", params={"run": "r1"}, headers=h).json()
    assert [(f["key"], f["session_id"]) for f in listed] == [("k", proj["id"])]
