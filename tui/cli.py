"""The headless CLI: a drop-in for LangChain's `upload_evaluators.py` (list / upload / delete)
plus `test`, and the runner's subcommands when `tui.cli_run` is present.

Every handler has the shape `(args, ctx: CliContext) -> int` and does its work through
`tui.backend.rules.ops` / `tui.backend.rules.tester`, so the app and the CLI behave the same.
Imports stay light here: the backend (and langsmith) load only when a command needs them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui.backend.core.errors import EvaltuiError
from tui.cli_support import CliContext

if TYPE_CHECKING:
    from tui.backend.core.models import Rule, WorkspaceEvaluator
    from tui.backend.rules.tester import TestReport

PROG = "evaltui"
DECLINED_EXIT = 1  # the user answered No: nothing changed, but the command did not do its job


# -- argument parsing ------------------------------------------------------------------


def sample_rate_arg(text: str) -> float:
    """argparse type for --sample-rate: a number in 0..1, with a message naming the bad value."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number between 0 and 1, not {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text!r}")
    return value


def limit_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text!r}")
    return value


def timeout_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {text!r}") from None
    if not value > 0:  # also rejects NaN
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text!r}")
    return value


def global_options(defaults: bool) -> argparse.ArgumentParser:
    """Global options. --backend is accepted before or after the subcommand: sub-parsers
    use SUPPRESS defaults so a value given before the subcommand is kept.
    """
    parent = argparse.ArgumentParser(add_help=False)
    default = None if defaults else argparse.SUPPRESS
    parent.add_argument(
        "--backend",
        choices=("local", "langsmith"),
        default=default,
        help="workspace to use (default: langsmith when LANGSMITH_API_KEY is set, else local)",
    )
    if defaults:  # --dir only matters to the app, which starts without a subcommand
        parent.add_argument(
            "--dir",
            metavar="DIR",
            help="local evaluator directory for the app "
            "(default: ./evaluators if it exists, else $EVALTUI_HOME/evaluators)",
        )
    return parent


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evaltui")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write, test, upload and run LangSmith evaluators. "
        "With no command, starts the terminal app.",
        parents=[global_options(defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = [global_options(defaults=False)]

    p = sub.add_parser("list", parents=common, help="list uploaded evaluators")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser(
        "evaluators", parents=common,
        help="list the workspace's evaluators (code and LLM), their build status and bindings",
    )
    p.add_argument("--json", action="store_true", help="print JSON (with code, mapping and dependencies)")
    p.set_defaults(handler=cmd_evaluators)

    p = sub.add_parser(
        "upload",
        parents=common,
        help="upload an evaluator from a Python file",
        description="Upload an evaluator from a Python file. Example: evaltui upload my_evaluators.py "
        "--name 'Trajectory Match' --function trajectory_match_evaluator "
        "--dataset 'Skills: Trajectory' --replace",
    )
    p.add_argument("evaluator_file", metavar="FILE", help="Python file defining the evaluator")
    p.add_argument("--name", required=True, help="display name for the evaluator")
    p.add_argument("--function", required=True, help="function name to extract from the file")
    p.add_argument("--dataset", help="target dataset name")
    p.add_argument("--project", help="target project name")
    p.add_argument(
        "--sample-rate", type=sample_rate_arg, default=None,
        help="sampling rate (0.0-1.0); a new rule defaults to 1.0, a replaced one keeps its own",
    )
    state = p.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True, default=None,
                       help="enable the rule (a replaced rule otherwise keeps its state)")
    state.add_argument("--disable", dest="enabled", action="store_const", const=False,
                       help="upload the rule disabled")
    p.add_argument("--replace", action="store_true", help="replace if exists")
    p.add_argument("--as-code", action="store_true",
                   help="upload an LLM judge as a Python code rule (it will have no network there)")
    p.add_argument("--no-check", dest="check", action="store_false",
                   help="skip running the code on two examples in a sandbox-like process first")
    p.add_argument("--yes", action="store_true", help="skip confirmation prompts")
    p.add_argument("--id", dest="rule_id", metavar="RULE_ID", help="which rule to replace when several share the name")
    p.set_defaults(handler=cmd_upload)

    p = sub.add_parser("delete", parents=common, help="delete an evaluator by name")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", action="store_true", help="skip confirmation prompt")
    p.add_argument("--id", dest="rule_id", metavar="RULE_ID", help="which rule to delete when several share the name")
    p.set_defaults(handler=cmd_delete)

    p = sub.add_parser(
        "test",
        parents=common,
        help="check an evaluator scores known-good pairs above known-bad ones",
    )
    p.add_argument("evaluator_file", metavar="FILE", nargs="?", help="Python file (or use --rule)")
    p.add_argument("--function", help="function name in the file")
    p.add_argument("--rule", metavar="NAME", help="test a workspace rule (Python code or LLM judge) instead")
    p.add_argument("--dataset", required=True, help="dataset whose examples make the pairs")
    p.add_argument("--limit", type=limit_arg, default=10, help="examples to use (default 10)")
    p.add_argument(
        "--timeout", type=timeout_arg, default=30.0,
        help="seconds one evaluator call may take (default 30)",
    )
    p.set_defaults(handler=cmd_test)

    _register_optional_commands(sub)
    return parser


def _register_optional_commands(sub) -> None:
    """The runner's commands (run / experiments / export) live in tui.cli_run once it exists."""
    if importlib.util.find_spec("tui.cli_run") is None:
        return
    from tui import cli_run

    cli_run.register(sub)


# -- output helpers --------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns: stable for tests and pipes, no colour."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def format_rules(rules: Sequence[Rule]) -> str:
    rows = [
        (
            _one_line(r.name),
            _one_line(r.target_label),
            f"{r.sampling_rate:.0%}",
            "yes" if r.is_enabled else "no",
            r.updated_at.strftime("%Y-%m-%d %H:%M") if r.updated_at else "-",
            r.id,
            r.kind_label,
        )
        for r in rules
    ]
    return format_table(("NAME", "TARGET", "SAMPLING", "ENABLED", "UPDATED", "ID", "KIND"), rows)


def _fmt_score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_test_report(report: TestReport) -> str:
    rows = [
        (r.example_id[:12], r.input_preview, _fmt_score(r.good), _fmt_score(r.bad), r.notes)
        for r in report.rows
    ]
    table = format_table(("EXAMPLE", "INPUT", "GOOD", "BAD", "NOTES"), rows)
    summary = (
        f"Mean score: good {_fmt_score(report.mean_good)}, bad {_fmt_score(report.mean_bad)} "
        f"({len(report.rows)} example{'' if len(report.rows) == 1 else 's'} from {report.dataset!r})"
    )
    return f"{table}\n\n{summary}\n{report.message}"


# -- command handlers ------------------------------------------------------------------


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


def format_workspace_evaluators(evaluators: Sequence[WorkspaceEvaluator]) -> str:
    rows = [
        (
            _one_line(e.name),
            e.type + (f" ({e.language})" if e.language else ""),
            ", ".join(e.feedback_keys) or "-",
            _one_line(e.status_label),
            _one_line("; ".join(e.bindings)) or "-",
            e.id,
        )
        for e in evaluators
    ]
    return format_table(("NAME", "TYPE", "FEEDBACK KEYS", "BUILD", "BOUND TO", "ID"), rows)


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
    from tui.backend.rules.tester import test_evaluator, test_rule

    if args.rule and (args.evaluator_file or args.function):
        raise InvalidInput("Test either FILE --function F or --rule NAME, not both.")
    if args.rule:
        report = test_rule(ctx.backend, args.rule, args.dataset, limit=args.limit, timeout=args.timeout)
    elif args.evaluator_file and args.function:
        report = test_evaluator(
            ctx.backend, args.evaluator_file, args.function, args.dataset, limit=args.limit,
            timeout=args.timeout,
        )
    else:
        raise InvalidInput("Say what to test: FILE --function F, or --rule NAME.")
    ctx.out(f"Testing {report.evaluator!r} on {report.dataset!r}")
    ctx.out(format_test_report(report))
    return 0 if report.ok else 1


def run_command(args: argparse.Namespace, ctx: CliContext) -> int:
    return args.handler(args, ctx)
