"""Executing a plan, change by change, in order. The state file is written after each change, and
the first failure stops the rest: the report says which rules are applied and which are not, and
planning again shows exactly what is left (nothing is lost: an update is a full-replace PATCH that
keeps every other setting and carries `evaluator_version`, so a concurrent edit is refused)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tui.backend.core.errors import EvaltuiError, describe_error
from tui.backend.deploy.plan import Change, Plan
from tui.backend.deploy.state import DeployState


@dataclass
class ApplyReport:
    applied: list[Change] = field(default_factory=list)
    failed: Change | None = None
    error: str = ""
    not_applied: list[Change] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed is None

    def lines(self) -> list[str]:
        out = [f"applied: {c.headline()[2:]}" for c in self.applied]
        if self.failed is not None:
            out.append(f"FAILED: {self.failed.headline()[2:]}: {self.error}")
            out += [f"not applied: {c.headline()[2:]}" for c in self.not_applied]
        return out


def apply_plan(backend, plan: Plan, state: DeployState | None = None,
               on_change: Callable[[Change], None] | None = None) -> ApplyReport:
    state = state or DeployState.load(plan.manifest)
    report = ApplyReport()
    for index, change in enumerate(plan.changes):
        try:
            if change.action == "create":
                assert change.spec is not None
                state.record(backend.create_rule(change.spec))
            elif change.action == "update":
                assert change.spec is not None and change.rule is not None
                state.record(backend.update_rule(change.rule.id, change.spec, base=change.rule))
            else:
                assert change.rule is not None
                backend.delete_rule(change.rule.id)
                state.forget(change.name)
        except EvaltuiError as exc:
            report.failed, report.error = change, describe_error(exc)
            report.not_applied = list(plan.changes[index + 1:])
            break
        report.applied.append(change)
        state.save()
        if on_change is not None:
            on_change(change)
    if report.ok:
        # The baseline for drift: every rule the manifest names, as it is now.
        names = {r.name for r in plan.manifest.rules}
        for rule in backend.list_rules():
            if rule.name in names:
                state.record(rule)
        state.save()
    return report
