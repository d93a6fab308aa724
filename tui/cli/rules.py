"""The rule commands: `list`, `evaluators`, `upload`, `delete` and `test` (the first three a drop-in
for LangChain's `upload_evaluators.py`).

Every handler has the shape `(args, ctx: CliContext) -> int` and does its work through
`tui.backend.rules.ops` / `tui.backend.rules.tester`, so the app and the CLI behave the same.
Imports stay light here: the backend (and langsmith) load only when a command needs them.
"""

from __future__ import annotations

import argparse
import json

from tui.backend.core.errors import EvaltuiError
from tui.cli.context import DECLINED_EXIT, CliContext
from tui.cli.output import format_rules, format_test_report, format_workspace_evaluators


def _nothing_changed(exc: EvaltuiError, sentence: str) -> EvaltuiError:
    """Say so when a server or workspace failure stopped a command before it changed anything.

    Input errors (unknown name, bad file or flag) go without it: nothing could have happened.
    """
    from tui.backend.core.errors import Ambiguous, EvaluatorLoadError, InvalidInput, NotFound

    text = str(exc)
    if not isinstance(exc, (Ambiguous, EvaluatorLoadError, InvalidInput, NotFound)) and sentence not in text:
        exc.args = (f"{text} {sentence}",)
    return exc


def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    rules = ctx.backend.list_rules()
    if not rules:
        ctx.out("No evaluators found.")
        return 0
    ctx.out(format_rules(sorted(rules, key=lambda r: (r.name.lower(), r.id))))
    return 0


def cmd_evaluators(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.workspace.workspace_evaluators import evaluator_json

    found = sorted(ctx.backend.list_workspace_evaluators(), key=lambda e: (e.name.lower(), e.id))
    if args.json:
        ctx.out(json.dumps([evaluator_json(e) for e in found], indent=2, default=str))
    elif not found:
        ctx.out("No workspace evaluators found.")
    else:
        ctx.out(format_workspace_evaluators(found))
    return 0


def cmd_upload(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.rules import ops

    ctx.assume_yes = args.yes
    # Flag checks before anything slow, so a typo fails at once.
    ops.validate_name(args.name)
    ops.check_binding_flags(args.dataset, args.project)
    try:
        backend = ctx.backend
        if args.replace and not args.rule_id and not _new_rule_confirmed(args, ctx, backend):
            ctx.out("Cancelled; nothing changed.")
            return DECLINED_EXIT
        plan = ops.plan_upload(
            backend,
            args.evaluator_file,
            args.function,
            args.name,
            dataset=args.dataset,
            project=args.project,
            sample_rate=args.sample_rate,
            rule_id=args.rule_id,
            enabled=args.enabled,
            check=args.check,
            as_code=args.as_code,
        )
    except EvaltuiError as exc:
        raise _nothing_changed(exc, "Nothing was changed.") from None
    for warning in plan.warnings:
        ctx.err(f"Warning: {warning}")
    if plan.judge is not None:
        for line in plan.judge.preview():
            ctx.out(line)
        if plan.warnings and not ctx.confirm(
            f"Upload {args.name!r} as an LLM-as-judge rule with the differences above?"
        ):
            ctx.out("Cancelled; nothing changed.")
            return DECLINED_EXIT
    if plan.sandbox is not None:
        for line in plan.sandbox.lines():
            ctx.out(line)
        if plan.sandbox.failed and not ctx.confirm(
            f"The code fails in LangSmith's sandbox; upload {args.name!r} anyway?"
        ):
            ctx.out("Cancelled; nothing changed.")
            return DECLINED_EXIT

    if plan.existing:
        if not args.replace:
            ops.apply_upload(backend, plan, replace=False)  # raises AlreadyExists
        if plan.is_ambiguous:
            raise ops.ambiguous_error(args.name, plan.existing)
        old = plan.existing[0]
        ctx.out(f"Evaluator {args.name!r} already exists ({old.target_label}, id {old.id}).")
        ctx.out(plan.diff.rstrip("\n") if plan.diff else "The code is unchanged.")
        ctx.out("Settings:")
        for line in plan.settings:
            ctx.out(f"  {line}")
        if not ctx.confirm(f"Replace evaluator {args.name!r} ({old.target_label})?"):
            ctx.out("Cancelled; nothing changed.")
            return DECLINED_EXIT

    outcome = ops.apply_upload(backend, plan, replace=args.replace)
    state = "enabled" if outcome.rule.is_enabled else "disabled"
    ctx.out(
        f"{outcome.message} Sampling rate {outcome.rule.sampling_rate:.0%}, {state}, id {outcome.rule.id}."
    )
    return 0


def _new_rule_confirmed(args: argparse.Namespace, ctx: CliContext, backend) -> bool:
    """`--replace` onto a name no rule has: if the function was uploaded under another name (its
    recorded origin), say so and ask before making a second rule."""
    from tui.backend.source.rule_origin import uploaded_from

    if backend.list_rules(args.name):
        return True
    others = uploaded_from(args.evaluator_file, args.function, backend.list_rules())
    if not others:
        return True
    names = ", ".join(f"{r.name!r} (id {r.id})" for r in others)
    ctx.err(f"Warning: no evaluator is named {args.name!r}, but {args.function} was uploaded from this file "
            f"as {names}; to replace it, pass --name {others[0].name!r}.")
    return ctx.confirm(f"Upload {args.name!r} as a new evaluator?")


def cmd_delete(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.rules import ops

    ctx.assume_yes = args.yes
    try:
        rule = ops.find_rule(ctx.backend, args.name, args.rule_id)
    except EvaltuiError as exc:
        raise _nothing_changed(exc, "Nothing was deleted.") from None
    if not ctx.confirm(ops.delete_question(rule)):
        ctx.out("Cancelled; nothing deleted.")
        return DECLINED_EXIT
    ctx.out(ops.delete_rule(ctx.backend, rule))
    return 0


def cmd_test(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.core.errors import InvalidInput
    from tui.backend.rules.tester import test_evaluator, test_rule, test_workspace_evaluator

    chosen = [bool(args.evaluator_file or args.function), bool(args.rule), bool(args.workspace)]
    if sum(chosen) > 1:
        raise InvalidInput("Test one thing: FILE --function F, --rule NAME or --workspace NAME.")
    if args.rule:
        report = test_rule(ctx.backend, args.rule, args.dataset, limit=args.limit, timeout=args.timeout)
    elif args.workspace:
        report = test_workspace_evaluator(ctx.backend, args.workspace, args.dataset, limit=args.limit,
                                          timeout=args.timeout)
    elif args.evaluator_file and args.function:
        report = test_evaluator(
            ctx.backend, args.evaluator_file, args.function, args.dataset, limit=args.limit,
            timeout=args.timeout,
        )
    else:
        raise InvalidInput("Say what to test: FILE --function F, --rule NAME or --workspace NAME.")
    ctx.out(f"Testing {report.evaluator!r} on {report.dataset!r}")
    ctx.out(format_test_report(report))
    return 0 if report.ok else 1
