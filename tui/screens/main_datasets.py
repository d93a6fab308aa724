"""The main screen's dataset actions: the keys of the datasets pane (new, import, export, delete) and
of the examples pane (add, edit, delete an example).

A mixin of `MainScreen`. The forms write through the backend themselves (in thread workers) and
close with what they did; this mixin says so in one notification and reloads the lists. Adding
and editing an example goes through the user's editor: `edit_example_text` writes the example as
JSON to a temporary file, opens `$VISUAL` / `$EDITOR` on it under `App.suspend()` and reads it back;
`example_text_returned` reads the text and writes the example, or (text that is not an example)
says what is wrong with its line and offers to open the same text again. Nothing is written until
the text reads back whole.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from textual import work

from tui.backend.core.errors import EvaltuiError
from tui.backend.core.models import Dataset, Example, NewExample
from tui.screens.main_messages import DatasetsChanged
from tui.screens.worker_failures import reports_failure


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class DatasetActions:
    """Keys n, i, x, d of the datasets pane and a, e, d of the examples pane."""

    # -- the datasets pane -------------------------------------------------------------
    def _highlighted_dataset(self, verb: str) -> Dataset | None:
        dataset = self.datasets.current
        if dataset is None:
            self.notify(f"Highlight a dataset to {verb} (datasets pane, key 2).", severity="warning")
        return dataset

    def dataset_new(self) -> None:
        if not self._require_backend():
            return
        from tui.modals.new_dataset_modal import NewDatasetModal

        def created(dataset: Dataset | None) -> None:
            if dataset is not None:
                self.notify(f"Created dataset {dataset.name!r}; i imports examples into it.", title="Datasets")
                self.post_message(DatasetsChanged(dataset.name))

        self.app.push_screen(NewDatasetModal([d.name for d in self.datasets.datasets]), created)

    def dataset_import(self) -> None:
        if not self._require_backend():
            return
        from tui.modals.import_dataset_modal import ImportDatasetModal

        current = self.datasets.current

        def imported(report: Any) -> None:
            if report is None:
                return
            made = " (new dataset)" if report.created_dataset else ""
            self.notify(f"Imported {_plural(report.added, 'example')} into {report.dataset.name!r}{made}: "
                        f"{_plural(report.dataset.example_count, 'example')} now.", title="Import")
            self.post_message(DatasetsChanged(report.dataset.name))

        names = [d.name for d in self.datasets.datasets]
        self.app.push_screen(ImportDatasetModal(names, current.name if current else None), imported)

    def dataset_export(self) -> None:
        if not self._require_backend():
            return
        dataset = self._highlighted_dataset("export")
        if dataset is None:
            return
        self._open_export(dataset)

    @work(thread=True, exclusive=True, group="dataset-versions", exit_on_error=False)
    def _open_export(self, dataset: Dataset) -> None:
        """The form offers the dataset's tags; a listing that fails only leaves them out."""
        versions: list[str] = []
        with contextlib.suppress(Exception):
            for version in self.backend.list_dataset_versions(dataset.id):
                versions.extend(t for t in version.tags if t != "latest" and t not in versions)
        self.app.call_from_thread(self._push_export, dataset, versions)

    def _push_export(self, dataset: Dataset, versions: list[str]) -> None:
        from tui.modals.export_dataset_modal import ExportDatasetModal

        def exported(report: Any) -> None:
            if report is not None:
                self.notify(f"Exported {_plural(report.count, 'example')} of {report.dataset.name!r} "
                            f"(version {report.version.as_of.isoformat(timespec='seconds')}) to {report.path}",
                            title="Export", timeout=10, markup=False)

        self.app.push_screen(ExportDatasetModal(dataset, self.app.settings.home / "exports", versions), exported)

    def dataset_delete(self) -> None:
        if not self._require_backend():
            return
        dataset = self._highlighted_dataset("delete")
        if dataset is not None:
            self._count_for_delete(dataset)

    @work(thread=True, exclusive=True, group="dataset-delete", exit_on_error=False)
    def _count_for_delete(self, dataset: Dataset) -> None:
        counted = self._what_goes(dataset)
        if counted is not None:
            self.app.call_from_thread(self._ask_delete, *counted)

    @reports_failure("Could not delete the dataset")
    def _what_goes(self, dataset: Dataset) -> tuple[Dataset, int, list] | None:
        backend = self.backend
        return dataset, backend.count_examples(dataset.id), backend.list_experiments(dataset.id)

    def _ask_delete(self, dataset: Dataset, examples: int, experiments: list) -> None:
        from tui.modals.dataset_confirm_modals import DeleteDatasetModal

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete_dataset(dataset)
            else:
                self.notify(f"Nothing deleted; {dataset.name!r} is kept.")

        self.app.push_screen(DeleteDatasetModal(dataset, examples, experiments), answered)

    @work(thread=True, exclusive=True, group="dataset-delete", exit_on_error=False)
    def _delete_dataset(self, dataset: Dataset) -> None:
        if self._delete(dataset):
            self.app.call_from_thread(self._dataset_deleted, dataset)

    @reports_failure("Could not delete the dataset")
    def _delete(self, dataset: Dataset) -> bool:
        self.backend.delete_dataset(dataset.id)
        return True

    def _dataset_deleted(self, dataset: Dataset) -> None:
        self.notify(f"Deleted dataset {dataset.name!r} with its examples and experiments.", title="Datasets")
        if self.examples.dataset is not None and self.examples.dataset.id == dataset.id:
            self.examples.clear()
        self.post_message(DatasetsChanged(None))

    def on_datasets_changed(self, event: DatasetsChanged) -> None:
        """Reload the datasets list (then highlight `event.name`) and the examples shown."""
        self.datasets.highlight_after_load(event.name)
        self.datasets.show_loading(True)
        self.load_datasets()

    # -- the examples pane ---------------------------------------------------------------
    def example_add(self) -> None:
        if not self._require_backend():
            return
        dataset = self.examples.dataset
        if dataset is None:
            self.notify("Choose a dataset first (datasets pane, key 2): the example is added to it.",
                        severity="warning")
            return
        from tui.backend.datasets.example_json import BLANK, to_text

        self.edit_example_text(dataset, None, to_text(BLANK))

    def example_edit(self) -> None:
        if not self._require_backend():
            return
        found = self.examples.current
        if found is None:
            self.notify("Highlight an example to edit (examples pane, key 4).", severity="warning")
            return
        from tui.backend.datasets.example_json import example_dict, to_text

        self.edit_example_text(self.examples.dataset, found[0], to_text(example_dict(found[0])))

    def example_delete(self) -> None:
        if not self._require_backend():
            return
        found = self.examples.current
        if found is None or self.examples.dataset is None:
            self.notify("Highlight an example to delete (examples pane, key 4).", severity="warning")
            return
        from tui.modals.dataset_confirm_modals import DeleteExampleModal

        example, index = found
        dataset = self.examples.dataset

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete_example(dataset, example, index)
            else:
                self.notify("Nothing deleted.")

        self.app.push_screen(DeleteExampleModal(dataset, example, index), answered)

    @work(thread=True, exclusive=True, group="example-write", exit_on_error=False)
    def _delete_example(self, dataset: Dataset, example: Example, index: int) -> None:
        if self._delete_examples(dataset, example):
            self.app.call_from_thread(self._examples_written, dataset, f"Deleted example #{index + 1} of "
                                                                       f"{dataset.name!r}.")

    @reports_failure("Could not delete the example")
    def _delete_examples(self, dataset: Dataset, example: Example) -> bool:
        self.backend.delete_examples(dataset.id, [example.id])
        return True

    def edit_example_text(self, dataset: Dataset, example: Example | None, text: str) -> None:
        """Open `text` in the user's editor (the app suspended); then `example_text_returned`."""
        fd, name = tempfile.mkstemp(prefix="evaltui-example-", suffix=".json")
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            ran, problem = self.run_in_editor(  # EditorActions, beside this mixin in MainScreen
                path, None, "This terminal cannot be handed over to an editor; nothing was changed.")
            if not ran:
                return
            if problem is not None and "exited with status" not in problem:
                self.notify(problem, title="Editor", severity="warning", timeout=10)
                return
            edited = path.read_text(encoding="utf-8", errors="replace")
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
        self.example_text_returned(dataset, example, edited, original=text)

    def example_text_returned(self, dataset: Dataset, example: Example | None, text: str,
                              original: str | None = None) -> None:
        """The edited text back from the editor: write it, or say what is wrong and offer to reopen."""
        from tui.backend.datasets.example_json import parse_example

        if original is not None and text == original:
            self.notify("The example was not changed; nothing was written.", timeout=4)
            return
        try:
            parsed = parse_example(text)
        except EvaltuiError as err:
            from tui.modals.dataset_confirm_modals import ReopenExampleModal

            def answered(again: bool | None) -> None:
                if again:
                    self.edit_example_text(dataset, example, text)
                else:
                    self.notify("The edit was dropped; nothing was written.")

            self.app.push_screen(ReopenExampleModal(str(err)), answered)
            return
        self._write_example(dataset, example, parsed)

    @work(thread=True, exclusive=True, group="example-write", exit_on_error=False)
    def _write_example(self, dataset: Dataset, example: Example | None, parsed: NewExample) -> None:
        done = self._save_example(dataset, example, parsed)
        if done is not None:
            self.app.call_from_thread(self._examples_written, dataset, done)

    @reports_failure("Could not save the example")
    def _save_example(self, dataset: Dataset, example: Example | None, parsed: NewExample) -> str | None:
        if example is None:
            self.backend.create_examples(dataset.id, [parsed])
            return f"Added an example to {dataset.name!r}."
        self.backend.update_example(example.id, parsed)
        return f"Saved the example of {dataset.name!r}."

    def _examples_written(self, dataset: Dataset, message: str) -> None:
        self.notify(message, title="Examples")
        self.post_message(DatasetsChanged(dataset.name))
        self.examples.start(dataset)  # the pane shows the dataset as it is now
        self.load_examples(dataset.id, 0)
