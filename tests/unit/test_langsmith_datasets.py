"""LangSmithBackend's dataset writes, versions, tags and splits, through the real langsmith.Client
against the fake LangSmith on loopback (both of the SDK's upload paths: the multipart platform
endpoint the fake advertises, and /examples/bulk + PATCH /examples/{id} without it)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes.langsmith_server import FakeLangSmith
from tui.backend.core import errors
from tui.backend.core.models import NewExample
from tui.backend.workspace.base import Backend
from tui.backend.workspace.langsmith import LangSmithBackend

MULTIPART = "/v1/platform/datasets/"


@pytest.fixture(params=["multipart", "bulk"])
def path(request, fake_langsmith: FakeLangSmith) -> str:
    """Which upload path the SDK takes: the fake's /info decides (the SDK reads it once)."""
    flags = fake_langsmith.info["instance_flags"]
    flags["dataset_examples_multipart_enabled"] = request.param == "multipart"
    return request.param


@pytest.fixture
def backend(fake_langsmith: FakeLangSmith):
    b = LangSmithBackend(fake_langsmith.api_key, fake_langsmith.url, backoff=0.01)
    yield b
    b.close()


def _new(n: int, **kw) -> list[NewExample]:
    return [NewExample({"q": f"q{i}"}, {"a": f"a{i}"}, **kw) for i in range(n)]


def test_is_a_backend(backend):
    assert isinstance(backend, Backend)


def test_create_dataset_and_a_taken_name(fake_langsmith, backend):
    ds = backend.create_dataset("  regressions ", "failing rows")
    assert (ds.name, ds.description, ds.example_count) == ("regressions", "failing rows", 0)
    assert fake_langsmith.datasets[ds.id]["name"] == "regressions"
    with pytest.raises(errors.InvalidInput) as taken:
        backend.create_dataset("regressions")
    assert str(taken.value) == "A dataset named 'regressions' already exists."
    assert fake_langsmith.requests_to("POST", "/datasets")[-1].status == 409
    with pytest.raises(errors.InvalidInput, match="needs a name"):
        backend.create_dataset("   ")
    assert len(fake_langsmith.datasets) == 1


def test_create_examples_one_batch_one_version_ids_in_order(fake_langsmith, backend, path):
    ds = backend.create_dataset("d")
    examples = [
        NewExample({"q": "plain"}, {"a": 1}),
        NewExample({"q": "split"}, None, {"source": "import"}, splits=("train", "hard")),
        NewExample({"q": "meta split"}, {"a": 3}, {"dataset_split": ["test"], "k": 1}),
    ]
    ids = backend.create_examples(ds.id, examples)
    assert len(ids) == 3 and len(set(ids)) == 3
    sent = [r for r in fake_langsmith.requests if r.method == "POST" and
            (r.path.startswith(MULTIPART) if path == "multipart" else r.path == "/examples/bulk")]
    assert len(sent) == 1 and sent[0].status == (201 if path == "multipart" else 200)
    assert len(fake_langsmith.versions_of(ds.id)) == 1
    got = list(backend.list_examples(ds.id))
    assert [e.id for e in got] == ids
    assert [e.inputs["q"] for e in got] == ["plain", "split", "meta split"]
    assert [e.splits for e in got] == [("base",), ("train", "hard"), ("test",)]  # LangSmith's default: base
    assert got[1].metadata == {"source": "import", "dataset_split": ["train", "hard"]}
    assert got[1].outputs == {} and got[2].metadata["k"] == 1
    assert got[0].created_at == got[0].modified_at is not None
    assert backend.count_examples(ds.id) == 3 and backend.get_dataset(ds.id).example_count == 3
    assert backend.create_examples(ds.id, []) == []
    assert len(fake_langsmith.versions_of(ds.id)) == 1


def test_bad_examples_are_one_sentence_and_nothing_is_sent(fake_langsmith, backend):
    ds = backend.create_dataset("d")
    before = len(fake_langsmith.requests)
    with pytest.raises(errors.InvalidInput, match=r"^Example 2: inputs must be a JSON object\.$"):
        backend.create_examples(ds.id, [NewExample({"q": 1}), NewExample(["not", "a", "dict"])])
    with pytest.raises(errors.InvalidInput, match="split names"):
        backend.create_examples(ds.id, [NewExample({"q": 1}, splits=("",))])
    assert len(fake_langsmith.requests) == before
    with pytest.raises(errors.NotFound, match="Dataset '00000000-0000-4000-8000-000000000001' not found"):
        backend.create_examples("00000000-0000-4000-8000-000000000001", _new(1))


def test_as_of_reads_the_dataset_as_it_was(fake_langsmith, backend, path):
    ds = backend.create_dataset("d")
    first = backend.create_examples(ds.id, _new(3))
    backend.update_example(first[0], NewExample({"q": "edited"}, {"a": "new"}, {"by": "me"}, splits=("test",)))
    backend.delete_examples(ds.id, [first[1]])
    backend.create_examples(ds.id, [NewExample({"q": "later"})])
    versions = backend.list_dataset_versions(ds.id)
    assert len(versions) == 4
    assert [v.as_of for v in versions] == sorted((v.as_of for v in versions), reverse=True)  # newest first
    assert versions[0].tags == ("latest",) and all("latest" not in v.tags for v in versions[1:])
    v_created, v_edited, v_deleted, v_latest = (v.as_of for v in reversed(versions))

    def qs(**kw) -> list[str]:
        return [e.inputs["q"] for e in backend.list_examples(ds.id, **kw)]

    assert qs(as_of=v_created) == ["q0", "q1", "q2"]
    assert qs(as_of=v_edited) == ["edited", "q1", "q2"]
    assert qs(as_of=v_deleted) == ["edited", "q2"]
    assert qs(as_of=v_latest) == qs() == ["edited", "q2", "later"]
    # a time between two versions reads the older one; one before the first reads nothing
    assert qs(as_of=v_edited + (v_deleted - v_edited) / 2) == ["edited", "q1", "q2"]
    assert qs(as_of=v_created - timedelta(seconds=1)) == []
    old = next(backend.list_examples(ds.id, as_of=v_created))
    assert (old.outputs, old.splits, old.modified_at) == ({"a": "a0"}, ("base",), v_created)
    assert [backend.count_examples(ds.id, as_of=v.as_of) for v in reversed(versions)] == [3, 3, 2, 3]
    assert backend.count_examples(ds.id) == 3
    # the soft-deleted example is still in the store, readable in the versions before its deletion
    assert fake_langsmith.examples[first[1]]["_deleted_at"] is not None


def test_update_example_replaces_everything(fake_langsmith, backend, path):
    ds = backend.create_dataset("d")
    (ex_id,) = backend.create_examples(ds.id, [NewExample({"q": 1}, {"a": 1}, {"old": True}, splits=("train",))])
    updated = backend.update_example(ex_id, NewExample({"q": 2}, {"a": 2}, {"new": True}, splits=("test", "hard")))
    assert (updated.id, updated.inputs, updated.outputs) == (ex_id, {"q": 2}, {"a": 2})
    assert updated.metadata == {"new": True, "dataset_split": ["test", "hard"]}
    assert updated.modified_at > updated.created_at
    sent = fake_langsmith.requests_to("PATCH", MULTIPART if path == "multipart" else f"/examples/{ex_id}")
    assert len(sent) == 1
    cleared = backend.update_example(ex_id, NewExample({"q": 3}))
    assert (cleared.outputs, cleared.metadata) == ({}, {"dataset_split": ["base"]})
    assert len(fake_langsmith.versions_of(ds.id)) == 3
    with pytest.raises(errors.NotFound, match="Example '00000000-0000-4000-8000-00000000000e' not found"):
        backend.update_example("00000000-0000-4000-8000-00000000000e", NewExample({"q": 1}))


@pytest.mark.parametrize("bulk_metadata", [True, False], ids=["metadata-endpoint", "splits-fallback"])
def test_splits_add_remove_and_filter(fake_langsmith, backend, bulk_metadata):
    fake_langsmith.bulk_metadata_enabled = bulk_metadata
    ds = backend.create_dataset("d")
    ids = backend.create_examples(ds.id, _new(4))
    backend.update_dataset_splits(ds.id, "regression", ids[:3])
    backend.update_dataset_splits(ds.id, "regression", [ids[0]], remove=True)
    backend.update_dataset_splits(ds.id, "hard", [ids[2]])
    assert [e.splits for e in backend.list_examples(ds.id)] == [
        ("base",), ("base", "regression"), ("base", "regression", "hard"), ("base",)]
    assert [e.id for e in backend.list_examples(ds.id, splits=["regression"])] == ids[1:3]
    assert [e.id for e in backend.list_examples(ds.id, splits=["hard", "nope"])] == [ids[2]]
    assert backend.count_examples(ds.id, splits=["regression"]) == 2
    versions = backend.list_dataset_versions(ds.id)
    assert len(versions) == 4  # one per write
    assert backend.count_examples(ds.id, splits=["regression"], as_of=versions[2].as_of) == 3
    patched = fake_langsmith.requests_to("PATCH", f"/v1/platform/datasets/{ds.id}/examples/metadata")
    put = fake_langsmith.requests_to("PUT", f"/datasets/{ds.id}/splits")
    if bulk_metadata:
        assert len(patched) == 3 and {r.status for r in patched} == {207} and not put
    else:  # the SDK falls back when the server lacks the route
        assert {r.status for r in patched} == {404} and len(put) == 3
    backend.update_dataset_splits(ds.id, "x", [])
    assert len(backend.list_dataset_versions(ds.id)) == 4
    with pytest.raises(errors.InvalidInput, match="split needs a name"):
        backend.update_dataset_splits(ds.id, " ", ids)


def test_versions_tags_and_resolving(fake_langsmith, backend):
    ds = backend.create_dataset("d")
    with pytest.raises(errors.NotFound, match="has no versions yet"):
        backend.resolve_dataset_version(ds.id, as_of="prod")
    backend.create_examples(ds.id, _new(2))
    backend.create_examples(ds.id, _new(1))
    newest, oldest = backend.list_dataset_versions(ds.id)
    assert backend.resolve_dataset_version(ds.id) == newest
    assert backend.resolve_dataset_version(ds.id, as_of="latest") == newest
    assert backend.resolve_dataset_version(ds.id, tag="latest") == newest
    assert backend.resolve_dataset_version(ds.id, as_of=oldest.as_of.isoformat()).as_of == oldest.as_of
    between = oldest.as_of + (newest.as_of - oldest.as_of) / 2
    assert backend.resolve_dataset_version(ds.id, as_of=between).as_of == oldest.as_of
    naive = between.replace(tzinfo=None).isoformat()  # no zone: UTC, as LangSmith reads it
    assert backend.resolve_dataset_version(ds.id, as_of=naive).as_of == oldest.as_of

    backend.tag_dataset_version(ds.id, oldest.as_of, "prod")
    prod = backend.resolve_dataset_version(ds.id, tag="prod")
    assert prod.as_of == oldest.as_of and prod.tags == ("prod",)
    assert backend.resolve_dataset_version(ds.id, as_of="prod") == prod
    assert [v.tags for v in backend.list_dataset_versions(ds.id)] == [("latest",), ("prod",)]
    backend.tag_dataset_version(ds.id, newest.as_of, "prod")  # a tag moves
    assert [v.tags for v in backend.list_dataset_versions(ds.id)] == [("latest", "prod"), ()]

    with pytest.raises(errors.NotFound) as missing:
        backend.resolve_dataset_version(ds.id, tag="staging")
    text = str(missing.value)
    assert "'staging' not found" in text and "tags: latest, prod" in text
    assert oldest.as_of.isoformat() in text and newest.as_of.isoformat() in text
    with pytest.raises(errors.NotFound, match="not found in dataset"):
        backend.resolve_dataset_version(ds.id, as_of=oldest.as_of - timedelta(days=1))
    with pytest.raises(errors.NotFound, match="Dataset version"):
        backend.tag_dataset_version(ds.id, between, "nowhere")  # only an exact version can be tagged
    with pytest.raises(errors.InvalidInput, match="newest version"):
        backend.tag_dataset_version(ds.id, oldest.as_of, "latest")
    with pytest.raises(errors.InvalidInput, match="not both"):
        backend.resolve_dataset_version(ds.id, as_of="latest", tag="prod")


def test_delete_examples_is_soft_and_chunked(fake_langsmith, backend):
    ds = backend.create_dataset("d")
    ids = backend.create_examples(ds.id, _new(1100))
    backend.delete_examples(ds.id, ids[:1050] + ids[:5])  # repeats are sent once
    assert backend.count_examples(ds.id) == 50
    sent = fake_langsmith.requests_to("DELETE", "/examples")
    assert [len(r.query["example_ids"]) for r in sent] == [500, 500, 50]
    created = backend.list_dataset_versions(ds.id)[-1]
    assert backend.count_examples(ds.id, as_of=created.as_of) == 1100
    with pytest.raises(errors.NotFound, match="Example"):
        backend.delete_examples(ds.id, [ids[0]])  # already deleted


def test_delete_dataset_takes_its_experiments(fake_langsmith, backend):
    ds = backend.create_dataset("d")
    backend.create_examples(ds.id, _new(2))
    experiment = fake_langsmith.seed_project("exp-1", reference_dataset_id=ds.id)
    other = fake_langsmith.seed_project("unrelated")
    backend.delete_dataset(ds.id)
    assert ds.id not in fake_langsmith.datasets and not fake_langsmith.examples
    assert experiment["id"] not in fake_langsmith.sessions and other["id"] in fake_langsmith.sessions
    with pytest.raises(errors.NotFound, match=f"Dataset '{ds.id}' not found"):
        backend.delete_dataset(ds.id)
    with pytest.raises(errors.NotFound):
        backend.get_dataset("d")


def test_a_server_failure_mid_import_keeps_the_batches_before(fake_langsmith, backend):
    ds = backend.create_dataset("d")
    fake_langsmith.inject("POST", r"^(/api)?/v1/platform/datasets/[^/]+/examples$", status=500, nth=3)
    for _ in range(3):  # one 500 is retried: the batch lands once
        backend.create_examples(ds.id, _new(10))
    assert backend.count_examples(ds.id) == 30 and len(fake_langsmith.versions_of(ds.id)) == 3
    fake_langsmith.clear_faults()
    fake_langsmith.inject("POST", r"^(/api)?/v1/platform/datasets/[^/]+/examples$", status=500, times=99)
    with pytest.raises(errors.ServerError, match="HTTP 500") as failed:
        backend.create_examples(ds.id, _new(10))
    assert fake_langsmith.api_key not in str(failed.value)
    assert backend.count_examples(ds.id) == 30 and len(fake_langsmith.versions_of(ds.id)) == 3


# -- the fake's own rules for these routes ---------------------------------------------------------

def _http(fake: FakeLangSmith, method: str, path: str, **kw):
    import requests

    return requests.request(method, f"{fake.url}{path}", headers={"x-api-key": fake.api_key}, timeout=5, **kw)


def test_fake_bulk_create_is_all_or_nothing(fake_langsmith):
    ds = fake_langsmith.seed_dataset("d", [({"q": 0}, {"a": 0})])
    taken = fake_langsmith.examples_of(ds["id"])[0]["id"]
    fresh = "00000000-0000-4000-8000-0000000000f1"
    r = _http(fake_langsmith, "POST", "/examples/bulk", json=[
        {"dataset_id": ds["id"], "id": fresh, "inputs": {"q": 1}},
        {"dataset_id": ds["id"], "id": taken, "inputs": {"q": 2}}])
    assert r.status_code == 409 and fresh not in fake_langsmith.examples
    r = _http(fake_langsmith, "POST", "/examples/bulk", json=[{"dataset_id": ds["id"], "inputs": "text"}])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", 0, "inputs"]
    assert len(fake_langsmith.versions_of(ds["id"])) == 1 and len(fake_langsmith.examples_of(ds["id"])) == 1


def test_fake_multipart_and_version_errors(fake_langsmith):
    ds = fake_langsmith.seed_dataset("d", [({"q": 0}, {"a": 0})])
    ex_id = "00000000-0000-4000-8000-0000000000f2"
    r = _http(fake_langsmith, "POST", f"/v1/platform/datasets/{ds['id']}/examples",
              files={ex_id: ("", b"{}", "application/json")})  # no `{id}.inputs` part
    assert r.status_code == 422 and "inputs" in r.json()["error"]
    r = _http(fake_langsmith, "GET", "/examples", params={"dataset": ds["id"], "as_of": "no-such-tag"})
    assert r.status_code == 404
    r = _http(fake_langsmith, "GET", f"/datasets/{ds['id']}/version", params={"as_of": "yesterday"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "as_of"]
    r = _http(fake_langsmith, "DELETE", "/examples", params={"example_ids": [ex_id]})
    assert r.status_code == 404 and len(fake_langsmith.versions_of(ds["id"])) == 1
    r = _http(fake_langsmith, "PUT", f"/datasets/{ds['id']}/tags", json={"as_of": "2020-01-01T00:00:00Z", "tag": "x"})
    assert r.status_code == 404  # only an exact version can be tagged
    r = _http(fake_langsmith, "GET", "/examples", params={"dataset": "00000000-0000-4000-8000-0000000000f3"})
    assert r.status_code == 200 and r.json() == []


def test_fake_faults_reach_the_bulk_route(fake_langsmith, backend):
    fake_langsmith.info["instance_flags"]["dataset_examples_multipart_enabled"] = False
    ds = backend.create_dataset("d")
    fake_langsmith.inject("POST", r"^/examples/bulk$", status=500, times=3)  # the first try and 2 retries
    with pytest.raises(errors.ServerError):
        backend.create_examples(ds.id, _new(5))
    assert [r.status for r in fake_langsmith.requests_to("POST", "/examples/bulk")] == [500, 500, 500]
    assert backend.count_examples(ds.id) == 0
    assert len(backend.create_examples(ds.id, _new(5))) == 5  # the fault is spent
    assert backend.count_examples(ds.id) == 5
