"""The `evaltui` argument parser: global options, argument types, every subcommand, and dispatch.

Each subcommand sets `handler`, a function `(args, ctx: CliContext) -> int` from `tui.cli.rules`
(list / evaluators / upload / delete / test) or `tui.cli.experiments` (run / cache / experiments /
export); `run_command` calls it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from tui.backend.rules.sample_rate import sample_rate_problem
from tui.cli.compare import add_compare_command, add_gate_options
from tui.cli.context import CliContext
from tui.cli.datasets import add_dataset_commands
from tui.cli.deploy import add_deploy_commands
from tui.cli.experiments import cmd_cache, cmd_experiments, cmd_export, cmd_rerun, cmd_run
from tui.cli.rules import cmd_delete, cmd_evaluators, cmd_list, cmd_test, cmd_upload

PROG = "evaltui"
T = TypeVar("T")


# -- argument types ----------------------------------------------------------------------


def sample_rate_arg(text: str) -> float:
    """argparse type for --sample-rate: a number in 0..1, with a message naming the bad value."""
    problem = sample_rate_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return float(text)


def _checked(convert: Callable[[str], T], kind: str, ok: Callable[[T], bool], bound: str) -> Callable[[str], T]:
    """An argparse type: `convert(text)` ("must be <kind>" if it fails) that satisfies `ok`
    ("must be <bound>" otherwise); both messages name the bad text."""

    def parse(text: str) -> T:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {kind}, not {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {bound}, not {text!r}")
        return value

    return parse


limit_arg = _checked(int, "a whole number", lambda n: n >= 1, "at least 1")
timeout_arg = _checked(float, "a number of seconds", lambda s: s > 0, "more than 0")  # `>` rejects NaN


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


# -- the parser --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write, test, upload and run LangSmith evaluators. "
        "With no command, starts the terminal app.",
        parents=[global_options(defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_rule_commands(sub)
    _add_experiment_commands(sub)
    add_dataset_commands(sub, [global_options(defaults=False)])
    add_deploy_commands(sub, [global_options(defaults=False)])
    return parser


def _add_rule_commands(sub) -> None:
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
    p.add_argument("--workspace", metavar="NAME",
                   help="test a workspace evaluator (Python code, or an LLM prompt from the prompt hub) instead")
    p.add_argument("--dataset", required=True, help="dataset whose examples make the pairs")
    p.add_argument("--limit", type=limit_arg, default=10, help="examples to use (default 10)")
    p.add_argument(
        "--timeout", type=timeout_arg, default=30.0,
        help="seconds one evaluator call may take (default 30)",
    )
    p.set_defaults(handler=cmd_test)


def _add_experiment_commands(sub) -> None:
    common = [global_options(defaults=False)]

    p = sub.add_parser(
        "run",
        parents=common,
        help="run a target over a dataset and score it (an experiment)",
        description="Run a target over a dataset with evaluators. Example: evaltui run "
        "--dataset 'Skills: Final Response' --target demo --evaluators evaluators:exact_match",
    )
    p.add_argument("--dataset", required=True, help="dataset name or id")
    p.add_argument(
        "--target", required=True,
        help="`path/to/file.py:function`, `package.module:function`, or `demo` (the demo agent)",
    )
    p.add_argument(
        "--evaluators", action="append", default=[], metavar="FILE:FN[,FILE:FN...]",
        help="evaluators: `file.py:function`, `module:function` (e.g. evaluators:exact_match) or "
        "`rule:NAME` (a workspace rule, code or LLM judge, run here) or `workspace:NAME` (a workspace "
        "evaluator, run here); comma-separated or repeated",
    )
    p.add_argument("--prefix", default="evaltui", help="experiment name prefix (default evaltui)")
    p.add_argument("--max-concurrency", type=limit_arg, default=4, help="examples in flight (default 4)")
    p.add_argument("--limit", type=limit_arg, help="run only the first N examples")
    version = p.add_mutually_exclusive_group()
    version.add_argument("--as-of", metavar="V",
                         help="run on the dataset as it was then: an ISO time, `latest` or a tag")
    version.add_argument("--tag", metavar="T", help="run on the dataset version with this tag")
    p.add_argument("--split", action="append", default=[], metavar="S",
                   help="run only the examples in this split (repeat or comma-separate for several)")
    p.add_argument("--timeout", type=timeout_arg, help="per-evaluator timeout in seconds")
    p.add_argument("--seed", type=int, dest="rule_seed", help="seed for rule sampling (reproducible runs)")
    p.add_argument("--no-rules", action="store_true", help="do not run the dataset's local rules")
    p.add_argument("--no-cache", dest="judge_cache", action="store_false",
                   help="send every judge call (do not use the judge cache in $EVALTUI_HOME)")
    p.add_argument("--allow-errors", action="store_true",
                   help="exit 0 even when the target or an evaluator raised on some examples (otherwise 3)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    add_gate_options(p, baseline=True)
    p.set_defaults(handler=cmd_run)

    for name, what in (("retry", "examples whose target or an evaluator failed"),
                       ("resume", "examples that never ran (the run was cancelled, crashed or killed)")):
        p = sub.add_parser(name, parents=common, help=f"run an experiment's {what} again, into it",
                           description=f"Run the {what} of EXPERIMENT, with its own target, evaluators "
                           "and timeout, into the same experiment; its other rows stay.")
        p.add_argument("experiment", metavar="EXPERIMENT", help="experiment name or id")
        p.add_argument("--max-concurrency", type=limit_arg, help="examples in flight (default: the run's own)")
        p.add_argument("--timeout", type=timeout_arg, help="per-evaluator timeout in seconds (default: the run's)")
        p.add_argument("--seed", type=int, dest="rule_seed", help="seed for rule sampling (default: the run's)")
        p.add_argument("--allow-errors", action="store_true",
                       help="exit 0 even when the target or an evaluator raised on some examples (otherwise 3)")
        p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
        p.set_defaults(handler=cmd_rerun)

    add_compare_command(sub, common)

    p = sub.add_parser("cache", parents=common, help="the judge-call cache: info or clear")
    p.add_argument("action", choices=("info", "clear"))
    p.add_argument("--yes", action="store_true", help="clear without asking")
    p.set_defaults(handler=cmd_cache)

    p = sub.add_parser("experiments", parents=common, help="list experiments with their scores")
    p.add_argument("--dataset", help="only experiments on this dataset (name or id)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=cmd_experiments)

    p = sub.add_parser("export", parents=common, help="export an experiment's results as CSV or JSON")
    p.add_argument("experiment", metavar="EXPERIMENT", help="experiment name or id")
    p.add_argument("--format", choices=("csv", "json"), help="default: from --output's suffix, else csv")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(handler=cmd_export)


def run_command(args: argparse.Namespace, ctx: CliContext) -> int:
    return args.handler(args, ctx)
