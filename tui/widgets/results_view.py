"""Which rows the results grid shows and in what order: the view (all rows / errors only / failing
only) and the sort by one score column. No Textual here, so it unit-tests cheaply.

A score's grade (pass / partial / fail / error / none) is decided here once: the grid colours its
cells by it and the "failing only" view keeps the rows with a fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tui.backend.core.models import ExperimentResult, Score, numeric_score

Grade = Literal["pass", "partial", "fail", "error", "none"]
View = Literal["all", "errors", "failing"]

PASS_AT = 0.999  # a number at or above this is a pass
FAIL_AT = 0.001  # at or below this, a fail; in between, partial

VIEWS: tuple[View, ...] = ("all", "errors", "failing")
VIEW_LABELS: dict[View, str] = {"all": "all rows", "errors": "errors only", "failing": "failing only"}
_NOTHING_MATCHES: dict[View, str] = {"errors": "no row has an error",
                                     "failing": "no row has a failing score"}


def grade_number(number: float) -> Grade:
    return "pass" if number >= PASS_AT else "fail" if number <= FAIL_AT else "partial"


def grade(score: Score) -> Grade:
    if score.error:
        return "error"
    value = score.score
    if isinstance(value, bool):
        return "pass" if value else "fail"
    if isinstance(value, (int, float)):
        return grade_number(float(value))
    return "none"


def has_error(result: ExperimentResult) -> bool:
    """A target error or any evaluator error."""
    return bool(result.error) or any(s.error for s in result.scores)


def has_failure(result: ExperimentResult) -> bool:
    return any(grade(s) == "fail" for s in result.scores)


def shows(view: View, result: ExperimentResult) -> bool:
    if view == "errors":
        return has_error(result)
    if view == "failing":
        return has_failure(result)
    return True


def next_view(view: View) -> View:
    return VIEWS[(VIEWS.index(view) + 1) % len(VIEWS)]


@dataclass(frozen=True, slots=True)
class SortOrder:
    """Rows sorted by the score of column `ident` (a `Score.ident`), lowest first unless `descending`."""

    ident: str
    descending: bool = False

    @property
    def label(self) -> str:
        return "highest first" if self.descending else "lowest first"


def next_sort(current: SortOrder | None, ident: str) -> SortOrder | None:
    """The sort after pressing the sort key on column `ident`: lowest first, then highest first,
    then none (run order). Another column starts again at lowest first."""
    if current is None or current.ident != ident:
        return SortOrder(ident)
    if not current.descending:
        return SortOrder(ident, descending=True)
    return None


_NUMBER, _ERROR, _MISSING = 0, 1, 2  # sort groups: errors and missing scores go last either way


def sort_key(result: ExperimentResult, order: SortOrder, position: int) -> tuple[int, float, int]:
    """Numbers (bools as 1/0) by value, then errors, then rows without a number; ties keep run
    order (`position`)."""
    for score in result.scores:
        if score.ident == order.ident:
            if score.error:
                return (_ERROR, 0.0, position)
            number = numeric_score(score.score)
            if number is None:
                break
            return (_NUMBER, -number if order.descending else number, position)
    return (_MISSING, 0.0, position)


def error_idents(result: ExperimentResult, idents: Iterable[str]) -> list[str]:
    """The columns (of `idents`, in that order) whose score in `result` is an error."""
    errors = {s.ident for s in result.scores if s.error}
    return [ident for ident in idents if ident in errors]


def describe(view: View, order: SortOrder | None, sort_label: str | None, shown: int, total: int) -> str:
    """The grid's view line ("showing 3 of 24: errors only · sorted by exact_match, lowest first"),
    with the empty-state sentence when nothing matches; "" for all rows in run order."""
    if view == "all" and order is None:
        return ""
    parts = [f"showing {shown} of {total}: {VIEW_LABELS[view]}"]
    if order is not None:
        parts.append(f"sorted by {sort_label or order.ident}, {order.label}")
    text = " · ".join(parts)
    if shown == 0 and total and view != "all":
        text += f" — {_NOTHING_MATCHES[view]}"
    return text
