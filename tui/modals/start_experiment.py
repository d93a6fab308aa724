"""Start an experiment (or re-score one): dataset, target, evaluators, prefix, max concurrency.

The choices are loaded in a thread worker (datasets and rules may come over the network); the
modal shows which rules will score the experiment automatically. It returns a `StartRequest`
(or None when cancelled); the runner pane turns it into `RunOptions`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from tui.backend.core.errors import EvaltuiError
from tui.backend.core.models import Dataset, Rule
from tui.backend.rules.tester import keys_read_by

#: Library evaluators offered in the picker (`evaluators.<name>`, Method 2 forms; judges are async).
LIBRARY_EVALUATORS: tuple[tuple[str, str], ...] = (
    ("exact_match_evaluator", "exact match"),
    ("trajectory_evaluator", "trajectory"),
    ("single_step_evaluator", "single step"),
    ("accuracy_evaluator", "LLM judge"),
    ("completeness_evaluator", "LLM judge"),
    ("helpfulness_evaluator", "LLM judge"),
)
MAX_DATASETS_PROBED = 20  # one example each, to suggest evaluators; more would slow the form on LangSmith


@dataclass(frozen=True)
class StartRequest:
    dataset: str = ""
    target: str = "demo"
    evaluators: tuple[str, ...] = ()
    prefix: str = "evaltui"
    max_concurrency: int = 4
    judge_cache: bool = True


@dataclass
class EvaluatorChoice:
    spec: str  # what the runner loads: "path/file.py:fn" or "evaluators:fn"
    label: str
    #: string literals in the function's source: which output keys it reads
    reads: frozenset[str] = frozenset()
    is_judge: bool = False
    is_library: bool = False


def suggested_evaluators(choices: list[EvaluatorChoice], reference_keys: set[str]) -> set[str]:
    """The evaluators that read this dataset's reference keys: local ones first, the library's only
    when no local function fits (they would score the same keys twice). Judges need OPENAI_API_KEY."""
    def fits(c: EvaluatorChoice) -> bool:
        if c.is_judge and not os.environ.get("OPENAI_API_KEY"):
            return False
        return bool(c.reads & reference_keys)

    local = {c.spec for c in choices if not c.is_library and fits(c)}
    return local or {c.spec for c in choices if c.is_library and fits(c)}


@dataclass
class _Choices:
    datasets: list[Dataset] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    evaluators: list[EvaluatorChoice] = field(default_factory=list)
    #: dataset id -> reference-output keys of its first example (to suggest evaluators)
    reference_keys: dict[str, set[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def evaluator_choices(evaluator_dir: Path | None) -> tuple[list[EvaluatorChoice], list[str]]:
    """Local evaluator functions (by AST, nothing executed) followed by the library's evaluators."""
    from tui.backend.source.loader import find_evaluators

    found, problems = find_evaluators(evaluator_dir) if evaluator_dir is not None else ([], [])
    choices = [
        EvaluatorChoice(f"{path}:{fn.name}", f"{path.name}:{fn.name}  [{fn.kind}]",
                        frozenset(keys_read_by(fn.source)), fn.is_judge)
        for path, fn in found
    ]
    import evaluators as library

    for name, kind in LIBRARY_EVALUATORS:
        try:
            source = inspect.getsource(getattr(library, name))
        except (AttributeError, OSError, TypeError):
            source = ""
        choices.append(EvaluatorChoice(f"evaluators:{name}", f"library: {name}  [{kind}]",
                                       frozenset(keys_read_by(source)), kind == "LLM judge",
                                       is_library=True))
    return choices, problems


def parse_concurrency(text: str) -> int:
    """An integer >= 1, else ValueError with a sentence for the form."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("Max concurrency must be a whole number.") from None
    if value < 1:
        raise ValueError("Max concurrency must be at least 1.")
    return value


class StartExperimentModal(ModalScreen["StartRequest | None"]):
    """mode="run": the full form; mode="rescore": evaluators only, for an existing experiment."""

    DEFAULT_CSS = """
    StartExperimentModal {
        align: center middle;
        background: $background 60%;
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
    StartExperimentModal #start-rules {
        height: auto;
        margin-top: 1;
        color: $text-muted;
    }
    StartExperimentModal #start-error {
        color: $error;
        height: auto;
    }
    StartExperimentModal .buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    StartExperimentModal .buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="start.cancel"),
        Binding("ctrl+s", "submit", "Start", id="start.submit"),
    ]

    def __init__(self, backend_getter: Callable[[], Any], evaluator_dir: Path | None = None, *,
                 mode: str = "run", title: str | None = None, preset: StartRequest | None = None) -> None:
        super().__init__()
        self.backend_getter = backend_getter
        self.evaluator_dir = evaluator_dir
        self.mode = mode
        self.title_text = title or ("Re-score experiment" if mode == "rescore" else "Start an experiment")
        self.preset = preset or StartRequest()
        self.choices = _Choices()

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
            yield Static("Evaluators (space to tick)", classes="hint")
            yield SelectionList[str](id="start-evaluators")
            if run:
                with Horizontal(classes="form-row"):
                    yield Label("Prefix", classes="form-label")
                    yield Input(self.preset.prefix, id="start-prefix", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("Max concurrency", classes="form-label")
                    yield Input(str(self.preset.max_concurrency), id="start-concurrency", type="integer",
                                compact=True)
                yield Checkbox("Reuse cached judge grades ($EVALTUI_HOME/judge-cache.sqlite3)",
                               self.preset.judge_cache, id="start-judge-cache", compact=True)
                yield Static("", id="start-rules")
            yield Static("", id="start-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="start-cancel", compact=True)
                yield Button("Re-score (ctrl+s)" if not run else "Start (ctrl+s)", id="start-submit",
                             variant="primary", compact=True)

    def on_mount(self) -> None:
        self.load_choices()

    # -- loading --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="start-experiment-choices", exit_on_error=False)
    def load_choices(self) -> None:
        choices = _Choices()
        try:
            backend = self.backend_getter()
            if backend is not None and self.mode == "run":
                choices.datasets = list(backend.list_datasets())
                for dataset in choices.datasets[:MAX_DATASETS_PROBED]:
                    first = next(iter(backend.list_examples(dataset.id, limit=1)), None)
                    if first is not None:
                        choices.reference_keys[dataset.id] = set(first.outputs or {})
                choices.rules = [r for r in backend.list_rules() if r.is_enabled and r.dataset_id]
            choices.evaluators, choices.problems = evaluator_choices(self.evaluator_dir)
        except EvaltuiError as exc:
            choices.problems.append(str(exc))
        self.app.call_from_thread(self._show_choices, choices, getattr(backend, "kind", "local"))

    def _show_choices(self, choices: _Choices, backend_kind: str) -> None:
        self.choices = choices
        self.backend_kind = backend_kind
        picks = set(self.preset.evaluators)
        selection = self.query_one("#start-evaluators", SelectionList)
        # Text, not markup: the labels contain "[Method 2]"-style brackets.
        selection.add_options([Selection(Text(c.label), c.spec, c.spec in picks) for c in choices.evaluators])
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
        cache = self.query_one("#start-judge-cache", Checkbox).value
        return StartRequest(self._dataset_ref(dataset), target, evaluators, prefix, concurrency, cache)

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
