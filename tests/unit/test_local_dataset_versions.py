"""The local workspace's dataset writes and versions (issue #17), with LangSmith's rules: every write
makes one version, reads `as_of` a version see the dataset exactly as it was, splits live in
`metadata["dataset_split"]`, tags name versions, deleting a dataset takes its experiments along."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tui.backend.core.errors import InvalidInput, NotFound
from tui.backend.core.models import SPLIT_KEY, ExperimentResult, NewExample, RuleSpec, Score
from tui.backend.workspace.local import SCHEMA_VERSION, LocalBackend
from tui.backend.workspace.local import datasets as local_datasets
from tui.backend.workspace.local.schema import MIGRATIONS
from tui.backend.workspace.seed_data import demo_datasets


@pytest.fixture
def ws(tmp_path: Path):
    b = LocalBackend(tmp_path / "ws" / "ws.sqlite3", seed=False)
    yield b
    b.close()


def _new(i: int, *splits: str, **metadata) -> NewExample:
    return NewExample({"q": f"q{i}"}, {"a": f"a{i}"}, dict(metadata), tuple(splits))


def _questions(examples) -> list[str]:
    return [e.inputs["q"] for e in examples]


def _stamps(ws: LocalBackend, dataset_id: str) -> list[datetime]:
    return [v.as_of for v in ws.list_dataset_versions(dataset_id)]


# -- versions per write -----------------------------------------------------------------------------

def test_every_write_makes_exactly_one_version_newest_first(ws):
    ds = ws.create_dataset("V", "mine")
    [created] = ws.list_dataset_versions(ds.id)
    assert created.tags == ("latest",)
    assert created.as_of == ws.get_dataset(ds.id).modified_at and created.as_of.tzinfo is not None

    ids = ws.create_examples(ds.id, [_new(0), _new(1), _new(2)])
    assert len(ws.list_dataset_versions(ds.id)) == 2
    ws.update_example(ids[0], _new(10))
    ws.delete_examples(ds.id, [ids[1]])
    ws.update_dataset_splits(ds.id, "golden", [ids[2]])
    ws.add_examples(ds.id, [({"q": "q3"}, {"a": "a3"})])
    assert ws.create_examples(ds.id, []) == []  # nothing written, no version
    ws.delete_examples(ds.id, [])

    versions = ws.list_dataset_versions(ds.id)
    assert len(versions) == 6
    stamps = [v.as_of for v in versions]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 6
    assert versions[0].tags == ("latest",) and all(v.tags == () for v in versions[1:])
    assert ws.get_dataset(ds.id).modified_at == versions[0].as_of
    assert all(s.tzinfo == timezone.utc for s in stamps)


def test_versions_stay_strictly_increasing_when_the_clock_does_not_move(ws, monkeypatch):
    frozen = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(local_datasets, "_utc_now", lambda: frozen)
    ds = ws.create_dataset("Frozen")
    for i in range(3):
        ws.create_examples(ds.id, [_new(i)])
    stamps = _stamps(ws, ds.id)
    assert stamps == [frozen + timedelta(microseconds=n) for n in (3, 2, 1, 0)]
    assert [ws.count_examples(ds.id, as_of=s) for s in reversed(stamps)] == [0, 1, 2, 3]


def test_add_dataset_with_examples_is_one_version_and_add_examples_another(ws):
    ds = ws.add_dataset("Helpers", [{"inputs": {"q": "q0"}, "outputs": {"a": "a0"}, "metadata": {"m": 1}}])
    [first] = ws.list_dataset_versions(ds.id)
    assert ws.count_examples(ds.id, as_of=first.as_of) == 1
    assert next(iter(ws.list_examples(ds.id))).metadata == {"m": 1}  # the helpers keep metadata as given
    ws.add_examples(ds.id, [({"q": "q1"}, {"a": "a1"})])
    versions = ws.list_dataset_versions(ds.id)
    assert len(versions) == 2 and ws.count_examples(ds.id, as_of=first.as_of) == 1 and ws.count_examples(ds.id) == 2


def test_a_fresh_workspace_seeds_one_version_per_dataset_holding_its_examples(tmp_path):
    with LocalBackend(tmp_path / "seeded" / "ws.sqlite3") as seeded:
        by_name = {d.name: d for d in seeded.list_datasets()}
        for demo in demo_datasets():
            ds = by_name[demo.name]
            [version] = seeded.list_dataset_versions(ds.id)
            assert version.tags == ("latest",) and version.as_of == ds.modified_at
            assert seeded.count_examples(ds.id, as_of=version.as_of) == len(demo.examples) == ds.example_count


# -- reading as of a version ------------------------------------------------------------------------

def test_as_of_reads_the_dataset_exactly_as_it_was(ws):
    ds = ws.create_dataset("History")
    v0 = _stamps(ws, ds.id)[0]
    ids = ws.create_examples(ds.id, [_new(0), _new(1), _new(2)])
    v1 = _stamps(ws, ds.id)[0]
    edited = ws.update_example(ids[0], NewExample({"q": "q0 edited"}, {"a": "new"}, {"k": "v"}))
    v2 = _stamps(ws, ds.id)[0]
    ws.delete_examples(ds.id, [ids[1]])
    v3 = _stamps(ws, ds.id)[0]
    [added] = ws.create_examples(ds.id, [_new(3)])
    v4 = _stamps(ws, ds.id)[0]

    assert edited.inputs == {"q": "q0 edited"} and edited.modified_at == v2 and edited.created_at == v1
    assert list(ws.list_examples(ds.id, as_of=v0)) == []
    assert _questions(ws.list_examples(ds.id, as_of=v1)) == ["q0", "q1", "q2"]
    assert _questions(ws.list_examples(ds.id, as_of=v2)) == ["q0 edited", "q1", "q2"]
    assert _questions(ws.list_examples(ds.id, as_of=v3)) == ["q0 edited", "q2"]
    assert _questions(ws.list_examples(ds.id, as_of=v4)) == ["q0 edited", "q2", "q3"]
    assert _questions(ws.list_examples(ds.id)) == ["q0 edited", "q2", "q3"]  # the current state
    assert [e.id for e in ws.list_examples(ds.id)] == [ids[0], ids[2], added]
    assert [ws.count_examples(ds.id, as_of=v) for v in (v0, v1, v2, v3, v4)] == [0, 3, 3, 2, 3]
    assert ws.count_examples(ds.id) == 3 == ws.get_dataset(ds.id).example_count

    old = next(iter(ws.list_examples(ds.id, as_of=v1)))  # the content at v1, with its times then
    assert (old.id, old.outputs, old.metadata, old.modified_at) == (ids[0], {"a": "a0"}, {SPLIT_KEY: ["base"]}, v1)
    between = v2 + (v3 - v2) / 2  # a time between two versions reads the one in force then
    assert _questions(ws.list_examples(ds.id, as_of=between)) == ["q0 edited", "q1", "q2"]
    naive = v1.replace(tzinfo=None)  # a time without zone is UTC
    assert _questions(ws.list_examples(ds.id, as_of=naive)) == ["q0", "q1", "q2"]
    assert _questions(ws.list_examples(ds.id, as_of=v2, offset=1, limit=1)) == ["q1"]


def test_several_edits_each_read_back_at_their_version(ws):
    ds = ws.create_dataset("Edits")
    [ex] = ws.create_examples(ds.id, [_new(0)])
    seen = {}
    for n in range(1, 4):
        ws.update_example(ex, _new(n))
        seen[_stamps(ws, ds.id)[0]] = f"q{n}"
    ws.delete_examples(ds.id, [ex])
    for stamp, question in seen.items():
        assert _questions(ws.list_examples(ds.id, as_of=stamp)) == [question]
    assert list(ws.list_examples(ds.id)) == []
    with pytest.raises(NotFound):
        ws.update_example(ex, _new(9))  # deleted: not editable any more
    with pytest.raises(NotFound):
        ws.delete_examples(ds.id, [ex])


def test_reading_as_of_an_old_version_of_a_large_dataset_is_fast(ws):
    ds = ws.create_dataset("Large")
    batch = [NewExample({"i": i, "text": "x" * 50}, {"o": i}) for i in range(1000)]
    for _ in range(20):
        ws.create_examples(ds.id, batch)
    first = _stamps(ws, ds.id)[-2]  # the version of the first batch
    ids = [e.id for e in ws.list_examples(ds.id, limit=200)]
    ws.delete_examples(ds.id, ids[:100])
    ws.update_dataset_splits(ds.id, "golden", ids[100:200])
    start = time.perf_counter()
    old = sum(1 for _ in ws.list_examples(ds.id, as_of=first))
    middle = sum(1 for _ in ws.list_examples(ds.id, as_of=_stamps(ws, ds.id)[12]))  # after batch 10
    counted = ws.count_examples(ds.id, as_of=first)
    elapsed = time.perf_counter() - start
    assert (old, middle, counted) == (1000, 10_000, 1000)
    assert elapsed < 2.0, f"as_of reads took {elapsed:.2f} s"
    assert ws.count_examples(ds.id) == 19_900 and ws.count_examples(ds.id, splits=["golden"]) == 100


def test_bad_as_of_and_paging_are_refused(ws):
    ds = ws.create_dataset("Bad")
    with pytest.raises(InvalidInput):
        ws.list_examples(ds.id, as_of="not a time")
    with pytest.raises(InvalidInput):
        ws.count_examples(ds.id, as_of=42)
    with pytest.raises(InvalidInput):
        ws.list_examples(ds.id, offset=-1, as_of=datetime.now(timezone.utc))


# -- create_examples: one batch, all or nothing -------------------------------------------------------

def test_create_examples_returns_ids_in_order_and_a_bad_row_writes_nothing(ws):
    ds = ws.create_dataset("Atomic")
    ids = ws.create_examples(ds.id, [_new(i) for i in range(5)])
    assert [e.id for e in ws.list_examples(ds.id)] == ids and len(set(ids)) == 5
    versions = ws.list_dataset_versions(ds.id)
    bad = [_new(5), _new(6), NewExample(inputs=["not", "a", "dict"]), _new(8)]  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="Example 3: inputs must be a JSON object"):
        ws.create_examples(ds.id, bad)
    for row in (NewExample({"q": 1}, outputs="text"), NewExample({"q": 1}, metadata=[1]),  # type: ignore[arg-type]
                NewExample({"q": 1}, splits=("",))):
        with pytest.raises(InvalidInput):
            ws.create_examples(ds.id, [_new(9), row])
    assert ws.count_examples(ds.id) == 5 and ws.list_dataset_versions(ds.id) == versions
    with pytest.raises(NotFound):
        ws.create_examples("no-such-dataset", [_new(0)])


def test_an_sqlite_failure_midway_rolls_the_whole_batch_back(ws):
    ds = ws.create_dataset("Rollback")
    ws.create_examples(ds.id, [_new(0)])
    versions = ws.list_dataset_versions(ds.id)
    taken = next(iter(ws.list_examples(ds.id))).id
    encoded = local_datasets._encode(local_datasets._new_row(_new(i), "x") for i in range(1, 4))
    encoded[2] = (taken, *encoded[2][1:])  # the third row reuses an id: the insert fails on it
    with pytest.raises(Exception, match="could not be used|UNIQUE"):
        with ws._write() as conn:
            local_datasets._insert_encoded(conn, ds.id, encoded)
    assert ws.count_examples(ds.id) == 1 and ws.list_dataset_versions(ds.id) == versions


# -- splits -----------------------------------------------------------------------------------------

def test_splits_are_kept_in_metadata_as_langsmith_does(ws):
    ds = ws.create_dataset("Splits")
    ids = ws.create_examples(ds.id, [
        _new(0),  # no split: LangSmith's default "base"
        _new(1, "train"),
        _new(2, "test", "hard", source="me"),
        NewExample({"q": "q3"}, None, {SPLIT_KEY: ["train"], "k": 1}),  # the split given in the metadata
        NewExample({"q": "q4"}, None, {SPLIT_KEY: ["ignored"]}, ("test",)),  # `splits` win over the metadata
    ])
    examples = list(ws.list_examples(ds.id))
    assert [e.metadata for e in examples] == [
        {SPLIT_KEY: ["base"]}, {SPLIT_KEY: ["train"]}, {"source": "me", SPLIT_KEY: ["test", "hard"]},
        {"k": 1, SPLIT_KEY: ["train"]}, {SPLIT_KEY: ["test"]},
    ]
    assert examples[3].outputs == {} and examples[2].splits == ("test", "hard")
    assert _questions(ws.list_examples(ds.id, splits=["train"])) == ["q1", "q3"]
    assert _questions(ws.list_examples(ds.id, splits=["hard", "base"])) == ["q0", "q2"]
    assert ws.count_examples(ds.id, splits=["test"]) == 2 and ws.count_examples(ds.id, splits=["nope"]) == 0
    assert ws.count_examples(ds.id, splits=[]) == 5  # no split asked: all of them

    replaced = ws.update_example(ids[1], NewExample({"q": "q1"}, {"a": "b"}))
    assert replaced.metadata == {SPLIT_KEY: ["base"]}  # a replace without splits: back to "base"


def test_update_dataset_splits_adds_removes_and_reads_as_of(ws):
    ds = ws.create_dataset("Golden")
    ids = ws.create_examples(ds.id, [_new(i) for i in range(4)])
    before = _stamps(ws, ds.id)[0]
    ws.update_dataset_splits(ds.id, "golden", [ids[0], ids[2], ids[3], ids[0]])
    added = _stamps(ws, ds.id)[0]
    ws.update_dataset_splits(ds.id, "golden", [ids[0]], remove=True)
    ws.update_dataset_splits(ds.id, "base", [ids[2]], remove=True)
    assert len(ws.list_dataset_versions(ds.id)) == 5

    current = {e.id: e.splits for e in ws.list_examples(ds.id)}
    assert current == {ids[0]: ("base",), ids[1]: ("base",), ids[2]: ("golden",), ids[3]: ("base", "golden")}
    assert [e.id for e in ws.list_examples(ds.id, splits=["golden"])] == [ids[2], ids[3]]
    assert [e.id for e in ws.list_examples(ds.id, splits=["golden"], as_of=added)] == [ids[0], ids[2], ids[3]]
    assert ws.count_examples(ds.id, splits=["golden"], as_of=added) == 3
    assert ws.count_examples(ds.id, splits=["golden"], as_of=before) == 0
    assert ws.count_examples(ds.id, splits=["base"], as_of=before) == 4

    versions = ws.list_dataset_versions(ds.id)
    with pytest.raises(NotFound, match="no-such-example"):
        ws.update_dataset_splits(ds.id, "golden", [ids[1], "no-such-example"])
    with pytest.raises(InvalidInput):
        ws.update_dataset_splits(ds.id, " ", [ids[1]])
    ws.delete_examples(ds.id, [ids[1]])
    with pytest.raises(NotFound):
        ws.update_dataset_splits(ds.id, "golden", [ids[1]])  # deleted examples are not in splits any more
    assert ws.count_examples(ds.id, splits=["golden"]) == 2
    assert len(ws.list_dataset_versions(ds.id)) == len(versions) + 1


# -- tags and resolving versions ---------------------------------------------------------------------

def test_tags_point_at_versions_and_move(ws):
    ds = ws.create_dataset("Tags")
    ws.create_examples(ds.id, [_new(0)])
    v1 = _stamps(ws, ds.id)[0]
    ws.tag_dataset_version(ds.id, v1, "prod")
    ws.tag_dataset_version(ds.id, v1, "v1")
    assert ws.list_dataset_versions(ds.id)[0].tags == ("latest", "prod", "v1")
    ws.create_examples(ds.id, [_new(1)])
    v2 = _stamps(ws, ds.id)[0]
    versions = ws.list_dataset_versions(ds.id)
    assert [v.tags for v in versions] == [("latest",), ("prod", "v1"), ()]

    ws.tag_dataset_version(ds.id, v2, "prod")  # moved, not copied
    assert [v.tags for v in ws.list_dataset_versions(ds.id)] == [("latest", "prod"), ("v1",), ()]
    ws.tag_dataset_version(ds.id, v1 + (v2 - v1) / 2, "mid")  # a time between: the version in force then
    assert ws.resolve_dataset_version(ds.id, tag="mid").as_of == v1
    assert ws.resolve_dataset_version(ds.id, tag="prod") == ws.list_dataset_versions(ds.id)[0]
    assert _questions(ws.list_examples(ds.id, as_of=ws.resolve_dataset_version(ds.id, as_of="v1").as_of)) == ["q0"]

    with pytest.raises(InvalidInput, match="latest"):
        ws.tag_dataset_version(ds.id, v1, "latest")
    with pytest.raises(InvalidInput):
        ws.tag_dataset_version(ds.id, v1, "  ")
    with pytest.raises(NotFound):
        ws.tag_dataset_version(ds.id, v1 - timedelta(days=1), "before")  # before the dataset was made
    with pytest.raises(NotFound):
        ws.tag_dataset_version("no-such-dataset", v1, "x")


def test_resolve_dataset_version(ws):
    ds = ws.create_dataset("Resolve")
    v0 = _stamps(ws, ds.id)[0]
    ws.create_examples(ds.id, [_new(0)])
    v1 = _stamps(ws, ds.id)[0]
    ws.tag_dataset_version(ds.id, v0, "empty")
    latest = ws.list_dataset_versions(ds.id)[0]

    assert ws.resolve_dataset_version(ds.id) == latest
    assert ws.resolve_dataset_version(ds.id, as_of="latest") == latest
    assert ws.resolve_dataset_version(ds.id, tag="latest") == latest
    assert ws.resolve_dataset_version(ds.id, as_of=v0).as_of == v0
    assert ws.resolve_dataset_version(ds.id, as_of="empty").as_of == v0
    assert ws.resolve_dataset_version(ds.id, as_of=v1.isoformat()).as_of == v1
    between = (v0 + (v1 - v0) / 2).isoformat()
    assert ws.resolve_dataset_version(ds.id, as_of=between).as_of == v0
    later = (v1 + timedelta(days=3)).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert ws.resolve_dataset_version(ds.id, as_of=later) == latest  # any zone, converted
    assert ws.resolve_dataset_version(ds.id, as_of=v1.isoformat().replace("+00:00", "Z")).as_of == v1

    with pytest.raises(NotFound) as unknown:
        ws.resolve_dataset_version(ds.id, tag="nope")
    assert "'Resolve' has no tag 'nope'" in str(unknown.value) and "latest, empty" in str(unknown.value)
    with pytest.raises(NotFound, match="no tag 'yesterday'"):
        ws.resolve_dataset_version(ds.id, as_of="yesterday")
    with pytest.raises(InvalidInput, match="not a time"):
        ws.resolve_dataset_version(ds.id, as_of="2026-13-45T99:00")
    with pytest.raises(NotFound, match="no version at or before"):
        ws.resolve_dataset_version(ds.id, as_of=v0 - timedelta(seconds=1))
    with pytest.raises(InvalidInput):
        ws.resolve_dataset_version(ds.id, as_of="latest", tag="empty")
    with pytest.raises(InvalidInput):
        ws.resolve_dataset_version(ds.id, as_of=" ")
    with pytest.raises(NotFound, match="Dataset 'no-such-dataset' not found"):
        ws.resolve_dataset_version("no-such-dataset")
    with pytest.raises(NotFound):
        ws.list_dataset_versions("no-such-dataset")


# -- datasets: create, delete ---------------------------------------------------------------------------

def test_create_dataset_refuses_an_empty_or_taken_name(ws):
    ds = ws.create_dataset("  Mine  ", "desc")
    assert (ds.name, ds.description, ds.example_count) == ("Mine", "desc", 0)
    with pytest.raises(InvalidInput, match="A dataset named 'Mine' already exists."):
        ws.create_dataset("Mine")
    for empty in ("", "   "):
        with pytest.raises(InvalidInput):
            ws.create_dataset(empty)
    assert [d.name for d in ws.list_datasets()] == ["Mine"]


def test_delete_dataset_takes_its_examples_versions_tags_and_experiments(ws):
    kept = ws.create_dataset("Kept")
    [kept_ex] = ws.create_examples(kept.id, [_new(0)])
    kept_exp = ws.create_experiment("kept-run", kept.id)
    ws.record_results([ExperimentResult(kept_exp.id, kept_ex, {}, {}, {}, scores=(Score("k", 1.0),))])

    gone = ws.create_dataset("Gone")
    ids = ws.create_examples(gone.id, [_new(i) for i in range(3)])
    ws.update_example(ids[0], _new(9))
    ws.delete_examples(gone.id, [ids[1]])
    ws.tag_dataset_version(gone.id, _stamps(ws, gone.id)[0], "prod")
    exp = ws.create_experiment("gone-run", gone.id)
    ws.record_results([ExperimentResult(exp.id, ids[0], {}, {}, {}, scores=(Score("k", True),))])
    rule = ws.create_rule(RuleSpec(name="bound", code="def perform_eval(run, example): ...", dataset_id=gone.id))

    ws.delete_dataset(gone.id)
    with pytest.raises(NotFound):
        ws.get_dataset(gone.id)
    assert [e.name for e in ws.list_experiments()] == ["kept-run"]
    assert ws.get_rule(rule.id).dataset_id is None and ws.get_rule(rule.id).target_label == "unbound"
    assert ws.list_results(exp.id) == []
    counts = ws._read(lambda c: {
        table: c.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (key,)).fetchone()[0]
        for table, column, key in [("examples", "dataset_id", gone.id), ("example_history", "dataset_id", gone.id),
                                   ("dataset_versions", "dataset_id", gone.id), ("dataset_tags", "dataset_id", gone.id),
                                   ("experiments", "dataset_id", gone.id), ("results", "experiment_id", exp.id),
                                   ("scores", "experiment_id", exp.id)]
    })
    assert set(counts.values()) == {0}, counts
    assert ws.count_examples(kept.id) == 1 and len(ws.list_results(kept_exp.id)[0].scores) == 1
    with pytest.raises(NotFound):
        ws.delete_dataset(gone.id)


# -- migration from schema 4 -----------------------------------------------------------------------------

def _v4_file(path: Path) -> None:
    """A workspace file as evaltui wrote it at schema 4: the v1..v4 scripts, then rows in their shape
    (times from `datetime.isoformat()`, which drops the microseconds when they are 0)."""
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for version in range(4):
        step = MIGRATIONS[version]
        if callable(step):
            step(conn)
        else:
            conn.executescript(step)
    conn.execute("PRAGMA user_version = 4")
    rows = [
        ("d1", "Old", "2025-01-02T03:04:05+00:00", "2025-01-02T03:04:06.500000+00:00"),
        ("d2", "Empty", "2025-02-01T00:00:00.250000+00:00", "2025-02-01T00:00:00.250000+00:00"),
    ]
    conn.executemany("INSERT INTO datasets (id, name, description, created_at, modified_at) VALUES (?, ?, '', ?, ?)",
                     rows)
    conn.executemany(
        "INSERT INTO examples (id, dataset_id, position, inputs, outputs, metadata, created_at) "
        "VALUES (?, 'd1', ?, ?, '{}', ?, ?)",
        [("e0", 0, '{"q": "q0"}', '{"dataset_split": ["train"]}', "2025-01-02T03:04:05+00:00"),
         ("e1", 1, '{"q": "q1"}', "{}", "2025-01-02T03:04:06.500000+00:00")],
    )
    conn.execute("INSERT INTO experiments (id, name, dataset_id, status, created_at) "
                 "VALUES ('x1', 'old-run', 'd1', 'done', '2025-01-03T00:00:00+00:00')")
    conn.close()


def test_a_schema_4_workspace_keeps_its_examples_and_gets_one_version_per_dataset(tmp_path):
    path = tmp_path / "old" / "ws.sqlite3"
    _v4_file(path)
    with LocalBackend(path) as ws:  # opened with seeding on: an existing file is not seeded
        assert ws._read(lambda c: c.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION == 5
        assert [d.name for d in ws.list_datasets()] == ["Old", "Empty"]
        old = ws.get_dataset("Old")
        [version] = ws.list_dataset_versions(old.id)
        assert version.as_of == datetime(2025, 1, 2, 3, 4, 6, 500000, tzinfo=timezone.utc) == old.modified_at
        assert version.tags == ("latest",)
        examples = list(ws.list_examples(old.id, as_of=version.as_of))
        assert [e.id for e in examples] == ["e0", "e1"] == [e.id for e in ws.list_examples(old.id)]
        assert examples[0].created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        assert examples[0].modified_at == examples[0].created_at and examples[0].splits == ("train",)
        assert ws.count_examples(old.id, splits=["train"]) == 1 and old.example_count == 2
        [empty] = ws.list_dataset_versions(ws.get_dataset("Empty").id)
        assert empty.as_of == datetime(2025, 2, 1, 0, 0, 0, 250000, tzinfo=timezone.utc)

        ws.update_example("e0", _new(5))
        ws.delete_examples(old.id, ["e1"])
        assert _questions(ws.list_examples(old.id, as_of=version.as_of)) == ["q0", "q1"]
        assert _questions(ws.list_examples(old.id)) == ["q5"]
        assert [e.name for e in ws.list_experiments(old.id)] == ["old-run"]
        ws.delete_dataset(old.id)
        assert ws.list_experiments() == []


def test_the_v5_step_runs_again_on_a_file_that_already_has_it(tmp_path):
    """A file whose user_version was set back (as older tests and tools do) migrates without error."""
    path = tmp_path / "again" / "ws.sqlite3"
    with LocalBackend(path, seed=False) as ws:
        ds = ws.create_dataset("Twice")
        ws.create_examples(ds.id, [_new(0)])
        versions = ws.list_dataset_versions(ds.id)
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 4")
    with LocalBackend(path, seed=False) as ws:
        assert ws.list_dataset_versions(ds.id) == versions and ws.count_examples(ds.id) == 1
