"""Evaluators that lean on module-level helpers, constants, classes and imports."""
from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from typing import TypedDict

import definitely_not_installed_package_xyz  # unused by every evaluator: must never be imported

try:
    import orjson_not_installed as fast_json
except ImportError:  # the usual optional-dependency dance
    fast_json = None

# Words that never count as content.
STOPWORDS = {"the", "a", "an"}
STOPWORDS.add("of")
PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")
THRESHOLD = 0.5
UNUSED_CONSTANT = definitely_not_installed_package_xyz.VALUE
WEIGHTS = {"exact": 1.0}
WEIGHTS["partial"] = 0.5


@dataclass
class Overlap:
    shared: int
    total: int

    @property
    def ratio(self) -> float:
        return self.shared / self.total if self.total else 0.0


class Verdict(TypedDict):
    score: float
    reason: str


def _tokens(text: str) -> set[str]:
    return {w for w in PUNCT.sub(" ", text.lower()).split() if w not in STOPWORDS}


def _overlap(a: str, b: str) -> Overlap:
    got, want = _tokens(a), _tokens(b)
    return Overlap(shared=len(got & want), total=len(want))


def token_overlap(run, example) -> dict:
    """Method 2: share of reference tokens found in the output."""
    overlap = _overlap(run["outputs"].get("answer", ""), example["outputs"].get("answer", ""))
    verdict: Verdict = {"score": round(overlap.ratio, 3), "reason": f"{overlap.shared}/{overlap.total}"}
    passed = verdict["score"] >= THRESHOLD
    return {"token_overlap": verdict["score"], "comment": json.dumps({"reason": verdict["reason"], "passed": passed})}


def weighted_match(inputs: dict, outputs: dict, reference_outputs: dict | None = None) -> dict:
    """Method 1 using constants and a mutated dict."""
    got = outputs.get("answer", "").strip().lower()
    want = (reference_outputs or {}).get("answer", "").strip().lower()
    if got == want:
        return {"key": "weighted_match", "score": WEIGHTS["exact"], "comment": "exact"}
    if want and want in got:
        return {"key": "weighted_match", "score": WEIGHTS["partial"], "comment": "partial"}
    return {"key": "weighted_match", "score": 0.0}


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def nesting_depth(run, example):
    """Method 2 with a recursive helper, and recursion on itself for nested lists of runs."""
    if isinstance(run, list):
        return {"depth": max(nesting_depth(r, example)["depth"] for r in run)}
    return {"depth": _depth(run.get("outputs") or {}) == _depth((example or {}).get("outputs") or {})}


def uses_fast_json(run, example):
    """Method 2 using the optional import (None here)."""
    dumps = fast_json.dumps if fast_json is not None else json.dumps
    return {"serializable": len(dumps(run["outputs"])) > 0}


def several(inputs, outputs, reference_outputs=None):
    """Method 1 returning several results at once."""
    answer = outputs.get("answer", "")
    return {"results": [
        {"key": "non_empty", "score": bool(answer), "comment": "has text" if answer else "empty"},
        {"key": "short", "score": len(answer) < 20},
    ]}


def bare_bool(outputs, reference_outputs):
    """Method 1 (subset of names) returning a bare bool."""
    return outputs.get("answer") == reference_outputs.get("answer")
