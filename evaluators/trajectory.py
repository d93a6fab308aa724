"""Tool-call trajectory checks (the seed's ``trajectory_evaluator``).

Three things are measured: the exact sequence, whether every required tool was used (any
order) and how many extra steps were taken. ``trajectory_match`` / ``trajectory_evaluator``
score the exact sequence (the seed's metric) and report all three in the comment;
``trajectory_metrics`` returns all three as separate scores via ``{"results": [...]}``:
``trajectory_match`` (1|0), ``trajectory_all_tools`` (1|0) and ``trajectory_extra_steps``
(``len(actual) - len(expected)``; negative means steps are missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._fields import as_mapping, section

TRAJECTORY_FIELD = "expected_trajectory"


def _step_name(step: Any) -> str:
    """A tool name for one step: strings as-is, tool-call dicts by their name."""
    if isinstance(step, str):
        return step
    if isinstance(step, Mapping):
        for key in ("name", "tool", "tool_name"):
            if isinstance(step.get(key), str):
                return step[key]
        function = step.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return function["name"]
    return str(step)


def _trajectory(outputs: Any) -> list[str]:
    value = as_mapping(outputs).get(TRAJECTORY_FIELD)
    if value is None:
        return []
    if isinstance(value, str):  # a single tool name, not a sequence of characters
        return [value]
    try:
        return [_step_name(step) for step in value]
    except TypeError:
        return [_step_name(value)]


@dataclass(frozen=True)
class TrajectoryComparison:
    exact: bool
    all_tools: bool
    extra_steps: int
    missing: tuple[str, ...]

    @property
    def comment(self) -> str:
        text = f"Exact: {self.exact}, All tools: {self.all_tools}, Extra: {self.extra_steps}"
        return text + (f", Missing: {', '.join(self.missing)}" if self.missing else "")


def compare_trajectories(actual: list[str], expected: list[str]) -> TrajectoryComparison:
    missing = tuple(sorted(set(expected) - set(actual)))
    return TrajectoryComparison(
        exact=actual == expected,
        all_tools=not missing,
        extra_steps=len(actual) - len(expected),
        missing=missing,
    )


def _compare(outputs: Any, reference_outputs: Any) -> TrajectoryComparison:
    return compare_trajectories(_trajectory(outputs), _trajectory(reference_outputs))


def trajectory_match(inputs: dict | None, outputs: dict | None, reference_outputs: dict | None = None) -> dict:
    """Method 1: ``{"key": "trajectory_match", "score": 1|0, "comment": "Exact: …, All tools: …, Extra: …"}``."""
    c = _compare(outputs, reference_outputs)
    return {"key": "trajectory_match", "score": 1 if c.exact else 0, "comment": c.comment}


def trajectory_metrics(inputs: dict | None, outputs: dict | None, reference_outputs: dict | None = None) -> dict:
    """Method 1, all three measures as separate scores: ``{"results": [match, all_tools, extra_steps]}``."""
    c = _compare(outputs, reference_outputs)
    return {"results": [
        {"key": "trajectory_match", "score": 1 if c.exact else 0, "comment": c.comment},
        {"key": "trajectory_all_tools", "score": 1 if c.all_tools else 0,
         "comment": f"Missing: {', '.join(c.missing)}" if c.missing else "All required tools used"},
        {"key": "trajectory_extra_steps", "score": c.extra_steps,
         "comment": f"{c.extra_steps} step(s) beyond the expected trajectory"},
    ]}


def trajectory_evaluator(run: dict, example: dict) -> dict:
    """Method 2 (the seed's function): ``{"trajectory_match": 1|0, "comment": ...}``."""
    c = _compare(section(run, "outputs"), section(example, "outputs"))
    return {"trajectory_match": 1 if c.exact else 0, "comment": c.comment}
