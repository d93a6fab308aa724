"""The experiment commands: `run`, `experiments`, `export` and `cache`.

Handlers have the shape `(args, ctx: CliContext) -> int`. Progress goes to stderr (a live line on a
terminal, periodic plain lines otherwise); results go to stdout, as a table or, with `--json`, one
JSON document. The export itself is `tui.backend.runs.export`, shared with the app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.backend.runs.export import experiment_json
from tui.cli.context import CANCELLED_EXIT, CliContext
from tui.cli.output import format_experiments, print_run_summary
from tui.cli.progress import CliProgress

if TYPE_CHECKING:
    from tui.backend.core.models import Experiment

UPLOAD_FAILED_EXIT = 1
#: The run finished, but the target or an evaluator raised on some example (`--allow-errors`: 0).
RUN_ERRORS_EXIT = 3


# -- run ---------------------------------------------------------------------------------


def _split_specs(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def cmd_run(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.runs.runner import RunOptions
    from tui.cli.compare import check_run_options

    check_run_options(args, ctx)  # before anything runs

    options = RunOptions(
        dataset=args.dataset,
        target=args.target,
        evaluators=_split_specs(args.evaluators),
        prefix=args.prefix,
        max_concurrency=args.max_concurrency,
        limit=args.limit,
        timeout=args.timeout,
        rule_seed=args.rule_seed,
        run_rules=not args.no_rules,
        judge_cache=args.judge_cache,
        as_of=args.as_of,
        tag=args.tag,
        splits=_split_specs(args.split),
    )
    return _run_and_report(args, ctx, lambda runner, progress: runner.run(options, progress))


def cmd_rerun(args: argparse.Namespace, ctx: CliContext) -> int:
    """`retry EXPERIMENT` (examples that failed) and `resume EXPERIMENT` (examples that never ran),
    into the same experiment with its own target and evaluators."""
    overrides: dict[str, Any] = {"max_concurrency": args.max_concurrency, "timeout": args.timeout}
    if args.rule_seed is not None:
        overrides["rule_seed"] = args.rule_seed

    def job(runner, progress):
        method = runner.resume if args.command == "resume" else runner.retry_failed
        return method(args.experiment, progress, **overrides)

    return _run_and_report(args, ctx, job)


def _run_and_report(args: argparse.Namespace, ctx: CliContext, job) -> int:
    from tui.backend.core.errors import EvaltuiError
    from tui.backend.runs.runner import Runner

    progress = CliProgress(ctx.stderr)
    try:
        runner = Runner(ctx.backend)
        experiment = _run_with_sigint(runner, job, progress)
    except EvaltuiError as exc:
        if args.json:
            ctx.out(json.dumps({"status": "failed", "error": str(exc)}, indent=2))
        ctx.err(f"Error: {exc}")
        return int(getattr(exc, "exit_code", 1)) or 1
    except KeyboardInterrupt:
        experiment = None
    final = progress.final
    from tui.backend.core import events as ev

    if isinstance(final, ev.RunCancelled):
        print_run_summary(ctx, args, progress, experiment, final)
        name = progress.name or final.experiment_id
        never_run = (final.counts or {}).get("never_run")
        ctx.err(f"Cancelled: kept {final.kept} finished of {final.total} examples in experiment {name}."
                + (f" {never_run} never ran: `evaltui resume {name}` runs them." if never_run else ""))
        return CANCELLED_EXIT
    if isinstance(final, ev.RunFailed) or final is None:
        message = final.message if isinstance(final, ev.RunFailed) else "The run stopped unexpectedly."
        if args.json:
            ctx.out(json.dumps({"status": "failed", "error": message,
                                "experiment": experiment_json(experiment)}, indent=2))
        ctx.err(f"Error: {message}")
        return 1
    print_run_summary(ctx, args, progress, experiment, final)
    code = _exit_code(final.counts)
    errors = progress.target_errors + progress.evaluator_errors
    if code == 0 and errors and not args.allow_errors:
        ctx.err(f"Exit code {RUN_ERRORS_EXIT}: {progress.target_errors} target and {progress.evaluator_errors} "
                "evaluator errors (--allow-errors exits 0 for them).")
        code = RUN_ERRORS_EXIT
    from tui.cli.compare import run_gates

    return run_gates(args, ctx, experiment, code)  # --fail-under, --fail-on-regression, --junit, --markdown


def _exit_code(counts: dict[str, Any]) -> int:
    """1 for real losses (a send failed and the result never arrived) or a failed close."""
    lost = counts.get("upload_missing_runs") or counts.get("upload_missing_scores")
    return UPLOAD_FAILED_EXIT if lost or counts.get("close_error") else 0


def _run_with_sigint(runner, job, progress) -> Experiment:
    """Run in a fresh loop; Ctrl+C asks the runner to cancel (finished rows stay stored)."""

    async def main() -> Experiment:
        loop = asyncio.get_running_loop()
        installed = False
        try:
            loop.add_signal_handler(signal.SIGINT, runner.cancel)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / platform
            pass
        try:
            return await job(runner, progress)
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGINT)

    return asyncio.run(main())


# -- cache -------------------------------------------------------------------------------


def cmd_cache(args, ctx: CliContext) -> int:
    from evaluators.judge_cache import cache_at

    ctx.assume_yes = getattr(args, "yes", False)
    cache = cache_at(ctx.settings.home / "judge-cache.sqlite3")
    info = cache.info()
    if args.action == "clear":
        if info["entries"] and not ctx.confirm(f"Delete {info['entries']} cached judge calls in {info['path']}?"):
            ctx.out("Cancelled; the cache is unchanged.")
            return 1
        cache.clear()
        ctx.out(f"Cleared {info['entries']} cached judge calls.")
        return 0
    ctx.out(f"Judge cache {info['path']}: {info['entries']} calls, {info['bytes'] / 1024:.0f} KiB.")
    return 0


# -- experiments ------------------------------------------------------------------------


def cmd_experiments(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.runs.summary import summarize

    backend = ctx.backend
    dataset_id = backend.get_dataset(args.dataset).id if args.dataset else None
    experiments = backend.list_experiments(dataset_id)
    docs = []
    for exp in experiments:
        summary, counts = summarize(backend.list_results(exp.id))
        docs.append((exp, summary, counts))
    if args.json:
        ctx.out(json.dumps([
            {**(experiment_json(exp) or {}), "examples": counts["examples"], "summary": summary,
             "target_errors": counts["target_errors"], "evaluator_errors": counts["evaluator_errors"]}
            for exp, summary, counts in docs
        ], indent=2))
        return 0
    if not docs:
        ctx.out("No experiments yet." + (f" (dataset {args.dataset!r})" if args.dataset else ""))
        return 0
    ctx.out(format_experiments(docs))
    return 0


# -- export -----------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.runs import export

    backend = ctx.backend
    experiment = backend.get_experiment(args.experiment)
    results = backend.list_results(experiment.id)
    fmt = args.format or export.format_for(args.output)
    if args.output:
        path = Path(args.output).expanduser()
        export.write_export(path, experiment, results, fmt)
        ctx.err(f"Exported {len(results)} results of experiment {experiment.name} to {path} ({fmt}).")
    else:
        ctx.stdout.write(export.render(experiment, results, fmt))
        ctx.stdout.flush()
    return 0
