"""Datasets in the app (#17): the datasets pane's new / import / export / delete, the examples pane's
add / edit / delete (the editor round trip in its pieces: Pilot cannot suspend), and `a` in the
results grid keeping rows of a run as examples. All on the real local workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from textual.widgets import Input, Select, Static, TextArea

from tests.functional.conftest import local_backend, settle, wait_until
from tui.backend.datasets.example_json import example_dict, parse_example, to_text
from tui.backend.source.editor_command import editor_command
from tui.modals.add_to_dataset_modal import AddToDatasetModal
from tui.modals.dataset_confirm_modals import DeleteDatasetModal, DeleteExampleModal, ReopenExampleModal
from tui.modals.export_dataset_modal import ExportDatasetModal
from tui.modals.import_dataset_modal import ImportDatasetModal
from tui.modals.new_dataset_modal import NewDatasetModal
from tui.screens.main_editor import run_editor
from tui.screens.main_screen import MainScreen
from tui.widgets.path_input import PathInput, complete_path
from tui.widgets.results_view import has_failure

SIZE = (120, 36)
FINAL_RESPONSE = "Skills: Final Response"
LINES = [
    {"inputs": {"question": "2+2?"}, "outputs": {"answer": "4"}, "metadata": {"level": "easy"}, "split": ["train"]},
    {"inputs": {"question": "capital of France?"}, "outputs": {"answer": "Paris"}, "metadata": {}, "split": []},
    {"inputs": {"question": "héllo?"}, "outputs": {"answer": "wörld"}, "metadata": {}, "split": ["test"]},
]


def _notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _dataset_rows(app) -> dict[str, str]:
    """Dataset name -> example count as the pane shows them."""
    table = app.main_screen.datasets.query_one("#datasets-table")
    rows = {}
    for key in table.rows:
        name, count, *_ = table.get_row(key)
        rows[str(getattr(name, "full", name))] = str(count)
    return rows


def _names(app) -> list[str]:
    return [d.name for d in app.main_screen.datasets.datasets]


async def _highlight_dataset(pilot, app, name: str) -> None:
    await pilot.press("2")
    pane = app.main_screen.datasets
    table = pane.query_one("#datasets-table")
    dataset = next(d for d in pane.datasets if d.name == name)
    table.move_cursor(row=table.get_row_index(dataset.id))
    await settle(pilot)


async def _type(pilot, text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])


async def test_create_import_export_a_dataset_from_the_pane(local_app, evaltui_home: Path, tmp_path: Path):
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in LINES), encoding="utf-8")
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "n")
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, NewDatasetModal)
        await pilot.press("ctrl+s")  # no name: one line in the form
        await settle(pilot)
        assert _text(modal, "#dataset-new-error") == "✖ Give the dataset a name."
        await _type(pilot, FINAL_RESPONSE)  # a taken name: the form stays, with what was typed
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert local_app.screen is modal
        assert "exists already" in _text(modal, "#dataset-new-error")
        assert modal.query_one("#dataset-new-name", Input).value == FINAL_RESPONSE
        modal.query_one("#dataset-new-name", Input).value = "regressions"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)
        assert "Created dataset 'regressions'" in _notes(local_app)[-1]
        assert _dataset_rows(local_app)["regressions"] == "0"
        assert local_app.main_screen.datasets.current.name == "regressions"  # the new one is highlighted

        await pilot.press("i")
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, ImportDatasetModal)
        assert modal.query_one("#import-dataset", Input).value == "regressions"  # the highlighted one
        modal.query_one("#import-path", PathInput).value = str(source)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(local_app.screen, MainScreen), "the import form closing")
        await settle(pilot)
        assert _notes(local_app)[-1] == "Imported 3 examples into 'regressions': 3 examples now."
        assert _dataset_rows(local_app)["regressions"] == "3"
        await wait_until(pilot, lambda: local_app.main_screen.examples.loaded == 3, "the examples shown")
        assert local_app.main_screen.examples.border_title == "Examples · regressions (3)"

        await pilot.press("x")
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, ExportDatasetModal)
        default = evaltui_home / "exports" / "regressions.jsonl"
        assert modal.query_one("#export-path", PathInput).value == str(default)
        modal.query_one("#export-format", Select).value = "csv"  # the default path follows the format
        await pilot.pause()
        assert modal.query_one("#export-path", PathInput).value == str(default.with_suffix(".csv"))
        modal.query_one("#export-format", Select).value = "jsonl"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(local_app.screen, MainScreen), "the export form closing")
        assert _notes(local_app)[-1].startswith("Exported 3 examples of 'regressions' (version ")
        assert _notes(local_app)[-1].endswith(f"to {default}")
        written = [json.loads(line) for line in default.read_text(encoding="utf-8").splitlines()]
        # An example in no split is in LangSmith's default one, "base".
        assert written == [{**line, "split": line["split"] or ["base"]} for line in LINES]


async def test_a_file_with_bad_lines_is_shown_in_full_and_nothing_is_written(local_app, tmp_path: Path):
    source = tmp_path / "bad.jsonl"
    source.write_text('{"inputs": {"q": 1}}\n{"inputs": [1]}\nnot json\n', encoding="utf-8")
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _highlight_dataset(pilot, local_app, FINAL_RESPONSE)
        before = _dataset_rows(local_app)[FINAL_RESPONSE]
        await pilot.press("i")
        await settle(pilot)
        modal = local_app.screen
        modal.query_one("#import-path", PathInput).value = str(source)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "bad line" in _text(modal, "#import-error"), "the bad lines named")
        error = _text(modal, "#import-error")
        assert "2 bad lines, nothing was imported" in error
        assert 'line 2: "inputs" must be an object' in error and "line 3: not JSON" in error
        assert local_app.screen is modal and modal.query_one("#import-path", PathInput).value == str(source)

        modal.query_one("#import-dataset", Input).value = "brand new"  # missing, and create not ticked
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "There is no dataset 'brand new'" in _text(modal, "#import-error")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)
        assert _dataset_rows(local_app)[FINAL_RESPONSE] == before and "brand new" not in _names(local_app)


async def test_escape_during_an_import_cancels_it_and_undoes_it(local_app, tmp_path: Path):
    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps({"inputs": {"n": n}, "outputs": {"n": n}}) + "\n"
                              for n in range(40_000)), encoding="utf-8")
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "i")
        await settle(pilot)
        modal = local_app.screen
        modal.query_one("#import-path", PathInput).value = str(source)
        modal.query_one("#import-dataset", Input).value = "cancelled import"
        modal.query_one("#import-create").value = True
        # ctrl+s then escape in one tick, so escape surely comes while the import runs (pressed as keys,
        # a fast machine finishes 40,000 rows between the two)
        modal.action_submit()
        modal.action_cancel()
        await wait_until(pilot, lambda: "cancelled" in _text(modal, "#import-error"), "the cancel reported")
        assert "Import cancelled; the dataset 'cancelled import' it created was deleted." in _text(
            modal, "#import-error")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)
    backend = local_backend(local_app.settings.home)
    try:
        assert "cancelled import" not in [d.name for d in backend.list_datasets()]
    finally:
        backend.close()


async def test_delete_a_dataset_asks_naming_what_goes_cancel_keeps_it(local_app, evaltui_home: Path):
    backend = local_backend(evaltui_home)
    try:
        experiment = backend.create_experiment("a past run", backend.get_dataset(FINAL_RESPONSE).id)
    finally:
        backend.close()
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _highlight_dataset(pilot, local_app, FINAL_RESPONSE)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(local_app.screen, DeleteDatasetModal), "the question")
        modal = local_app.screen
        assert modal.question == (f"Delete dataset {FINAL_RESPONSE!r}? Its 24 examples, its versions and the "
                                  f"1 experiment run on it ({experiment.name}) are deleted with it.")
        assert modal.focused.id == "cancel"
        await pilot.press("enter")  # the default: cancel
        await settle(pilot)
        assert FINAL_RESPONSE in _names(local_app)
        assert _notes(local_app)[-1] == f"Nothing deleted; {FINAL_RESPONSE!r} is kept."

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(local_app.screen, DeleteDatasetModal), "the question")
        await pilot.press("y")
        await settle(pilot)
        assert FINAL_RESPONSE not in _names(local_app)
        assert _notes(local_app)[-1] == f"Deleted dataset {FINAL_RESPONSE!r} with its examples and experiments."
    backend = local_backend(evaltui_home)
    try:
        assert FINAL_RESPONSE not in [d.name for d in backend.list_datasets()]
        assert all(e.id != experiment.id for e in backend.list_experiments())
    finally:
        backend.close()


async def test_add_rows_of_a_demo_run_to_a_dataset(local_app, evaltui_home: Path):
    from tui.backend.runs.runner import RunOptions
    from tui.widgets.runner_pane import RunnerPane

    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = local_app.screen.query_one(RunnerPane)
        await pilot.press("5")
        pane.start(RunOptions(dataset=FINAL_RESPONSE, target="demo", evaluators=["evaluators:exact_match_evaluator"]))
        await wait_until(pilot, lambda: pane.stats.status == "done", "the run finishing", timeout=60)
        await settle(pilot)
        pane.grid.focus()
        pane.grid.move_cursor(row=1)
        row, number = pane.grid.highlighted()
        failing = pane.grid.failing_results()
        assert failing == [r for r in pane.grid._results.values() if has_failure(r)]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(local_app.screen, AddToDatasetModal), "the add form")
        modal = local_app.screen
        body = json.loads(modal.query_one("#add-body", TextArea).text)
        assert body == [{"inputs": row.inputs, "outputs": row.outputs,
                         "metadata": {"source_experiment": pane.stats.name, "source_example_id": row.example_id}}]
        await _type(pilot, "kept rows")
        await settle(pilot)
        assert _text(modal, "#add-target") == "'kept rows' does not exist yet: it will be created."
        edited = [{**body[0], "outputs": {"answer": "the corrected reference"}}]
        modal.query_one("#add-body", TextArea).text = json.dumps(edited)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(local_app.screen, MainScreen), "the add form closing")
        assert _notes(local_app)[-1] == "Added 1 example to 'kept rows' (new dataset): 1 examples now."
        await settle(pilot)
        assert _dataset_rows(local_app)["kept rows"] == "1"

        if failing:  # every failing row, into the dataset just made
            pane.grid.focus()
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(local_app.screen, AddToDatasetModal), "the add form")
            modal = local_app.screen
            modal.query_one("#add-rows", Select).value = "failing"
            await pilot.pause()
            assert len(json.loads(modal.query_one("#add-body", TextArea).text)) == len(failing)
            await _type(pilot, "kept rows")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(local_app.screen, MainScreen), "the add form closing")
            assert _notes(local_app)[-1].startswith(f"Added {len(failing)} example")
    backend = local_backend(evaltui_home)
    try:
        kept = list(backend.list_examples(backend.get_dataset("kept rows").id))
        assert kept[0].inputs == row.inputs and kept[0].outputs == {"answer": "the corrected reference"}
        assert kept[0].metadata["source_example_id"] == row.example_id
        assert [e.metadata["source_example_id"] for e in kept[1:]] == [r.example_id for r in failing]
        assert [e.outputs for e in kept[1:]] == [r.outputs for r in failing]
    finally:
        backend.close()


def _editor_script(tmp_path: Path, new_text: str) -> dict[str, str]:
    """An editor (a real program) that replaces the file's text with `new_text`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "fake-editor"
    script.write_text(f"#!{sys.executable}\nimport sys\nopen(sys.argv[-1], 'w').write({new_text!r})\n",
                      encoding="utf-8")
    script.chmod(0o755)
    return {"EDITOR": str(script), "PATH": str(bin_dir)}


async def test_edit_an_example_through_the_editor_pieces(local_app, evaltui_home: Path, tmp_path: Path):
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _highlight_dataset(pilot, local_app, FINAL_RESPONSE)
        main = local_app.main_screen
        await wait_until(pilot, lambda: main.examples.loaded == 24, "the examples shown")
        await pilot.press("4", "down")
        await settle(pilot)
        example, index = main.examples.current
        assert index == 1

        # The round trip `e` makes, without the suspend: the example as JSON in a file, the editor, read back.
        text = to_text(example_dict(example))
        edited_value = {**json.loads(text), "outputs": {"answer": "edited"}, "split": ["regression"]}
        path = tmp_path / "example.json"
        path.write_text(text, encoding="utf-8")
        assert run_editor(editor_command(path, None, _editor_script(tmp_path, json.dumps(edited_value)))) is None
        returned = path.read_text(encoding="utf-8")
        assert parse_example(returned).outputs == {"answer": "edited"}

        # Text that is not an example: its line, nothing written, an offer to edit it again.
        broken = '{\n  "inputs": {"q": 1},\n  "outputs": {"a": 2}\n  "metadata": {}\n}\n'
        main.example_text_returned(main.examples.dataset, example, broken, original=text)
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, ReopenExampleModal)
        assert modal.problem == "line 4, column 3: not valid JSON (Expecting ',' delimiter)."
        assert modal.focused.id == "cancel"
        await pilot.press("escape")
        await settle(pilot)
        assert _notes(local_app)[-1] == "The edit was dropped; nothing was written."

        main.example_text_returned(main.examples.dataset, example, returned, original=text)
        await settle(pilot)
        assert _notes(local_app)[-1] == f"Saved the example of {FINAL_RESPONSE!r}."
        await wait_until(pilot, lambda: main.examples.loaded == 24, "the examples shown again")

        # `e` itself: Pilot's driver cannot hand the terminal over, and says so.
        await pilot.press("4")
        await pilot.press("e")
        await settle(pilot)
        assert _notes(local_app)[-1] == "This terminal cannot be handed over to an editor; nothing was changed." \
            or "Neither $VISUAL nor $EDITOR" in _notes(local_app)[-1]

        # Add, then delete (asked first, naming it; cancel is the default).
        main.example_text_returned(main.examples.dataset, None, '{"inputs": {"q": "new one"}, "outputs": {}}')
        await settle(pilot)
        assert _notes(local_app)[-1] == f"Added an example to {FINAL_RESPONSE!r}."
        await wait_until(pilot, lambda: main.examples.total == 25, "the new example listed")
        await pilot.press("4")
        table = main.examples.query_one("#examples-table")
        table.move_cursor(row=table.row_count - 1)
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, DeleteExampleModal)
        assert modal.question.startswith(f"Delete example #25 of {FINAL_RESPONSE!r} (inputs {{\"q\": \"new one\"}})?")
        await pilot.press("y")
        await settle(pilot)
        assert _notes(local_app)[-1] == f"Deleted example #25 of {FINAL_RESPONSE!r}."
        await wait_until(pilot, lambda: main.examples.total == 24, "the example gone")
    backend = local_backend(evaltui_home)
    try:
        dataset = backend.get_dataset(FINAL_RESPONSE)
        stored = list(backend.list_examples(dataset.id))
        assert len(stored) == 24
        changed = next(e for e in stored if e.id == example.id)
        assert changed.outputs == {"answer": "edited"} and changed.splits == ("regression",)
        assert changed.inputs == example.inputs
    finally:
        backend.close()


def test_path_completion_goes_into_folders_and_skips_hidden_files(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cases.jsonl").write_text("")
    (tmp_path / "data" / ".hidden.jsonl").write_text("")
    (tmp_path / "dance.csv").write_text("")
    assert complete_path("da", tmp_path) == "data/"  # folders first
    assert complete_path("data/", tmp_path) == "data/cases.jsonl"
    assert complete_path("data/.h", tmp_path) == "data/.hidden.jsonl"
    assert complete_path("dan", tmp_path) == "dance.csv"
    assert complete_path("zzz", tmp_path) is None and complete_path("", tmp_path) is None
    assert complete_path(str(tmp_path / "data" / "ca")) == str(tmp_path / "data" / "cases.jsonl")
