"""Key `a` of the results grid: rows of the shown experiment kept as examples of a dataset.

The form (`AddToDatasetModal`) asks which rows (the highlighted one, or every failing one), which
dataset (existing or new) and shows the examples as editable JSON; it writes them itself. Then one
notification names the dataset and how many were added, and the main screen reloads its datasets.
"""

from __future__ import annotations

from typing import Any

from tui.backend.core.errors import describe_error
from tui.screens.main_messages import DatasetsChanged


def add_rows_to_dataset(pane: Any) -> None:
    """`pane` is the `RunnerPane` (its grid, stats and backend)."""
    if pane.running:
        pane.notify("Wait for the run to finish (or cancel it) before you add its rows to a dataset.",
                    severity="warning")
        return
    grid = pane.grid
    highlighted = grid.highlighted()
    failing = grid.failing_results()
    if highlighted is None and not failing:
        pane.notify("No rows to add: run an experiment (ctrl+r) or open one (ctrl+o) first.", severity="warning")
        return
    backend = pane._backend()
    if backend is None:
        return
    name = pane.stats.name or "this experiment"

    def listed() -> None:
        try:
            datasets = list(backend.list_datasets())
        except Exception as err:  # noqa: BLE001 - a sentence, never a traceback
            pane.app.call_from_thread(pane.notify, describe_error(err), title="Could not list datasets",
                                      severity="error")
            return
        pane.app.call_from_thread(_ask, pane, name, highlighted, failing, datasets)

    pane.run_worker(listed, thread=True, group="add-to-dataset", exit_on_error=False)


def _ask(pane: Any, experiment: str, highlighted: Any, failing: list, datasets: list) -> None:
    from tui.modals.add_to_dataset_modal import AddToDatasetModal

    row, number = highlighted if highlighted is not None else (None, None)

    def added(outcome: Any) -> None:
        if outcome is None:
            return
        dataset, count, created = outcome
        made = " (new dataset)" if created else ""
        pane.notify(f"Added {count} example{'s' if count != 1 else ''} to {dataset.name!r}{made}: "
                    f"{dataset.example_count:,} examples now.", title="Add to dataset")
        pane.post_message(DatasetsChanged(dataset.name))

    pane.app.push_screen(AddToDatasetModal(experiment, row, failing, datasets, row_number=number), added)
