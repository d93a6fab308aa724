"""Living with evaluator files (issue 11): a file that does not parse stays listed with its error,
and `e` opens the selected function in $VISUAL / $EDITOR, then reads the file again."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.functional.conftest import local_backend, select_local, select_rule, settle
from tests.functional.conftest import wait_until as _until
from tui.backend.core.models import RuleSpec
from tui.backend.source.editor_command import NO_EDITOR, editor_command
from tui.backend.source.functions import BrokenFile, LocalFunction
from tui.modals.test_modal import TestModal
from tui.screens.main_editor import run_editor
from tui.screens.main_screen import MainScreen

SIZE = (120, 36)
BROKEN = "def mended(run, example):\n    return {'mended': 1\n\ndef second(run, example):\n    return {}\n"
MENDED = "def mended(run, example):\n    return {'mended': 1}\n\ndef second(run, example):\n    return {}\n"


def _rows(app) -> dict[str, tuple[str, ...]]:
    """The local table as drawn: key -> the plain text of each cell."""
    table = app.screen.query_one("#local-table", DataTable)
    return {row.value: tuple(str(getattr(c, "plain", c)) for c in table.get_row(row)) for row in table.rows}


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def _fake_editor(tmp_path: Path, name: str = "vim") -> tuple[Path, Path]:
    """A real program named like an editor: it records its argv and appends a comment to the file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "editor_argv.json"
    script = bin_dir / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        "open(sys.argv[-1], 'a').write('# edited in the editor\\n')\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script, record


async def test_a_file_that_does_not_parse_stays_listed_with_its_error_until_mended(local_app, evaltui_home):
    path = evaltui_home / "evaluators" / "mending.py"
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.3)  # the watcher is running
        path.write_text(BROKEN, encoding="utf-8")
        key = f"{path}::mending.py"
        await _until(pilot, lambda: key in _rows(local_app), "the broken file listed")
        name, kind, state, *_ = _rows(local_app)[key]
        assert (name, kind) == ("mending.py", "bad syntax")
        assert state.startswith("line 2: ")  # the State column is narrow: the start of "'{' was never closed"
        assert "exact_match_evaluator" in {f.name for f in local_app.screen.evaluators.local_functions}

        select_local(local_app, "mending.py")
        await settle(pilot, 1)
        main = local_app.screen
        assert isinstance(main.selected, BrokenFile)
        assert "mending.py · syntax error at line 2: '{' was never closed" in main.source.caption
        assert main.source.text == BROKEN  # the file as it is, to read next to its error

        for key_pressed, verb in (("u", "upload"), ("t", "test"), ("U", "replace with")):
            await pilot.press(key_pressed)
            await pilot.pause()
            assert local_app.screen is main  # no form opens on a file that does not parse
            assert (f"Nothing to {verb} in mending.py yet: fix the syntax error at line 2 first "
                    "('{' was never closed)") in _messages(local_app)[-1]

        path.write_text(MENDED, encoding="utf-8")
        await _until(pilot, lambda: f"{path}::mended" in _rows(local_app), "the mended file's functions listed")
        assert key not in _rows(local_app)
        await settle(pilot, 1)
        assert isinstance(main.selected, LocalFunction) and main.selected.key == f"{path}::mended"
        assert main.source.text == MENDED and "mended() line 1" in main.source.caption

        select_local(local_app, "second")  # breaking the file again keeps the cursor on it
        await settle(pilot, 1)
        path.write_text(BROKEN, encoding="utf-8")
        await _until(pilot, lambda: key in _rows(local_app), "the broken file listed again")
        await settle(pilot, 1)
        assert isinstance(main.selected, BrokenFile) and main.selected.path == path


async def test_e_on_a_broken_file_opens_it_at_the_error_line(local_app, evaltui_home, tmp_path):
    path = evaltui_home / "evaluators" / "mending.py"
    _, record = _fake_editor(tmp_path)
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        path.write_text(BROKEN, encoding="utf-8")
        await pilot.press("r")
        await _until(pilot, lambda: f"{path}::mending.py" in _rows(local_app), "the broken file listed")
        select_local(local_app, "mending.py")
        await settle(pilot, 1)
        command = editor_command(local_app.screen.selected.path, local_app.screen.selected.lineno,
                                 {"EDITOR": "vim", "PATH": str(tmp_path / "bin")})
        assert command.argv == [str(tmp_path / "bin" / "vim"), "+2", str(path)]
        assert run_editor(command) is None
        assert json.loads(record.read_text()) == ["+2", str(path)]


async def test_after_the_editor_the_file_is_read_again_and_the_last_test_runs_again(local_app, evaltui_home,
                                                                                    tmp_path):
    path = evaltui_home / "evaluators" / "skills_evaluators.py"
    _, record = _fake_editor(tmp_path)
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(local_app, "exact_match_evaluator")
        await settle(pilot, 1)
        main = local_app.screen
        await pilot.press("t")
        await settle(pilot)
        tested = local_app.screen
        assert isinstance(tested, TestModal)
        await pilot.press("escape")
        await pilot.pause()

        function = main.selected
        command = editor_command(function.path, function.lineno, {"VISUAL": "vim", "EDITOR": "nano",
                                                                  "PATH": str(tmp_path / "bin")})
        assert run_editor(command) is None  # what `e` runs while the app is suspended
        assert json.loads(record.read_text()) == [f"+{function.lineno}", str(path)]
        main.editor_returned(function)
        await settle(pilot)
        rerun = local_app.screen
        assert isinstance(rerun, TestModal) and rerun is not tested
        assert (rerun.function, rerun.dataset) == ("exact_match_evaluator", tested.dataset)
        assert "mean good 1.00" in str(rerun.query_one("#test-summary").render())
        await pilot.press("escape")
        await settle(pilot, 1)
        assert main.source.text.endswith("# edited in the editor\n")  # a change outside the function, too


async def test_e_under_a_driver_that_cannot_suspend_says_so_and_changes_nothing(local_app, evaltui_home,
                                                                               tmp_path, monkeypatch):
    script, record = _fake_editor(tmp_path)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    path = evaltui_home / "evaluators" / "skills_evaluators.py"
    async with local_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = path.read_text()
        select_local(local_app, "exact_match_evaluator")
        await settle(pilot, 1)
        await pilot.press("e")
        await settle(pilot, 1)
        assert "cannot be handed over to an editor" in _messages(local_app)[-1]
        assert isinstance(local_app.screen, MainScreen)
        assert path.read_text() == before and not record.exists()


async def test_e_without_an_editor_or_without_a_local_file_says_why(evaltui_home, monkeypatch):
    from tui.app import EvalTuiApp
    from tui.backend.core.config import Settings

    backend = local_backend(evaltui_home)
    try:
        dataset = backend.get_dataset("Skills: Final Response")
        backend.create_rule(RuleSpec(name="remote_only", code="def perform_eval(run, example):\n    return {}\n",
                                     dataset_id=dataset.id))
    finally:
        backend.close()
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    app = EvalTuiApp(Settings.from_env(backend="local"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(app, "exact_match_evaluator")
        await settle(pilot, 1)
        await pilot.press("e")
        await pilot.pause()
        assert _messages(app)[-1] == NO_EDITOR

        select_rule(app, "remote_only")
        await settle(pilot, 1)
        await pilot.press("e")
        await pilot.pause()
        assert _messages(app)[-1] == ("'remote_only' is an uploaded rule: it has no local file to edit; "
                                      "select a local function to edit its file.")


@pytest.mark.skipif(os.name == "nt", reason="the fake editor is a #! script")
def test_run_editor_reports_a_missing_program_and_a_failing_editor(tmp_path):
    missing = editor_command(tmp_path / "f.py", 3, {"EDITOR": "no-such-editor-evaltui", "PATH": str(tmp_path)})
    assert run_editor(missing) == ("Could not start the editor: $EDITOR names 'no-such-editor-evaltui', "
                                   "which is not installed.")
    failing = editor_command(tmp_path / "f.py", 3, {"EDITOR": f"{sys.executable} -c 'raise SystemExit(3)'"})
    assert run_editor(failing) == "The editor exited with status 3; the file is read again as it is now."
