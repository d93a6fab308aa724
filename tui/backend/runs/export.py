"""Exporting an experiment's results as CSV or JSON: the one owner for the CLI's `export` and the
app's experiments screen.

Exported files may hold private data (inputs, outputs), so they are written readable by the user
only (0600), in a directory only the user can enter when it is created here.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.backend.core.errors import InvalidInput

if TYPE_CHECKING:
    from tui.backend.core.models import Experiment, ExperimentResult

FORMATS = ("csv", "json")


def experiment_json(experiment: Experiment | None, status: str | None = None) -> dict[str, Any] | None:
    """An experiment's identity as JSON (None for no experiment, or one that never got an id)."""
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


def results_to_json(experiment: Experiment, results: Sequence[ExperimentResult]) -> str:
    """The whole experiment as one JSON document: metadata, per-column summary, every row (each
    score with its key and the evaluator that gave it)."""
    from tui.backend.runs.summary import summarize

    summary, counts = summarize(results)
    doc = {
        "experiment": {**(experiment_json(experiment) or {}), "metadata": experiment.metadata},
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
                "scores": [{"key": s.key, "evaluator": s.evaluator or None, "score": s.score,
                            "comment": s.comment, "error": s.error} for s in r.scores],
            }
            for r in results
        ],
    }
    return json.dumps(doc, indent=2, default=str)


def results_to_csv(results: Sequence[ExperimentResult]) -> str:
    """One row per example; inputs/outputs as JSON text; per score column (an evaluator key, or
    `key · evaluator` when two evaluators wrote the key): score, comment, error."""
    from tui.backend.core.score_columns import columns_of

    columns = columns_of(results)
    keys = columns.idents
    header = ["example_id", "inputs", "outputs", "reference_outputs", "error", "latency_ms"]
    for label in (columns.label(k) for k in keys):
        header += [label, f"{label}.comment", f"{label}.error"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for r in results:
        by_key = {s.ident: s for s in r.scores}
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


def render(experiment: Experiment, results: Sequence[ExperimentResult], fmt: str) -> str:
    """The export text in `fmt` ("csv" or "json"), always ending with a newline."""
    text = results_to_json(experiment, results) if fmt == "json" else results_to_csv(results)
    return text if text.endswith("\n") else text + "\n"


def format_for(output: str | None) -> str:
    """The format an export to `output` gets when none is asked for: json for a .json file, else csv."""
    return "json" if output and Path(output).suffix.lower() == ".json" else "csv"


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only the user can read (0600), also when the file already existed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        os.fchmod(out.fileno(), 0o600)  # an existing file keeps its mode otherwise
        out.write(text)


def write_export(path: Path, experiment: Experiment, results: Sequence[ExperimentResult], fmt: str) -> None:
    """Write one export file; an unwritable path is an InvalidInput naming it."""
    try:
        write_private(path, render(experiment, results, fmt))
    except OSError as exc:
        raise InvalidInput(f"Could not write {str(path)!r}: {exc.strerror or exc}.") from None


def default_export_dir() -> Path:
    from tui.backend.core.config import evaltui_home

    return evaltui_home() / "exports"


def safe_name(name: str) -> str:
    """`name` as a file name: runs of other characters become `_`; never empty."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "experiment"


def export_experiment(backend: Any, experiment_id: str, directory: Path | None = None) -> tuple[Path, Path]:
    """Write `<name>.csv` and `<name>.json` for one experiment into `directory`; returns both paths."""
    directory = (directory or default_export_dir()).expanduser()
    experiment = backend.get_experiment(experiment_id)
    results = backend.list_results(experiment.id)
    base = safe_name(experiment.name)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        csv_path, json_path = directory / f"{base}.csv", directory / f"{base}.json"
        write_private(csv_path, render(experiment, results, "csv"))
        write_private(json_path, render(experiment, results, "json"))
    except OSError as exc:
        raise InvalidInput(f"Could not write the export to {directory}: {exc.strerror or exc}.") from None
    return csv_path, json_path
