"""The one sampling-rate check: a number in 0..1 (NaN refused), with a message naming the bad value.

The CLI's `--sample-rate`, the upload form, `ops.plan_upload`, the rule payload and the local
workspace's rule bodies all use it; each only says what it calls the rate ("The sample rate", ...).
"""

from __future__ import annotations

import math
from typing import Any

from tui.backend.core.errors import InvalidInput


def sample_rate_problem(value: Any, *, numbers_only: bool = False) -> str | None:
    """What is wrong with `value` as a sampling rate (`"must be between 0 and 1, not '1.5'"`), or
    None when it is fine. Text is parsed unless `numbers_only` (a JSON body must hold a number)."""
    if numbers_only and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"must be a number between 0 and 1, not {value!r}"
    try:
        rate = float(value)
    except (TypeError, ValueError):
        return f"must be a number between 0 and 1, not {value!r}"
    if math.isnan(rate) or not 0.0 <= rate <= 1.0:
        return f"must be between 0 and 1, not {value!r}"
    return None


def validate_sample_rate(value: Any, subject: str = "The sample rate", *, numbers_only: bool = False) -> float:
    """`value` as a float in 0..1, else InvalidInput("<subject> must be ..., not <value>.")."""
    problem = sample_rate_problem(value, numbers_only=numbers_only)
    if problem:
        raise InvalidInput(f"{subject} {problem}.")
    return float(value)
