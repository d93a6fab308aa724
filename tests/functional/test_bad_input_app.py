"""Bad-input matrix for the app (issue 6): one table-driven Pilot test, driven by keys like a person.

Every case checks that a message naming the problem is on screen (a notification, an error dialog,
a form's inline error, the test dialog or the runner's status line), that the app still runs and
answers keys afterwards, that no traceback and no API key reached the screen, and that nothing
was lost: the workspace (local SQLite or the fake LangSmith) is unchanged unless the case means
to change it. LangSmith faults are cleared afterwards and `r` must bring the rules back.
"""

from __future__ import annotations

import asyncio
import copy
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, SelectionList, Static

from tests.functional.conftest import select_local, select_rule, settle
from tests.unit.test_bad_input_cli import (
    EVALUATORS,
    FINAL,
    KEEP,
    SIDE_EFFECTS,
    UNICODE_NAME,
    corrupt_workspace,
    lock_workspace,
    refused,
)
from tui.app import EvalTuiApp
from tui.backend.core.config import Settings
from tui.modals.start_experiment import StartExperimentModal
from tui.modals.test_modal import TestModal
from tui.modals.upload_modal import UploadModal
from tui.screens.main_screen import MainScreen
from tui.widgets.runner_pane import RunnerPane
from tui.widgets.source_viewer import SourceViewer

SIZE = (120, 36)
TINY = "A tiny set"  # two examples, sorts first: the default dataset of every form, so cases stay fast
KEEP_CODE = "def perform_eval(run, example):\n    return {'score': 1}\n"


@dataclass
class Ctx:
    """What a case can use: the evaluator folder, the fakes, and (while driving) the app and pilot."""

    tmp: Path
    home: Path
    evals_dir: Path
    backend: str
    monkeypatch: Any
    langsmith: Any = None
    openai: Any = None
    app: EvalTuiApp | None = None
    pilot: Pilot | None = None
    lock: Any = None

    def file(self, name: str) -> Path:
        return self.evals_dir / name


Drive = Callable[[Ctx], Awaitable[None]]


@dataclass
class Case:
    id: str
    drive: Drive
    expect: tuple[str, ...]
    backend: str = "local"  # local | langsmith | judge (local workspace + fake OpenAI)
    setup: Callable[[Ctx], None] | None = None  # before the app starts
    changes_state: bool = False
    absent: tuple[str, ...] = ()  # text that must never reach the screen
    check: Callable[[Ctx, str], None] | None = None  # extra assertions on (ctx, visible text)
    recovers: bool = False  # LangSmith: after clearing the faults, `r` loads the rules again


# -- reading the screen -------------------------------------------------------------------------


def visible_text(app: EvalTuiApp) -> str:
    """Notifications plus the text of every label and table on every screen.

    The source viewer is left out: it shows the evaluator file, which contains the very words
    (e.g. "kaboom") that the messages must name.
    """
    parts = [f"{n.title or ''}: {n.message}" for n in app._notifications]
    for screen in app.screen_stack:
        for widget in screen.query("*"):
            if any(isinstance(a, SourceViewer) for a in (widget, *widget.ancestors)):
                continue
            if widget.border_title:
                parts.append(str(widget.border_title))
            if isinstance(widget, Static):
                parts.append(str(widget.render()))
            elif isinstance(widget, DataTable):
                for key in widget.rows:
                    parts.append(" | ".join(str(cell) for cell in widget.get_row(key)))
    return "\n".join(parts)


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            return False
        await pilot.pause(0.05)
    return True


# -- driving the app by keys --------------------------------------------------------------------


async def type_into(ctx: Ctx, selector: str, text: str) -> None:
    """Clear an input and type `text` into it, key by key."""
    field = ctx.app.screen.query_one(selector, Input)
    field.focus()
    await ctx.pilot.pause()
    field.value = ""
    await ctx.pilot.press(*text)


async def choose(ctx: Ctx, function: str) -> None:
    select_local(ctx.app, function)
    await settle(ctx.pilot, 1)


async def idle(ctx: Ctx) -> None:
    """Just open the app: the case is in what it shows while loading."""
    await settle(ctx.pilot, 1)


def press_t(function: str, before: Callable[[Ctx], None] | None = None) -> Drive:
    """Select `function`, press t, and wait for the test dialog's verdict."""

    async def drive(ctx: Ctx) -> None:
        await choose(ctx, function)
        if before:
            before(ctx)
        await ctx.pilot.press("t")
        await wait_for(ctx.pilot, lambda: isinstance(ctx.app.screen, TestModal))
        summary = ctx.app.screen.query_one("#test-summary", Static)
        await wait_for(ctx.pilot, lambda: not str(summary.render()).startswith("Testing"))

    return drive


def upload_form(function: str, *, name: str | None = None, rate: str | None = None,
                before: Callable[[Ctx], None] | None = None) -> Drive:
    """Select `function`, press u, fill the form, press ctrl+s and wait for what follows."""

    async def drive(ctx: Ctx) -> None:
        await choose(ctx, function)
        if before:
            before(ctx)
        await ctx.pilot.press("u")
        await wait_for(ctx.pilot, lambda: isinstance(ctx.app.screen, UploadModal))
        await settle(ctx.pilot, 1)
        if name is not None:
            if name.isascii():
                await type_into(ctx, "#upload-name", name)
            else:  # the key simulator only knows ASCII characters; a paste does the rest
                ctx.app.screen.query_one("#upload-name", Input).value = name
        if rate is not None:
            await type_into(ctx, "#upload-rate", rate)
        await ctx.pilot.press("ctrl+s")
        await settle(ctx.pilot)

    return drive


def replace_rule(function: str) -> Drive:
    async def drive(ctx: Ctx) -> None:
        await choose(ctx, function)
        await ctx.pilot.press("U")
        await settle(ctx.pilot)
        await ctx.pilot.press("y")
        await settle(ctx.pilot)

    return drive


def delete_rule(name: str, before: Callable[[Ctx], None] | None = None) -> Drive:
    async def drive(ctx: Ctx) -> None:
        select_rule(ctx.app, name)
        await settle(ctx.pilot, 1)
        if before:
            before(ctx)
        await ctx.pilot.press("d")
        await ctx.pilot.pause()
        await ctx.pilot.press("y")
        await settle(ctx.pilot)

    return drive


def start_run(target: str = "demo", evaluator: str | None = None,
              before: Callable[[Ctx], None] | None = None) -> Drive:
    """ctrl+r, fill the start form (dataset: the first one), ctrl+s, and wait for the run to settle."""

    async def drive(ctx: Ctx) -> None:
        await ctx.pilot.press("ctrl+r")
        await wait_for(ctx.pilot, lambda: isinstance(ctx.app.screen, StartExperimentModal))
        modal = ctx.app.screen
        await wait_for(ctx.pilot, lambda: modal.query_one(SelectionList).option_count > 0)
        await ctx.pilot.pause()
        tiny = next(d for d in modal.choices.datasets if d.name == TINY)
        modal.query_one("#start-dataset", Select).value = tiny.id
        await ctx.pilot.pause()
        if evaluator is not None:
            picks = modal.query_one(SelectionList)
            picks.deselect_all()
            picks.select(f"{ctx.file('evals.py')}:{evaluator}")
        await type_into(ctx, "#start-target", target)
        if before:
            before(ctx)
        await ctx.pilot.press("ctrl+s")
        await ctx.pilot.pause()
        if isinstance(ctx.app.screen, StartExperimentModal):
            return  # the form said what is wrong
        pane = ctx.app.screen.query_one(RunnerPane)
        await wait_for(ctx.pilot, lambda: pane.stats.status in ("done", "failed", "cancelled")
                       and not pane.running, timeout=15)

    return drive


# -- setups -------------------------------------------------------------------------------------


def write_file(name: str, data: str | bytes) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        path = ctx.file(name)
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")

    return setup


def edit_evals(replace: str, by: str) -> Callable[[Ctx], None]:
    """The user edits evals.py in their editor while the app shows the old listing."""

    def edit(ctx: Ctx) -> None:
        path = ctx.file("evals.py")
        path.write_text(path.read_text().replace(replace, by), encoding="utf-8")

    return edit


def env(**values: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        for key, value in values.items():
            ctx.monkeypatch.setenv(key, value)

    return setup


def both(*steps: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        for step in steps:
            step(ctx)

    return setup


def inject(method: str, path: str, **kw: Any) -> Callable[[Ctx], None]:
    return lambda ctx: ctx.langsmith.inject(method, path, **kw) and None


def openai_mode(mode: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        ctx.openai.mode = mode

    return setup


def slow_server(ctx: Ctx) -> None:
    ctx.monkeypatch.setenv("EVALTUI_HTTP_TIMEOUT", "0.3")
    ctx.langsmith.inject("GET", r"^(/api/v[12])?/runs/rules", status=None, delay=1.0, times=3)


def seed_remote_rule(name: str, code: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        ds = next(d for d in ctx.langsmith.datasets.values() if d["name"] == FINAL)
        ctx.langsmith.seed_rule(name, code, dataset_id=ds["id"])

    return setup


def delete_keep_elsewhere(ctx: Ctx) -> None:
    """Another process deletes the rule after the app listed it."""
    from tui.backend.workspace.local import LocalBackend

    with LocalBackend(ctx.home / "workspace.sqlite3") as other:
        (rule,) = other.list_rules(KEEP)
        other.delete_rule(rule.id)


def drop_tiny_dataset(ctx: Ctx) -> None:
    """Another process removes the dataset the start form offers."""
    conn = sqlite3.connect(str(ctx.home / "workspace.sqlite3"))
    try:
        with conn:
            (dataset_id,) = conn.execute("SELECT id FROM datasets WHERE name = ?", (TINY,)).fetchone()
            conn.execute("DELETE FROM examples WHERE dataset_id = ?", (dataset_id,))
            conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))
    finally:
        conn.close()


def lock_now(ctx: Ctx) -> None:
    lock_workspace(ctx)  # type: ignore[arg-type]  # the same fields as the CLI's Env


# -- checks -------------------------------------------------------------------------------------


def still_lists(*names: str) -> Callable[[Ctx, str], None]:
    def check(ctx: Ctx, text: str) -> None:
        listed = {f.name for f in ctx.app.screen.evaluators.local_functions}
        assert set(names) <= listed, f"{names} not all listed in {listed}"

    return check


def marker_absent(ctx: Ctx, text: str) -> None:
    assert not ctx.file("IMPORT_MARKER").exists(), "the module body was executed"
    assert any(r.name == "ok" for r in ctx.app.screen.evaluators.rules)


def screen_is_small(ctx: Ctx, text: str) -> None:
    assert "HUGE" * 2_000 not in text, "a huge comment was put on screen whole"


def rule_listed(name: str) -> Callable[[Ctx, str], None]:
    def check(ctx: Ctx, text: str) -> None:
        assert any(r.name == name for r in ctx.app.screen.evaluators.rules)

    return check


def grid_marks_errors(ctx: Ctx, text: str) -> None:
    pane = ctx.app.screen.query_one(RunnerPane)
    assert pane.stats.status == "done" and pane.stats.done == 2
    assert "⚠ error" in text


def workspace_file_untouched(ctx: Ctx, text: str) -> None:
    assert (ctx.home / "workspace.sqlite3").read_bytes() == b"this is not an sqlite database\n" * 200
    assert ctx.app.main_screen.status.state == "error"


def not_connected(ctx: Ctx, text: str) -> None:
    assert ctx.app.main_screen.status.state == "error"
    assert "not connected" in str(ctx.app.main_screen.status.render())
    said = [n for n in ctx.app._notifications if "Could not connect" in n.message]
    assert len(said) == 1, "every loader repeated the same error"


CASES = [
    # -- evaluator files: listed by AST, never executed --------------------------------------------
    Case("syntax-error-listed", idle, ("Evaluator file", "syntax.py:1", "syntax error"),
         setup=write_file("syntax.py", "def f(inputs, outputs:\n    pass\n"), check=still_lists("good", "raises")),
    Case("non-utf8-listed", idle, ("latin.py is not valid UTF-8", "byte 0xe9"),
         setup=write_file("latin.py", b"def f(inputs, outputs, reference_outputs):\n    return 1  # caf\xe9\n"),
         check=still_lists("good")),
    Case("side-effects-never-run", upload_form("ok"), ("Uploaded evaluator 'ok'",),
         setup=write_file("side.py", SIDE_EFFECTS), changes_state=True, absent=("IMPORT NOISE",),
         check=marker_absent),
    Case("function-removed-after-listing", upload_form("good", before=edit_evals("def good(", "def gone(")),
         ("Upload failed", "'good' not found")),
    Case("wrong-signature-after-listing",
         upload_form("good", before=edit_evals("def good(inputs, outputs, reference_outputs)",
                                               "def good(a, b, c, d)")),
         ("Upload failed", "good(a, b, c, d)", "not an evaluator signature")),
    Case("file-deleted-after-listing", press_t("good", before=lambda ctx: ctx.file("evals.py").unlink()),
         ("evals.py", "does not exist")),
    # -- evaluators that misbehave, in the test dialog (t) -----------------------------------------
    Case("raises", press_t("raises"), ("raised ValueError: kaboom in the evaluator",)),
    Case("hangs", press_t("hangs"), ("timed out after 0.2s",), setup=env(EVALTUI_TEST_TIMEOUT="0.2")),
    Case("returns-none", press_t("ret_none"), ("returned None",)),
    Case("returns-string", press_t("ret_str"), ("returned 'great'",)),
    Case("returns-list", press_t("ret_list"), ("returned [1, 2, 3]",)),
    Case("dict-without-score", press_t("ret_no_score"), ("'ret_no_score'", "score")),
    Case("returns-nan", press_t("ret_nan"), ("not a finite number",)),
    Case("huge-comment", press_t("huge_comment"), ("known-good pairs score higher",), check=screen_is_small),
    Case("prints-to-stdout", press_t("prints"), ("known-good pairs score higher",),
         absent=("NOISE FROM THE EVALUATOR",)),
    # -- the upload form ---------------------------------------------------------------------------
    Case("sample-rate-negative", upload_form("good", rate="-1"), ("sampling rate", "between 0 and 1", "-1")),
    Case("sample-rate-above-one", upload_form("good", rate="1.5"), ("sampling rate", "between 0 and 1", "1.5")),
    Case("sample-rate-text", upload_form("good", rate="abc"), ("sampling rate", "must be a number", "'abc'")),
    Case("empty-name", upload_form("good", name="  "), ("name",)),
    Case("unicode-quoted-name", upload_form("good", name=UNICODE_NAME), (f"Uploaded evaluator {UNICODE_NAME!r}",),
         changes_state=True, check=rule_listed(UNICODE_NAME)),
    Case("rule-deleted-elsewhere", delete_rule(KEEP, before=delete_keep_elsewhere), (f"Deleted evaluator {KEEP!r}",),
         changes_state=True),
    # -- experiments (ctrl+r) ----------------------------------------------------------------------
    Case("bad-target", start_run(target="no_such_module.py:agent"), ("failed", "no_such_module.py")),
    Case("empty-target", start_run(target=" "), ("Give a target",)),
    Case("dataset-gone-before-run", start_run(before=drop_tiny_dataset, evaluator="good"),
         ("failed", f"Dataset {TINY!r} not found"), changes_state=True),
    Case("judge-broken-json", start_run(evaluator="judge"), ("done —", "2 evaluator errors"), backend="judge",
         setup=openai_mode("broken_json"), changes_state=True, check=grid_marks_errors),
    Case("judge-429", start_run(evaluator="judge"), ("done —", "2 evaluator errors"), backend="judge",
         setup=openai_mode("rate_limit"), changes_state=True, check=grid_marks_errors),
    Case("judge-refusal", start_run(evaluator="judge"), ("done —", "2 evaluator errors"), backend="judge",
         setup=openai_mode("refusal"), changes_state=True, check=grid_marks_errors),
    # -- the workspace file ------------------------------------------------------------------------
    Case("corrupted-workspace", idle, ("Could not open the workspace", "is corrupted"), setup=corrupt_workspace,
         check=workspace_file_untouched),
    Case("locked-workspace", upload_form("good", before=lock_now), ("Upload failed", "is locked by another process"),
         setup=env(EVALTUI_LOCK_TIMEOUT="0.3")),
    # -- the LangSmith server ----------------------------------------------------------------------
    Case("http-401", idle, ("rejected the API key (HTTP 401)",), backend="langsmith",
         setup=inject("GET", r"^(/api/v[12])?/runs/rules", status=401, times=5), recovers=True),
    Case("http-403-delete", delete_rule(KEEP), ("Delete failed", "rejected the API key (HTTP 403)"),
         backend="langsmith", setup=inject("DELETE", r"^(/api/v[12])?/runs/rules", status=403), recovers=True),
    Case("http-404", idle, ("not found",), backend="langsmith",
         setup=inject("GET", r"^(/api/v[12])?/runs/rules", status=404, times=5), recovers=True),
    Case("http-429-upload", upload_form("good"), ("Upload failed", "rate limiting", "HTTP 429"),
         backend="langsmith", setup=inject("POST", r"^(/api/v[12])?/runs/rules", status=429, times=10), recovers=True),
    Case("http-500-replace", replace_rule("good"), ("server error (HTTP 500)", "old rule is still in place"),
         backend="langsmith", recovers=True,
         setup=both(seed_remote_rule("good", KEEP_CODE), inject("PATCH", r"^(/api/v[12])?/runs/rules", status=500, times=10))),
    Case("connection-refused", idle, ("Could not connect to LangSmith",), backend="langsmith", setup=refused,
         check=not_connected),
    Case("slow-server", idle, ("did not answer within 0.3 s",), backend="langsmith", setup=slow_server,
         recovers=True),
]


# -- the harness ----------------------------------------------------------------------------------


def _snapshot(ctx: Ctx) -> Any:
    if ctx.backend == "langsmith":
        return copy.deepcopy(ctx.langsmith.rules)
    db = ctx.home / "workspace.sqlite3"
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            return (conn.execute("SELECT * FROM rules ORDER BY id").fetchall(),
                    conn.execute("SELECT count(*) FROM experiments").fetchone())
        finally:
            conn.close()
    except sqlite3.Error:
        return db.read_bytes()


def _seed_local(home: Path) -> None:
    from tui.backend.core.models import RuleSpec
    from tui.backend.workspace.local import LocalBackend

    with LocalBackend(home / "workspace.sqlite3") as backend:
        final = backend.get_dataset(FINAL)
        backend.create_rule(RuleSpec(name=KEEP, code=KEEP_CODE, sampling_rate=1.0, dataset_id=final.id))
        first_two = list(backend.list_examples(final.id, limit=2))
        backend.add_dataset(TINY, ({"inputs": e.inputs, "outputs": e.outputs} for e in first_two))


@pytest.fixture
def make_ctx(tmp_path, evaltui_home, monkeypatch, request):
    monkeypatch.setenv("EVALTUI_DEBUG", "0")

    def build(case: Case) -> Ctx:
        evals_dir = tmp_path / "evals"
        evals_dir.mkdir()
        (evals_dir / "evals.py").write_text(EVALUATORS.replace("time.sleep(20)", "time.sleep(1)"), encoding="utf-8")
        ctx = Ctx(tmp=tmp_path, home=evaltui_home, evals_dir=evals_dir,
                  backend="langsmith" if case.backend == "langsmith" else "local", monkeypatch=monkeypatch)
        if case.backend == "langsmith":
            fake = request.getfixturevalue("langsmith_env")
            ds = fake.seed_dataset(FINAL, [({"query": f"q{i}"}, {"expected_response": f"a{i}"}) for i in range(3)])
            fake.seed_rule(KEEP, KEEP_CODE, dataset_id=ds["id"])
            ctx.langsmith = fake
        else:
            _seed_local(evaltui_home)
            if case.backend == "judge":
                ctx.openai = request.getfixturevalue("openai_env")
                monkeypatch.setenv("EVALTUI_JUDGE_MAX_RETRIES", "0")
        return ctx

    return build


async def _back_to_main(ctx: Ctx) -> None:
    for _ in range(4):
        if isinstance(ctx.app.screen, MainScreen):
            return
        await ctx.pilot.press("escape")
        await settle(ctx.pilot, 1)
    assert isinstance(ctx.app.screen, MainScreen), f"stuck on {ctx.app.screen!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input(case: Case, make_ctx):
    ctx = make_ctx(case)
    if case.setup:
        case.setup(ctx)
    before = _snapshot(ctx)
    app = EvalTuiApp(Settings.from_env(backend="langsmith" if ctx.backend == "langsmith" else "local"),
                     evaluator_dir=ctx.evals_dir)
    try:
        async with app.run_test(size=SIZE) as pilot:
            ctx.app, ctx.pilot = app, pilot
            await settle(pilot)
            await case.drive(ctx)
            await wait_for(pilot, lambda: all(e in visible_text(app) for e in case.expect), timeout=8)
            text = visible_text(app)
            if ctx.lock is not None:
                ctx.lock.execute("ROLLBACK")
                ctx.lock.close()
                ctx.lock = None
            for expected in case.expect:
                assert expected in text, f"{expected!r} missing from:\n{text[-4000:]}"
            screenshot = app.export_screenshot()
            for unwanted in ("Traceback", *case.absent):
                assert unwanted not in text and unwanted not in screenshot, unwanted
            if ctx.langsmith is not None:
                assert ctx.langsmith.api_key not in text and ctx.langsmith.api_key not in screenshot
            if not case.changes_state:
                assert _snapshot(ctx) == before, "the workspace changed"
            if case.check:
                case.check(ctx, text)

            # Still running and answering keys, with every dialog closable.
            await _back_to_main(ctx)
            assert app.is_running
            main = app.main_screen
            await wait_for(pilot, lambda: not main.query_one("#datasets-table").loading
                           and not main.query_one("#rules-table").loading)
            for key, pane in (("2", "datasets-table"), ("1", "rules-table")):
                # On a loaded machine a dialog can still be closing when the first press lands;
                # the app must answer the key within a few tries, not ignore it for good.
                for _attempt in range(3):
                    await pilot.press(key)
                    if await wait_for(pilot, lambda: getattr(app.focused, "id", None) == pane,  # noqa: B023
                                      timeout=2):
                        break
                assert getattr(app.focused, "id", None) == pane, (
                    f"key {key} did not focus {pane}; focus is on {app.focused!r}")

            if case.recovers:
                ctx.langsmith.clear_faults()
                # A refresh reads rules, files, datasets and workspace evaluators; with the 0.3 s
                # timeout of the slow-server case one of them can still time out on a loaded
                # machine, so the user's next `r` is allowed too: recovery, not a first-try race.
                for _attempt in range(3):
                    await pilot.press("r")
                    await settle(pilot)
                    await wait_for(pilot, lambda: app.screen.evaluators.rules)
                    if case.id == "http-403-delete" or await wait_for(
                            pilot, lambda: app.screen.status.state == "connected", timeout=3):
                        break
                assert KEEP in {r.name for r in app.screen.evaluators.rules}
                if case.id != "http-403-delete":
                    assert app.screen.status.state == "connected"
            await pilot.press("q")
        assert not app.is_running
    finally:
        if ctx.lock is not None:
            ctx.lock.execute("ROLLBACK")
            ctx.lock.close()


def test_the_matrix_is_big_enough():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
