"""Rule operations shared by the CLI and the app: plan/apply an upload, find and delete a rule.

Pure backend logic: no printing, no prompting. Callers ask the user in between
`plan_upload` (which shows what would change) and `apply_upload` (which changes it).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui.backend.core.errors import Ambiguous, EvaltuiError, InvalidInput, NotFound
from tui.backend.core.models import Rule, RuleSpec
from tui.backend.rules.sample_rate import validate_sample_rate

if TYPE_CHECKING:
    from tui.backend.workspace.base import Backend

UploadAction = Literal["created", "replaced"]


class AlreadyExists(EvaltuiError):
    """Upload onto a name that is taken, without asking to replace it."""


class ReplaceFailed(EvaltuiError):
    """Replacing a rule failed; the message says which version is now in place."""

    def __init__(self, message: str, cause: EvaltuiError):
        super().__init__(message)
        self.cause = cause
        self.exit_code = cause.exit_code


@dataclass(frozen=True)
class UploadPlan:
    """What an upload would do, computed before anything changes."""

    spec: RuleSpec
    bundle: Any  # source.bundle.Bundle(code, warnings)
    existing: list[Rule]
    diff: str
    target_label: str = ""
    warnings: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # a replace's settings, each "kept: …" / "changed: …"
    sandbox: Any = None  # sandbox_check.SandboxReport, or None when not checked
    judge: Any = None  # judge_rule.JudgeRule when an LLM judge uploads as an LLM-as-judge rule

    @property
    def is_ambiguous(self) -> bool:
        """Several rules share the name and none was picked by id."""
        return len(self.existing) > 1


@dataclass(frozen=True)
class UploadOutcome:
    rule: Rule
    action: UploadAction
    message: str


# -- validation ------------------------------------------------------------------------


def validate_name(name: str | None) -> str:
    if name is None or not name.strip():
        raise InvalidInput("The evaluator name must not be empty.")
    return name


def check_binding_flags(dataset: str | None, project: str | None) -> None:
    if dataset and project:
        raise InvalidInput(
            "Use either --dataset or --project, not both: a rule scores one dataset or one project."
        )


def resolve_binding(
    backend: Backend, dataset: str | None = None, project: str | None = None
) -> tuple[str | None, str | None, str]:
    """Turn a dataset or project name (or id) into `(dataset_id, project_id, label)`.

    Raises InvalidInput when both are given and NotFound (with close-name suggestions)
    when the name is unknown. Neither given -> `(None, None, "unbound")`.
    """
    check_binding_flags(dataset, project)
    if dataset:
        found = backend.get_dataset(dataset)
        return found.id, None, f"dataset: {found.name}"
    if project:
        proj = backend.get_project(project)
        return None, proj.id, f"project: {proj.name}"
    return None, None, "unbound"


# -- upload ----------------------------------------------------------------------------


def code_diff(old: str | None, new: str, name: str = "evaluator") -> str:
    """Unified diff of the uploaded code vs the new code ('' when identical)."""
    old_lines = (old or "").splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    if old_lines and not old_lines[-1].endswith("\n"):
        old_lines[-1] += "\n"
    if new_lines and not new_lines[-1].endswith("\n"):
        new_lines[-1] += "\n"
    return "".join(
        difflib.unified_diff(old_lines, new_lines, fromfile=f"{name} (uploaded)", tofile=f"{name} (new)")
    )


def _select_by_id(rules: list[Rule], name: str, rule_id: str) -> list[Rule]:
    chosen = [r for r in rules if r.id == rule_id]
    if not chosen:
        raise NotFound(f"Evaluator named {name!r} with id", rule_id, [r.id for r in rules])
    return chosen


def plan_upload(
    backend: Backend,
    path: str | Path,
    function: str,
    name: str,
    dataset: str | None = None,
    project: str | None = None,
    sample_rate: Any = None,
    rule_id: str | None = None,
    enabled: bool | None = None,
    check: bool = True,
    as_code: bool = False,
) -> UploadPlan:
    """Validate the request, bundle the code and look for rules the upload would replace.

    Cheap checks come first (name, rate, flags), then the file, then the backend. What the user
    does not ask to change (`None`) is kept on replace: target, sampling rate, enabled state and
    every other setting of the rule. A new rule defaults to 100 %, enabled. Only Python code
    rules are replaced: a name that matches an LLM, JavaScript or actions-only rule is refused.
    With `check`, the bundled code runs on two examples of the bound dataset in a sandbox-like
    process (`sandbox_check`); the report is in the plan for the caller to show and ask about.
    An LLM judge (`ChatOpenAI(...).with_structured_output(...)`) becomes an LLM-as-judge rule
    (`judge_rule`) unless `as_code`; it replaces only an LLM rule.
    """
    from tui.backend.rules.judge_rule import judge_rule_for
    from tui.backend.source.bundle import bundle_for_upload
    from tui.backend.source.parse import parse_evaluator_file
    from tui.backend.source.rule_origin import origin_for, with_origin

    validate_name(name)
    rate = validate_sample_rate(sample_rate) if sample_rate is not None else None
    check_binding_flags(dataset, project)
    judge = judge_rule_for(parse_evaluator_file(path), function, as_code=as_code)
    bundle = None if judge else bundle_for_upload(Path(path), function)
    # A code rule records where it came from in its first line (see source.rule_origin).
    code = with_origin(bundle.code, origin_for(path, function)) if bundle else ""
    kind = "llm" if judge else "python"

    existing = backend.list_rules(name)
    if rule_id:
        existing = _select_by_id(existing, name, rule_id)
    if len(existing) == 1 and existing[0].kind != kind:
        raise not_replaceable_error(existing[0], kind)

    dataset_id, project_id, label = resolve_binding(backend, dataset, project)
    if not dataset_id and not project_id:
        if len(existing) == 1 and (existing[0].dataset_id or existing[0].project_id):
            old = existing[0]
            dataset_id, project_id, label = old.dataset_id, old.project_id, old.target_label
        elif len(existing) > 1:
            raise ambiguous_error(name, existing)
        else:
            raise InvalidInput(
                "Say which runs the evaluator scores: pass --dataset NAME or --project NAME."
            )

    old = existing[0] if len(existing) == 1 else None
    spec = RuleSpec(
        name=name,
        code=code,
        sampling_rate=rate if rate is not None else (old.sampling_rate if old else 1.0),
        dataset_id=dataset_id,
        project_id=project_id,
        is_enabled=enabled if enabled is not None else (old.is_enabled if old else True),
        llm=judge.structured() if judge else None,
    )
    if judge:
        diff = code_diff(_llm_text(old.llm), _llm_text(spec.llm["structured"]), name) if old else ""
    else:
        diff = code_diff(old.code, code, name) if old else ""
    return UploadPlan(
        spec=spec,
        bundle=bundle,
        existing=list(existing),
        diff=diff,
        target_label=label,
        warnings=list(judge.warnings if judge else getattr(bundle, "warnings", []) or []),
        settings=replace_settings(old, spec, label) if old else [],
        sandbox=sandbox_report(backend, code, dataset_id, label) if check and bundle else None,
        judge=judge,
    )


def _llm_text(structured: dict | None) -> str:
    """An LLM rule's prompt, mapping, schema and model as text that diffs line by line."""
    import json

    return json.dumps(structured or {}, indent=2, sort_keys=True) + "\n"


SANDBOX_EXAMPLES = 2


def sandbox_report(backend: Backend, code: str, dataset_id: str | None, label: str) -> Any:
    """Run the code on the bound dataset's first examples as the LangSmith sandbox would."""
    from tui.backend.rules.sandbox_check import SandboxReport, check_in_sandbox

    if not dataset_id:
        return SandboxReport(label, skipped=f"the rule scores a project ({label}); there are no examples to try.")
    dataset = label.removeprefix("dataset: ")
    try:
        examples = list(backend.list_examples(dataset_id, limit=SANDBOX_EXAMPLES))
    except EvaltuiError as exc:  # a check that cannot run must not stop the upload
        return SandboxReport(dataset, not_checked=f"the examples of {dataset!r} could not be read ({exc})")
    return check_in_sandbox(code, examples, dataset)


def _rate(value: float) -> str:
    return f"{value:.0%}" if round(value * 100, 6) == int(value * 100) else f"{value:.1%}"


def replace_settings(old: Rule, spec: RuleSpec, label: str) -> list[str]:
    """Each setting a replace touches or keeps, as `kept: …` / `changed: …` lines."""
    def state(enabled: bool) -> str:
        return "enabled" if enabled else "disabled"

    lines = []
    pairs = [
        ("target", old.target_label, label),
        ("sampling rate", _rate(old.sampling_rate), _rate(spec.sampling_rate)),
        ("state", state(old.is_enabled), state(spec.is_enabled)),
    ]
    if old.name != spec.name:
        pairs.insert(0, ("name", old.name, spec.name))
    before, after = _origin_label(old.code), _origin_label(spec.code)
    if before or after:
        pairs.append(("origin", before or "not recorded", after or "not recorded"))
    for what, before, after in pairs:
        lines.append(f"kept: {what} {before}" if before == after else f"changed: {what} {before} -> {after}")
    lines += [f"kept: {what} {value}" for what, value in old.filters]
    lines += [f"kept: {action}" for action in old.side_actions]
    return lines


def _origin_label(code: str | None) -> str | None:
    from tui.backend.source.rule_origin import origin_of_code

    origin = origin_of_code(code)
    return origin.label if origin else None


def not_replaceable_error(rule: Rule, kind: str = "python") -> InvalidInput:
    what = "an LLM-judge" if kind == "llm" else "a Python code"
    return InvalidInput(
        f"Evaluator {rule.name!r} (id {rule.id}) is a {rule.kind_label} rule, not {what} rule; "
        "evaltui will not turn it into one. Upload under another --name, or pick a rule of that kind "
        "with --id."
    )


def apply_upload(backend: Backend, plan: UploadPlan, replace: bool) -> UploadOutcome:
    """Create the rule, or replace the existing one in place (never deleting first).

    A failed replace raises ReplaceFailed saying whether the old or the new version is in place.
    """
    name = plan.spec.name
    if not plan.existing:
        rule = backend.create_rule(plan.spec)
        return UploadOutcome(rule, "created", f"Uploaded evaluator {name!r} ({plan.target_label}).")
    if not replace:
        old = plan.existing[0]
        raise AlreadyExists(
            f"Evaluator {name!r} already exists ({old.target_label}). "
            "Add --replace to replace it."
        )
    if plan.is_ambiguous:
        raise ambiguous_error(name, plan.existing)
    old = plan.existing[0]
    try:
        rule = backend.update_rule(old.id, plan.spec, base=old)
    except EvaltuiError as err:
        raise ReplaceFailed(_replace_failure_message(backend, old, plan.spec, err), err) from err
    return UploadOutcome(rule, "replaced", f"Replaced evaluator {name!r} ({plan.target_label}).")


def _replace_failure_message(backend: Backend, old: Rule, spec: RuleSpec, err: EvaltuiError) -> str:
    """Look again at the rule so the message tells the truth about what is in place now."""
    base = f"Could not replace evaluator {spec.name!r}: {err}"
    try:
        current = backend.get_rule(old.id)
    except EvaltuiError:
        return base + " The old rule was not changed by evaltui, but its state could not be re-checked."
    if current.code == spec.code and current.code != old.code:
        return base + " The server applied the change anyway: the new version is in place."
    return base + " The old rule is still in place, unchanged."


# -- find / delete ---------------------------------------------------------------------


def ambiguous_error(name: str, rules: list[Rule]) -> Ambiguous:
    listing = "; ".join(f"{r.id} ({r.kind_label}, {r.target_label})" for r in rules)
    return Ambiguous(
        f"{len(rules)} evaluators are named {name!r}: {listing}. Pass --id RULE_ID to pick one."
    )


def _close_names(name: str, names: list[str]) -> list[str]:
    return difflib.get_close_matches(name, sorted(set(names)), n=3, cutoff=0.5)


def find_rule(backend: Backend, name: str, rule_id: str | None = None) -> Rule:
    """The one rule called `name` (or with that name and id). NotFound / Ambiguous otherwise."""
    rules = backend.list_rules(name)
    if rule_id:
        rules = _select_by_id(rules, name, rule_id) if rules else rules
    if not rules:
        suggestions = _close_names(name, [r.name for r in backend.list_rules()])
        raise NotFound("Evaluator", name, suggestions)
    if len(rules) > 1:
        raise ambiguous_error(name, rules)
    return rules[0]


class DeleteFailed(EvaltuiError):
    """Deleting a rule failed; the message says whether the rule is still there."""

    def __init__(self, message: str, cause: EvaltuiError):
        super().__init__(message)
        self.cause = cause
        self.exit_code = cause.exit_code


def delete_question(rule: Rule) -> str:
    """The delete confirmation: the rule, what it is, and every side action that goes with it."""
    question = (
        f"Delete evaluator {rule.name!r} ({rule.kind_label}, {rule.target_label}, "
        f"sampling {_rate(rule.sampling_rate)}, {'enabled' if rule.is_enabled else 'disabled'})?"
    )
    if rule.side_actions:
        question += " Its side actions go with it: " + "; ".join(rule.side_actions) + "."
    return question


def delete_rule(backend: Backend, rule: Rule) -> str:
    """Delete `rule`. A failure raises DeleteFailed saying whether the rule is still there
    (a request that timed out or lost its answer may have been applied by the server)."""
    try:
        backend.delete_rule(rule.id)
    except NotFound:
        pass  # already gone (e.g. a retried DELETE whose first attempt was applied)
    except EvaltuiError as err:
        raise DeleteFailed(_delete_failure_message(backend, rule, err), err) from err
    return f"Deleted evaluator {rule.name!r} ({rule.target_label})."


def _delete_failure_message(backend: Backend, rule: Rule, err: EvaltuiError) -> str:
    base = f"Could not delete evaluator {rule.name!r}: {err}"
    try:
        still_there = any(r.id == rule.id for r in backend.list_rules(rule.name))
    except EvaltuiError:
        return base + " Whether the server deleted it could not be re-checked; run `evaltui list` to see."
    if still_there:
        return base + " The rule is still there, unchanged."
    return base + " The server deleted it anyway: the rule is gone."
