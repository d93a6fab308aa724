"""Start an experiment (or re-score one): dataset, target, evaluators, prefix, max concurrency.

The choices are loaded in a thread worker (datasets and rules may come over the network); the
modal shows which rules will score the experiment automatically. It returns a `StartRequest`
(or None when cancelled); the runner pane turns it into `RunOptions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from tui.backend.runs.choices import (
    RunChoices,
    judge_key_missing,
    judge_key_note,
    load_run_choices,
    suggested_evaluators,
)
from tui.widgets.backend_access import current_backend
from tui.widgets.tick_list import TickList


@dataclass(frozen=True)
class StartRequest:
    dataset: str = ""
    target: str = "demo"
    evaluators: tuple[str, ...] = ()
    prefix: str = "evaltui"
    max_concurrency: int = 4
    judge_cache: bool = True
    timeout: float | None = 30.0  # seconds one evaluator call may take (None: no limit)
    dataset_id: str = ""  # the chosen dataset's id (`dataset` is its name when that is unique)


def parse_concurrency(text: str) -> int:
    """An integer >= 1, else ValueError with a sentence for the form."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("Max concurrency must be a whole number.") from None
    if value < 1:
        raise ValueError("Max concurrency must be at least 1.")
    return value


def parse_timeout(text: str) -> float | None:
    """Seconds > 0 (empty: no limit), else ValueError with a sentence for the form."""
    if not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("The evaluator timeout must be a number of seconds.") from None
    if not value > 0:
        raise ValueError("The evaluator timeout must be more than 0 seconds (empty: no limit).")
    return value


class StartExperimentModal(ModalScreen["StartRequest | None"]):
    """mode="run": the full form; mode="rescore": evaluators only, for an existing experiment."""

    DEFAULT_CSS = """
    StartExperimentModal {
        align: center middle;
        background: $background;  /* opaque: blending the main screen behind costs ~0.1 s a paint */
    }
    StartExperimentModal #start-dialog {
        width: 90;
        max-width: 96%;
        height: auto;
        max-height: 96%;
        border: thick $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    StartExperimentModal .form-row {
        height: auto;
        margin-top: 1;
    }
    StartExperimentModal .form-label {
        width: 18;
    }
    StartExperimentModal .form-label-inline {
        width: auto;
    }
    StartExperimentModal .form-row Input, StartExperimentModal .form-row Select {
        width: 1fr;
    }
    StartExperimentModal #start-evaluators {
        height: auto;
        max-height: 10;
    }
    StartExperimentModal .hint {
        color: $text-muted;
        height: auto;
    }
    StartExperimentModal #start-judge-key {
        color: $warning;
        height: auto;
        display: none;  /* shown when judges are offered without OPENAI_API_KEY */
    }
    StartExperimentModal #start-rules {
        height: auto;
        margin-top: 1;
        color: $text-muted;
    }
    StartExperimentModal #start-error {
        color: $error;
        height: auto;
        dock: bottom;  /* with the buttons: always in view, however small the terminal */
        margin-bottom: 1;
    }
    StartExperimentModal .buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
        dock: bottom;
    }
    StartExperimentModal .buttons Button {
        margin-left: 2;
    }
    """

    # Not the scrolling dialog: a focus moving in and out of it restyles the whole form (~0.1 s).
    AUTO_FOCUS = "#start-dataset, #start-evaluators"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="start.cancel"),
        Binding("ctrl+s,ctrl+r", "submit", "Start", id="start.submit"),  # ctrl+r twice: run it again
    ]

    def __init__(self, evaluator_dir: Path | None = None, *, mode: str = "run", title: str | None = None,
                 preset: StartRequest | None = None) -> None:
        super().__init__()
        self.evaluator_dir = evaluator_dir
        self.mode = mode
        self.title_text = title or ("Re-score experiment" if mode == "rescore" else "Start an experiment")
        self.preset = preset or StartRequest()
        self.choices = RunChoices()

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        run = self.mode == "run"
        with VerticalScroll(id="start-dialog") as dialog:
            dialog.border_title = self.title_text
            if run:
                with Horizontal(classes="form-row"):
                    yield Label("Dataset", classes="form-label")
                    yield Select[str]([], id="start-dataset", prompt="loading datasets…", allow_blank=True,
                                      compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("Target", classes="form-label")
                    yield Input(self.preset.target, id="start-target", compact=True,
                                placeholder="demo, path/to/file.py:function or package.module:function")
                yield Static("`demo` is the demo agent that answers the demo datasets.", classes="hint")
            yield Static("Evaluators (space to tick; ✓ ticked, ☐ not)", classes="hint")
            yield TickList(id="start-evaluators")
            yield Static("", id="start-judge-key", markup=False)
            if run:
                with Horizontal(classes="form-row"):
                    yield Label("Prefix", classes="form-label")
                    yield Input(self.preset.prefix, id="start-prefix", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("Max concurrency", classes="form-label")
                    yield Input(str(self.preset.max_concurrency), id="start-concurrency", type="integer",
                                compact=True)
                    yield Label(" Timeout (s) ", classes="form-label-inline")
                    yield Input("" if self.preset.timeout is None else f"{self.preset.timeout:g}",
                                id="start-timeout", compact=True, placeholder="none")
                yield Checkbox("Reuse cached judge grades ($EVALTUI_HOME/judge-cache.sqlite3)",
                               self.preset.judge_cache, id="start-judge-cache", compact=True)
                yield Static("", id="start-rules")
            yield Static("", id="start-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="start-cancel", compact=True)
                yield Button("Re-score (ctrl+s)" if not run else "Start (ctrl+s)", id="start-submit",
                             variant="primary", compact=True)

    def on_mount(self) -> None:
        # Paint the form first: the worker competes with the event loop for the GIL.
        self.call_after_refresh(self.load_choices)

    # -- loading --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="start-experiment-choices", exit_on_error=False)
    def load_choices(self) -> None:
        backend = current_backend(self)
        choices = load_run_choices(backend, self.evaluator_dir, with_datasets=self.mode == "run")
        self.app.call_from_thread(self._show_choices, choices, getattr(backend, "kind", "local"))

    def _show_choices(self, choices: RunChoices, backend_kind: str) -> None:
        self.choices = choices
        self.backend_kind = backend_kind
        picks = set(self.preset.evaluators)
        selection = self.query_one("#start-evaluators", SelectionList)
        key_missing = judge_key_missing()
        # Text, not markup: the labels contain "[Method 2]"-style brackets.
        selection.add_options([Selection(Text(c.picker_label(key_missing)), c.spec, c.spec in picks)
                               for c in choices.evaluators])
        key_note = judge_key_note(choices.evaluators)
        note = self.query_one("#start-judge-key", Static)
        note.update(key_note)
        note.display = bool(key_note)
        if self.mode == "run":
            select = self.query_one("#start-dataset", Select)
            select.set_options([(f"{d.name} ({d.example_count})", d.id) for d in choices.datasets])
            wanted = self.preset.dataset
            match = next((d for d in choices.datasets if wanted in (d.id, d.name)), None)
            if match is None and choices.datasets:
                match = choices.datasets[0]
            if match is not None:
                select.value = match.id
            self._show_rules()
            self.query_one("#start-dataset", Select).focus()
        else:
            selection.focus()
        if choices.problems:
            self.query_one("#start-error", Static).update("\n".join(choices.problems))

    @on(Select.Changed, "#start-dataset")
    def _dataset_changed(self, event: Select.Changed) -> None:
        self._show_rules()
        if not self.preset.evaluators:
            self._tick_suggested()

    def _tick_suggested(self) -> None:
        """Tick the evaluators that read the chosen dataset's reference keys (the user can change it)."""
        dataset_id = self.query_one("#start-dataset", Select).value
        keys = self.choices.reference_keys.get(dataset_id) if isinstance(dataset_id, str) else None
        if not keys:
            return
        wanted = suggested_evaluators(self.choices.evaluators, keys)
        selection = self.query_one("#start-evaluators", SelectionList)
        selection.deselect_all()
        for spec in wanted:
            selection.select(spec)

    def _show_rules(self) -> None:
        dataset_id = self.query_one("#start-dataset", Select).value
        rules = [r for r in self.choices.rules if r.dataset_id == dataset_id]
        label = self.query_one("#start-rules", Static)
        if not rules:
            label.update("No rules are bound to this dataset; only the evaluators ticked above will run.")
            return
        names = ", ".join(f"{r.name} ({r.sampling_rate:.0%})" for r in rules)
        who = "The LangSmith server will apply" if getattr(self, "backend_kind", "local") == "langsmith" \
            else "Rules that run automatically"
        label.update(f"{who}: {names}")

    # -- submit ---------------------------------------------------------------------------

    def _request(self) -> StartRequest:
        evaluators = tuple(self.query_one("#start-evaluators", SelectionList).selected)
        if self.mode == "rescore":
            if not evaluators:
                raise ValueError("Tick at least one evaluator to re-score with.")
            return StartRequest(evaluators=evaluators)
        dataset = self.query_one("#start-dataset", Select).value
        if not isinstance(dataset, str):
            raise ValueError("Choose a dataset.")
        target = self.query_one("#start-target", Input).value.strip()
        if not target:
            raise ValueError("Give a target: demo, or path/to/file.py:function.")
        prefix = self.query_one("#start-prefix", Input).value.strip() or "evaltui"
        concurrency = parse_concurrency(self.query_one("#start-concurrency", Input).value)
        rules = [r for r in self.choices.rules if r.dataset_id == dataset]
        if not evaluators and not rules:
            raise ValueError("Tick at least one evaluator (no rule is bound to this dataset).")
        timeout = parse_timeout(self.query_one("#start-timeout", Input).value)
        cache = self.query_one("#start-judge-cache", Checkbox).value
        return StartRequest(dataset=self._dataset_ref(dataset), target=target, evaluators=evaluators, prefix=prefix,
                            max_concurrency=concurrency, judge_cache=cache, timeout=timeout, dataset_id=dataset)

    def _dataset_ref(self, dataset_id: str) -> str:
        """The dataset's name when it is unique (messages then name it, not an opaque id), else its id."""
        names = [d.name for d in self.choices.datasets if d.id == dataset_id]
        if len(names) == 1 and sum(d.name == names[0] for d in self.choices.datasets) == 1:
            return names[0]
        return dataset_id

    def action_submit(self) -> None:
        try:
            request = self._request()
        except ValueError as exc:
            self.query_one("#start-error", Static).update(str(exc))
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#start-submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#start-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        self.action_submit()
