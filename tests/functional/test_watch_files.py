"""The evaluators folder is watched: a new, edited or deleted file shows in the list and the Source
pane within about a second, with its sync state recomputed (issue 11)."""

from __future__ import annotations

from tests.functional.conftest import select_local, settle
from tests.functional.conftest import wait_until as _until

NEW = "def brand_new(run, example):\n    return {'brand_new': 1}\n"
EDITED = "def brand_new(run, example):\n    # edited\n    return {'brand_new': 0}\n"


def _names(app) -> set[str]:
    return {f.name for f in app.screen.evaluators.local_functions}


async def test_new_edited_and_deleted_files_show_without_a_refresh(local_app, evaltui_home):
    folder = evaltui_home / "evaluators"
    async with local_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "brand_new" not in _names(local_app)
        await pilot.pause(0.3)  # the watcher is running

        (folder / "fresh.py").write_text(NEW, encoding="utf-8")
        appeared = await _until(pilot, lambda: "brand_new" in _names(local_app), what="the new file listed")
        assert appeared < 2.0
        select_local(local_app, "brand_new")
        await settle(pilot, 1)
        assert "return {'brand_new': 1}" in local_app.screen.source.text

        (folder / "fresh.py").write_text(EDITED, encoding="utf-8")
        await _until(pilot, lambda: "# edited" in local_app.screen.source.text, what="the edit in Source")

        (folder / "broken.py").write_text("def oops(:\n", encoding="utf-8")
        await _until(pilot, lambda: any("broken.py" in n.message for n in local_app._notifications),
                     what="the syntax error reported")
        assert "brand_new" in _names(local_app)  # the rest of the folder is still listed

        (folder / "fresh.py").unlink()
        await _until(pilot, lambda: "brand_new" not in _names(local_app), what="the deleted file gone")


async def test_n_creates_an_evaluator_from_a_template_and_selects_it(local_app, evaltui_home):
    from textual.widgets import Input, Select, Static

    from tui.modals.new_evaluator_modal import NewEvaluatorModal

    async with local_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        modal = local_app.screen
        assert isinstance(modal, NewEvaluatorModal)
        await pilot.press(*"skills evaluators")  # a space: not a name
        await pilot.press("enter")
        await pilot.pause()
        assert local_app.screen is modal
        assert "not a Python function name" in str(modal.query_one("#new-error", Static).render())
        modal.query_one("#new-name", Input).value = "skills_evaluators"  # that file exists
        await pilot.press("enter")
        await pilot.pause()
        assert "already exists" in str(modal.query_one("#new-error", Static).render())
        modal.query_one("#new-name", Input).value = "polite_judge"
        modal.query_one("#new-template", Select).value = "judge"
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: "polite_judge" in _names(local_app), what="the new function listed")
        await settle(pilot, 1)
        path = evaltui_home / "evaluators" / "polite_judge.py"
        assert path.exists() and "with_structured_output" in path.read_text()
        main = local_app.screen
        assert main.selected is not None and main.selected.name == "polite_judge"
        assert "async def polite_judge(run: dict, example: dict)" in main.source.text
        kinds = {f.name: f.kind for f in main.evaluators.local_functions}
        assert kinds["polite_judge"] == "async judge"
