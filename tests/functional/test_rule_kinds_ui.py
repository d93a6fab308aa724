"""Rule kinds everywhere in the app: the Kind column, the source viewer per kind, the delete and
replace confirmations, non-Python rules refused without a crash, and the workspace evaluators."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static, TextArea

from tests.functional.conftest import local_backend, select_local, select_rule, settle
from tui.app import EvalTuiApp
from tui.backend.core.config import Settings
from tui.backend.core.errors import ConnectionFailed
from tui.backend.rules.ops import delete_question
from tui.backend.source.rule_origin import origin_for
from tui.backend.workspace.local import LocalBackend
from tui.modals.confirm_delete_modal import ConfirmDeleteModal
from tui.modals.error_modal import ErrorModal
from tui.modals.replace_modal import ReplaceModal
from tui.modals.test_modal import TestModal
from tui.modals.upload_modal import UploadModal
from tui.screens.main_screen import MainScreen

SIZE = (120, 36)

JS_CODE = "function performEval(run, example) {\n  return { length: run.outputs.response.length };\n}\n"
LLM = {
    "prompt": [["system", "You grade answers.\nBe strict."], ["human", "Grade {response}"]],
    "schema": {"type": "object", "properties": {"helpful": {"type": "boolean"}}, "required": ["helpful"]},
    "model": {"model": "gpt-4o-mini", "temperature": 0},
    "variable_mapping": {"response": "outputs.response"},
    "template_format": "f-string",
}
PY_CODE = "def perform_eval(run, example):\n    return {'score': 0}\n"


def _seed(home) -> dict[str, str]:
    """A JS rule, an LLM judge with a webhook, a webhook-only rule and a Python rule with settings."""
    backend = local_backend(home)
    try:
        ds = backend.get_dataset("Skills: Final Response").id
        rules = [
            backend.add_rule({"display_name": "JS length", "sampling_rate": 1.0, "dataset_id": ds,
                              "code_evaluators": [{"code": JS_CODE, "language": "javascript"}]}),
            backend.add_rule({"display_name": "Helpfulness judge", "sampling_rate": 0.25, "dataset_id": ds,
                              "webhooks": [{"url": "https://hooks.example.com/judge?token=s3cret"}],
                              "evaluators": [{"structured": LLM}]}),
            backend.add_rule({"display_name": "Error hook", "sampling_rate": 0.3, "is_enabled": False,
                              "dataset_id": ds, "webhooks": [{"url": "https://hooks.example.com/x"}],
                              "filter": "eq(status, 'error')"}),
            backend.add_rule({"display_name": "exact_match_evaluator", "sampling_rate": 0.3,
                              "is_enabled": False, "dataset_id": ds,
                              "webhooks": [{"url": "https://hooks.example.com/py"}],
                              "filter": "eq(is_root, true)",
                              "code_evaluators": [{"code": PY_CODE, "language": "python"}]}),
            # A JavaScript rule with the name of a local Python function.
            backend.add_rule({"display_name": "trajectory_evaluator", "sampling_rate": 1.0, "dataset_id": ds,
                              "code_evaluators": [{"code": JS_CODE, "language": "javascript"}]}),
        ]
        return {r.name: r.id for r in rules}
    finally:
        backend.close()


def _rule(home, name):
    backend = local_backend(home)
    try:
        (rule,) = backend.list_rules(name)
        return rule
    finally:
        backend.close()


@pytest.fixture
def kinds_app(evaltui_home):
    _seed(evaltui_home)
    return EvalTuiApp(Settings.from_env(backend="local"))


def _kinds(app) -> dict[str, str]:
    table = app.screen.query_one("#rules-table", DataTable)
    return {str(table.get_cell(key, "Name")): str(table.get_cell(key, "Kind")) for key in table.rows}


def _caption(app) -> str:
    return str(app.screen.query_one("#source-caption", Static).render())


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def select_workspace(app, name: str) -> None:
    table = app.screen.query_one("#workspace-table", DataTable)
    index = next(i for i, k in enumerate(table.rows) if str(table.get_cell(k, "Name")) == name)
    table.focus()
    table.move_cursor(row=index)


async def test_rules_table_shows_each_kind(kinds_app):
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert _kinds(kinds_app) == {
            "JS length": "js",
            "Helpfulness judge": "LLM+",  # + : it also has a webhook
            "Error hook": "hook",
            "exact_match_evaluator": "py+",
            "trajectory_evaluator": "js",
        }
        # The filter matches kinds too.
        kinds_app.screen.evaluators.set_filter("LLM judge")
        await pilot.pause()
        assert list(_kinds(kinds_app)) == ["Helpfulness judge"]


async def test_source_viewer_shows_each_kind_in_its_own_way(kinds_app):
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        area = kinds_app.screen.query_one("#source-text", TextArea)

        select_rule(kinds_app, "JS length")
        await settle(pilot, 1)
        assert area.language == "javascript" and area.text == JS_CODE
        assert "javascript code" in _caption(kinds_app)

        select_rule(kinds_app, "exact_match_evaluator")
        await settle(pilot, 1)
        assert area.language == "python" and area.text == PY_CODE
        assert "webhook hooks.example.com/py" in _caption(kinds_app)

        select_rule(kinds_app, "Helpfulness judge")
        await settle(pilot, 1)
        text = area.text
        assert area.language == "yaml"
        for shown in ("role: system", "You grade answers.", "Be strict.", "role: human", "Grade {response}",
                      "variable_mapping:", "response: outputs.response", "schema:", "type: boolean",
                      "model:", "gpt-4o-mini", "temperature: 0", "template_format: f-string"):
            assert shown in text, shown
        caption = _caption(kinds_app)
        assert "LLM judge" in caption and "webhook hooks.example.com/judge" in caption
        assert "s3cret" not in caption + text  # a webhook's query is never shown
        yaml = pytest.importorskip("yaml")
        doc = yaml.safe_load(text)
        assert doc["prompt"] == [{"role": "system", "template": "You grade answers.\nBe strict."},
                                 {"role": "human", "template": "Grade {response}"}]
        assert doc["schema"] == LLM["schema"] and doc["model"] == LLM["model"]

        select_rule(kinds_app, "Error hook")
        await settle(pilot, 1)
        assert "webhook hooks.example.com/x" in area.text and "eq(status, 'error')" in area.text
        assert "actions only" in _caption(kinds_app) and "webhook hooks.example.com/x" in _caption(kinds_app)

        # JavaScript again, twice: each shown text compiles its highlight query anew (py-tree-sitter
        # 0.26 crashed on the second compile of Textual's JavaScript query as shipped).
        for name in ("trajectory_evaluator", "JS length"):
            select_rule(kinds_app, name)
            await settle(pilot, 1)
            assert area.language == "javascript" and area.text == JS_CODE


async def test_delete_modal_names_kind_and_side_actions(kinds_app, evaltui_home):
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_rule(kinds_app, "Error hook")
        await pilot.pause()
        await pilot.press("d")
        await settle(pilot, 1)
        modal = kinds_app.screen
        assert isinstance(modal, ConfirmDeleteModal)
        text = str(modal.query_one("#delete-message").render())
        assert delete_question(_rule(evaltui_home, "Error hook")) in text
        assert "actions only" in text and "webhook hooks.example.com/x" in text
        await pilot.press("escape")
        await settle(pilot)
        assert _rule(evaltui_home, "Error hook")


async def test_replace_modal_lists_kept_settings_and_keeps_them(kinds_app, evaltui_home):
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(kinds_app, "exact_match_evaluator")
        await pilot.press("U")
        await settle(pilot)
        modal = kinds_app.screen
        assert isinstance(modal, ReplaceModal)
        for line in ("kept: sampling rate 30%", "kept: state disabled", "kept: webhook hooks.example.com/py",
                     "kept: filter eq(is_root, true)"):
            assert line in modal.settings, line
        shown = str(modal.query_one("#replace-settings-text").render())
        assert "kept: sampling rate 30%" in shown and "kept: webhook hooks.example.com/py" in shown
        seed_file = evaltui_home / "evaluators" / "skills_evaluators.py"
        # Only the origin line is new (the rule predates it); every setting is kept.
        assert [line for line in modal.settings if line.startswith("changed:")] == [
            f"changed: origin not recorded -> {origin_for(seed_file, 'exact_match_evaluator').label}"]
        await pilot.click("#confirm")
        await settle(pilot)
        rule = _rule(evaltui_home, "exact_match_evaluator")
        assert rule.code != PY_CODE and "perform_eval" in rule.code
        assert rule.sampling_rate == 0.3 and not rule.is_enabled
        assert rule.side_actions == ("webhook hooks.example.com/py",)
        assert rule.filters == (("filter", "eq(is_root, true)"),)


async def test_non_python_rule_is_refused_not_crashed(kinds_app, evaltui_home):
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = kinds_app.screen
        state = {f.name: f.sync for f in main.evaluators.local_functions}
        assert state["trajectory_evaluator"] == "unknown"  # a JS rule: not comparable, not "changed"
        select_local(kinds_app, "trajectory_evaluator")
        await settle(pilot, 1)
        assert "not comparable" in _caption(kinds_app)

        await pilot.press("U")
        await settle(pilot)
        assert isinstance(kinds_app.screen, ErrorModal)
        assert "not a Python code rule" in kinds_app.screen.message
        await pilot.press("escape")
        await settle(pilot, 1)

        await pilot.press("u")
        await settle(pilot)
        assert isinstance(kinds_app.screen, UploadModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(kinds_app.screen, ErrorModal)
        assert "not a Python code rule" in kinds_app.screen.message
        await pilot.press("escape")
        await settle(pilot, 1)
        assert kinds_app.is_running and isinstance(kinds_app.screen, MainScreen)
        rule = _rule(evaltui_home, "trajectory_evaluator")
        assert rule.kind == "javascript" and rule.code == JS_CODE


async def test_test_key_tests_the_highlighted_rule_itself(kinds_app):
    """`t` on a JavaScript rule says it cannot run here; on an LLM-judge rule it tests that rule (not
    a local function of the same name) through ChatOpenAI."""
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_rule(kinds_app, "JS length")
        await pilot.pause()
        await pilot.press("t")
        await settle(pilot, 1)
        assert not isinstance(kinds_app.screen, TestModal)
        assert any("JS length" in m and "cannot run it locally" in m for m in _messages(kinds_app))
        select_rule(kinds_app, "Helpfulness judge")
        await pilot.pause()
        await pilot.press("t")
        await settle(pilot, 1)
        assert isinstance(kinds_app.screen, TestModal) and kinds_app.screen.rule == "Helpfulness judge"


async def test_workspace_evaluators_section(kinds_app):
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = kinds_app.screen
        title = str(main.query_one("#workspace-title", Static).render())
        assert title == "Workspace evaluators (2)"
        table = main.query_one("#workspace-table", DataTable)
        rows = {str(table.get_cell(k, "Name")): str(table.get_cell(k, "Type")) for k in table.rows}
        assert rows == {"Accuracy judge (workspace)": "LLM", "Exact match (workspace)": "py"}
        # Arriving rows do not take the source viewer from the local function shown first.
        assert "def " in main.source.text and "workspace" not in _caption(kinds_app)

        area = main.query_one("#source-text", TextArea)
        select_workspace(kinds_app, "Exact match (workspace)")
        await settle(pilot, 1)
        assert area.language == "python" and "def perform_eval" in area.text
        assert "build ready" in _caption(kinds_app) and "keys exact_match" in _caption(kinds_app)

        select_workspace(kinds_app, "Accuracy judge (workspace)")
        await settle(pilot, 1)
        assert "prompt_repo: evaltui-demo/accuracy-judge" in area.text
        assert "prompt_commit: latest" in area.text and "expected: reference.expected_response" in area.text
        assert "- accuracy" in area.text  # the feedback keys
        assert "evaltui-demo/accuracy-judge@latest" in _caption(kinds_app)

        await pilot.press("d")
        await settle(pilot, 1)
        assert isinstance(kinds_app.screen, MainScreen)  # read-only here: nothing to confirm
        assert any("workspace evaluator" in m for m in _messages(kinds_app))


async def test_workspace_code_evaluator_in_javascript_with_a_failed_build(evaltui_home):
    backend = local_backend(evaltui_home)
    try:
        backend.add_workspace_evaluator({
            "name": "Length (js)", "type": "code", "feedback_keys": ["length"],
            "code_evaluator": {"language": "javascript", "code": JS_CODE, "dependencies": "lodash\nleft-pad",
                               "evaluator_build_status": "FAILED",
                               "evaluator_build_error": "npm ERR! 404 left-pad\nnpm ERR! more lines"},
        })
    finally:
        backend.close()
    app = EvalTuiApp(Settings.from_env(backend="local"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#workspace-table", DataTable)
        assert {str(table.get_cell(k, "Name")): str(table.get_cell(k, "Type")) for k in table.rows}[
            "Length (js)"] == "js"
        select_workspace(app, "Length (js)")
        await settle(pilot, 1)
        area = app.screen.query_one("#source-text", TextArea)
        assert area.language == "javascript" and area.text == JS_CODE
        caption = _caption(app)
        assert "javascript code" in caption and "deps lodash, left-pad" in caption
        assert "build failed: npm ERR! 404 left-pad…" in caption and "more lines" not in caption
        await pilot.press("t")
        await settle(pilot, 1)
        assert isinstance(app.screen, MainScreen)  # JavaScript: LangSmith's to run, said so
        assert any("'Length (js)' is javascript code" in m for m in _messages(app))


async def test_test_key_tests_the_highlighted_workspace_evaluator(kinds_app, openai_env):
    """`t` on a workspace LLM evaluator grades known-good vs known-bad pairs with its hub prompt."""
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_workspace(kinds_app, "Accuracy judge (workspace)")
        await settle(pilot, 1)
        await pilot.press("t")
        await settle(pilot, 4)
        modal = kinds_app.screen
        assert isinstance(modal, TestModal) and modal.workspace == "Accuracy judge (workspace)"
        summary = str(modal.query_one("#test-summary", Static).render())
        assert "known-good pairs score higher" in summary, summary
        assert openai_env.chat_requests()  # graded through ChatOpenAI against the fake server


async def test_workspace_evaluators_failure_is_a_message(kinds_app, monkeypatch):
    def fail(self):
        raise ConnectionFailed("The workspace evaluators could not be listed (test).")

    monkeypatch.setattr(LocalBackend, "list_workspace_evaluators", fail)
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert kinds_app.is_running and isinstance(kinds_app.screen, MainScreen)
        assert any("could not be listed" in m for m in _messages(kinds_app))
        assert len(kinds_app.screen.evaluators.rules) == 5  # the rules still loaded
        assert not kinds_app.screen.query_one("#workspace-table").loading


async def test_columns_fit_at_80x24_and_a_resize_keeps_the_selection(kinds_app):
    async with kinds_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_rule(kinds_app, "JS length")
        await settle(pilot, 1)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        main = kinds_app.screen
        for table_id, needed in (("rules-table", {"Name", "Kind"}), ("local-table", {"Function", "State"}),
                                 ("workspace-table", {"Name", "Type"})):
            table = main.query_one(f"#{table_id}", DataTable)
            labels = {c.label.plain for c in table.columns.values()}
            assert needed <= labels, (table_id, labels)
            assert table.virtual_size.width <= table.size.width, table_id  # no horizontal scrolling
        rules = main.query_one("#rules-table", DataTable)
        assert rules.coordinate_to_cell_key(rules.cursor_coordinate).row_key.value == main.selected.id
        assert main.selected.name == "JS length" and main.source.language == "javascript"
        await pilot.resize_terminal(*SIZE)
        await settle(pilot)
        assert main.selected.name == "JS length"
