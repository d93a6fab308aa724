"""Single-node output check (the seed's ``single_step_evaluator``).

Classification nodes (``"classification"`` in ``outputs["node_name"]``) compare the
``classification`` field case-insensitively (key ``classification_correct``); every other node
compares the whole ``output`` with ``expected_output`` (key ``output_match``).
"""

from __future__ import annotations

from typing import Any

from ._fields import as_mapping, as_text, section


def _compare(outputs: Any, reference_outputs: Any) -> tuple[str, int, str]:
    outputs, reference_outputs = as_mapping(outputs), as_mapping(reference_outputs)
    output = outputs.get("output")
    expected = reference_outputs.get("expected_output")
    output = {} if output is None else output
    expected = {} if expected is None else expected
    node_name = as_text(outputs.get("node_name"))
    if "classification" in node_name.lower():
        classification = as_text(as_mapping(output).get("classification"))
        expected_class = as_text(as_mapping(expected).get("classification"))
        match = classification.strip().lower() == expected_class.strip().lower()
        return "classification_correct", 1 if match else 0, f"Output: {classification}, Expected: {expected_class}"
    match = output == expected
    return "output_match", 1 if match else 0, f"Match: {match}"


def single_step_match(inputs: dict | None, outputs: dict | None, reference_outputs: dict | None = None) -> dict:
    """Method 1: ``{"key": "classification_correct"|"output_match", "score": 1|0, "comment": ...}``."""
    key, score, comment = _compare(outputs, reference_outputs)
    return {"key": key, "score": score, "comment": comment}


def single_step_evaluator(run: dict, example: dict) -> dict:
    """Method 2 (the seed's function): ``{"classification_correct"|"output_match": 1|0, "comment": ...}``."""
    key, score, comment = _compare(section(run, "outputs"), section(example, "outputs"))
    return {key: score, "comment": comment}
