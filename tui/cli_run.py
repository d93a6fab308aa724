"""CLI commands for experiments: `run`, `experiments` and `export`.

`register(subparsers)` is called by `tui.cli.build_parser`. Handlers have the shape
`(args, ctx: CliContext) -> int`. Progress goes to stderr (a live line on a terminal, periodic
plain lines otherwise); results go to stdout, as a table or, with `--json`, one JSON document.
The export helpers (`results_to_csv`, `results_to_json`) are shared with the app.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tui.cli import format_table, global_options, limit_arg, timeout_arg
from tui.cli_support import CliContext

if TYPE_CHECKING:
    from tui.backend.core.events import RunEvent
    from tui.backend.core.models import Experiment, ExperimentResult

CANCELLED_EXIT = 130


# -- argument parsing ------------------------------------------------------------------


def _parents() -> list[argparse.ArgumentParser]:
    return [global_options(defaults=False)]


def register(subparsers) -> None:
    """Add `run`, `experiments` and `export` to the evaltui CLI."""
    p = subparsers.add_parser(
        "run",
        parents=_parents(),
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
        "`rule:NAME` (a workspace rule, code or LLM judge, run here); comma-separated or repeated",
    )
    p.add_argument("--prefix", default="evaltui", help="experiment name prefix (default evaltui)")
    p.add_argument("--max-concurrency", type=limit_arg, default=4, help="examples in flight (default 4)")
    p.add_argument("--limit", type=limit_arg, help="run only the first N examples")
    p.add_argument("--timeout", type=timeout_arg, help="per-evaluator timeout in seconds")
    p.add_argument("--seed", type=int, dest="rule_seed", help="seed for rule sampling (reproducible runs)")
    p.add_argument("--no-rules", action="store_true", help="do not run the dataset's local rules")
    p.add_argument("--no-cache", dest="judge_cache", action="store_false",
                   help="send every judge call (do not use the judge cache in $EVALTUI_HOME)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    p.set_defaults(handler=cmd_run)

    p = subparsers.add_parser("cache", parents=_parents(), help="the judge-call cache: info or clear")
    p.add_argument("action", choices=("info", "clear"))
    p.add_argument("--yes", action="store_true", help="clear without asking")
    p.set_defaults(handler=cmd_cache)

    p = subparsers.add_parser("experiments", parents=_parents(), help="list experiments with their scores")
    p.add_argument("--dataset", help="only experiments on this dataset (name or id)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=cmd_experiments)

    p = subparsers.add_parser("export", parents=_parents(), help="export an experiment's results as CSV or JSON")
    p.add_argument("experiment", metavar="EXPERIMENT", help="experiment name or id")
    p.add_argument("--format", choices=("csv", "json"), help="default: from --output's suffix, else csv")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(handler=cmd_export)


# -- progress --------------------------------------------------------------------------


class CliProgress:
    """A `ProgressSink` for the terminal: a live line on a tty, plain periodic lines otherwise."""

    def __init__(self, stream: TextIO, *, live: bool | None = None, interval: float | None = None):
        self.stream = stream
        self.live = _is_tty(stream) if live is None else live
        self.interval = interval if interval is not None else (0.1 if self.live else 2.0)
        self.total = 0
        self.done = 0
        self.target_errors = 0
        self.evaluator_errors = 0
        self.name = ""
        self.started = time.monotonic()
        self._last = 0.0
        self._last_pct = -1
        self.final: RunEvent | None = None
        self.started_event = None
        #: the first error seen per evaluator key ("target" for the target), shown in the summary
        self.first_errors: dict[str, str] = {}

    def __call__(self, event: RunEvent) -> None:
        from tui.backend.core import events as ev

        kind = type(event)
        if kind is ev.ExampleFinished:
            self.done += 1
            for score in event.result.scores:
                if score.error:
                    self.evaluator_errors += 1
                    self.first_errors.setdefault(score.key, score.error)
            self._tick()
        elif kind is ev.TargetFailed:
            self.target_errors += 1
            self.first_errors.setdefault("target", event.error)
        elif kind is ev.ExperimentStarted:
            self.started_event = event
            self.total, self.name, self.started = event.total, event.name, time.monotonic()
            where = f" at {event.url}" if event.url else ""
            self._line(f"Running experiment {event.name} on {event.total} examples{where}")
            if event.rules:
                who = "the LangSmith server applies" if event.rules_run_by == "server" else "also running"
                self._line(f"Rules bound to the dataset ({who}): {', '.join(event.rules)}")
        elif kind is ev.UploadVerifying:
            self._line(
                f"Waiting for LangSmith to ingest the results: {event.visible}/{event.expected} visible "
                f"({event.waited_s:.0f} s of up to {event.limit_s:.0f} s)"
            )
        elif kind in (ev.RunFinished, ev.RunCancelled, ev.RunFailed):
            self.final = event
            if self.live:
                self._render(force=True)
                self.stream.write("\n")
                self.stream.flush()

    def _status(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        pct = (self.done / self.total * 100) if self.total else 100.0
        eta = (self.total - self.done) / rate if rate > 0 and self.total else 0.0
        errors = ""
        if self.target_errors or self.evaluator_errors:
            errors = f"  errors: {self.target_errors} target, {self.evaluator_errors} evaluator"
        return (f"{self.done}/{self.total} ({pct:3.0f}%)  {rate:6.1f} ex/s  ETA {eta:5.1f}s{errors}")

    def _tick(self) -> None:
        now = time.monotonic()
        if self.live:
            if now - self._last >= self.interval or self.done == self.total:
                self._render()
                self._last = now
            return
        pct = int(self.done * 10 / self.total) * 10 if self.total else 100
        if pct != self._last_pct and (pct == 100 or now - self._last >= self.interval):
            self._last_pct, self._last = pct, now
            self._line(self._status())

    def _render(self, force: bool = False) -> None:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {self._status()}\x1b[K")
        self.stream.flush()

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# -- run ---------------------------------------------------------------------------------


def _split_specs(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def cmd_run(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.core.errors import EvaltuiError
    from tui.backend.runs.runner import Runner, RunOptions

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
    )
    progress = CliProgress(ctx.stderr)
    try:
        runner = Runner(ctx.backend)
        experiment = _run_with_sigint(runner, options, progress)
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
        _print_run_summary(ctx, args, progress, experiment, final)
        ctx.err(
            f"Cancelled: kept {final.kept} finished of {final.total} examples in experiment "
            f"{progress.name or final.experiment_id}."
        )
        return CANCELLED_EXIT
    if isinstance(final, ev.RunFailed) or final is None:
        message = final.message if isinstance(final, ev.RunFailed) else "The run stopped unexpectedly."
        if args.json:
            ctx.out(json.dumps({"status": "failed", "error": message,
                                "experiment": _experiment_json(experiment)}, indent=2))
        ctx.err(f"Error: {message}")
        return 1
    _print_run_summary(ctx, args, progress, experiment, final)
    return _exit_code(final.counts)


UPLOAD_FAILED_EXIT = 1
MAX_LISTED = 50


def _listing(items: list[str]) -> str:
    return ", ".join(items[:MAX_LISTED]) + (" …" if len(items) > MAX_LISTED else "")


def _upload_problems(counts: dict[str, Any]) -> list[str]:
    """Sentences about results not (yet) readable on LangSmith, and a failed close (empty when fine)."""
    lines = []
    runs, scores = counts.get("upload_missing_runs") or [], counts.get("upload_missing_scores") or []
    if runs:
        lines.append(f"{len(runs)} run(s) failed to upload to LangSmith (example ids: {_listing(runs)}).")
    if scores:
        lines.append(f"{len(scores)} score(s) failed to upload to LangSmith (example:key: {_listing(scores)}).")
    pending = (counts.get("upload_pending_runs") or []) + (counts.get("upload_pending_scores") or [])
    if pending:
        lines.append(
            f"{len(pending)} result(s) were accepted by LangSmith but are still being ingested after "
            f"{counts.get('upload_waited_s', 0):g} s (not lost; set EVALTUI_UPLOAD_WAIT to wait longer): "
            f"{_listing(pending)}."
        )
    if counts.get("upload_unverified"):
        lines.append(str(counts["upload_unverified"]))
    if counts.get("close_error"):
        lines.append(str(counts["close_error"]))
    return lines


def _exit_code(counts: dict[str, Any]) -> int:
    """1 for real losses (a send failed and the result never arrived) or a failed close."""
    lost = counts.get("upload_missing_runs") or counts.get("upload_missing_scores")
    return UPLOAD_FAILED_EXIT if lost or counts.get("close_error") else 0


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


def _run_with_sigint(runner, options, progress) -> Experiment:
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
            return await runner.run(options, progress)
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGINT)

    return asyncio.run(main())


def _summary_rows(counts: dict[str, Any], summary: dict[str, Any]) -> list[dict[str, Any]]:
    keys = counts.get("keys", {})
    return [
        {"key": key, "mean": summary.get(key), "n": keys.get(key, {}).get("n", 0),
         "errors": keys.get(key, {}).get("errors", 0)}
        for key in sorted(set(keys) | set(summary))
    ]


def _print_run_summary(ctx: CliContext, args, progress: CliProgress, experiment, final) -> None:
    from tui.backend.core import events as ev

    counts, summary = final.counts, final.summary
    rows = _summary_rows(counts, summary)
    started = progress.started_event
    status = final.status if isinstance(final, ev.RunFinished) else "cancelled"
    if args.json:
        doc = {
            "status": status,
            "experiment": _experiment_json(experiment, status),
            "total": progress.total,
            "finished": counts.get("examples", 0),
            "target_errors": counts.get("target_errors", 0),
            "evaluator_errors": counts.get("evaluator_errors", 0),
            "summary": {r["key"]: {"mean": r["mean"], "n": r["n"], "errors": r["errors"]} for r in rows},
            "rules": list(started.rules) if started else [],
            "rules_run_by": started.rules_run_by if started else None,
            "first_errors": dict(progress.first_errors),
            "upload": counts.get("upload_status", "not uploaded"),
            "upload_missing_runs": counts.get("upload_missing_runs", []),
            "upload_missing_scores": counts.get("upload_missing_scores", []),
            "upload_pending_runs": counts.get("upload_pending_runs", []),
            "upload_pending_scores": counts.get("upload_pending_scores", []),
            "closed": not counts.get("close_error"),
            "judge_cache": counts.get("judge_cache") or {"hits": 0, "misses": 0},
        }
        for line in _upload_problems(counts):
            ctx.err(f"Warning: {line}")
        ctx.out(json.dumps(doc, indent=2))
        return
    table = format_table(
        ("EVALUATOR", "MEAN", "N", "ERRORS"),
        [(r["key"], "-" if r["mean"] is None else f"{r['mean']:.3f}", str(r["n"]), str(r["errors"])) for r in rows],
    )
    name = experiment.name if experiment else progress.name
    ctx.out(table)
    if progress.first_errors:
        ctx.out("")
        ctx.out("First error of each kind:")
        for key, message in progress.first_errors.items():
            ctx.out(f"  {key}: {_clip(message)}")
    ctx.out("")
    ctx.out(
        f"Experiment {name}: {status}, {counts.get('examples', 0)}/{progress.total} examples, "
        f"{counts.get('target_errors', 0)} target errors, {counts.get('evaluator_errors', 0)} evaluator errors."
    )
    cache = counts.get("judge_cache")
    if cache:
        ctx.out(f"Judge cache: {cache['hits']} hits, {cache['misses']} misses (--no-cache sends every call).")
    if experiment is not None and experiment.url:
        ctx.out(f"View it at {experiment.url}")
    for line in _upload_problems(counts):
        ctx.err(f"Warning: {line}")


def _clip(text: str, limit: int = 200) -> str:
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _experiment_json(experiment, status: str | None = None) -> dict[str, Any] | None:
    if experiment is None or not experiment.id:
        return None
    return {
        "id": experiment.id,
        "name": experiment.name,
        "dataset_id": experiment.dataset_id,
        "status": status or experiment.status,
        "url": experiment.url,
        "created_at": experiment.created_at.isoformat() if experiment.created_at else None,
    }


# -- experiments ------------------------------------------------------------------------


def cmd_experiments(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.runs.runner import summarize

    backend = ctx.backend
    dataset_id = backend.get_dataset(args.dataset).id if args.dataset else None
    experiments = backend.list_experiments(dataset_id)
    docs = []
    for exp in experiments:
        summary, counts = summarize(backend.list_results(exp.id))
        docs.append((exp, summary, counts))
    if args.json:
        ctx.out(json.dumps([
            {**(_experiment_json(exp) or {}), "examples": counts["examples"], "summary": summary,
             "target_errors": counts["target_errors"], "evaluator_errors": counts["evaluator_errors"]}
            for exp, summary, counts in docs
        ], indent=2))
        return 0
    if not docs:
        ctx.out("No experiments yet." + (f" (dataset {args.dataset!r})" if args.dataset else ""))
        return 0
    rows = [
        (
            exp.name,
            exp.status,
            str(counts["examples"]),
            ", ".join(f"{k}={'-' if v is None else f'{v:.2f}'}" for k, v in summary.items()) or "-",
            exp.created_at.strftime("%Y-%m-%d %H:%M") if exp.created_at else "-",
            exp.id,
        )
        for exp, summary, counts in docs
    ]
    ctx.out(format_table(("NAME", "STATUS", "EXAMPLES", "SCORES", "CREATED", "ID"), rows))
    return 0


# -- export -----------------------------------------------------------------------------


def results_to_json(experiment: Experiment, results: Sequence[ExperimentResult]) -> str:
    """The whole experiment as one JSON document: metadata, per-key summary, every row."""
    from tui.backend.runs.runner import summarize

    summary, counts = summarize(results)
    doc = {
        "experiment": {**(_experiment_json(experiment) or {}), "metadata": experiment.metadata},
        "summary": summary,
        "counts": counts,
        "results": [
            {
                "example_id": r.example_id,
                "inputs": r.inputs,
                "outputs": r.outputs,
                "reference_outputs": r.reference_outputs,
                "error": r.error,
                "latency_ms": r.latency_ms,
                "scores": [{"key": s.key, "score": s.score, "comment": s.comment, "error": s.error}
                           for s in r.scores],
            }
            for r in results
        ],
    }
    return json.dumps(doc, indent=2, default=str)


def results_to_csv(results: Sequence[ExperimentResult]) -> str:
    """One row per example; inputs/outputs as JSON text; per evaluator key: score, comment, error."""
    keys: list[str] = []
    for r in results:
        for s in r.scores:
            if s.key not in keys:
                keys.append(s.key)
    header = ["example_id", "inputs", "outputs", "reference_outputs", "error", "latency_ms"]
    for key in keys:
        header += [key, f"{key}.comment", f"{key}.error"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for r in results:
        by_key = {s.key: s for s in r.scores}
        row = [
            r.example_id,
            json.dumps(r.inputs, ensure_ascii=False, default=str),
            "" if r.outputs is None else json.dumps(r.outputs, ensure_ascii=False, default=str),
            json.dumps(r.reference_outputs, ensure_ascii=False, default=str),
            r.error or "",
            "" if r.latency_ms is None else f"{r.latency_ms:.1f}",
        ]
        for key in keys:
            s = by_key.get(key)
            if s is None:
                row += ["", "", ""]
            else:
                score = "" if s.score is None else (str(s.score).lower() if isinstance(s.score, bool) else s.score)
                row += [score, s.comment or "", s.error or ""]
        writer.writerow(row)
    return buf.getvalue()


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file only the user can read: results may hold private data."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # an existing file keeps its mode otherwise
        out.write(text)


def cmd_export(args: argparse.Namespace, ctx: CliContext) -> int:
    backend = ctx.backend
    experiment = backend.get_experiment(args.experiment)
    results = backend.list_results(experiment.id)
    fmt = args.format
    if fmt is None:
        fmt = "json" if args.output and Path(args.output).suffix.lower() == ".json" else "csv"
    text = results_to_json(experiment, results) if fmt == "json" else results_to_csv(results)
    if args.output:
        path = Path(args.output).expanduser()
        try:
            _write_private(path, text if text.endswith("\n") else text + "\n")
        except OSError as exc:
            from tui.backend.core.errors import InvalidInput

            raise InvalidInput(f"Could not write {str(path)!r}: {exc.strerror or exc}.") from None
        ctx.err(f"Exported {len(results)} results of experiment {experiment.name} to {path} ({fmt}).")
    else:
        ctx.stdout.write(text if text.endswith("\n") else text + "\n")
        ctx.stdout.flush()
    return 0


__all__ = ["register", "cmd_run", "cmd_experiments", "cmd_export", "CliProgress",
           "results_to_csv", "results_to_json", "CANCELLED_EXIT"]
