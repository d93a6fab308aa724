"""Reports for CI: JUnit XML (one test case per example x score key) and Markdown (a summary table,
the paired comparison with a baseline, the regressed examples, the gates, the experiments' URLs)
short enough for a pull-request comment.

A test case fails when its score regressed against the baseline, is below the key's `--fail-under`
threshold, or (no threshold given) is 0 / False; it is an error when the evaluator or the target
raised, skipped when the example has no score for that key. A failure carries the comment.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import Experiment, ExperimentResult, Score, numeric_score

#: Regressed examples listed per key in the Markdown report (the JUnit file has them all).
MARKDOWN_REGRESSIONS = 20


@dataclass
class ReportData:
    """What both reports show. `experiment`/`results`: the candidate (or the run); `baseline` with
    `paired` (a `compare.PairedComparison`) when there is one."""

    experiment: Experiment
    results: Sequence[ExperimentResult]
    labels: Sequence[str]  # the score columns, as labelled everywhere
    idents: Mapping[str, str]  # label -> Score.ident
    means: Mapping[str, float | None]
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # label -> {"n", "errors"}
    thresholds: Mapping[str, float] = field(default_factory=dict)  # --fail-under per label
    baseline: Experiment | None = None
    paired: object | None = None  # compare.PairedComparison
    gates: Sequence = ()  # gates.GateResult


def _score(result: ExperimentResult, ident: str) -> Score | None:
    return next((s for s in result.scores if s.ident == ident), None)


def _value(score: Score | None) -> str:
    if score is None:
        return "—"
    if score.error:
        return "error"
    value = numeric_score(score.score)
    return "—" if value is None else f"{value:.2f}"


def _flat(text: object, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _inputs(result: ExperimentResult | None) -> str:
    if result is None:
        return ""
    import json

    return _flat(json.dumps(result.inputs, ensure_ascii=False, default=str), 120)


# -- JUnit -----------------------------------------------------------------------------------


def junit_xml(data: ReportData) -> str:
    regressed = {(key, ex) for key, ex in (data.paired.regressions() if data.paired else [])}
    suite = ET.Element("testsuite", name=f"evaltui {data.experiment.name}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in data.results:
        for label in data.labels:
            totals["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=label, name=result.example_id)
            score = _score(result, data.idents.get(label, label))
            comment = (score.comment or "") if score else ""
            if result.error:
                totals["errors"] += 1
                ET.SubElement(case, "error", message=_flat(f"target error: {result.error}")).text = result.error
            elif score is not None and score.error:
                totals["errors"] += 1
                ET.SubElement(case, "error", message=_flat(score.error)).text = score.error
            elif score is None or numeric_score(score.score) is None:
                totals["skipped"] += 1
                ET.SubElement(case, "skipped", message=f"no numeric {label} score")
            else:
                value = numeric_score(score.score)
                reason = None
                if (label, result.example_id) in regressed:
                    before = data.paired.score("a", result.example_id, label)
                    reason = f"regressed: {_value(before)} in {data.baseline.name} → {value:.2f}"
                elif label in data.thresholds and value < data.thresholds[label]:
                    reason = f"{value:.2f} below {data.thresholds[label]:g}"
                elif label not in data.thresholds and value <= 0:
                    reason = f"score {value:.2f}"
                if reason:
                    totals["failures"] += 1
                    message = f"{reason}: {comment}" if comment else reason
                    ET.SubElement(case, "failure", message=_flat(message)).text = comment or reason
            ET.SubElement(case, "system-out").text = _inputs(result)
    for name, value in totals.items():
        suite.set(name, str(value))
    root = ET.Element("testsuites", name="evaltui")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- Markdown --------------------------------------------------------------------------------


def _cell(text: object) -> str:
    return _flat(text, 160).replace("|", "\\|") or " "


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _link(experiment: Experiment) -> str:
    return f"[{_cell(experiment.name)}]({experiment.url})" if experiment.url else f"`{_cell(experiment.name)}`"


def markdown_report(data: ReportData) -> str:
    from tui.backend.runs.paired_stats import format_p

    lines = [f"## evaltui: {_link(data.experiment)}", ""]
    if data.experiment.url:
        lines += [f"Experiment on LangSmith: {data.experiment.url}", ""]
    lines += [f"{len(data.results)} examples.", ""]
    lines += ["| key | mean | n | errors |", "|---|---:|---:|---:|"]
    for label in data.labels:
        c = data.counts.get(label, {})
        lines.append(f"| {_cell(label)} | {_mean(data.means.get(label))} | {c.get('n', '')} | {c.get('errors', '')} |")
    lines.append("")
    paired = data.paired
    if paired is not None and data.baseline is not None:
        lines += [f"### Compared with {_link(data.baseline)} (baseline)", ""]
        lines += ["| key | baseline | candidate | Δ | 95 % CI | better | worse | p | test |",
                  "|---|---:|---:|---:|---|---:|---:|---:|---|"]
        for k in paired.keys:
            ci = f"[{k.ci_low:+.3f}, {k.ci_high:+.3f}]" if k.ci_low is not None else "—"
            diff = "—" if k.diff is None else f"{k.diff:+.3f}"
            p = "—" if k.p_value is None else format_p(k.p_value).removeprefix("p=")
            lines.append(f"| {_cell(k.key)} | {_mean(k.mean_a)} | {_mean(k.mean_b)} | {diff} | {ci} | "
                         f"{len(k.improved)} | {len(k.regressed)} | {p} | {k.test or '—'} |")
        missing = [k for k in paired.keys if k.missing_in_a or k.missing_in_b]
        for k in missing:
            lines.append(f"\n{_cell(k.key)}: examples scored only in the baseline: {len(k.missing_in_b)}, "
                         f"only in the candidate: {len(k.missing_in_a)}.")
        lines.append("")
        regressed = [k for k in paired.keys if k.regressed]
        if regressed:
            lines += ["### Regressions", ""]
        for k in regressed:
            lines += [f"<details><summary>{_cell(k.key)}: {len(k.regressed)} regressed</summary>", "",
                      "| example | inputs | baseline | candidate | comment (candidate) |", "|---|---|---:|---:|---|"]
            for example_id in k.regressed[:MARKDOWN_REGRESSIONS]:
                a = paired.score("a", example_id, k.key)
                b = paired.score("b", example_id, k.key)
                comment = (b.error or b.comment or "") if b else ""
                lines.append(f"| `{example_id}` | {_cell(_inputs(paired.rows_b.get(example_id)))} | {_value(a)} | "
                             f"{_value(b)} | {_cell(comment)} |")
            if len(k.regressed) > MARKDOWN_REGRESSIONS:
                lines.append(f"\n… and {len(k.regressed) - MARKDOWN_REGRESSIONS} more (the JUnit report lists all).")
            lines += ["", "</details>", ""]
    if data.gates:
        lines += ["### Gates", ""]
        for g in data.gates:
            lines.append(f"- {'✅' if g.passed else '❌'} `{g.gate.spec}`: {g.message}")
        lines.append("")
    return "\n".join(lines)


def write_report(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` through a temporary file renamed into place."""
    target = Path(path).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise InvalidInput(f"Cannot write the report {target}: {exc.strerror or exc}.") from None
    return target
