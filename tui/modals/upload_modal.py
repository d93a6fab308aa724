"""Upload form: name, function, dataset or project, sampling rate, and the exact code to be sent."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.validation import Number
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tui.backend.core.errors import EvaltuiError
from tui.backend.rules.sample_rate import sample_rate_problem
from tui.modals.form_buttons import FormButtons
from tui.widgets.backend_access import current_backend


def warnings_text(warnings: list[str]) -> str:
    """Every warning, under a count when there are several (the box may need scrolling)."""
    from tui.backend.rules.sandbox_check import failing_in_sandbox

    lines = [f"⚠ {w}" for w in warnings]
    if len(warnings) > 1:
        failing = len(failing_in_sandbox(warnings))
        fail = f", {failing} of them will fail in LangSmith's sandbox" if failing else ""
        lines.insert(0, f"{len(warnings)} warnings{fail}:")
    return "\n".join(lines)


@dataclass(frozen=True)
class UploadRequest:
    path: Path
    function: str
    name: str
    dataset: str | None
    project: str | None
    sample_rate: float
    #: the user already said "upload anyway" to the form's sandbox warnings: the sandbox run that
    #: confirms them is reported, not asked about a second time
    sandbox_failure_accepted: bool = False


class UploadModal(FormButtons, ModalScreen[UploadRequest | None]):
    """Dismisses with an `UploadRequest`, or None when cancelled. Nothing is sent from here."""

    SUBMIT_BUTTON = "confirm"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="upload.cancel"),
        Binding("ctrl+s", "submit", "Upload", id="upload.submit", tooltip="Upload with these settings"),
    ]

    @dataclass
    class PreviewBuilt(Message):
        function: str
        code: str
        warnings: list[str]

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, UploadModal.PreviewBuilt)  # only the latest function is shown

    @dataclass
    class ProjectsLoaded(Message):
        names: list[str]

    def __init__(
        self,
        path: Path,
        functions: list[str],
        function: str,
        datasets: list[str],
        target: tuple[str, str] | None = None,
        sample_rate: float = 1.0,
        name: str | None = None,
    ) -> None:
        super().__init__(classes="modal")
        self.path, self.functions, self.function = path, functions, function
        self.rule_name = name or function  # a form opened again after a cancel keeps the name typed
        self.datasets = datasets
        self.target = target
        self.sample_rate = sample_rate
        self.projects: list[str] = []
        self.warnings: list[str] = []  # the shown function's, once its preview is built

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide-dialog") as dialog:
            dialog.border_title = f"Upload evaluator · {self.path.name}"
            with Grid(id="upload-form"):
                yield Label("Name")
                yield Input(self.rule_name, id="upload-name", compact=True)
                yield Label("Function")
                yield Select(
                    [(f, f) for f in self.functions], value=self.function, id="upload-function",
                    allow_blank=False, compact=True,
                )
                yield Label("Runs of")
                yield Select(self._target_options(), value=self._target_value(), id="upload-target",
                             prompt="choose a dataset or project", compact=True)
                yield Label("Sampling rate")
                yield Input(
                    f"{self.sample_rate:g}", id="upload-rate", compact=True,
                    validators=[Number(minimum=0, maximum=1, failure_description="between 0 and 1")],
                )
            yield Static("", id="upload-error", markup=False)
            yield Static("Code that will be sent (perform_eval):", classes="section-title")
            yield TextArea("", id="upload-preview", read_only=True, language="python", show_line_numbers=True)
            with VerticalScroll(id="upload-warnings-box"):  # every warning; scrolls when there are many
                yield Static("", id="upload-warnings", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Upload", id="confirm", variant="primary")

    def _target_options(self) -> list[tuple[str, str]]:
        opts = [(f"dataset: {d}", f"dataset\t{d}") for d in self.datasets]
        opts += [(f"project: {p}", f"project\t{p}") for p in self.projects]
        return opts

    def _target_value(self):
        if self.target is None:
            return Select.NULL
        value = f"{self.target[0]}\t{self.target[1]}"
        return value if value in {v for _, v in self._target_options()} else Select.NULL

    def on_mount(self) -> None:
        self.query_one("#upload-preview").loading = True
        self.build_preview(self.function)
        self.load_projects()
        self.query_one("#upload-name", Input).focus()

    # -- workers ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="upload-preview", exit_on_error=False)
    def build_preview(self, function: str) -> None:
        from tui.backend.rules.judge_rule import judge_rule_for
        from tui.backend.source.bundle import bundle_for_upload
        from tui.backend.source.parse import parse_evaluator_file
        from tui.backend.source.rule_origin import origin_for, with_origin

        try:
            judge = judge_rule_for(parse_evaluator_file(self.path), function)
            if judge is not None:
                # An LLM judge uploads as an LLM-as-judge rule: show what the rule will hold.
                self.post_message(self.PreviewBuilt(function, "\n".join(judge.preview()), list(judge.warnings)))
                return
            bundle = bundle_for_upload(self.path, function)
            code = with_origin(bundle.code, origin_for(self.path, function))  # as ops.plan_upload sends it
            self.post_message(self.PreviewBuilt(function, code, list(bundle.warnings)))
        except EvaltuiError as err:
            self.post_message(self.PreviewBuilt(function, "", [str(err)]))

    @work(thread=True, group="upload-projects", exit_on_error=False)
    def load_projects(self) -> None:
        backend = current_backend(self)
        if backend is None:
            return
        try:
            names = [p.name for p in backend.list_projects()]
        except EvaltuiError:
            names = []  # datasets still work; projects are optional
        self.post_message(self.ProjectsLoaded(names))

    # -- results ---------------------------------------------------------------------
    def on_upload_modal_preview_built(self, event: PreviewBuilt) -> None:
        if event.function != self.function:
            return
        preview = self.query_one("#upload-preview", TextArea)
        preview.loading = False
        preview.load_text(event.code)
        self.warnings = list(event.warnings)
        self.query_one("#upload-warnings", Static).update(warnings_text(self.warnings))
        self.query_one("#upload-warnings-box").display = bool(event.warnings)

    def on_upload_modal_projects_loaded(self, event: ProjectsLoaded) -> None:
        self.projects = sorted(set(event.names))
        target = self.query_one("#upload-target", Select)
        current = target.value
        target.set_options(self._target_options())
        if current is not Select.NULL:
            target.value = current
        elif self._target_value() is not Select.NULL:
            target.value = self._target_value()

    # -- form ------------------------------------------------------------------------
    @on(Select.Changed, "#upload-function")
    def _function_changed(self, event: Select.Changed) -> None:
        new = str(event.value)
        if new == self.function:
            return
        name = self.query_one("#upload-name", Input)
        if name.value.strip() == self.function:
            name.value = new
        self.function = new
        self.warnings = []
        self.query_one("#upload-preview").loading = True
        self.build_preview(new)

    def _collect(self) -> UploadRequest | str:
        name = self.query_one("#upload-name", Input).value.strip()
        if not name:
            return "Give the evaluator a name."
        rate_text = self.query_one("#upload-rate", Input).value.strip()
        problem = sample_rate_problem(rate_text)
        if problem:
            return f"The sampling rate {problem}."
        rate = float(rate_text)
        target = self.query_one("#upload-target", Select).value
        if target is Select.NULL:
            return "Choose the dataset or project whose runs it scores."
        kind, _, target_name = str(target).partition("\t")
        return UploadRequest(
            path=self.path,
            function=self.function,
            name=name,
            dataset=target_name if kind == "dataset" else None,
            project=target_name if kind == "project" else None,
            sample_rate=rate,
        )

    def action_submit(self) -> None:
        result = self._collect()
        if isinstance(result, str):
            self.query_one("#upload-error", Static).update(f"✖ {result}")
            return
        self.query_one("#upload-error", Static).update("")
        from tui.backend.rules.sandbox_check import failing_in_sandbox

        failing = failing_in_sandbox(self.warnings)
        if not failing:
            self.dismiss(result)
            return
        from tui.modals.upload_check_modal import UploadCheckModal, sandbox_warning_lines

        def answered(upload: bool | None) -> None:
            if upload:
                self.dismiss(replace(result, sandbox_failure_accepted=True))  # else the form stays as typed

        self.app.push_screen(UploadCheckModal(result.name, sandbox_warning_lines(failing)), answered)

    def action_cancel(self) -> None:
        self.dismiss(None)
