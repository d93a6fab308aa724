"""evaltui's evaluator library: the seed's evaluators plus :func:`normalize`.

Deterministic evaluators come in both signatures — Method 1 ``(inputs, outputs,
reference_outputs)`` returning ``{"key", "score", "comment"}`` and Method 2 ``(run, example)``
returning ``{"<metric>": score, "comment": ...}``. LLM judges are async Method 2 functions whose
model is created lazily (importing this package needs no API key and no ``langchain_openai``).
This package never imports ``tui`` or ``textual``.
"""

from .exact_match import exact_match, exact_match_evaluator
from .judges import (
    AccuracyGrade,
    CompletenessGrade,
    HelpfulnessGrade,
    JudgeUnavailable,
    accuracy_evaluator,
    accuracy_judge,
    clear_judge_cache,
    completeness_evaluator,
    get_judge,
    helpfulness_evaluator,
    judge_model_name,
)
from .llm_judge import LLMJudge, rule_judge
from .normalize import NormalizedEvaluator, normalize
from .results import MAX_COMMENT_CHARS, error_result, normalize_result
from .signature import signature_of
from .single_step import single_step_evaluator, single_step_match
from .trajectory import (
    compare_trajectories,
    trajectory_evaluator,
    trajectory_match,
    trajectory_metrics,
)

__all__ = [
    "AccuracyGrade",
    "CompletenessGrade",
    "HelpfulnessGrade",
    "JudgeUnavailable",
    "LLMJudge",
    "MAX_COMMENT_CHARS",
    "NormalizedEvaluator",
    "accuracy_evaluator",
    "accuracy_judge",
    "clear_judge_cache",
    "compare_trajectories",
    "completeness_evaluator",
    "error_result",
    "exact_match",
    "exact_match_evaluator",
    "get_judge",
    "helpfulness_evaluator",
    "judge_model_name",
    "normalize",
    "normalize_result",
    "rule_judge",
    "signature_of",
    "single_step_evaluator",
    "single_step_match",
    "trajectory_evaluator",
    "trajectory_match",
    "trajectory_metrics",
]
