"""Exact match of the final response (the seed's ``exact_match_evaluator``): strip + lowercase."""

from __future__ import annotations

from typing import Any

from ._fields import as_text, first_present, section

RESPONSE_FIELDS = ("expected_response", "response", "output", "answer")
"""Where the response text is read from, in order (the seed uses ``expected_response`` on both sides)."""


def _response(outputs: Any) -> str:
    return as_text(first_present(outputs, RESPONSE_FIELDS, "")).strip().lower()


def exact_match(inputs: dict | None, outputs: dict | None, reference_outputs: dict | None = None) -> dict:
    """Method 1: ``{"key": "exact_match", "score": 1|0, "comment": "Match: ..."}``."""
    output = _response(outputs)
    expected = _response(reference_outputs)
    match = output == expected
    return {"key": "exact_match", "score": 1 if match else 0, "comment": f"Match: {match}"}


def exact_match_evaluator(run: dict, example: dict) -> dict:
    """Method 2 (the seed's function): ``{"exact_match": 1|0, "comment": "Match: ..."}``."""
    result = exact_match(None, section(run, "outputs"), section(example, "outputs"))
    return {"exact_match": result["score"], "comment": result["comment"]}
