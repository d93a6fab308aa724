"""The folder's pending rule changes (`evaltui plan` in the app): the evaltui.toml found in the
evaluators folder or a folder above it, planned against the workspace — creates, updates, deletes
(with prune on, `x`, as `evaltui plan --prune`), drift, score impact — with the highlighted change's
settings, diff and impact beside the list; `a` applies after a confirm naming every change."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.backend.core.errors import EvaltuiError, describe_error
from tui.modals.confirm_modal import DANGER_DIALOG, ConfirmModal
from tui.widgets.backend_access import require_backend
from tui.widgets.screen_box import ScreenBox


def change_detail(plan, change, pending: frozenset[str] | set[str] = frozenset()) -> str:
    lines = [change.headline(), *change.detail_lines()]
    impact = plan.impact.get(change.name)
    if impact is not None:
        lines += ["", *impact.lines()]
    elif change.name in pending:
        lines += ["", "score impact: computing… (re-scoring the latest experiment's stored outputs)"]
    return "\n".join(lines)


def _impact_or_note(backend, change, entry):
    """A change's score impact; it runs the user's evaluator, so any failure is a note, not a crash."""
    from tui.backend.deploy.impact import Impact, score_impact

    try:
        return score_impact(backend, change, entry)
    except EvaltuiError as exc:
        return Impact(note=f"not computed: {describe_error(exc)}")
    except Exception as exc:  # noqa: BLE001 - the evaluator's own code raised
        return Impact(note=f"not computed: {type(exc).__name__}: {exc}")


class ApplyPlanModal(ConfirmModal):
    DEFAULT_CSS = "ApplyPlanModal #apply-plan-lines { height: auto; max-height: 14; }"
    TITLE_TEXT = "Apply the plan?"
    CONFIRM_LABEL = "Apply"

    def __init__(self, lines: list[str], *, deletes: bool = False) -> None:
        super().__init__()
        self.lines = lines
        if deletes:
            self.DIALOG_CLASSES = DANGER_DIALOG

    def compose_body(self) -> ComposeResult:
        yield Static("These changes go to the workspace, in this order:", classes="question")
        with VerticalScroll(id="apply-plan-lines"):
            yield Static("\n".join(self.lines), markup=False)


class PlanScreen(Screen[None]):
    DEFAULT_CSS = """
    PlanScreen #plan-heading { height: auto; padding: 0 1; }
    PlanScreen #plan-changes { width: 2fr; height: 1fr; overflow-x: hidden; }
    PlanScreen #plan-detail-box { width: 3fr; height: 1fr; border-left: solid $panel; padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="plan.back"),
        Binding("a", "apply", "Apply", id="plan.apply", tooltip="Apply every pending change (asks first)"),
        Binding("r", "reload", "Plan again", id="plan.reload"),
        Binding("x", "toggle_prune", "Prune", id="plan.prune",
                tooltip="Also delete the code and LLM rules the manifest does not name (evaltui plan --prune)"),
    ]

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.plan = None
        self.prune = False
        self._impact_pending: set[str] = set()  # changes whose score impact is still being computed

    def compose(self) -> ComposeResult:
        with ScreenBox(id="plan-box") as box:
            box.border_title = "Plan: evaltui.toml against the workspace"
            yield Static("planning…", id="plan-heading", markup=False)
            with Horizontal():
                yield DataTable(id="plan-changes", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="plan-detail-box"):
                    yield Static("", id="plan-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#plan-changes", DataTable)
        for label in ("", "rule", "target"):
            table.add_column(label, key=label or "sign")
        self.action_reload()

    def action_toggle_prune(self) -> None:
        self.prune = not self.prune
        self.notify("Prune on: rules the manifest does not name are deleted by apply." if self.prune
                    else "Prune off: rules the manifest does not name are kept.")
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one("#plan-changes", DataTable).loading = True
        self.run_worker(self._load, thread=True, exclusive=True, group="plan-load", exit_on_error=False)

    def _load(self) -> None:
        """The plan first, shown at once; then each change's score impact, filled in as it lands
        (re-scoring with an LLM judge can take a while)."""
        from textual.worker import get_current_worker

        from tui.backend.deploy.manifest import find_manifest, load_manifest
        from tui.backend.deploy.plan import make_plan

        worker = get_current_worker()
        try:
            backend = self._backend_when_open(worker)
            if backend is None:
                return  # planned again, or the screen closed, meanwhile
            try:
                found = find_manifest(self.folder)
            except EvaltuiError:
                found = find_manifest(Path.cwd())  # its message names the current folder
            manifest = load_manifest(found)
            plan = make_plan(backend, manifest, prune=self.prune)
        except EvaltuiError as exc:
            self.app.call_from_thread(self._failed, describe_error(exc))
            return
        entries = manifest.by_name()
        pending = [c for c in plan.changes if c.name in entries and c.action != "delete"]
        self.app.call_from_thread(self._show, plan, {c.name for c in pending})
        for change in pending:
            if worker.is_cancelled:
                return
            impact = _impact_or_note(backend, change, entries[change.name])
            self.app.call_from_thread(self._impact_ready, plan, change.name, impact)

    def _backend_when_open(self, worker):
        """The workspace, waiting while it is still opening (`P` right after the start)."""
        import time

        from tui.backend.core.errors import InvalidInput

        if getattr(self.app, "backend_outcome", True) is None:
            self.app.call_from_thread(self.query_one("#plan-heading", Static).update,
                                      "waiting for the workspace to open…")
        while getattr(self.app, "backend_outcome", True) is None:
            if worker.is_cancelled:
                return None
            time.sleep(0.05)
        outcome = getattr(self.app, "backend_outcome", None)
        if outcome is not None and outcome[1]:
            raise InvalidInput(f"The workspace did not open: {outcome[1]}")
        return require_backend(self)

    def _failed(self, message: str) -> None:
        self.query_one("#plan-changes", DataTable).loading = False
        self.query_one("#plan-heading", Static).update(message)

    def _show(self, plan, pending: set[str] | None = None) -> None:
        self.plan = plan
        self._impact_pending = set(pending or ())
        heading = [f"{plan.manifest.path}{'  (prune on)' if self.prune else ''}", plan.summary()]
        heading += [f"! drift {d.name!r}: {d.detail}" for d in plan.drift]
        if plan.unmanaged:
            hint = "" if self.prune else "; x (prune) deletes the code and LLM ones"
            heading.append(f"not in the manifest (kept{hint}): {', '.join(plan.unmanaged)}")
        self.query_one("#plan-heading", Static).update("\n".join(heading))
        table = self.query_one("#plan-changes", DataTable)
        table.loading = False
        table.clear()
        for i, change in enumerate(plan.changes):
            table.add_row(change.headline()[0], change.name, change.target_label, key=str(i))
        self.query_one("#plan-detail", Static).update(
            change_detail(plan, plan.changes[0], self._impact_pending) if plan.changes else "Nothing to apply.")
        table.focus()

    def _impact_ready(self, plan, name: str, impact) -> None:
        if plan is not self.plan:
            return  # planned again meanwhile
        plan.impact[name] = impact
        self._impact_pending.discard(name)
        row = self.query_one("#plan-changes", DataTable).cursor_row
        if 0 <= row < len(plan.changes) and plan.changes[row].name == name:
            self.query_one("#plan-detail", Static).update(change_detail(plan, plan.changes[row], self._impact_pending))

    @property
    def impact_pending(self) -> bool:
        return bool(self._impact_pending)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.plan is not None and 0 <= event.cursor_row < len(self.plan.changes):
            self.query_one("#plan-detail", Static).update(
                change_detail(self.plan, self.plan.changes[event.cursor_row], self._impact_pending))

    def action_apply(self) -> None:
        if self.plan is None or not self.plan.pending:
            self.notify("Nothing to apply.")
            return
        plan = self.plan

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(lambda: self._apply(plan), thread=True, exclusive=True, group="plan-apply",
                                exit_on_error=False)

        lines = [c.headline() + (f": {c.detail_lines()[-1]}" if c.action == "delete" else "") for c in plan.changes]
        deletes = any(c.action == "delete" for c in plan.changes)
        self.app.push_screen(ApplyPlanModal(lines, deletes=deletes), answered)

    def _apply(self, plan) -> None:
        from tui.backend.deploy.apply import apply_plan

        try:
            report = apply_plan(require_backend(self), plan)
        except EvaltuiError as exc:
            self.app.call_from_thread(self.notify, describe_error(exc), title="Apply failed", severity="error")
            return
        if report.ok:
            count = len(report.applied)
            message, severity = f"Applied {count} change{'' if count == 1 else 's'}.", "information"
        else:
            message, severity = "\n".join(report.lines()), "error"
        self.app.call_from_thread(self.notify, message, title="Apply", severity=severity, timeout=10)
        self.app.call_from_thread(self.action_reload)

    def action_back(self) -> None:
        self.dismiss(None)
