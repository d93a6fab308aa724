"""Asks before an upload whose checks found a problem: a failing sandbox run, or an LLM judge whose
Python scoring the rule will not carry. Shows what was found; Cancel has the focus."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.modals.confirm_modal import ConfirmModal


class UploadCheckModal(ConfirmModal):
    TITLE_TEXT = "Upload anyway?"
    CONFIRM_LABEL = "Upload anyway"

    def __init__(self, name: str, lines: list[str]) -> None:
        super().__init__()
        self.rule_name = name
        self.lines = lines

    def compose_body(self) -> ComposeResult:
        yield Static(f"Uploading {self.rule_name!r} needs a second look:", classes="question")
        with VerticalScroll(id="upload-check-lines"):
            yield Static("\n".join(self.lines), markup=False)


def sandbox_warning_lines(warnings: list[str]) -> list[str]:
    """The question of the upload form before it sends code that will fail in the sandbox."""
    return ([f"⚠ {w}" for w in warnings]
            + ["", "As it is, this code will fail in LangSmith's code-evaluator sandbox (no network; the "
                   "standard library, numpy, pandas, jsonschema, scipy and scikit-learn only)."])


def upload_check_lines(plan, sandbox: bool = True) -> list[str]:
    """What the user must see before this plan is applied ([] when nothing needs a look);
    `sandbox=False`: a failing sandbox run was already accepted in the form."""
    lines: list[str] = []
    if sandbox and plan.sandbox is not None and (plan.sandbox.failed or plan.sandbox.not_checked):
        lines += plan.sandbox.lines()
    if plan.judge is not None and plan.warnings:
        lines += plan.judge.preview() + [f"⚠ {w}" for w in plan.warnings]
    return lines
