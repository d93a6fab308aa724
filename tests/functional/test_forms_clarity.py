"""#11 "Clarity" and "Control" in the three forms: start (ctrl+r), upload (u) and test (t).

Pilot tests driving keys as a person would, on a real LocalBackend in a tmp EVALTUI_HOME; judges
that must run go to the fake OpenAI server.
"""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from tests.functional.conftest import local_backend, select_local, settle
from tests.functional.test_runner_pane import HarnessApp, backend, open_start_form, wait_until  # noqa: F401
from tui.modals.test_modal import TestModal
from tui.modals.upload_check_modal import UploadCheckModal
from tui.modals.upload_modal import UploadModal
from tui.widgets.tick_list import TickList


def _rows(picker: TickList) -> list[str]:
    return [str(picker.get_option_at_index(i).prompt) for i in range(picker.option_count)]


def _line(picker: TickList, index: int) -> str:
    return picker.render_line(index - picker.scroll_offset.y).text


# -- start form -----------------------------------------------------------------------------------


async def test_start_form_marks_judges_that_need_the_openai_key(backend, evaltui_home, monkeypatch):  # noqa: F811
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = HarnessApp(backend, evaluator_dir=evaltui_home / "evaluators")
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_start_form(pilot, app)
        rows = _rows(modal.query_one(TickList))
        judges = [r for r in rows if "judge" in r]
        assert judges and all(r.endswith("— needs OPENAI_API_KEY") for r in judges)
        assert "library: accuracy_evaluator  [LLM judge] — needs OPENAI_API_KEY" in rows
        assert not any("needs" in r for r in rows if "judge" not in r)
        note = modal.query_one("#start-judge-key", Static)
        assert note.display and "OPENAI_API_KEY" in str(note.render())


async def test_start_form_says_nothing_about_the_key_when_it_is_set(backend, evaltui_home, monkeypatch):  # noqa: F811
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    app = HarnessApp(backend, evaluator_dir=evaltui_home / "evaluators")
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_start_form(pilot, app)
        assert not any("needs" in r for r in _rows(modal.query_one(TickList)))
        assert not modal.query_one("#start-judge-key", Static).display


async def test_space_ticks_the_first_row_and_the_row_shows_it(backend, evaltui_home):  # noqa: F811
    app = HarnessApp(backend, evaluator_dir=evaltui_home / "evaluators")
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_start_form(pilot, app)
        picker = modal.query_one(TickList)
        picker.deselect_all()
        await pilot.pause()
        assert _line(picker, 0).startswith("☐ ")
        picker.focus()
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        first = picker.get_option_at_index(0).value
        assert picker.selected == [first]
        assert _line(picker, 0).startswith("✓ ") and _line(picker, 1).startswith("☐ ")
        await pilot.press("space")
        await pilot.pause()
        assert picker.selected == [] and _line(picker, 0).startswith("☐ ")


# -- test modal -----------------------------------------------------------------------------------

ODD_EVALUATORS = '''
def forty_two(run, example):
    return {"forty_two": 42 if run["outputs"].get("expected_response") == example["outputs"].get("expected_response") else 0}


def loud_failure(run, example):
    raise RuntimeError("the grading service refused the request because " + "the payload was far too long; " * 6
                       + "END-OF-MESSAGE")
'''


async def _open_test_modal(pilot, app, function: str, new_file: str = "") -> TestModal:
    await settle(pilot)
    if new_file:  # an evaluator file written now, read by the refresh key
        (app.evaluator_dir / "odd_evaluators.py").write_text(new_file)
        await pilot.press("r")
        await wait_until(pilot, lambda: function in [f.name for f in app.screen.evaluators.local_functions])
        await settle(pilot)
    select_local(app, function)
    await pilot.press("t")
    await settle(pilot)
    assert isinstance(app.screen, TestModal)
    return app.screen


def _text(modal, selector: str) -> str:
    return str(modal.query_one(selector, Static).render())


async def test_test_modal_picks_the_dataset_whose_references_the_function_reads(local_app):
    async with local_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert local_app.screen.datasets.current.name == "Skills: Final Response"
        modal = await _open_test_modal(pilot, local_app, "trajectory_evaluator")
        assert modal.query_one("#test-dataset", Select).value == "Skills: Trajectory"
        assert "mean good 1.00" in _text(modal, "#test-summary")
        assert not modal.query_one("#test-warnings", Static).display


async def test_test_modal_warns_when_the_chosen_dataset_lacks_the_keys(local_app):
    async with local_app.run_test(size=(120, 36)) as pilot:
        modal = await _open_test_modal(pilot, local_app, "trajectory_evaluator")
        modal.query_one("#test-dataset", Select).value = "Skills: Final Response"
        await settle(pilot)
        warning = _text(modal, "#test-warnings")
        assert "reads expected_trajectory" in warning and "'Skills: Final Response' lack" in warning
        assert "'Skills: Trajectory' has them" in warning


async def test_test_modal_flags_a_score_outside_zero_to_one(local_app):
    async with local_app.run_test(size=(120, 36)) as pilot:
        modal = await _open_test_modal(pilot, local_app, "forty_two", ODD_EVALUATORS)
        assert modal.query_one("#test-warnings", Static).display
        assert "score 42 is outside 0–1" in _text(modal, "#test-warnings")
        assert "score 42 is outside 0–1" in _text(modal, "#test-detail")


async def test_test_modal_shows_the_whole_error_wrapped(local_app):
    async with local_app.run_test(size=(100, 36)) as pilot:
        modal = await _open_test_modal(pilot, local_app, "loud_failure", ODD_EVALUATORS)
        detail = modal.query_one("#test-detail", Static)
        assert "END-OF-MESSAGE" in _text(modal, "#test-detail")
        assert detail.size.height > 1  # wrapped over several lines, not cut


async def test_sample_judge_without_key_says_so_in_full(local_app, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with local_app.run_test(size=(100, 36)) as pilot:
        modal = await _open_test_modal(pilot, local_app, "accuracy_evaluator")
        assert ("OPENAI_API_KEY is not set: LLM-as-judge evaluators need it (set it in the environment or "
                "a .env file).") in " ".join(_text(modal, "#test-detail").split())


async def test_sample_judge_runs_against_the_fake_openai(local_app, openai_env):
    async with local_app.run_test(size=(100, 36)) as pilot:
        modal = await _open_test_modal(pilot, local_app, "accuracy_evaluator")
        assert modal.query_one("#test-dataset", Select).value == "Skills: Final Response"
        assert openai_env.chat_requests()  # the judge really asked
        assert "OPENAI_API_KEY" not in _text(modal, "#test-detail")


# -- upload form ----------------------------------------------------------------------------------

NETWORKED = '''
import json
import requests
from langchain_openai import ChatOpenAI


async def networked(run, example):
    reply = ChatOpenAI(model="gpt-4o-mini").invoke("grade: " + json.dumps(run["outputs"]))
    extra = requests.get("http://example.invalid").text
    return {"networked": int(bool(reply and extra and undefined_helper()))}
'''


async def _open_upload_form(pilot, app, function: str, new_file: str) -> UploadModal:
    await settle(pilot)
    (app.evaluator_dir / "networked.py").write_text(new_file)
    await pilot.press("r")
    await wait_until(pilot, lambda: function in [f.name for f in app.screen.evaluators.local_functions])
    await settle(pilot)
    select_local(app, function)
    await pilot.press("u")
    await settle(pilot)
    assert isinstance(app.screen, UploadModal)
    return app.screen


async def test_upload_form_shows_every_warning_and_scrolls(local_app):
    async with local_app.run_test(size=(80, 24)) as pilot:
        form = await _open_upload_form(pilot, local_app, "networked", NETWORKED)
        text = " ".join(_text(form, "#upload-warnings").split())
        assert text.startswith("4 warnings, 3 of them will fail in LangSmith's sandbox:")
        assert "is async" in text
        assert "imports langchain_openai" in text and "code evaluators have no network access" in text
        assert "imports requests" in text
        assert "uses 'undefined_helper'" in text and "NameError" in text
        box = form.query_one("#upload-warnings-box")
        assert box.display and box.max_scroll_y > 0  # more than fit at 80x24: it scrolls
        box.scroll_end(animate=False)
        await pilot.pause()
        assert box.scroll_y == box.max_scroll_y


async def test_upload_form_asks_before_sending_code_that_fails_in_the_sandbox(local_app, evaltui_home):
    async with local_app.run_test(size=(120, 36)) as pilot:
        form = await _open_upload_form(pilot, local_app, "networked", NETWORKED)
        name = form.query_one("#upload-name", Input)
        name.value = "My networked rule"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(local_app.screen, UploadCheckModal))
        question = " ".join(str(s.render()) for s in local_app.screen.query(Static))
        assert "imports langchain_openai" in question and "imports requests" in question
        assert "undefined_helper" in question and "is async" not in question
        assert local_app.screen.focused.id == "cancel"
        await pilot.press("escape")  # cancel: back to the form, as typed, nothing sent
        await settle(pilot)
        assert local_app.screen is form and name.value == "My networked rule"
        assert _rules(evaltui_home) == []
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(local_app.screen, UploadCheckModal))
        await pilot.press("y")  # upload anyway: the form closes and the upload goes on
        await settle(pilot)
        assert not isinstance(local_app.screen, UploadModal) and form not in local_app.screen_stack
        # the sandbox run that confirms the warnings is reported, not asked about a second time
        await wait_until(pilot, lambda: [r.name for r in _rules(evaltui_home)] == ["My networked rule"])
        assert not isinstance(local_app.screen, UploadCheckModal)
        assert any("failed as warned" in n.message for n in local_app._notifications)


async def test_upload_form_sends_clean_code_without_asking(local_app, evaltui_home):
    async with local_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select_local(local_app, "exact_match_evaluator")
        await pilot.press("u")
        await settle(pilot)
        assert not local_app.screen.query_one("#upload-warnings-box").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [r.name for r in _rules(evaltui_home)] == ["exact_match_evaluator"]


def _rules(home):
    workspace = local_backend(home)
    try:
        return workspace.list_rules()
    finally:
        workspace.close()
