"""LangSmithBackend through the real langsmith.Client against the fake LangSmith on loopback."""

from __future__ import annotations

import socket

import pytest

from tests.fakes.langsmith_server import FakeLangSmith
from tests.rule_bodies import full_replace_body, without_version
from tui.backend.core import errors
from tui.backend.core.models import ExperimentResult, RuleSpec, Score
from tui.backend.workspace.base import Backend
from tui.backend.workspace.langsmith import LangSmithBackend

CODE = "def perform_eval(run, example):\n    return {'score': 1}\n"


@pytest.fixture
def backend(fake_langsmith: FakeLangSmith):
    b = LangSmithBackend(fake_langsmith.api_key, fake_langsmith.url, backoff=0.01)
    yield b
    b.close()


def _messages_safe(err: Exception, key: str) -> None:
    assert key not in str(err)
    assert key[8:] not in str(err)  # not even the secret part


def test_is_a_backend_and_describes_itself_without_key(fake_langsmith, backend):
    assert isinstance(backend, Backend)
    assert backend.describe() == f"LangSmith {fake_langsmith.url}"
    ws = LangSmithBackend(fake_langsmith.api_key, fake_langsmith.url, workspace_id="ws-1")
    assert ws.describe() == f"LangSmith {fake_langsmith.url} (workspace ws-1)"
    backend.check()


def test_datasets_and_examples_lazily(fake_langsmith, backend):
    ds = fake_langsmith.seed_dataset("Skills: Trajectory", [({"i": i}, {"o": i}) for i in range(150)], "d")
    fake_langsmith.seed_dataset("Other", [])
    assert {d.name for d in backend.list_datasets()} == {"Skills: Trajectory", "Other"}
    got = backend.get_dataset("Skills: Trajectory")
    assert (got.id, got.example_count, got.description) == (ds["id"], 150, "d")
    assert backend.get_dataset(ds["id"]).name == "Skills: Trajectory"
    assert backend.count_examples(ds["id"]) == 150

    before = len(fake_langsmith.requests_to("GET", "/examples"))
    examples = backend.list_examples(ds["id"])
    first = next(examples)
    assert first.inputs == {"i": 0} and first.outputs == {"o": 0} and first.dataset_id == ds["id"]
    assert len(fake_langsmith.requests_to("GET", "/examples")) == before + 1  # one page so far
    assert len(list(examples)) == 149
    window = list(backend.list_examples(ds["id"], offset=120, limit=3))
    assert [e.inputs["i"] for e in window] == [120, 121, 122]


def test_missing_dataset_and_project_suggest_close_names(fake_langsmith, backend):
    fake_langsmith.seed_dataset("Skills: Final Response", [])
    fake_langsmith.seed_project("prod-agent")
    with pytest.raises(errors.NotFound) as e:
        backend.get_dataset("Skills: Final Respons")
    assert e.value.suggestions == ["Skills: Final Response"]
    assert "Did you mean" in str(e.value)
    with pytest.raises(errors.NotFound) as e:
        backend.get_project("prod-agnet")
    assert e.value.suggestions == ["prod-agent"]
    assert backend.get_project("prod-agent").name == "prod-agent"
    with pytest.raises(errors.NotFound):
        backend.get_dataset("00000000-0000-4000-8000-000000000000")


def test_projects(fake_langsmith, backend):
    p = fake_langsmith.seed_project("tracing")
    assert "tracing" in {x.name for x in backend.list_projects()}
    assert backend.get_project(p["id"]).name == "tracing"


def test_rule_create_sends_exact_body_and_crud(fake_langsmith, backend):
    ds = fake_langsmith.seed_dataset("ds", [])
    proj = fake_langsmith.seed_project("proj")
    rule = backend.create_rule(RuleSpec(name="em", code=CODE, sampling_rate=0.5, dataset_id=ds["id"]))
    assert fake_langsmith.requests_to("POST", "/runs/rules")[-1].json == {
        "display_name": "em",
        "sampling_rate": 0.5,
        "is_enabled": True,
        "code_evaluators": [{"code": CODE, "language": "python"}],
        "dataset_id": ds["id"],
    }
    assert (rule.name, rule.code, rule.dataset_name, rule.sampling_rate) == ("em", CODE, "ds", 0.5)

    backend.create_rule(RuleSpec(name="em-project", code=CODE, project_id=proj["id"]))
    assert fake_langsmith.requests_to("POST", "/runs/rules")[-1].json["session_id"] == proj["id"]
    assert "dataset_id" not in fake_langsmith.requests_to("POST", "/runs/rules")[-1].json

    assert [r.name for r in backend.list_rules("em")] == ["em"]
    assert fake_langsmith.requests_to("GET", "/api/v2/runs/rules")[-1].query == {"name_contains": "em", "page_size": "100"}
    assert {r.target_label for r in backend.list_rules()} == {"dataset: ds", "project: proj"}
    assert backend.get_rule(rule.id).name == "em"

    updated = backend.update_rule(rule.id, RuleSpec(name="em", code="# v2\n" + CODE, dataset_id=ds["id"]))
    patch = fake_langsmith.requests_to("PATCH", "/runs/rules")[-1]
    assert patch.path == f"/runs/rules/{rule.id}"
    assert without_version(patch.json) == full_replace_body(
        "# v2\n" + CODE, display_name="em", dataset_id=ds["id"]
    )
    assert updated.code.startswith("# v2") and updated.id == rule.id

    backend.delete_rule(rule.id)
    assert rule.id not in fake_langsmith.rules
    with pytest.raises(errors.NotFound):
        backend.delete_rule(rule.id)
    with pytest.raises(errors.NotFound):
        backend.get_rule(rule.id)


def test_rule_names_looked_up_when_payload_lacks_them(fake_langsmith, backend):
    ds = fake_langsmith.seed_dataset("ds", [])
    rule = fake_langsmith.seed_rule("r", dataset_id=ds["id"])
    rule["dataset_name"] = None
    assert backend.list_rules()[0].dataset_name == "ds"


def test_rule_spec_validation(backend):
    with pytest.raises(errors.InvalidInput):
        backend.create_rule(RuleSpec(name="x", code=CODE))
    with pytest.raises(errors.InvalidInput):
        backend.create_rule(RuleSpec(name="x", code=CODE, dataset_id="a", sampling_rate=2))


def test_workspace_id_sent_as_tenant_header(fake_langsmith):
    b = LangSmithBackend(fake_langsmith.api_key, fake_langsmith.url, workspace_id="ws-123")
    b.list_rules()
    list(b.list_datasets())
    assert all(r.headers.get("x-tenant-id") == "ws-123" for r in fake_langsmith.requests[-2:])
    assert fake_langsmith.requests[-1].headers["x-api-key"] == fake_langsmith.api_key


def test_401_is_auth_error_without_key(fake_langsmith):
    key = "lsv2_pt_wrong-wrongwrong000000000000_zzzz9999"
    b = LangSmithBackend(key, fake_langsmith.url)
    for call in (b.list_rules, lambda: list(b.list_datasets()), lambda: b.get_dataset("x"), b.check):
        with pytest.raises(errors.AuthError) as e:
            call()
        assert "LangSmith rejected the API key (HTTP 401)" in str(e.value)
        _messages_safe(e.value, key)


def test_403_is_auth_error(fake_langsmith, backend):
    fake_langsmith.inject("GET", r"^(/api/v[12])?/runs/rules", status=403, times=5)
    with pytest.raises(errors.AuthError, match=r"HTTP 403"):
        backend.list_rules()


def test_404_on_rule_update_is_not_found(backend):
    with pytest.raises(errors.NotFound, match="Rule"):
        backend.update_rule("0000", RuleSpec(name="x", code=CODE, dataset_id="d"))


def test_429_retried_then_succeeds(fake_langsmith, backend):
    fake_langsmith.inject("GET", r"^(/api/v[12])?/runs/rules", status=429, times=2)
    assert backend.list_rules() == []
    assert len(fake_langsmith.requests_to("GET", "/api/v2/runs/rules")) == 3


def test_429_after_retries_is_rate_limited(fake_langsmith, backend):
    fake_langsmith.inject("GET", r"^(/api/v[12])?/runs/rules", status=429, times=10)
    with pytest.raises(errors.RateLimited) as e:
        backend.list_rules()
    assert len(fake_langsmith.requests_to("GET", "/api/v2/runs/rules")) == 3
    _messages_safe(e.value, fake_langsmith.api_key)


def test_500_after_retries_is_server_error(fake_langsmith, backend):
    fake_langsmith.inject("POST", r"^(/api/v[12])?/runs/rules", status=500, times=10)
    with pytest.raises(errors.ServerError, match=r"HTTP 500") as e:
        backend.create_rule(RuleSpec(name="x", code=CODE, dataset_id="d"))
    _messages_safe(e.value, fake_langsmith.api_key)
    fake_langsmith.clear_faults()
    fake_langsmith.inject("GET", r"^/datasets", status=502, times=10)
    with pytest.raises(errors.ServerError, match=r"HTTP 502"):
        list(backend.list_datasets())


def test_connection_refused_names_endpoint(fake_langsmith):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    b = LangSmithBackend(fake_langsmith.api_key, endpoint, backoff=0.01)
    with pytest.raises(errors.ConnectionFailed, match="Could not connect") as e:
        b.list_rules()
    assert endpoint in str(e.value)
    _messages_safe(e.value, fake_langsmith.api_key)


def test_slow_server_times_out(fake_langsmith):
    b = LangSmithBackend(fake_langsmith.api_key, fake_langsmith.url, timeout_s=0.3)
    fake_langsmith.inject("GET", r"^(/api/v[12])?/runs/rules", status=None, delay=1.0)
    with pytest.raises(errors.ConnectionFailed, match="did not answer") as e:
        b.list_rules()
    assert fake_langsmith.url in str(e.value)
    _messages_safe(e.value, fake_langsmith.api_key)


def test_experiments_record_list_and_results(fake_langsmith, backend):
    ds = fake_langsmith.seed_dataset("qa", [({"q": "1"}, {"a": "1"}), ({"q": "2"}, {"a": "2"})])
    examples = list(backend.list_examples(ds["id"]))
    exp = backend.create_experiment("exp-1", ds["id"], metadata={"by": "test"})
    assert exp.dataset_id == ds["id"] and exp.status == "running"
    backend.record_results(
        [
            ExperimentResult(exp.id, ex.id, ex.inputs, {"a": ex.inputs["q"]}, ex.outputs,
                             scores=(Score("exact", True, "ok"),))
            for ex in examples
        ]
    )
    backend.finish_experiment(exp.id, "done")
    assert [e.name for e in backend.list_experiments(ds["id"])] == ["exp-1"]
    assert [e.name for e in backend.list_experiments()] == ["exp-1"]
    got = backend.get_experiment("exp-1")
    assert got.status == "done" and got.id == exp.id
    assert backend.get_experiment(exp.id).name == "exp-1"
    with pytest.raises(errors.NotFound):
        backend.get_experiment("default")  # a tracing project is not an experiment
    results = sorted(backend.list_results(exp.id), key=lambda r: r.inputs["q"])
    assert [(r.outputs, r.reference_outputs) for r in results] == [
        ({"a": "1"}, {"a": "1"}),
        ({"a": "2"}, {"a": "2"}),
    ]
    assert [s.key for r in results for s in r.scores] == ["exact", "exact"]
    assert results[0].scores[0].score is True


def test_results_of_an_aevaluate_upload(fake_langsmith, backend):
    import asyncio

    import langsmith

    fake_langsmith.seed_dataset("qa", [({"q": f"q{i}"}, {"a": f"a{i}"}) for i in range(3)])

    async def target(inputs: dict) -> dict:
        return {"a": inputs["q"].replace("q", "a")}

    def exact(outputs: dict, reference_outputs: dict) -> dict:
        return {"key": "exact", "score": outputs == reference_outputs}

    run = asyncio.run(
        langsmith.aevaluate(target, data="qa", evaluators=[exact], client=backend.client, upload_results=True)
    )
    exp = backend.get_experiment(run.experiment_name)
    results = backend.list_results(exp.id)
    assert len(results) == 3
    assert all(r.outputs == r.reference_outputs and r.scores[0].score is True for r in results)
