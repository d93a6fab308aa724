"""The Textual app: `EvalTuiApp` and `run_app`, the entry point `tui/__main__.py` calls.

Startup stays light: the first frame is `StartupScreen` (the layout, with empty panes). Right after
it is painted, the workspace is opened in a thread (langsmith alone takes ~1.5 s to import) while
the main screen is imported and built; the main screen takes the workspace from
`when_backend_settled`. Screens that only a key opens are imported then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.backend.core.config import Settings, default_evaluator_dir
from tui.backend.core.errors import describe_error
from tui.keymap import KEYMAP_FILE, binding_keys, load_keymap
from tui.screens.startup_screen import StartupScreen

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.backend.workspace.base import Backend
    from tui.screens.main_screen import MainScreen


BackendListener = Callable[[str | None, str | None], None]


class EvalTuiCommands(Provider):
    """One palette entry per key binding of the main screen, the source viewer and the app."""

    def _commands(self) -> list[tuple[str, Any, str]]:
        app: EvalTuiApp = self.app  # type: ignore[assignment]
        entries: list[tuple[str, Any, str]] = []
        targets: list[tuple[Any, list[BindingType]]] = [(app, EvalTuiApp.BINDINGS)]
        if app.main_screen_built:
            from tui.widgets.runner_keys import palette_bindings
            from tui.widgets.source_viewer import SourceViewer

            main = app.main_screen
            targets[:0] = [(main, type(main).BINDINGS), (main, palette_bindings()),
                           (main.query_one(SourceViewer), SourceViewer.BINDINGS),
                           (main.datasets, type(main.datasets).BINDINGS),
                           (main.examples, type(main.examples).BINDINGS)]
        for namespace, bindings in targets:
            for b in bindings:
                assert isinstance(b, Binding)
                if any(name == b.description for name, _, _ in entries):
                    continue  # one entry per command (help is both ? and f1)
                key = app.get_key_display(Binding(binding_keys(app.keymap, b).split(",")[0], ""))
                entries.append(
                    (b.description, partial(namespace.run_action, b.action), f"{b.tooltip or b.description} ({key})")
                )
        return entries

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class EvalTuiApp(App[int]):
    """Write, test, upload and run LangSmith evaluators. `backend` may be injected (tests)."""

    CSS_PATH = "app.tcss"
    TITLE = "evaltui"
    COMMANDS = App.COMMANDS | {EvalTuiCommands}
    QUIT = Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave evaltui")
    BINDINGS = [
        # Priority: the keys typed right after `?` reach the help screen, not the widget focused
        # before it (see check_action: in a text field "?" is typed; f1 opens help there too).
        Binding("question_mark", "help", "Help", id="app.help", tooltip="List every key", priority=True),
        Binding("f1", "help('anywhere')", "Help", id="app.help_f1",
                tooltip="List every key (also while typing in a field)", show=False),
        QUIT,
    ]

    def __init__(self, settings: Settings, evaluator_dir: Path | None = None,
                 backend: Backend | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.evaluator_dir = Path(evaluator_dir) if evaluator_dir else default_evaluator_dir(settings.home)
        #: the open workspace, None until it has opened; widgets reach it via `backend_access`
        self.backend: Backend | None = backend
        #: binding id -> keys, from `$EVALTUI_HOME/keymap.toml` (see `tui.keymap`)
        self.keymap: dict[str, str] = {}
        self._owns_backend = backend is None
        self.sub_title = "LangSmith" if settings.backend == "langsmith" else "local workspace"
        self._main_screen: MainScreen | None = None
        self._backend_outcome: tuple[str | None, str | None] | None = None  # (description, error)
        self._backend_listener: BackendListener | None = None
        self._building_main_screen = False
        self._exit_when_built: tuple[Any, int, Any] | None = None

    @property
    def main_screen_built(self) -> bool:
        return self._main_screen is not None

    @property
    def main_screen(self) -> MainScreen:
        if self._main_screen is None:
            raise RuntimeError("The main screen is built after the first frame; it is not there yet.")
        return self._main_screen

    def on_mount(self) -> None:
        self.load_user_keymap()
        startup = StartupScreen(self.settings.backend, self.settings.masked_key)
        self.push_screen(startup)
        self.call_after_refresh(self._after_first_frame, startup)

    async def action_quit(self) -> None:
        """Quit; while an experiment runs, ask first (cancel it / keep it / quit anyway)."""
        pane = self._running_pane()
        if pane is None:
            await super().action_quit()
            return
        from tui.modals.quit_modal import QuitDuringRunModal

        stats = pane.stats
        self.push_screen(QuitDuringRunModal(stats.name, stats.done, stats.total),
                         lambda choice: self._quit_chosen(choice, pane))

    def _running_pane(self):
        if not self.main_screen_built:
            return None
        from textual.css.query import NoMatches

        try:
            pane = self.main_screen.runner_pane
        except NoMatches:  # the main screen is not composed yet
            return None
        return pane if pane.running else None

    def _quit_chosen(self, choice: str | None, pane: Any) -> None:
        if choice == "quit":
            self.exit(0)
        elif choice == "cancel":
            pane.cancel()
            self._exit_when_run_ends(pane, waited=0.0)

    def _exit_when_run_ends(self, pane: Any, waited: float) -> None:
        # The runner stops at its next await and stores what finished; then quit (at most 15 s).
        if not pane.running or waited >= 15.0:
            self.exit(0)
            return
        self.set_timer(0.1, lambda: self._exit_when_run_ends(pane, waited + 0.1))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help" and not parameters and (
                self._typing() or getattr(self.screen, "closes_on_help_key", False)):
            return False  # "?" goes into the input, or closes the help screen
        return True

    def _typing(self) -> bool:
        from textual.widgets import Input, TextArea

        focused = self.focused
        return isinstance(focused, Input) or (isinstance(focused, TextArea) and not focused.read_only)

    def action_help_quit(self) -> None:
        """ctrl+c with no experiment running (the footer and help say it cancels one)."""
        quit_key = self.get_key_display(Binding(binding_keys(self.keymap, self.QUIT).split(",")[0], ""))
        self.notify(f"No experiment is running: ctrl+c cancels one. Press {quit_key} to quit.",
                    title="Nothing to cancel", timeout=4)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's palette commands, with our Maximize (`m`, every pane) instead of Textual's and
        a Screenshot saved where the user can find it (Textual's goes to ~/Downloads, often missing)."""
        ours = self.main_screen_built and screen is self.main_screen
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot" or (ours and command.title in ("Maximize", "Minimize")):
                continue
            yield command
        yield SystemCommand("Screenshot", f"Save an SVG picture of the screen in {self.screenshot_dir}",
                            lambda: self.set_timer(0.1, self.save_screenshot_file))

    @property
    def screenshot_dir(self) -> Path:
        return self.settings.home / "screenshots"

    def save_screenshot_file(self) -> Path | None:
        """Save the screen as SVG under `screenshot_dir` and say where; None when it could not."""
        try:
            self.screenshot_dir.mkdir(parents=True, exist_ok=True)
            path = Path(self.save_screenshot(path=str(self.screenshot_dir)))
        except OSError as err:
            self.notify(f"Could not save the screenshot in {self.screenshot_dir}: {err.strerror or err}",
                        title="Screenshot", severity="error")
            return None
        self.notify(f"Saved {path}", title="Screenshot", markup=False)
        return path

    def load_user_keymap(self) -> None:
        """Apply `$EVALTUI_HOME/keymap.toml`; a bad file is a notification, never a crash."""
        keymap, problem = load_keymap(self.settings.home / KEYMAP_FILE)
        self.keymap = keymap
        if keymap:
            self.set_keymap(keymap)
        if problem:
            self.notify(problem, title="Keymap", severity="warning", timeout=15)

    def _after_first_frame(self, startup: StartupScreen) -> None:
        if self.backend is None:
            self.open_backend()
        else:  # injected (tests)
            self._backend_settled(self.backend.describe(), None)
        self.run_worker(self._show_main_screen(startup), name="show main screen")

    @work(thread=True, exclusive=True, group="open-backend", exit_on_error=False)
    def open_backend(self) -> None:
        from tui.backend.workspace.factory import open_backend

        try:
            backend = open_backend(self.settings)
        except Exception as err:  # noqa: BLE001 - shown to the user, the app keeps running
            self.call_from_thread(self._backend_settled, None, describe_error(err))
            return
        self.backend = backend
        self.call_from_thread(self._backend_settled, backend.describe(), None)

    def _backend_settled(self, description: str | None, error: str | None) -> None:
        self._backend_outcome = (description, error)
        if self._backend_listener is not None:
            self._backend_listener(description, error)

    @property
    def backend_outcome(self) -> tuple[str | None, str | None] | None:
        """(description, error) once the workspace opened or failed to; None while it is opening."""
        return self._backend_outcome

    def when_backend_settled(self, listener: BackendListener) -> None:
        """Call `listener(description, error)` once the workspace opened or failed: now if it already has."""
        if self._backend_outcome is not None:
            listener(*self._backend_outcome)
        else:
            self._backend_listener = listener

    async def _show_main_screen(self, startup: StartupScreen) -> None:
        # Imported in a thread: the loop stays free to paint and to take keys meanwhile.
        module = await asyncio.to_thread(import_module, ".screens.main_screen", __package__)
        while self.screen is not startup:
            # The command palette (a priority key) or help covers the startup screen: wait for it.
            if self._exit or startup not in self.screen_stack:
                return
            await asyncio.sleep(0.05)
        if self._exit:  # quit (or a test finished) before the main screen was needed
            return
        self._main_screen = module.MainScreen(self.settings.backend, self.settings.masked_key)
        self._building_main_screen = True
        try:
            await self.switch_screen(self._main_screen)
        finally:
            self._building_main_screen = False
        if self._exit_when_built is not None:
            super().exit(*self._exit_when_built)
            return
        await startup.replay_keys(self)

    def exit(self, result: Any = None, return_code: int = 0, message: Any = None) -> None:
        # Quitting while the main screen mounts would tear down half-mounted widgets (errors
        # instead of a clean exit): quit as soon as it is mounted instead, a few ms later.
        if self._building_main_screen:
            self._exit_when_built = (result, return_code, message)
            return
        super().exit(result, return_code, message)

    def action_help(self, _from: str = "") -> None:
        if isinstance(self.screen, StartupScreen):  # kept, and shown over the main screen (see replay_keys)
            self.screen.keep_key(events.Key("question_mark", "?"))
            return
        # Imported here: the experiments screen is not needed for the first frame.
        from tui.screens.experiments_screen import ExperimentsScreen
        from tui.screens.help_screen import HelpScreen
        from tui.screens.main_screen import MainScreen
        from tui.widgets.datasets_pane import DatasetsPane
        from tui.widgets.examples_pane import ExamplesPane
        from tui.widgets.filter_bar import FilterBar
        from tui.widgets.runner_pane import RunnerPane
        from tui.widgets.source_viewer import SourceViewer

        if isinstance(self.screen, HelpScreen):
            return
        sections: list[tuple[str, list[BindingType]]] = [
            ("Anywhere", list(EvalTuiApp.BINDINGS) + [
                Binding("tab", "focus_next", "Next pane / widget"),
                Binding("shift+tab", "focus_previous", "Previous pane / widget"),
                Binding("ctrl+p", "command_palette", "Command palette", tooltip="Search every action"),
            ]),
            ("Main screen", list(MainScreen.BINDINGS)),
            ("Datasets pane (key 2)", list(DatasetsPane.BINDINGS)),
            ("Source viewer (key 3)", list(SourceViewer.BINDINGS)),
            ("Examples pane (key 4)", list(ExamplesPane.BINDINGS)),
            ("Runner (key 5)", list(RunnerPane.BINDINGS)),
            ("Experiments list", list(ExperimentsScreen.BINDINGS)),
            ("Lists", [Binding("enter", "select", "Open the row (examples: full JSON)"),
                       Binding("up,down,pageup,pagedown", "move", "Move the cursor")]),
            ("Filter bar", [Binding("enter", "keep", "Keep the filter"), *FilterBar.BINDINGS]),
            ("Dialogs", [Binding("escape", "cancel", "Cancel / close"),
                         Binding("y", "yes", "Confirm delete / replace"),
                         Binding("ctrl+s", "submit", "Upload from the upload form"),
                         Binding("ctrl+t", "rerun", "Run the test again")]),
        ]
        self.push_screen(HelpScreen(sections))

    def on_unmount(self) -> None:
        if self._owns_backend and self.backend is not None:
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 - closing must never crash the exit
                pass


def run_app(settings: Settings, evaluator_dir: Path | None) -> int:
    """Run the app until the user quits; returns the process exit code. A folder named with `--dir`
    must exist (the default one is created with the sample files)."""
    default = default_evaluator_dir(settings.home)
    if evaluator_dir is not None and Path(evaluator_dir) != default and not Path(evaluator_dir).is_dir():
        from tui.backend.core.errors import InvalidInput

        what = "is not a folder" if Path(evaluator_dir).exists() else "does not exist"
        raise InvalidInput(f"The evaluator folder {evaluator_dir} {what} (--dir). Create it, or start "
                           f"evaltui without --dir to use {default}.")
    app = EvalTuiApp(settings, evaluator_dir=evaluator_dir)
    result = app.run()
    return int(result or 0) if app.return_code is None else app.return_code
