"""What the CLI prints: plain aligned tables (stable for tests and pipes, no colour), the rule,
evaluator, test-report and experiment tables, and the `run` command's summary (table or JSON).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tui.backend.runs.export import experiment_json

if TYPE_CHECKING:
    from tui.backend.core.models import Experiment, Rule, WorkspaceEvaluator
    from tui.backend.rules.tester import TestReport
    from tui.cli.context import CliContext
    from tui.cli.progress import CliProgress

MAX_LISTED = 50


# -- tables ------------------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns: stable for tests and pipes, no colour."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def clip(text: str, limit: int = 200) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_rules(rules: Sequence[Rule]) -> str:
    rows = [
        (
            one_line(r.name),
            one_line(r.target_label),
            f"{r.sampling_rate:.0%}",
            "yes" if r.is_enabled else "no",
            r.updated_at.strftime("%Y-%m-%d %H:%M") if r.updated_at else "-",
            r.id,
            r.kind_summary,
        )
        for r in rules
    ]
    return format_table(("NAME", "TARGET", "SAMPLING", "ENABLED", "UPDATED", "ID", "KIND"), rows)


def format_workspace_evaluators(evaluators: Sequence[WorkspaceEvaluator]) -> str:
    rows = [
        (
            one_line(e.name),
            e.type + (f" ({e.language})" if e.language else ""),
            ", ".join(e.feedback_keys) or "-",
            one_line(e.status_label),
            one_line("; ".join(e.bindings)) or "-",
            e.id,
        )
        for e in evaluators
    ]
    return format_table(("NAME", "TYPE", "FEEDBACK KEYS", "BUILD", "BOUND TO", "ID"), rows)


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


def format_experiments(docs: Sequence[tuple[Experiment, dict[str, Any], dict[str, Any]]]) -> str:
    """One row per (experiment, summary, counts)."""
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
    return format_table(("NAME", "STATUS", "EXAMPLES", "SCORES", "CREATED", "ID"), rows)


# -- the run summary ---------------------------------------------------------------------


def _listing(items: list[str]) -> str:
    return ", ".join(items[:MAX_LISTED]) + (" …" if len(items) > MAX_LISTED else "")


def upload_problems(counts: dict[str, Any]) -> list[str]:
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


def _summary_rows(counts: dict[str, Any], summary: dict[str, Any]) -> list[dict[str, Any]]:
    keys = counts.get("keys", {})
    return [
        {"key": key, "mean": summary.get(key), "n": keys.get(key, {}).get("n", 0),
         "errors": keys.get(key, {}).get("errors", 0)}
        for key in sorted(set(keys) | set(summary))
    ]


def print_run_summary(ctx: CliContext, args, progress: CliProgress, experiment, final) -> None:
    from tui.backend.core import events as ev

    counts, summary = final.counts, final.summary
    rows = _summary_rows(counts, summary)
    started = progress.started_event
    status = final.status if isinstance(final, ev.RunFinished) else "cancelled"
    if args.json:
        doc = {
            "status": status,
            "experiment": experiment_json(experiment, status),
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
        for line in upload_problems(counts):
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
            ctx.out(f"  {key}: {clip(message)}")
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
    for line in upload_problems(counts):
        ctx.err(f"Warning: {line}")
