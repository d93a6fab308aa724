"""The app pairs a local function with the rule uploaded from it, whatever the rule is called
(issue 11): the README's `trajectory_evaluator` uploaded as "Trajectory Match"."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select

from tests.functional.conftest import local_backend, select_local, select_rule, settle
from tests.functional.conftest import wait_until as _until
from tui.backend.source.rule_origin import origin_of
from tui.modals.replace_modal import ReplaceModal
from tui.modals.test_modal import TestModal
from tui.modals.upload_modal import UploadModal
from tui.screens.main_screen import MainScreen

SIZE = (120, 36)


def _sync(app) -> dict[str, str]:
    return {f.name: f.sync for f in app.screen.evaluators.local_functions}


def _shown_sync(app, name: str) -> str:
    """The State cell the person sees in the local-functions table."""
    table = app.screen.query_one("#local-table", DataTable)
    row = next(table.get_row(k) for k in table.rows if k.value.endswith(f"::{name}"))
    return row[2].plain


MINE = "Trajectories (mine)"  # listed after the seed's "Skills: Trajectory", which also fits


async def test_upload_under_another_name_then_sync_replace_and_test_follow_the_origin(evaltui_home):
    from tui.app import EvalTuiApp
    from tui.backend.core.config import Settings

    backend = local_backend(evaltui_home)  # seeds the workspace and its sample evaluators
    backend.add_dataset(MINE, [{"inputs": {"q": "a"}, "outputs": {"expected_trajectory": ["search"]}},
                               {"inputs": {"q": "b"}, "outputs": {"expected_trajectory": ["lookup"]}}])
    backend.close()
    path = evaltui_home / "evaluators" / "skills_evaluators.py"
    local_app = EvalTuiApp(Settings.from_env(backend="local"))
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert _sync(local_app)["trajectory_evaluator"] == "not uploaded"
        select_local(local_app, "trajectory_evaluator")
        await pilot.press("u")
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, UploadModal)
        assert modal.query_one("#upload-preview").text.startswith(f"# evaltui origin: {path.resolve()}:")
        assert local_app.focused is modal.query_one("#upload-name", Input)
        await pilot.press("ctrl+u", *"Trajectory Match")
        modal.query_one("#upload-target", Select).value = f"dataset\t{MINE}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)

        backend = local_backend(evaltui_home)
        try:
            (rule,) = backend.list_rules("Trajectory Match")
        finally:
            backend.close()
        assert origin_of(rule).function == "trajectory_evaluator" and rule.dataset_name == MINE
        assert _sync(local_app)["trajectory_evaluator"] == "in sync"
        assert _shown_sync(local_app, "trajectory_evaluator") == "in sync"

        path.write_text(path.read_text().replace("# Exact sequence match", "# Exact match, in order"))
        await _until(pilot, lambda: _sync(local_app)["trajectory_evaluator"] == "changed",
                     what="the edit seen as changed")
        await settle(pilot, 1)
        assert _shown_sync(local_app, "trajectory_evaluator") == "changed"

        select_local(local_app, "trajectory_evaluator")
        await pilot.press("U")
        await settle(pilot)
        replace = local_app.screen
        assert isinstance(replace, ReplaceModal)
        assert replace.rule_name == "Trajectory Match"
        assert "+    # Exact match, in order" in replace.diff
        await pilot.click("#confirm")
        await settle(pilot)
        assert _sync(local_app)["trajectory_evaluator"] == "in sync"

        # t on the function tests it on the dataset its rule scores (not the first one that fits).
        assert local_app.screen.datasets.current.name == "Skills: Final Response"
        select_local(local_app, "trajectory_evaluator")
        await pilot.press("t")
        await settle(pilot)
        test = local_app.screen
        assert isinstance(test, TestModal)
        assert test.dataset == MINE
        await pilot.press("escape")
        await settle(pilot)

        # From the rule's row, U finds the function it was uploaded from.
        select_rule(local_app, "Trajectory Match")
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(local_app.screen, ReplaceModal)
        assert local_app.screen.rule_name == "Trajectory Match"
        assert "identical" in local_app.screen.diff
