"""Sanity-check an evaluator on a dataset: it should score known-good pairs above known-bad ones.

Known-good pair: an example's reference outputs used as the run's outputs.
Known-bad pair: the run's outputs taken from another example (one whose outputs differ).

Reference outputs are turned into run outputs by `as_run_outputs`: the keys are kept as they are
(the seed's evaluators read `run["outputs"]["expected_response"]`). When the evaluator's source reads
a key the reference lacks, `<name>` is filled from `expected_<name>` and `node_name` from the inputs,
because single-step evaluators read `run["outputs"]["output"]` and `run["outputs"]["node_name"]`.
Evaluators that compare whole dicts read no such key and get the reference outputs unchanged.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluators.llm_judge import output_fields
from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import Example, numeric_score

if TYPE_CHECKING:
    from tui.backend.workspace.base import Backend

INPUT_PREVIEW_CHARS = 40
NOTE_CHARS = 120
DETAIL_CHARS = 2000  # per note in a row's detail: any error in full, not a megabyte of comment
USUAL_RANGE = (0.0, 1.0)  # LangSmith scores are usually 0–1 (bools count 1/0)


@dataclass(frozen=True)
class TestRow:
    example_id: str
    input_preview: str
    good: float | None
    bad: float | None
    notes: str = ""  # short, for a table cell
    errored: bool = False
    detail: str = ""  # every note and error in full, for the row's detail
    outside: tuple[float, ...] = ()  # scores outside the usual range

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class TestReport:
    evaluator: str
    dataset: str
    rows: list[TestRow] = field(default_factory=list)
    mean_good: float | None = None
    mean_bad: float | None = None
    ok: bool = False
    message: str = ""
    warnings: list[str] = field(default_factory=list)  # e.g. a score outside the usual range

    __test__ = False

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.errored)


def _preview(value: Any, limit: int = INPUT_PREVIEW_CHARS) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def out_of_range_note(score: float) -> str:
    low, high = USUAL_RANGE
    return f"score {score:g} is outside {low:g}–{high:g}"


def outside_usual_range(results: list[dict]) -> list[float]:
    numbers = (numeric_score(r.get("score")) for r in results)
    return [n for n in numbers if n is not None and not USUAL_RANGE[0] <= n <= USUAL_RANGE[1]]


def _reduce(results: list[dict]) -> tuple[float | None, list[str], bool]:
    """Mean of the numeric scores, the comments/errors worth showing, and whether any errored.
    A score outside the usual range comes first among the notes."""
    numbers = [n for n in (numeric_score(r.get("score")) for r in results) if n is not None]
    notes: list[str] = [out_of_range_note(n) for n in outside_usual_range(results)]
    errored = False
    for r in results:
        if r.get("error"):
            errored = True
            notes.append(str(r["error"]))
        elif r.get("comment"):
            notes.append(str(r["comment"]))
    if not results:
        errored = True
        notes.append("the evaluator returned no score")
    mean = sum(numbers) / len(numbers) if numbers else None
    return mean, notes, errored


_STRING_LITERAL = re.compile(r"""["']([A-Za-z_][A-Za-z0-9_]*)["']""")


def keys_read_by(source: str) -> set[str]:
    """Identifier-like string literals in an evaluator's source: the dict keys it may read."""
    return set(_STRING_LITERAL.findall(source or ""))


def as_run_outputs(inputs: dict, reference_outputs: dict, reads: set[str] | None = None) -> dict:
    """What a perfect target would have returned, in the shapes the evaluator reads (`reads`:
    the keys it looks up; None means any)."""
    reference = dict(reference_outputs or {})
    outputs = dict(reference)

    def wanted(key: str) -> bool:
        return key not in reference and (reads is None or key in reads)

    for key, value in reference.items():
        short = key[len("expected_") :]
        if key.startswith("expected_") and short and wanted(short):
            outputs[short] = value
    if isinstance(inputs, dict) and "node_name" in inputs and wanted("node_name"):
        outputs["node_name"] = inputs["node_name"]
    return outputs


def _bad_partner(examples: list[Example], index: int) -> Example | None:
    """The next example (cyclically) whose reference outputs differ from this one's."""
    own = examples[index].outputs
    n = len(examples)
    for step in range(1, n):
        other = examples[(index + step) % n]
        if other.outputs != own:
            return other
    return None


def _mean(values: list[float | None]) -> float | None:
    nums = [v for v in values if v is not None]
    return sum(nums) / len(nums) if nums else None


def _verdict(mean_good: float | None, mean_bad: float | None, errors: int,
             hung: bool = False) -> tuple[bool, str]:
    if errors:
        return False, (
            f"The evaluator failed on {errors} pair(s): fix the errors shown before uploading it."
            if errors > 1 or not hung else
            "The evaluator timed out (testing stopped there): fix the hang before uploading it."
        )
    if mean_good is None:
        return False, "The evaluator gave no numeric score on known-good pairs."
    if mean_bad is None:
        return False, "No known-bad pair could be scored (all examples share the same outputs)."
    if mean_good > mean_bad:
        return True, (
            f"OK: known-good pairs score higher than known-bad pairs "
            f"({mean_good:.2f} vs {mean_bad:.2f})."
        )
    return False, (
        f"Suspicious: known-good pairs do not score above known-bad pairs "
        f"({mean_good:.2f} vs {mean_bad:.2f}); check the evaluator's logic and output keys."
    )


def test_evaluator(
    backend: Backend,
    path: str | Path,
    function: str,
    dataset: str,
    limit: int = 10,
    timeout: float | None = 30.0,
) -> TestReport:
    """Score up to `limit` examples as good and bad pairs; `ok` when good beats bad with no errors."""
    from evaluators import normalize
    from tui.backend.source.loader import load_evaluator

    if limit < 1:
        raise InvalidInput(f"The limit must be at least 1, not {limit}.")
    loaded = load_evaluator(Path(path), function)
    evaluator = normalize(loaded.fn, name=loaded.name, timeout=timeout)
    return _test_pairs(backend, evaluator, loaded.name, keys_read_by(loaded.source), dataset, limit)


def test_rule(backend: Backend, name: str, dataset: str, limit: int = 10, timeout: float | None = 30.0) -> TestReport:
    """The same good-vs-bad test for a workspace rule (Python code, or an LLM judge run through
    ChatOpenAI with the rule's prompt, schema and model), before it is enabled."""
    from tui.backend.rules.ops import find_rule
    from tui.backend.runs.rules_local import load_rule_evaluator

    if limit < 1:
        raise InvalidInput(f"The limit must be at least 1, not {limit}.")
    rule = find_rule(backend, name)
    if rule.kind not in ("python", "llm"):
        raise InvalidInput(f"Rule {name!r} is a {rule.kind_label} rule; evaltui can test Python code and "
                           "LLM-judge rules only.")
    return _test_pairs(backend, load_rule_evaluator(rule, timeout), rule.name, rule_reads(rule), dataset, limit)


def rule_reads(rule: Any) -> set[str]:
    """The keys a rule reads: an LLM rule's mapped output fields, else its code's string literals."""
    if rule.kind == "llm":
        return output_fields((rule.llm or {}).get("variable_mapping") or {})
    return keys_read_by(rule.code or "")


def workspace_reads(ev: Any) -> set[str]:
    """The keys a workspace evaluator reads (as `rule_reads`)."""
    if ev.type == "llm":
        return output_fields(ev.variable_mapping or {})
    return keys_read_by(ev.code or "")


def test_workspace_evaluator(backend: Backend, name: str, dataset: str, limit: int = 10,
                             timeout: float | None = 30.0) -> TestReport:
    """The same good-vs-bad test for a workspace evaluator: its Python code, or its prompt-hub
    prompt run through ChatOpenAI with the prompt's messages, schema and model."""
    from tui.backend.runs.rules_local import find_workspace_evaluator, workspace_evaluator

    if limit < 1:
        raise InvalidInput(f"The limit must be at least 1, not {limit}.")
    ev = find_workspace_evaluator(backend, name)
    evaluator = workspace_evaluator(backend, ev, timeout)
    return _test_pairs(backend, evaluator, ev.name, workspace_reads(ev), dataset, limit)


def _test_pairs(backend: Backend, evaluator: Any, name: str, reads, dataset: str, limit: int) -> TestReport:
    found = backend.get_dataset(dataset)
    # One extra example so even `limit=1` has a partner for its known-bad pair.
    pool = list(backend.list_examples(found.id, limit=limit + 1))[: limit + 1]
    examples = pool[:limit]
    if not examples:
        raise InvalidInput(f"Dataset {found.name!r} has no examples to test with.")

    rows: list[TestRow] = []
    for i, example in enumerate(examples):
        ref = {"inputs": example.inputs, "outputs": example.outputs}
        good_outputs = as_run_outputs(example.inputs, example.outputs, reads)
        good_results = _results(evaluator, example.inputs, good_outputs, ref)
        good, good_notes, good_err = _reduce(good_results)
        bad_results: list[dict] = []
        partner = _bad_partner(pool, i)
        if _timed_out(good_notes):
            bad, bad_notes, bad_err = None, [], False  # a hang: don't wait for it again
        elif partner is None:
            bad, bad_notes, bad_err = None, ["no example with different outputs"], False
        else:
            bad_outputs = as_run_outputs(example.inputs, partner.outputs, reads)
            bad_results = _results(evaluator, example.inputs, bad_outputs, ref)
            bad, bad_notes, bad_err = _reduce(bad_results)
        rows.append(
            TestRow(
                example_id=example.id,
                input_preview=_preview(example.inputs),
                good=good,
                bad=bad,
                notes=_join_notes(good_notes, bad_notes),
                errored=good_err or bad_err,
                detail=_full_notes(good_notes, bad_notes),
                outside=tuple(outside_usual_range(good_results + bad_results)),
            )
        )
        if _timed_out(good_notes) or _timed_out(bad_notes):
            # One hang is enough to know: waiting `timeout` for each remaining pair would keep the
            # user waiting minutes for the same answer.
            break
    mean_good = _mean([r.good for r in rows])
    mean_bad = _mean([r.bad for r in rows])
    hung = any("timed out after" in r.notes for r in rows)
    ok, message = _verdict(mean_good, mean_bad, sum(r.errored for r in rows), hung)
    return TestReport(
        evaluator=name,
        dataset=found.name,
        rows=rows,
        mean_good=mean_good,
        mean_bad=mean_bad,
        ok=ok,
        message=message,
        warnings=_range_warnings(rows),
    )


def _range_warnings(rows: list[TestRow]) -> list[str]:
    scores = sorted({v for r in rows for v in r.outside})
    if not scores:
        return []
    shown = ", ".join(f"{v:g}" for v in scores[:3]) + (" …" if len(scores) > 3 else "")
    low, high = USUAL_RANGE
    return [f"score {shown} is outside {low:g}–{high:g}: LangSmith compares and charts scores as "
            f"{low:g}–{high:g} (or true/false); scale it if that is not meant."]


def _results(evaluator: Any, inputs: dict, outputs: dict, example: dict) -> list[dict]:
    # An evaluator that prints must not garble the report: swallow its stdout.
    with contextlib.redirect_stdout(io.StringIO()):
        results = evaluator.score_sync({"inputs": inputs, "outputs": outputs}, example)
    return list(results or [])


def _timed_out(notes: list[str]) -> bool:
    return any("timed out after" in note for note in notes)


def _full_notes(good: list[str], bad: list[str]) -> str:
    def whole(note: str) -> str:
        cut = len(note) - DETAIL_CHARS
        return note if cut <= 0 else f"{note[:DETAIL_CHARS]}… ({cut:,} more characters)"

    return "\n".join([f"good: {whole(n)}" for n in good] + [f"bad: {whole(n)}" for n in bad])


def _join_notes(good: list[str], bad: list[str]) -> str:
    parts = [f"good: {n}" for n in good[:1]] + [f"bad: {n}" for n in bad[:1]]
    text = " | ".join(" ".join(p.split()) for p in parts)
    return text if len(text) <= NOTE_CHARS else text[: NOTE_CHARS - 1] + "…"


test_evaluator.__test__ = False  # type: ignore[attr-defined]  # keep pytest from collecting it
test_rule.__test__ = False  # type: ignore[attr-defined]
