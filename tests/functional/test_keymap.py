"""The user keymap ($EVALTUI_HOME/keymap.toml) moves keys by binding id; a bad file is a notification."""

from __future__ import annotations

from pathlib import Path

from tests.functional.conftest import select_local, settle
from tui.keymap import binding_keys, load_keymap
from tui.modals.upload_modal import UploadModal
from tui.screens.help_screen import HelpScreen
from tui.screens.main_screen import MainScreen

SIZE = (120, 36)


def _notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_keymap_file_moves_a_key(local_app, evaltui_home: Path):
    (evaltui_home / "keymap.toml").write_text('[keymap]\n"main.upload" = "ctrl+u"\n', encoding="utf-8")
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert local_app.keymap == {"main.upload": "ctrl+u"}
        select_local(local_app, "exact_match_evaluator")
        await pilot.press("u")  # no longer the upload key
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(local_app.screen, UploadModal)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(local_app.screen, HelpScreen)
        assert "^u\tUpload — Upload the selected local function as a rule" in local_app.screen.plain_text


async def test_runner_key_moves_on_the_screen_and_in_the_pane_at_once(local_app, evaltui_home: Path):
    """One declaration, one id: `runner.start` is the main screen's key and the pane's."""
    (evaltui_home / "keymap.toml").write_text('[keymap]\n"runner.start" = "f6"\n', encoding="utf-8")
    from tui.modals.start_experiment import StartExperimentModal

    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")  # from the evaluators pane
        await settle(pilot)
        assert isinstance(local_app.screen, StartExperimentModal)
        await pilot.press("escape")
        await settle(pilot)
        local_app.screen.runner_pane.grid.focus()  # and from inside the runner pane
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(local_app.screen, StartExperimentModal)


async def test_bad_keymap_file_is_a_notification_not_a_crash(local_app, evaltui_home: Path):
    (evaltui_home / "keymap.toml").write_text('[keymap\n"main.upload" = \n', encoding="utf-8")
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert local_app.is_running and isinstance(local_app.screen, MainScreen)
        assert any("is not valid TOML" in n and "default keys are used" in n for n in _notes(local_app))
        select_local(local_app, "exact_match_evaluator")
        await pilot.press("u")  # the default keys still work
        await settle(pilot)
        assert isinstance(local_app.screen, UploadModal)


def test_load_keymap_reads_the_table_and_names_what_it_ignores(tmp_path: Path):
    path = tmp_path / "keymap.toml"
    assert load_keymap(path) == ({}, None)  # no file: the default keys, nothing to say
    path.write_text('[keymap]\n"main.upload" = "ctrl+u"\n"main.delete" = 3\n"main.test" = " "\n')
    keymap, problem = load_keymap(path)
    assert keymap == {"main.upload": "ctrl+u"}
    assert problem is not None and "'main.delete', 'main.test' ignored" in problem
    path.write_text('upload = "ctrl+u"\n')
    keymap, problem = load_keymap(path)
    assert keymap == {} and problem is not None and "no [keymap] table" in problem


def test_binding_keys_follow_the_keymap():
    from textual.binding import Binding

    moved, kept, anonymous = Binding("u", "upload", id="main.upload"), Binding("d", "delete", id="main.delete"), \
        Binding("x", "x")
    keymap = {"main.upload": "ctrl+u"}
    assert [binding_keys(keymap, b) for b in (moved, kept, anonymous)] == ["ctrl+u", "d", "x"]
