"""The main screen's rule actions: upload, replace, delete and test the selected evaluator.

A mixin of `MainScreen`: each action checks the selection, asks in a modal when it must, and
hands the backend work to a thread worker; failures reach the user through `reports_failure`.
"""

from __future__ import annotations

from typing import Any

from textual import work

from tui.backend.core.models import Rule, WorkspaceEvaluator
from tui.backend.source.functions import LocalFunction
from tui.modals.confirm_delete_modal import ConfirmDeleteModal
from tui.modals.error_modal import ErrorModal
from tui.modals.replace_modal import ReplaceModal
from tui.modals.test_modal import TestModal
from tui.modals.upload_modal import UploadModal, UploadRequest
from tui.screens.main_messages import RuleChanged, UploadPlanned
from tui.screens.worker_failures import reports_failure


def _answered(yes_then: Any, cancelled: Any) -> Any:
    """A modal callback: `yes_then()` when the user confirmed, else `cancelled()`."""
    def answered(yes: bool | None) -> None:
        (yes_then if yes else cancelled)()

    return answered


class RuleActions:
    """Keys u, U, d and t of the main screen."""

    #: what the upload form last sent (None for a replace, which has no form): a sandbox check that
    #: could not run asks, and its cancel opens the form again as typed
    _upload_form_request: UploadRequest | None = None

    # -- the selected evaluator, seen from each action -------------------------------
    def _selected_function(self, verb: str) -> LocalFunction | None:
        sel = self.selected
        if isinstance(sel, LocalFunction):
            if (blocked := sel.why_not(verb)) is not None:  # a file that does not parse: what to fix first
                self.notify(blocked, severity="warning")
                return None
            return sel
        if isinstance(sel, Rule):
            fn = self._function_of(sel)
            if fn is not None:
                return fn
            self.notify(f"No local function was uploaded as {sel.name!r} or is named so; select a local "
                        f"function to {verb}.", severity="warning")
            return None
        if isinstance(sel, WorkspaceEvaluator):
            self.notify(f"{sel.name!r} is a workspace evaluator (read-only here); select a local "
                        f"function to {verb}.", severity="warning")
            return None
        self.notify(f"Select a local function to {verb} (evaluators pane, key 1).", severity="warning")
        return None

    def _selected_rule(self) -> Rule | None:
        sel = self.selected
        if isinstance(sel, Rule):
            return sel
        if isinstance(sel, LocalFunction):
            rule = self._rule_of(sel)
            if rule is not None:
                return rule
            self.notify(f"{sel.name!r} has no uploaded rule (none records it as its origin or is named so).",
                        severity="warning")
            return None
        if isinstance(sel, WorkspaceEvaluator):
            self.notify(f"{sel.name!r} is a workspace evaluator: evaltui does not change those; "
                        "select an uploaded rule.", severity="warning")
            return None
        self.notify("Select an uploaded rule first (evaluators pane, key 1).", severity="warning")
        return None

    # -- a function and its rule: by the origin the upload recorded, else by name ----------
    def _function_refs(self) -> list[tuple[Any, str]]:
        return [(f.path, f.name) for f in self.evaluators.local_functions if f.signature is not None]

    def _rule_of(self, fn: LocalFunction) -> Rule | None:
        from tui.backend.source.rule_origin import rule_for

        return rule_for(fn.path, fn.name, self._function_refs(), self.evaluators.rules)

    def _function_of(self, rule: Rule) -> LocalFunction | None:
        from tui.backend.source.rule_origin import function_for

        ref = function_for(rule, self._function_refs(), self.evaluators.rules)
        return next((f for f in self.evaluators.local_functions if (f.path, f.name) == ref), None)

    # -- new -----------------------------------------------------------------------------
    def action_new_evaluator(self) -> None:
        from tui.modals.new_evaluator_modal import NewEvaluatorModal

        self.app.push_screen(NewEvaluatorModal(self.app.evaluator_dir), self._evaluator_created)

    def _evaluator_created(self, created) -> None:
        if created is None:
            return
        path, name = created
        self._select_when_scanned = f"{path}::{name}"  # the watcher or this rescan lists it; then select it
        self.notify(f"Created {path.name} with {name}(); t tests it, u uploads it.", title="New evaluator")
        self.rescan_local_files(self.evaluators.rules)

    # -- upload / replace ------------------------------------------------------------
    def action_upload(self) -> None:
        if not self._require_backend():
            return
        fn = self._selected_function("upload")
        if fn is None:
            return
        siblings = [f.name for f in self.evaluators.local_functions if f.path == fn.path]
        rule = self._rule_of(fn)
        target: tuple[str, str] | None = None
        rate = 1.0
        if rule is not None:
            rate = rule.sampling_rate
            if rule.dataset_name:
                target = ("dataset", rule.dataset_name)
            elif rule.project_name:
                target = ("project", rule.project_name)
        elif self.datasets.current is not None:
            target = ("dataset", self.datasets.current.name)
        modal = UploadModal(
            fn.path, siblings, fn.name, [d.name for d in self.datasets.datasets], target, rate
        )
        self.app.push_screen(modal, self._upload_requested)

    def _upload_requested(self, request: UploadRequest | None) -> None:
        if request is None:
            self.notify("Upload cancelled; nothing was sent.")
            return
        self._upload_form_request = request
        self.plan_upload(request, None, replace_only=False)

    def _reopen_upload_form(self, request: UploadRequest) -> None:
        """The upload form again, as the user typed it (after a cancel of the check it led to)."""
        siblings = [f.name for f in self.evaluators.local_functions if f.path == request.path]
        target = (("dataset", request.dataset) if request.dataset
                  else ("project", request.project) if request.project else None)
        modal = UploadModal(request.path, siblings or [request.function], request.function,
                            [d.name for d in self.datasets.datasets], target, request.sample_rate,
                            name=request.name)
        self.app.push_screen(modal, self._upload_requested)

    def action_replace(self) -> None:
        if not self._require_backend():
            return
        fn = self._selected_function("replace with")
        if fn is None:
            return
        rule = self._rule_of(fn)
        if rule is None:
            self.notify(f"{fn.name!r} has no uploaded rule (none records it as its origin or is named so); "
                        "press u to upload it.", severity="warning")
            return
        # No rate: the rule keeps its own sampling rate, state and other settings.
        self._upload_form_request = None
        request = UploadRequest(fn.path, fn.name, rule.name, None, None, None)  # type: ignore[arg-type]
        self.plan_upload(request, rule.id, replace_only=True)

    @work(thread=True, exclusive=True, group="upload", exit_on_error=False)
    @reports_failure("Upload failed", modal=True)
    def plan_upload(self, request: UploadRequest, rule_id: str | None, replace_only: bool) -> None:
        from tui.backend.rules.ops import plan_upload

        plan = plan_upload(
            self.backend, request.path, request.function, request.name,
            dataset=request.dataset, project=request.project,
            sample_rate=request.sample_rate, rule_id=rule_id,
        )
        self.post_message(UploadPlanned(plan, replace_only, request.sandbox_failure_accepted))

    def on_upload_planned(self, event: UploadPlanned) -> None:
        plan = event.plan
        if plan.is_ambiguous:
            from tui.backend.rules.ops import ambiguous_error

            self.app.push_screen(ErrorModal("Several rules share this name",
                                            str(ambiguous_error(plan.spec.name, plan.existing))))
            return
        from tui.modals.upload_check_modal import UploadCheckModal, upload_check_lines

        check = upload_check_lines(plan, sandbox=not event.sandbox_failure_accepted)
        if not plan.existing:
            if not check:
                if event.sandbox_failure_accepted and plan.sandbox is not None and plan.sandbox.failed:
                    self.notify("Uploading as you asked; the sandbox check failed as warned: "
                                + " ".join(plan.sandbox.lines()[:2]), severity="warning", timeout=8)
                self.apply_upload(plan, replace=False)
                return
            form = self._upload_form_request

            def cancelled() -> None:
                if form is not None and plan.sandbox is not None and plan.sandbox.not_checked:
                    self._reopen_upload_form(form)  # a check that could not run: back to the form as typed
                else:
                    self.notify(f"Upload cancelled; {plan.spec.name!r} was not uploaded.")

            self.app.push_screen(UploadCheckModal(plan.spec.name, check), _answered(
                lambda: self.apply_upload(plan, replace=False), cancelled))
            return
        sandbox = (plan.sandbox.lines() if plan.sandbox is not None
                   and (plan.sandbox.failed or plan.sandbox.not_checked) else [])
        self.app.push_screen(
            ReplaceModal(plan.spec.name, plan.target_label, plan.diff, list(plan.warnings) + sandbox,
                         plan.settings),
            _answered(lambda: self.apply_upload(plan, replace=True),
                      lambda: self.notify(f"Replace cancelled; {plan.spec.name!r} was not changed.")),
        )

    @work(thread=True, exclusive=True, group="upload", exit_on_error=False)
    @reports_failure("Upload failed", modal=True)
    def apply_upload(self, plan: Any, replace: bool) -> None:
        from tui.backend.rules.ops import apply_upload

        outcome = apply_upload(self.backend, plan, replace=replace)
        self.post_message(RuleChanged(outcome.message))

    # -- delete ----------------------------------------------------------------------
    def action_delete(self) -> None:
        if not self._require_backend():
            return
        rule = self._selected_rule()
        if rule is None:
            return
        self.app.push_screen(ConfirmDeleteModal(rule), _answered(
            lambda: self.delete_rule(rule), lambda: self.notify(f"Delete cancelled; {rule.name!r} was kept.")))

    @work(thread=True, exclusive=True, group="delete", exit_on_error=False)
    @reports_failure("Delete failed", modal=True)
    def delete_rule(self, rule: Rule) -> None:
        from tui.backend.rules.ops import delete_rule

        self.post_message(RuleChanged(delete_rule(self.backend, rule)))

    def on_rule_changed(self, event: RuleChanged) -> None:
        self.notify(event.message, title="Done")
        # The selection stays the row under the cursor; it is read again once the lists reload.
        self._reselect = True
        self.evaluators.show_loading(True)
        self.load_evaluators()

    def _follow_cursor(self) -> None:
        """After a change: select what is under the cursor of the table the user works in."""
        if not self._reselect:
            return
        current = self.evaluators.selection_under_cursor()
        if current is None:
            return
        if isinstance(current, LocalFunction):
            if current != self.selected:
                self._select_local(current)
        elif isinstance(current, Rule):
            self.selected = current
            self.source.show_rule(current)
        else:
            self.selected = current
            self.source.show_workspace_evaluator(current)

    # -- test ------------------------------------------------------------------------
    def action_test(self) -> None:
        if not self._require_backend():
            return
        sel = self.selected
        current = self.datasets.current
        names = [d.name for d in self.datasets.datasets]
        if isinstance(sel, Rule):
            if sel.kind not in ("python", "llm"):
                self.notify(f"{sel.name!r} is a {sel.kind_label} rule: evaltui cannot run it locally "
                            "(Python code and LLM-judge rules can be tested).", severity="warning")
                return
            # The rule under the cursor itself, not a local function that happens to share its name.
            dataset = sel.dataset_name if sel.dataset_name in names else (current.name if current else None)
            self.app.push_screen(TestModal(None, sel.name, names, dataset, rule=sel.name))
            return
        if isinstance(sel, WorkspaceEvaluator):
            if not sel.runs_here:
                self.notify(f"{sel.name!r} is {sel.kind_label}: evaltui can test Python code and LLM-prompt workspace "
                            "evaluators.", severity="warning")
                return
            bound = next((b.split(": ", 1)[1] for b in sel.bindings if b.startswith("dataset: ")), None)
            dataset = bound if bound in names else (current.name if current else None)
            self.app.push_screen(TestModal(None, sel.name, names, dataset, workspace=sel.name))
            return
        fn = self._selected_function("test")
        if fn is None:
            return
        rule = self._rule_of(fn)  # the dataset its rule scores, else the one in view
        bound = rule.dataset_name if rule is not None and rule.dataset_name in names else None
        modal = TestModal(fn.path, fn.name, names, bound or (current.name if current else None))
        self.remember_test(fn, modal)  # after an edit (key e) this test runs again
        self.app.push_screen(modal)
