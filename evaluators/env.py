"""Numbers from environment variables: the one parser for evaltui's own settings
(`tui.backend.core.config.Settings`) and the judges' `EVALTUI_JUDGE_*` (evaluators never import tui).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


class EnvNumberError(ValueError):
    """An environment variable holds something other than the number it must; the message names
    the variable and its value."""


def number_from_env(name: str, default: N, cast: Callable[[str], N] = float, *,
                    allow_zero: bool = True, unit: str = "") -> N:
    """`cast($name)`, or `default` when the variable is unset or blank. A value that is not a number,
    is negative (or zero, unless `allow_zero`) or NaN raises EnvNumberError, e.g.
    "EVALTUI_HTTP_TIMEOUT must be a positive number of seconds, not 'soon'."."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = cast(raw)
    except ValueError:
        value = math.nan
    if not (value >= 0 if allow_zero else value > 0):  # also rejects NaN
        kind = "a number" if allow_zero else "a positive number"
        of_unit = f" of {unit}" if unit else ""
        at_least = " (0 or more)" if allow_zero else ""
        raise EnvNumberError(f"{name} must be {kind}{of_unit}{at_least}, not {raw!r}.")
    return value
