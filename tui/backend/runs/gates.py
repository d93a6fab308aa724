"""CI gates on an experiment: `--fail-under KEY=0.8` (the key's mean below 0.8 fails) and
`--fail-on-regression KEY[=DELTA]` against a baseline (the upper bound of the paired 95 % CI of
`mean(candidate - baseline)` below `-DELTA` fails: the candidate is worse by more than DELTA, beyond
the noise). A gate that cannot be checked (no such key, no example scored on both sides) fails too:
a CI job must not pass on a typo.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from tui.backend.core.errors import InvalidInput

#: The exit code of a command whose experiment failed a gate.
GATE_FAILED_EXIT = 4


@dataclass(frozen=True)
class Gate:
    kind: Literal["fail_under", "regression"]
    key: str
    value: float  # the threshold (fail_under) or the allowed drop DELTA (regression)

    @property
    def spec(self) -> str:
        flag = "--fail-under" if self.kind == "fail_under" else "--fail-on-regression"
        return f"{flag} {self.key}={self.value:g}"


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    passed: bool
    message: str  # one sentence, for people

    def as_json(self) -> dict:
        return {"gate": self.gate.spec, "kind": self.gate.kind, "key": self.gate.key, "value": self.gate.value,
                "passed": self.passed, "message": self.message}


def _number(text: str, what: str, flag: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(f"{flag} needs {what}, not {text!r}.")
    return value


def parse_fail_under(text: str) -> Gate:
    """`KEY=0.8` (the last `=` splits, so a key may hold one)."""
    key, sep, value = text.rpartition("=")
    if not sep or not key.strip():
        raise InvalidInput(f"--fail-under takes KEY=THRESHOLD (e.g. exact_match=0.8), not {text!r}.")
    return Gate("fail_under", key.strip(), _number(value.strip(), "a number after KEY=", "--fail-under"))


def parse_regression(text: str) -> Gate:
    """`KEY` (any drop beyond the noise fails) or `KEY=DELTA` (a drop of more than DELTA fails)."""
    key, sep, value = text.rpartition("=")
    if not sep:
        key, value = text, "0"
    if not key.strip():
        raise InvalidInput(f"--fail-on-regression takes KEY or KEY=DELTA (e.g. exact_match=0.02), not {text!r}.")
    delta = _number(value.strip(), "a number DELTA ≥ 0 after KEY=", "--fail-on-regression")
    if delta < 0:
        raise InvalidInput(f"--fail-on-regression's DELTA is the drop allowed, at least 0, not {value.strip()!r}.")
    return Gate("regression", key.strip(), delta)


def _known(keys: Sequence[str]) -> str:
    return ", ".join(keys) or "none"


def check_fail_under(gate: Gate, means: Mapping[str, float | None]) -> GateResult:
    """`means`: per column label, the experiment's mean over all its scored examples."""
    if gate.key not in means:
        return GateResult(gate, False, f"{gate.key}: no such score key in the experiment (its keys: "
                                       f"{_known(list(means))}).")
    mean = means[gate.key]
    if mean is None:
        return GateResult(gate, False, f"{gate.key}: no numeric score to check against {gate.value:g}.")
    if mean < gate.value:
        return GateResult(gate, False, f"{gate.key}: mean {mean:.3f} is below {gate.value:g}.")
    return GateResult(gate, True, f"{gate.key}: mean {mean:.3f} ≥ {gate.value:g}.")


def check_regression(gate: Gate, paired: Sequence) -> GateResult:
    """`paired`: the `PairedKey`s of baseline vs candidate."""
    stat = next((k for k in paired if k.key == gate.key), None)
    if stat is None:
        return GateResult(gate, False, f"{gate.key}: no such score key in these experiments (their keys: "
                                       f"{_known([k.key for k in paired])}).")
    if stat.n == 0 or stat.diff is None:
        return GateResult(gate, False, f"{gate.key}: no example scored in both the baseline and the candidate.")
    # One example gives a CI of one point: the difference itself.
    high = stat.ci_high if stat.ci_high is not None else stat.diff
    worse = f"{len(stat.regressed)} example{'' if len(stat.regressed) == 1 else 's'} worse"
    bound = f"-{gate.value:g}" if gate.value else "0"
    if high < -gate.value - 1e-12:
        return GateResult(gate, False, f"{gate.key}: regressed, {stat.diff:+.3f} with the 95 % CI's upper bound "
                                       f"{high:+.3f} below {bound} ({worse}).")
    return GateResult(gate, True, f"{gate.key}: no regression beyond {bound} "
                                  f"(CI upper bound {high:+.3f}, {worse}).")


def check_gates(
    gates: Sequence[Gate], means: Mapping[str, float | None], paired: Sequence | None
) -> list[GateResult]:
    results = []
    for gate in gates:
        if gate.kind == "fail_under":
            results.append(check_fail_under(gate, means))
        else:
            results.append(check_regression(gate, paired or ()))
    return results
