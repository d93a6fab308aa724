"""evaltui's evaluator library: the seed's evaluators plus :func:`normalize`.

Deterministic evaluators come in both signatures — Method 1 ``(inputs, outputs,
reference_outputs)`` returning ``{"key", "score", "comment"}`` and Method 2 ``(run, example)``
returning ``{"<metric>": score, "comment": ...}``. LLM judges are async Method 2 functions whose
model is created lazily (importing this package needs no API key and no ``langchain_openai``).
This package never imports ``tui`` or ``textual``.
"""

from __future__ import annotations

import importlib
from typing import Any

# These two share their name with their module: imported now, so importing the module later
# (which binds the package attribute to it) cannot shadow the function.
from .exact_match import exact_match, exact_match_evaluator
from .normalize import NormalizedEvaluator, normalize

# Names are imported on first use (PEP 562): `evaluators.signature`, which parsing a file needs,
# then does not pay for the judges' asyncio and LangChain glue.
_SOURCES = {
    ".exact_match": ("exact_match", "exact_match_evaluator"),  # imported above
    ".judges": ("AccuracyGrade", "CompletenessGrade", "HelpfulnessGrade", "JudgeUnavailable", "accuracy_evaluator",
                "accuracy_judge", "clear_judge_cache", "completeness_evaluator", "get_judge",
                "helpfulness_evaluator", "judge_model_name"),
    ".llm_judge": ("LLMJudge", "rule_judge"),
    ".normalize": ("NormalizedEvaluator", "normalize"),  # imported above
    ".results": ("MAX_COMMENT_CHARS", "error_result", "normalize_result"),
    ".signature": ("signature_of",),
    ".single_step": ("single_step_evaluator", "single_step_match"),
    ".trajectory": ("compare_trajectories", "trajectory_evaluator", "trajectory_match", "trajectory_metrics"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}
__all__ = sorted(_MODULE_OF)
_EAGER = (exact_match, exact_match_evaluator, NormalizedEvaluator, normalize)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'evaluators' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
