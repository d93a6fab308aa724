"""`evaltui compare A B` (A the baseline, B the candidate) and the CI gates and reports shared with
`evaltui run`: `--fail-under KEY=X`, `--fail-on-regression KEY[=DELTA]` (with `--baseline EXP` on
`run`), `--junit FILE`, `--markdown FILE`. A failed gate exits 4 (`GATE_FAILED_EXIT`).

The statistics are `tui.backend.runs.paired_stats` through `runs.compare.paired_comparison`; the
gates `runs.gates`; the reports `runs.ci_reports`.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from tui.cli.context import CliContext
from tui.cli.output import clip, format_table

if TYPE_CHECKING:
    from tui.backend.core.models import Experiment, ExperimentResult

#: Regressed examples printed per key (`--json` and the JUnit report carry them all).
MAX_SHOWN = 20


# -- arguments -------------------------------------------------------------------------------


def _gate_type(parse):
    def convert(text: str):
        from tui.backend.core.errors import InvalidInput

        try:
            return parse(text)
        except InvalidInput as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def add_gate_options(p: argparse.ArgumentParser, *, baseline: bool) -> None:
    """The CI options; `baseline`: the command takes `--baseline EXP` (run) instead of an A side."""
    from tui.backend.runs import gates

    p.add_argument("--fail-under", action="append", default=[], metavar="KEY=X", type=_gate_type(gates.parse_fail_under),
                   help="exit 4 when KEY's mean is below X (repeatable)")
    p.add_argument("--fail-on-regression", action="append", default=[], metavar="KEY[=DELTA]",
                   type=_gate_type(gates.parse_regression),
                   help="exit 4 when the 95%% CI's upper bound of KEY's paired difference is below -DELTA "
                   "(default 0)" + (" against --baseline" if baseline else "") + " (repeatable)")
    if baseline:
        p.add_argument("--baseline", metavar="EXP", help="experiment to compare the run with (name or id)")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report: one test case per example x key")
    p.add_argument("--markdown", metavar="FILE", help="write a Markdown report (summary, regressions, URLs)")


def add_compare_command(sub, parents) -> None:
    p = sub.add_parser(
        "compare", parents=parents,
        help="compare two experiments example by example: paired differences, CIs, tests, regressions",
        description="Compare experiment B (the candidate) with A (the baseline) over the examples both "
        "scored: per key the mean difference B - A with a 95 % bootstrap CI, a paired test (McNemar for "
        "0/1 scores, Wilcoxon otherwise), how many examples got better or worse, and the regressed "
        "examples side by side. Example: evaltui compare baseline-1a2b candidate-3c4d --fail-on-regression "
        "exact_match=0.02",
    )
    p.add_argument("experiment_a", metavar="A", help="the baseline experiment (name or id)")
    p.add_argument("experiment_b", metavar="B", help="the candidate experiment (name or id)")
    p.add_argument("--key", action="append", default=[], metavar="K",
                   help="only this score key (repeat or comma-separate for several)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0: the same figures every time)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    add_gate_options(p, baseline=False)
    p.set_defaults(handler=cmd_compare)


def _keys(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


# -- compare ---------------------------------------------------------------------------------


def _score_json(score) -> dict | None:
    if score is None:
        return None
    return {"score": score.score, "comment": score.comment, "error": score.error, "evaluator": score.evaluator}


def _paired_json(k) -> dict:
    return {
        "key": k.key, "n": k.n, "mean_a": k.mean_a, "mean_b": k.mean_b, "diff": k.diff,
        "ci_low": k.ci_low, "ci_high": k.ci_high, "p_value": k.p_value, "test": k.test,
        "improved": list(k.improved), "regressed": list(k.regressed), "unchanged": len(k.unchanged),
        "missing_in_a": list(k.missing_in_a), "missing_in_b": list(k.missing_in_b), "line": k.line(),
    }


def _regression_json(paired, key: str, example_id: str) -> dict:
    ra, rb = paired.rows_a.get(example_id), paired.rows_b.get(example_id)
    return {
        "key": key, "example_id": example_id, "inputs": (rb or ra).inputs if (rb or ra) else None,
        "reference_outputs": (rb or ra).reference_outputs if (rb or ra) else None,
        "a": {"outputs": ra.outputs if ra else None, **(_score_json(paired.score("a", example_id, key)) or {})},
        "b": {"outputs": rb.outputs if rb else None, **(_score_json(paired.score("b", example_id, key)) or {})},
    }


def _side_by_side(paired, key: str, example_ids) -> str:
    rows = []
    for example_id in example_ids:
        ra, rb = paired.rows_a.get(example_id), paired.rows_b.get(example_id)
        sa, sb = paired.score("a", example_id, key), paired.score("b", example_id, key)
        rows.append((
            example_id[:12],
            clip(json.dumps((rb or ra).inputs, ensure_ascii=False, default=str), 40) if (rb or ra) else "",
            clip(json.dumps(ra.outputs, ensure_ascii=False, default=str), 30) if ra else "",
            clip(json.dumps(rb.outputs, ensure_ascii=False, default=str), 30) if rb else "",
            _short(sa), _short(sb),
            clip((sa.error or sa.comment or "") if sa else "", 30),
            clip((sb.error or sb.comment or "") if sb else "", 40),
        ))
    return format_table(("EXAMPLE", "INPUTS", "A OUTPUT", "B OUTPUT", "A", "B", "A COMMENT", "B COMMENT"), rows)


def _short(score) -> str:
    from tui.backend.core.models import numeric_score

    if score is None:
        return "-"
    if score.error:
        return "error"
    value = numeric_score(score.score)
    return "-" if value is None else f"{value:.2f}"


def _means_and_counts(values: dict[str, dict[str, float | None]]):
    means, counts = {}, {}
    for label, by_example in values.items():
        numbers = [v for v in by_example.values() if v is not None]
        means[label] = sum(numbers) / len(numbers) if numbers else None
        counts[label] = {"n": len(numbers), "errors": sum(1 for v in by_example.values() if v is None)}
    return means, counts


def cmd_compare(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.runs.compare import paired_comparison

    backend = ctx.backend
    a = backend.get_experiment(args.experiment_a)
    b = backend.get_experiment(args.experiment_b)
    rows_a, rows_b = backend.list_results(a.id), backend.list_results(b.id)
    keys = _keys(args.key)
    paired = paired_comparison(rows_a, rows_b, keys=keys or None, seed=args.seed)
    means, counts = _means_and_counts(paired.values_b)
    labels = [k.key for k in paired.keys]
    return _finish(args, ctx, b, rows_b, labels, paired.idents[1], means, counts, baseline=a, paired=paired,
                   compare=True)


def _finish(args, ctx: CliContext, experiment: Experiment, results: list[ExperimentResult], labels, idents,
            means, counts, *, baseline: Experiment | None, paired, compare: bool, code: int = 0) -> int:
    """Gates, reports and (for `compare`) the printed comparison; the exit code."""
    from tui.backend.runs import ci_reports, gates
    from tui.backend.runs.export import experiment_json

    wanted = [*args.fail_under, *args.fail_on_regression]
    checked = gates.check_gates(wanted, means, paired.keys if paired else None)
    failed = [g for g in checked if not g.passed]
    if failed and not code:
        code = gates.GATE_FAILED_EXIT
    data = ci_reports.ReportData(
        experiment=experiment, results=results, labels=labels, idents=idents, means=means, counts=counts,
        thresholds={g.key: g.value for g in args.fail_under}, baseline=baseline, paired=paired, gates=checked,
    )
    written = []
    if args.junit:
        written.append(ci_reports.write_report(args.junit, ci_reports.junit_xml(data)))
    if args.markdown:
        written.append(ci_reports.write_report(args.markdown, ci_reports.markdown_report(data)))
    if compare and args.json:
        doc: dict[str, Any] = {
            "a": experiment_json(baseline), "b": experiment_json(experiment),
            "keys": [_paired_json(k) for k in paired.keys],
            "regressions": [_regression_json(paired, key, ex) for key, ex in paired.regressions()],
            "gates": [g.as_json() for g in checked], "exit_code": code,
        }
        # One line: the C encoder (indent forces the pure-Python one, 3x slower on 10,000 regressions).
        ctx.out(json.dumps(doc, default=str))
    elif compare:
        _print_comparison(ctx, baseline, experiment, paired)
    elif paired is not None:
        ctx.out("")
        ctx.out(f"Compared with {baseline.name} (baseline):")
        for k in paired.keys:
            ctx.out(f"  {k.line()}")
    for path in written:
        ctx.err(f"Wrote {path}.")
    out = ctx.err if (args.json or not compare) else ctx.out
    for g in checked:
        out(f"{'PASS' if g.passed else 'FAIL'} {g.gate.spec}: {g.message}")
    if failed:
        ctx.err(f"Exit code {gates.GATE_FAILED_EXIT}: {len(failed)} of {len(checked)} gates failed.")
    return code


def _print_comparison(ctx: CliContext, a: Experiment, b: Experiment, paired) -> None:
    ctx.out(f"A (baseline):  {a.name}" + (f"  {a.url}" if a.url else ""))
    ctx.out(f"B (candidate): {b.name}" + (f"  {b.url}" if b.url else ""))
    ctx.out("")
    if not paired.keys:
        ctx.out("No scores to compare.")
    for k in paired.keys:
        ctx.out(k.line())
    for k in paired.keys:
        if not k.regressed:
            continue
        ctx.out("")
        ctx.out(f"Regressed on {k.key} ({len(k.regressed)}):")
        ctx.out(_side_by_side(paired, k.key, k.regressed[:MAX_SHOWN]))
        if len(k.regressed) > MAX_SHOWN:
            ctx.out(f"… and {len(k.regressed) - MAX_SHOWN} more (--json lists them all).")
    for k in paired.keys:
        for ids, where in ((k.missing_in_b, "only in A"), (k.missing_in_a, "only in B")):
            if ids:
                shown = ", ".join(ids[:10]) + (" …" if len(ids) > 10 else "")
                ctx.out(f"{k.key}: {len(ids)} example{'' if len(ids) == 1 else 's'} scored {where}: {shown}")


# -- run's gates -----------------------------------------------------------------------------


def wants_gates(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "fail_under", None) or getattr(args, "fail_on_regression", None)
                or getattr(args, "baseline", None) or getattr(args, "junit", None)
                or getattr(args, "markdown", None))


def check_run_options(args: argparse.Namespace, ctx: CliContext) -> None:
    """Before a run starts: `--fail-on-regression` needs `--baseline`, which must exist."""
    from tui.backend.core.errors import InvalidInput

    if getattr(args, "fail_on_regression", None) and not getattr(args, "baseline", None):
        raise InvalidInput("--fail-on-regression compares with a baseline: add --baseline EXPERIMENT.")
    if getattr(args, "baseline", None):
        ctx.backend.get_experiment(args.baseline)  # NotFound (with close names) before anything runs


def run_gates(args: argparse.Namespace, ctx: CliContext, experiment: Experiment | None, code: int) -> int:
    """After `run` finished: its gates and reports (the run's own exit code wins when it is not 0)."""
    if experiment is None or not wants_gates(args):
        return code
    from tui.backend.core.errors import EvaltuiError
    from tui.backend.core.score_columns import columns_of
    from tui.backend.runs.compare import paired_comparison
    from tui.backend.runs.summary import summarize

    try:
        backend = ctx.backend
        results = backend.list_results(experiment.id)
        baseline = paired = None
        if args.baseline:
            baseline = backend.get_experiment(args.baseline)
            base_rows = backend.list_results(baseline.id)
            paired = paired_comparison(base_rows, results)
            means, counts = _means_and_counts(paired.values_b)
            labels, idents = [k.key for k in paired.keys], paired.idents[1]
        else:
            summary, tallied = summarize(results)
            means, counts = summary, tallied["keys"]
            labels = list(summary)
            idents = {label: ident for ident, label in columns_of(results).labels().items()}
        return _finish(args, ctx, experiment, results, labels, idents, means, counts, baseline=baseline,
                       paired=paired, compare=False, code=code)
    except EvaltuiError as exc:
        ctx.err(f"Error: {exc}")
        return code or int(getattr(exc, "exit_code", 1)) or 1
