"""The Textual app: `EvalTuiApp` and `run_app`, the entry point `tui/__main__.py` calls.

Startup stays light: no langsmith import here; the backend is opened in a worker after the
first frame (see `MainScreen.open_backend`); screens that only a key opens are imported then.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

from .backend.config import Settings
from .screens.main_screen import MainScreen
from .widgets.source_viewer import SourceViewer


def default_evaluator_dir(settings: Settings) -> Path:
    """`./evaluators` when it exists, else the sample files under `$EVALTUI_HOME/evaluators`."""
    local = Path.cwd() / "evaluators"
    return local if local.is_dir() else settings.home / "evaluators"


class EvalTuiCommands(Provider):
    """One palette entry per key binding of the main screen, the source viewer and the app."""

    def _commands(self) -> list[tuple[str, Any, str]]:
        app: EvalTuiApp = self.app  # type: ignore[assignment]
        main = app.main_screen
        entries: list[tuple[str, Any, str]] = []
        targets: list[tuple[Any, list[BindingType]]] = [
            (main, MainScreen.BINDINGS),
            (main.query_one(SourceViewer), SourceViewer.BINDINGS),
            (app, EvalTuiApp.BINDINGS),
        ]
        for namespace, bindings in targets:
            for b in bindings:
                assert isinstance(b, Binding)
                key = app.get_key_display(Binding(b.key.split(",")[0], ""))
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
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="List every key"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave evaltui"),
    ]

    def __init__(self, settings: Settings, evaluator_dir: Path | None = None, backend: Any = None) -> None:
        super().__init__()
        self.settings = settings
        self.evaluator_dir = Path(evaluator_dir) if evaluator_dir else default_evaluator_dir(settings)
        self.backend = backend
        self._owns_backend = backend is None
        self.sub_title = "LangSmith" if settings.backend == "langsmith" else "local workspace"
        self.main_screen = MainScreen(settings.backend, settings.masked_key)

    def on_mount(self) -> None:
        self.push_screen(self.main_screen)

    def action_help(self) -> None:
        # Imported here: the experiments screen is not needed for the first frame.
        from .screens.experiments_screen import ExperimentsScreen
        from .screens.help_screen import HelpScreen
        from .widgets.filter_bar import FilterBar
        from .widgets.runner_pane import RunnerPane

        if isinstance(self.screen, HelpScreen):
            return
        sections: list[tuple[str, list[BindingType]]] = [
            ("Anywhere", list(EvalTuiApp.BINDINGS) + [
                Binding("tab", "focus_next", "Next pane / widget"),
                Binding("shift+tab", "focus_previous", "Previous pane / widget"),
                Binding("ctrl+p", "command_palette", "Command palette", tooltip="Search every action"),
            ]),
            ("Main screen", list(MainScreen.BINDINGS)),
            ("Source viewer (key 3)", list(SourceViewer.BINDINGS)),
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
    """Run the app until the user quits; returns the process exit code."""
    app = EvalTuiApp(settings, evaluator_dir=evaluator_dir)
    result = app.run()
    return int(result or 0) if app.return_code is None else app.return_code
