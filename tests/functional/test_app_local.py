"""Pilot tests of every flow on the embedded workspace, with the backend state checked after each."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from tests.functional.conftest import local_backend, select_local, select_rule, settle
from tui.backend.core.models import RuleSpec
from tui.backend.source.bundle import bundle_for_upload
from tui.backend.source.rule_origin import origin_for, with_origin
from tui.modals.confirm_delete_modal import ConfirmDeleteModal
from tui.modals.example_modal import ExampleModal
from tui.modals.replace_modal import ReplaceModal
from tui.modals.test_modal import TestModal
from tui.modals.upload_modal import UploadModal
from tui.screens.help_screen import HelpScreen
from tui.screens.main_screen import MainScreen
from tui.widgets.runner_pane import RunnerPane

SIZE = (120, 36)


def _seed_rule(home, name: str, code: str = "def perform_eval(run, example):\n    return {'score': 0}\n"):
    backend = local_backend(home)
    try:
        ds = backend.get_dataset("Skills: Final Response")
        return backend.create_rule(RuleSpec(name=name, code=code, dataset_id=ds.id))
    finally:
        backend.close()


def _rules(home, name=None):
    backend = local_backend(home)
    try:
        return backend.list_rules(name)
    finally:
        backend.close()


async def test_opens_with_panes_and_status(local_app, evaltui_home):
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = local_app.screen
        assert isinstance(screen, MainScreen)
        names = [f.name for f in screen.evaluators.local_functions]
        assert "exact_match_evaluator" in names and "accuracy_evaluator" in names
        kinds = {f.name: f.kind for f in screen.evaluators.local_functions}
        assert kinds["accuracy_evaluator"] == "async judge"
        assert [d.name for d in screen.datasets.datasets][:1] == ["Skills: Final Response"]
        status = str(screen.status.render())
        assert str(evaltui_home) in status and "connected" in status
        assert screen.query_one("#runner-pane").query_one(RunnerPane)
        assert screen.examples.loaded > 0  # the first dataset's examples are shown
        assert "def " in screen.source.text  # the first function's source is shown


async def _open_upload(pilot, app, function: str):
    """The upload form of `function`, once the app has settled."""
    await settle(pilot)
    select_local(app, function)
    await pilot.press("u")
    await settle(pilot)
    return app.screen


async def test_upload_confirm_creates_rule(local_app, evaltui_home):
    async with local_app.run_test(size=SIZE) as pilot:
        modal = await _open_upload(pilot, local_app, "exact_match_evaluator")
        assert isinstance(modal, UploadModal)
        assert modal.query_one("#upload-name", Input).value == "exact_match_evaluator"
        assert "def perform_eval" in modal.query_one("#upload-preview").text
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)
        rules = _rules(evaltui_home, "exact_match_evaluator")
        assert len(rules) == 1 and rules[0].dataset_name == "Skills: Final Response"
        path = evaltui_home / "evaluators" / "skills_evaluators.py"
        assert rules[0].code == with_origin(bundle_for_upload(path, "exact_match_evaluator").code,
                                            origin_for(path, "exact_match_evaluator"))
        state = {f.name: f.sync for f in local_app.screen.evaluators.local_functions}
        assert state["exact_match_evaluator"] == "in sync"


async def test_upload_decline_and_invalid_rate_change_nothing(local_app, evaltui_home):
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(local_app, "exact_match_evaluator")
        await pilot.press("u")
        await settle(pilot)
        rate = local_app.screen.query_one("#upload-rate", Input)
        rate.value = "1.5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(local_app.screen, UploadModal)
        assert "between 0 and 1" in str(local_app.screen.query_one("#upload-error", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)
        assert _rules(evaltui_home) == []


async def test_upload_without_a_target_keeps_the_form_and_says_what_is_missing(local_app, evaltui_home):
    """Textual 8's empty Select value is Select.NULL (Select.BLANK is False): it must not slip through."""
    from textual.widgets import Select

    async with local_app.run_test(size=SIZE) as pilot:
        modal = await _open_upload(pilot, local_app, "exact_match_evaluator")
        modal.query_one("#upload-name", Input).value = "my name"
        modal.query_one("#upload-target", Select).clear()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert local_app.screen is modal  # still open, with what was typed
        assert modal.query_one("#upload-name", Input).value == "my name"
        assert "Choose the dataset or project" in str(modal.query_one("#upload-error", Static).render())
        assert _rules(evaltui_home) == []


async def test_replace_decline_then_confirm(evaltui_home):
    old = _seed_rule(evaltui_home, "exact_match_evaluator")
    from tui.app import EvalTuiApp
    from tui.backend.core.config import Settings

    app = EvalTuiApp(Settings.from_env(backend="local"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        state = {f.name: f.sync for f in app.screen.evaluators.local_functions}
        assert state["exact_match_evaluator"] == "changed"
        select_local(app, "exact_match_evaluator")
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, ReplaceModal)
        assert "-    return {'score': 0}" in app.screen.diff
        await pilot.press("enter")  # Cancel has the focus: the default is to keep the old rule
        await settle(pilot)
        assert _rules(evaltui_home, "exact_match_evaluator")[0].code == old.code

        await pilot.press("U")
        await settle(pilot)
        await pilot.click("#confirm")
        await settle(pilot)
        (rule,) = _rules(evaltui_home, "exact_match_evaluator")
        assert rule.id == old.id and rule.code != old.code and "perform_eval" in rule.code
        state = {f.name: f.sync for f in app.screen.evaluators.local_functions}
        assert state["exact_match_evaluator"] == "in sync"


async def test_upload_over_existing_name_asks_to_replace(evaltui_home):
    _seed_rule(evaltui_home, "exact_match_evaluator")
    from tui.app import EvalTuiApp
    from tui.backend.core.config import Settings

    app = EvalTuiApp(Settings.from_env(backend="local"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(app, "exact_match_evaluator")
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReplaceModal)
        await pilot.press("escape")
        await settle(pilot)
        assert "'score': 0" in _rules(evaltui_home, "exact_match_evaluator")[0].code


async def test_delete_decline_then_confirm(evaltui_home):
    _seed_rule(evaltui_home, "my_rule")
    from tui.app import EvalTuiApp
    from tui.backend.core.config import Settings

    app = EvalTuiApp(Settings.from_env(backend="local"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_rule(app, "my_rule")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDeleteModal)
        text = str(app.screen.query_one("#delete-message").render())
        assert "my_rule" in text and "dataset: Skills: Final Response" in text
        await pilot.press("enter")  # Cancel is focused
        await settle(pilot)
        assert len(_rules(evaltui_home, "my_rule")) == 1

        select_rule(app, "my_rule")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert _rules(evaltui_home, "my_rule") == []
        assert app.screen.evaluators.rules == []


async def test_test_modal_shows_good_and_bad(local_app):
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(local_app, "exact_match_evaluator")
        await pilot.press("t")
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, TestModal)
        assert modal.query_one("#test-table", DataTable).row_count > 0
        assert "mean good 1.00" in str(modal.query_one("#test-summary").render())
        await pilot.press("escape")
        assert isinstance(local_app.screen, MainScreen)


async def test_filter_and_letters_in_inputs_do_not_trigger_actions(local_app):
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(local_app, "exact_match_evaluator")
        await pilot.press("slash")
        await pilot.press(*"traj", "u", "d", "t", "q", "r")  # letters go into the input only
        assert isinstance(local_app.screen, MainScreen) and local_app.is_running
        assert local_app.screen.query_one("#filter-bar", Input).value == "trajudtqr"
        await pilot.press(*["backspace"] * 5)
        table = local_app.screen.query_one("#local-table", DataTable)
        assert [table.get_row(k)[0].plain for k in table.rows] == ["trajectory_evaluator"]
        await pilot.press("escape")
        assert table.row_count > 1


async def test_source_viewer_copy_and_jump(local_app):
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(local_app, "trajectory_evaluator")
        await settle(pilot)
        fn = local_app.screen.evaluators.local_named("trajectory_evaluator")
        await pilot.press("3")
        area = local_app.screen.query_one("#source-text")
        assert local_app.focused is area
        area.move_cursor((0, 0))
        await pilot.press("j")
        assert area.cursor_location[0] == fn.lineno - 1
        await pilot.press("c")
        assert local_app.clipboard == area.text


async def test_examples_lazy_paging_and_full_view(evaltui_home):
    backend = local_backend(evaltui_home)
    backend.add_dataset("Big", ({"inputs": {"q": i}, "outputs": {"a": i}} for i in range(10_000)))
    from tui.app import EvalTuiApp
    from tui.backend.core.config import Settings

    app = EvalTuiApp(Settings.from_env(backend="local"), backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#datasets-table", DataTable)
        table.focus()
        table.move_cursor(row=0)  # "Big" sorts first
        await settle(pilot)
        examples = app.screen.examples
        assert examples.total == 10_000 and examples.loaded == 200
        await pilot.press("4")
        ex_table = app.screen.query_one("#examples-table", DataTable)
        ex_table.move_cursor(row=ex_table.row_count - 1)
        await settle(pilot)
        assert examples.loaded == 400  # the next page arrived when the cursor neared the end
        ex_table.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExampleModal)
        assert '"q": 0' in app.screen.query_one("#example-body").text
    backend.close()


async def test_help_lists_every_binding_and_palette_runs_actions(local_app):
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(local_app.screen, HelpScreen)
        text = local_app.screen.plain_text
        for binding in MainScreen.BINDINGS:
            assert binding.description in text
        await pilot.press("escape")
        select_local(local_app, "exact_match_evaluator")
        await pilot.press("ctrl+p")
        await pilot.press(*"Upload")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(local_app.screen, UploadModal)


async def test_pane_keys_and_quit(local_app):
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        assert local_app.focused.id == "datasets-table"
        await pilot.press("1")
        assert local_app.focused.id == "rules-table"
        await pilot.press("5")
        assert local_app.screen.query_one("#lower-tabs").active == "runner-tab"
        await pilot.press("q")
        assert not local_app.is_running


async def test_upload_of_a_judge_previews_the_llm_rule_and_asks_before_dropping_its_scoring(local_app, evaltui_home):
    """The upload form shows what the LLM-as-judge rule will hold; the app asks before the function's
    own return (its keys and comment) is left behind, and Cancel uploads nothing (issue 13)."""
    from tui.modals.upload_check_modal import UploadCheckModal

    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(local_app, "accuracy_evaluator")
        await pilot.press("u")
        await settle(pilot, rounds=6)
        modal = local_app.screen
        assert isinstance(modal, UploadModal)
        preview = modal.query_one("#upload-preview").text
        assert "LLM-as-judge rule:" in preview and "{expected} <- reference_outputs.expected_response" in preview
        await pilot.click("#confirm")
        await settle(pilot, rounds=6)
        check = local_app.screen
        assert isinstance(check, UploadCheckModal)
        assert any("own return" in line for line in check.lines)
        await pilot.press("n")
        await settle(pilot)
        assert _rules(evaltui_home, "accuracy_evaluator") == []
        select_local(local_app, "accuracy_evaluator")
        await pilot.press("u")
        await settle(pilot, rounds=6)
        await pilot.click("#confirm")
        await settle(pilot, rounds=6)
        await pilot.press("y")
        await settle(pilot, rounds=6)
        (rule,) = _rules(evaltui_home, "accuracy_evaluator")
        assert rule.kind == "llm" and rule.llm["variable_mapping"]["expected"] == "reference_outputs.expected_response"


async def test_upload_of_code_that_fails_in_the_sandbox_asks_first(local_app, evaltui_home):
    """The form asks once, naming the warnings; the sandbox run that confirms them is then
    reported, not asked again. Code that passes the form's checks but fails when the sandbox
    runs it is asked about after that run."""
    from tui.modals.upload_check_modal import UploadCheckModal

    (evaltui_home / "evaluators").mkdir(parents=True, exist_ok=True)
    (evaltui_home / "evaluators" / "net_eval.py").write_text(
        "import urllib.request\n\n\ndef fetcher(run, example):\n"
        "    urllib.request.urlopen('http://127.0.0.1:9/')\n    return {'score': 1}\n\n\n"
        "def picky(run, example):\n    return {'score': example['outputs']['no_such_key']}\n", encoding="utf-8")
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(local_app, "fetcher")
        await pilot.press("u")
        await settle(pilot, rounds=6)
        await pilot.click("#confirm")
        await settle(pilot)
        form_question = local_app.screen  # the form asks first, naming the warnings (#11)
        assert isinstance(form_question, UploadCheckModal), form_question
        assert any("imports urllib.request" in line for line in form_question.lines)
        await pilot.press("y")
        await settle(pilot, rounds=8)
        assert not isinstance(local_app.screen, UploadCheckModal)
        assert [r.name for r in _rules(evaltui_home, "fetcher")] == ["fetcher"]
        assert any("failed as warned" in n.message for n in local_app._notifications)

        select_local(local_app, "picky")
        await pilot.press("u")
        await settle(pilot, rounds=6)
        await pilot.click("#confirm")  # no warning in the form: it sends the plan straight away
        await settle(pilot, rounds=8)
        check = local_app.screen  # what the sandbox run found
        assert isinstance(check, UploadCheckModal), check
        assert any("KeyError" in line for line in check.lines), check.lines
        await pilot.press("escape")
        await settle(pilot)
        assert _rules(evaltui_home, "picky") == []


async def test_after_an_upload_keys_act_on_the_row_under_the_cursor(local_app, evaltui_home):
    """Issue 11: after an upload the selection jumped to the first rule while the cursor stayed on
    the function, so `d` offered to delete 'Exact Match'. The target is the highlighted row."""
    from tests.functional.conftest import select_local as _select
    from tui.backend.source.functions import LocalFunction

    _seed_rule(evaltui_home, "Exact Match")
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _select(local_app, "trajectory_evaluator")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot, rounds=6)
        local_app.screen.query_one("#upload-name", Input).value = "Trajectory Match"
        await pilot.click("#confirm")
        await settle(pilot, rounds=8)
        main = local_app.screen
        assert isinstance(main, MainScreen)
        assert {r.name for r in _rules(evaltui_home)} == {"Exact Match", "Trajectory Match"}
        assert isinstance(main.selected, LocalFunction) and main.selected.name == "trajectory_evaluator"
        local = main.query_one("#local-table", DataTable)
        key = local.coordinate_to_cell_key(local.cursor_coordinate).row_key.value
        assert key.endswith("::trajectory_evaluator")
        assert "trajectory_evaluator" in str(main.query_one("#source-caption", Static).render())
        await pilot.press("d")
        await settle(pilot)
        # The function's rule is the one uploaded from it (its recorded origin), never 'Exact Match'.
        assert isinstance(local_app.screen, ConfirmDeleteModal)
        assert local_app.screen.rule.name == "Trajectory Match"
        await pilot.press("escape")
        await settle(pilot)
        assert {r.name for r in _rules(evaltui_home)} == {"Exact Match", "Trajectory Match"}
