"""`evaltui datasets` / `evaltui dataset ...` on both workspaces: the lossless round trip, atomic
imports (bad lines, a server failure midway, Ctrl+C), versions and tags, splits, delete prompts."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import NewExample
from tui.backend.datasets.transfer import ImportCancelled, ImportFailed, export_examples, import_examples

ROWS = [
    {"inputs": {"question": f"q{i}", "n": i}, "outputs": {"answer": f"a{i}", "list": [i, None, True]},
     "metadata": {"source": "import", "rank": i % 3}, "split": ["train"] if i % 2 else ["test", "hard"]}
    for i in range(23)
]


def canonical(text: str) -> list[str]:
    return [json.dumps(json.loads(line), sort_keys=True) for line in text.splitlines() if line.strip()]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(params=["local", "langsmith"])
def workspace_kind(request, evaltui_home, monkeypatch):
    """The CLI on the embedded workspace, or on the fake LangSmith (LANGSMITH_* pointing at it)."""
    monkeypatch.setenv("EVALTUI_DEBUG", "0")
    if request.param == "langsmith":
        fake = request.getfixturevalue("langsmith_env")
        return fake
    return None


def backend_for(fake):
    from tui.backend.core.config import Settings
    from tui.backend.workspace.factory import open_backend

    return open_backend(Settings.from_env(backend="langsmith" if fake else "local"))


def test_import_then_export_is_byte_equal_after_sorting_keys(workspace_kind, tmp_path):
    source = write_jsonl(tmp_path / "mine.jsonl", ROWS)
    created = run_cli("dataset", "create", "Mine", "--description", "my own examples")
    assert created.code == 0, created.text
    imported = run_cli("dataset", "import", str(source), "--dataset", "Mine")
    assert imported.code == 0, imported.text
    assert "Imported 23 examples into 'Mine'" in imported.out
    exported = run_cli("dataset", "export", "Mine", "--format", "jsonl")
    assert exported.code == 0, exported.text
    assert sorted(canonical(exported.out)) == sorted(canonical(source.read_text()))
    assert canonical(exported.out) == canonical(source.read_text())  # and in the file's order
    listed = run_cli("datasets")
    assert any(line.split()[:2] == ["Mine", "23"] for line in listed.out.splitlines()), listed.out


def test_export_to_a_file_and_csv_with_the_flags_that_import_it_back(workspace_kind, tmp_path):
    write_jsonl(tmp_path / "in.jsonl", [{"inputs": {"q": "x", "n": 1}, "outputs": {"a": "y"}, "split": "s"}])
    assert run_cli("dataset", "import", str(tmp_path / "in.jsonl"), "--dataset", "C", "--create").code == 0
    out_file = tmp_path / "out" / "c.csv"
    exported = run_cli("dataset", "export", "C", "--output", str(out_file))
    assert exported.code == 0, exported.text
    assert out_file.read_text().splitlines() == ["q,n,a,split", "x,1,y,s"]
    assert "--input-keys q,n --output-keys a" in exported.err
    back = run_cli("dataset", "import", str(out_file), "--dataset", "C2", "--create", "--input-keys", "q,n",
                   "--output-keys", "a")
    assert back.code == 0, back.text
    again = run_cli("dataset", "export", "C2")
    assert json.loads(again.out) == {"inputs": {"q": "x", "n": "1"}, "outputs": {"a": "y"}, "metadata": {},
                                     "split": ["s"]}


def test_a_bad_line_is_named_and_nothing_is_written(workspace_kind, tmp_path):
    rows = [json.dumps(r) for r in ROWS[:5]]
    rows.insert(3, '{"inputs": "not an object"}')
    rows.append("{broken")
    (tmp_path / "bad.jsonl").write_text("\n".join(rows) + "\n")
    result = run_cli("dataset", "import", str(tmp_path / "bad.jsonl"), "--dataset", "New", "--create")
    assert result.code == 2, result.text
    assert 'line 4: "inputs" must be an object, not a string' in result.err
    assert "line 7: not JSON" in result.err and "nothing was imported" in result.err
    assert "Traceback" not in result.text
    assert "New" not in run_cli("datasets").out  # not even the dataset was made


def test_a_missing_dataset_says_how_to_create_it(workspace_kind, tmp_path):
    write_jsonl(tmp_path / "a.jsonl", ROWS[:1])
    result = run_cli("dataset", "import", str(tmp_path / "a.jsonl"), "--dataset", "Nope")
    assert result.code == 1 and "Pass --create" in result.err, result.text


def server_down_after(fake, examples: int):
    """A progress callback that makes every later example write answer 500 (retries included)."""
    def progress(p):
        if p.phase == "importing" and p.done == examples:
            fake.inject("POST", r"examples", status=500, times=100)
    return progress


def test_a_server_failure_midway_leaves_no_half_dataset(langsmith_env, evaltui_home, tmp_path):
    fake = langsmith_env
    write_jsonl(tmp_path / "big.jsonl", ROWS * 5)  # 115 rows, batches of 25: the 3rd fails
    backend = backend_for(fake)
    with pytest.raises(ImportFailed) as err:
        import_examples(backend, tmp_path / "big.jsonl", "Half", create=True, batch_size=25,
                        on_progress=server_down_after(fake, 50))
    assert "failed after 50 of 115 examples" in str(err.value)
    assert "the dataset 'Half' it created was deleted" in str(err.value)
    assert "Half" not in {d.name for d in backend.list_datasets()}


def test_a_failure_into_an_existing_dataset_takes_out_what_it_added(langsmith_env, evaltui_home, tmp_path):
    fake = langsmith_env
    backend = backend_for(fake)
    dataset = backend.create_dataset("Kept")
    backend.create_examples(dataset.id, [NewExample({"q": "mine"}, {"a": "kept"})])
    write_jsonl(tmp_path / "more.jsonl", ROWS * 2)
    with pytest.raises(ImportFailed) as err:
        import_examples(backend, tmp_path / "more.jsonl", "Kept", batch_size=20,
                        on_progress=server_down_after(fake, 20))
    assert "the 20 examples it had added to 'Kept' were deleted again" in str(err.value)
    assert [e.inputs for e in backend.list_examples(dataset.id)] == [{"q": "mine"}]


def test_cancel_midway_undoes_the_import(workspace_kind, tmp_path):
    backend = backend_for(workspace_kind)
    write_jsonl(tmp_path / "rows.jsonl", ROWS * 4)
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append((p.phase, p.done, p.total))
        if p.phase == "importing" and p.done >= 40:
            cancel.set()

    with pytest.raises(ImportCancelled) as err:
        import_examples(backend, tmp_path / "rows.jsonl", "Cancelled", create=True, batch_size=20,
                        on_progress=progress, cancel=cancel)
    assert "Import cancelled; the dataset 'Cancelled' it created was deleted." == str(err.value)
    assert ("importing", 40, 92) in seen and seen[0] == ("checking", 0, None)
    assert "Cancelled" not in {d.name for d in backend.list_datasets()}


def test_versions_tags_and_as_of(workspace_kind, tmp_path):
    backend = backend_for(workspace_kind)
    write_jsonl(tmp_path / "v1.jsonl", ROWS[:3])
    assert run_cli("dataset", "import", str(tmp_path / "v1.jsonl"), "--dataset", "V", "--create").code == 0
    tagged = run_cli("dataset", "tag", "V", "v1")
    assert tagged.code == 0 and "as 'v1'" in tagged.out, tagged.text
    dataset = backend.get_dataset("V")
    first = backend.list_examples(dataset.id)
    first_id = next(iter(first)).id
    backend.delete_examples(dataset.id, [first_id])
    write_jsonl(tmp_path / "v2.jsonl", ROWS[3:5])
    assert run_cli("dataset", "import", str(tmp_path / "v2.jsonl"), "--dataset", "V").code == 0

    latest = canonical(run_cli("dataset", "export", "V").out)
    assert latest == canonical("".join(json.dumps(r) + "\n" for r in ROWS[1:5]))
    old = run_cli("dataset", "export", "V", "--tag", "v1")
    assert old.code == 0, old.text
    assert canonical(old.out) == canonical("".join(json.dumps(r) + "\n" for r in ROWS[:3]))  # the deleted one too

    versions = run_cli("dataset", "versions", "V", "--json")
    listed = json.loads(versions.out)
    assert "latest" in listed[0]["tags"] and any("v1" in v["tags"] for v in listed[1:])
    as_of = next(v["as_of"] for v in listed if "v1" in v["tags"])
    assert canonical(run_cli("dataset", "export", "V", "--as-of", as_of).out) == canonical(old.out)
    unknown = run_cli("dataset", "export", "V", "--tag", "nope")
    assert unknown.code == 1 and "nope" in unknown.err and "Traceback" not in unknown.text


def test_split_membership_is_kept_in_metadata(workspace_kind, tmp_path):
    backend = backend_for(workspace_kind)
    write_jsonl(tmp_path / "s.jsonl", [{"inputs": {"q": i}} for i in range(4)])
    assert run_cli("dataset", "import", str(tmp_path / "s.jsonl"), "--dataset", "S", "--create").code == 0
    dataset = backend.get_dataset("S")
    ids = [e.id for e in backend.list_examples(dataset.id)]
    added = run_cli("dataset", "split", "S", "--add", "golden", "--ids", ids[0], f"{ids[2]},{ids[3]}")
    assert added.code == 0 and "Added 3 examples to split 'golden'" in added.out, added.text
    golden = list(backend.list_examples(dataset.id, splits=["golden"]))
    assert [e.id for e in golden] == [ids[0], ids[2], ids[3]]
    assert all("golden" in e.metadata["dataset_split"] for e in golden)
    removed = run_cli("dataset", "split", "S", "--remove", "golden", "--ids", ids[0])
    assert removed.code == 0, removed.text
    assert backend.count_examples(dataset.id, splits=["golden"]) == 2
    bad = run_cli("dataset", "split", "S", "--add", "golden", "--ids", "not-an-example")
    assert bad.code == 2 and "has no example 'not-an-example'" in bad.err


def test_delete_names_what_goes_and_asks(workspace_kind, tmp_path):
    write_jsonl(tmp_path / "d.jsonl", ROWS[:4])
    assert run_cli("dataset", "import", str(tmp_path / "d.jsonl"), "--dataset", "Gone", "--create").code == 0
    declined = run_cli("dataset", "delete", "Gone")
    assert declined.code == 1
    assert "4 examples and every version of it" in declined.out and "0 experiments" in declined.out
    assert "No input available; answering No." in declined.out and "Nothing deleted." in declined.out
    assert "Gone" in run_cli("datasets").out
    no = run_cli("dataset", "delete", "Gone", stdin="n\n")
    assert no.code == 1 and "Gone" in run_cli("datasets").out
    done = run_cli("dataset", "delete", "Gone", "--yes")
    assert done.code == 0 and "Deleted dataset 'Gone'." in done.out
    assert "Gone" not in run_cli("datasets").out


def test_create_refuses_a_taken_or_empty_name(workspace_kind):
    assert run_cli("dataset", "create", "Twice").code == 0
    again = run_cli("dataset", "create", "Twice")
    assert again.code == 2 and "already exists" in again.err, again.text
    empty = run_cli("dataset", "create", " ")
    assert empty.code == 2, empty.text


def test_export_needs_a_path_or_a_stream(evaltui_home):
    with pytest.raises(InvalidInput):
        export_examples(backend_for(None), "Skills: Trajectory")


TARGET = '''
def echo(inputs):
    return {"answer": f"a{inputs['n']}"}


def right(inputs, outputs, reference_outputs):
    return {"key": "right", "score": int(outputs["answer"] == reference_outputs["answer"])}
'''


def test_run_on_a_tagged_version_and_a_split_and_resume_reads_the_same(workspace_kind, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALTUI_UPLOAD_WAIT", "5")
    backend = backend_for(workspace_kind)
    (tmp_path / "agent.py").write_text(TARGET)
    write_jsonl(tmp_path / "v1.jsonl", ROWS[:6])  # odd rows in "train", even in "test"/"hard"
    assert run_cli("dataset", "import", str(tmp_path / "v1.jsonl"), "--dataset", "R", "--create").code == 0
    assert run_cli("dataset", "tag", "R", "v1").code == 0
    dataset = backend.get_dataset("R")
    train_v1 = [e.id for e in backend.list_examples(dataset.id, splits=["train"])]
    assert len(train_v1) == 3
    backend.delete_examples(dataset.id, train_v1[:1])  # v2: one train example gone, two new ones
    write_jsonl(tmp_path / "v2.jsonl", ROWS[7:10:2])
    assert run_cli("dataset", "import", str(tmp_path / "v2.jsonl"), "--dataset", "R").code == 0
    assert backend.count_examples(dataset.id, splits=["train"]) == 4

    argv = ("run", "--dataset", "R", "--target", f"{tmp_path / 'agent.py'}:echo", "--evaluators",
            f"{tmp_path / 'agent.py'}:right", "--json")
    old = run_cli(*argv, "--tag", "v1", "--split", "train")
    assert old.code == 0, old.text
    doc = json.loads(old.out)
    assert doc["total"] == 3 and doc["summary"]["right"]["n"] == 3
    experiment = backend.get_experiment(doc["experiment"]["id"])
    v1 = backend.resolve_dataset_version(dataset.id, tag="v1")
    assert experiment.metadata["dataset_version"] == v1.as_of.isoformat()
    assert experiment.metadata["dataset_splits"] == ["train"]
    assert experiment.metadata["evaltui_selection"] == {"as_of": v1.as_of.isoformat(), "splits": ["train"]}
    results = backend.list_results(experiment.id)
    assert sorted(r.example_id for r in results) == sorted(train_v1)  # the deleted one ran too
    from tui.backend.runs.rerun import planned_examples
    assert [e.id for e in planned_examples(backend, experiment)] == train_v1  # what a resume completes

    latest = json.loads(run_cli(*argv, "--split", "train").out)
    assert latest["total"] == 4
    wrong = run_cli(*argv, "--as-of", "nope")
    assert wrong.code == 1 and "nope" in wrong.err
    empty = run_cli(*argv, "--split", "nowhere")
    assert empty.code != 0 and "no examples to run in split nowhere" in empty.err, empty.text


def test_ctrl_c_in_a_real_process_leaves_nothing_half_made(evaltui_home, tmp_path):
    """`evaltui dataset import` in its own process, SIGINT once the import has begun writing."""
    import os
    import signal
    import subprocess
    import sys

    rows = ({"inputs": {"q": i}, "outputs": {"a": i}} for i in range(100_000))
    write_jsonl(tmp_path / "big.jsonl", rows)
    env = {**os.environ, "EVALTUI_HOME": str(evaltui_home)}
    proc = subprocess.Popen([sys.executable, "-m", "tui", "dataset", "import", str(tmp_path / "big.jsonl"),
                             "--dataset", "Interrupted", "--create"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # a plain line per phase when stderr is not a terminal
        if line.startswith("importing"):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Import cancelled; the dataset 'Interrupted' it created was deleted." in err
    assert "Traceback" not in err
    assert "Interrupted" not in run_cli("datasets").out
