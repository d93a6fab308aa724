"""Faults (issue 6): a fake LangSmith that fails at every step, a flaky remote run, Ctrl+C / cancel.

Commands run through the real CLI handlers (`tui.cli`) on a `LangSmithBackend` with short
timeouts and fast retries, so 50 randomized sequences stay quick.
"""

from __future__ import annotations

import asyncio
import io
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.langsmith_server import FakeLangSmith
from tui.backend.config import Settings
from tui.backend.errors import EvaltuiError
from tui.backend.langsmith import LangSmithBackend
from tui.cli import build_parser, run_command
from tui.cli_support import CliContext

DATASET = "Faulty Dataset"
NAMES = ("Alpha", "Beta", "Gamma")
METHODS = ("GET", "POST", "PATCH", "DELETE")
KINDS = ("500", "429", "timeout", "drop")


@dataclass
class Outcome:
    ok: bool
    text: str


def cli(backend: LangSmithBackend, home: Path, *argv: str) -> Outcome:
    """One CLI command through the real handlers; errors are reported the way `main` does."""
    args = build_parser().parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    settings = Settings(api_key=backend.api_key, endpoint=backend.endpoint, workspace_id=None,
                        home=home, backend="langsmith")
    ctx = CliContext(settings=settings, stdout=out, stderr=err, stdin=io.StringIO(""), _backend=backend)
    try:
        code = run_command(args, ctx)
    except EvaltuiError as exc:
        err.write(f"Error: {exc}\n")
        code = 1
    return Outcome(code == 0, out.getvalue() + err.getvalue())


def rules_named(fake: FakeLangSmith, name: str) -> list[dict]:
    return [r for r in fake.rules.values() if r["display_name"] == name]


def code_of(rule: dict) -> str:
    return rule["code_evaluators"][0]["code"]


def inject_random_fault(fake: FakeLangSmith, rng: random.Random) -> str:
    method, kind = rng.choice(METHODS), rng.choice(KINDS)
    # The 1st, 2nd or 3rd matching call fails once (retried), or three in a row (retries exhausted).
    where = {"nth": rng.randint(1, 3)} if rng.random() < 0.5 else {"times": 3}
    if kind == "timeout":
        fake.inject(method, r"^/runs/rules", status=None, delay=0.4, **where)
    elif kind == "drop":
        fake.inject(method, r"^/runs/rules", drop_connection=True, **where)
    else:
        fake.inject(method, r"^/runs/rules", status=int(kind), **where)
    return f"{method} {kind} {where}"


def test_randomized_replace_and_delete_never_lose_a_rule(fake_langsmith: FakeLangSmith, tmp_path: Path):
    fake = fake_langsmith
    ds = fake.seed_dataset(DATASET, [({"q": "a"}, {"a": "a"})])
    backend = LangSmithBackend(fake.api_key, fake.url, timeout_s=0.15, retries=2, backoff=0.001)
    from tui.backend.bundle import bundle_for_upload

    seen_kinds: set[str] = set()
    for seq in range(50):
        rng = random.Random(seq)
        fake.clear_faults()
        fake.rules.clear()
        model: dict[str, str] = {}
        for name in NAMES:
            model[name] = code_of(fake.seed_rule(name, f"def perform_eval(run, example):\n    return {{'score': 0}}  # {name}\n",
                                                 dataset_id=ds["id"]))
        for step in range(4):
            if not model:
                break
            name = rng.choice(sorted(model))
            fault = inject_random_fault(fake, rng)
            seen_kinds.add(fault.split(" {")[0])
            where = f"sequence {seq} step {step}: {fault}"
            if rng.random() < 0.65:
                path = tmp_path / f"ev_{seq}_{step}.py"
                path.write_text(f"def f(run, example):\n    return {{'key': 'k', 'score': {seq * 10 + step}}}\n")
                new = bundle_for_upload(path, "f").code
                result = cli(backend, tmp_path, "upload", str(path), "--name", name, "--function", "f",
                             "--replace", "--yes")
                fake.clear_faults()
                found = rules_named(fake, name)
                assert len(found) == 1, f"{where}: the rule is gone or doubled\n{result.text}"
                now = code_of(found[0])
                assert now in (model[name], new), where
                if result.ok:
                    assert now == new and "Replaced evaluator" in result.text, where
                elif now == new:
                    assert "new version is in place" in result.text, f"{where}\n{result.text}"
                else:
                    assert ("old rule is still in place" in result.text
                            or "Nothing was changed" in result.text), f"{where}\n{result.text}"
                model[name] = now
            else:
                result = cli(backend, tmp_path, "delete", name, "--yes")
                fake.clear_faults()
                found = rules_named(fake, name)
                if result.ok:
                    assert not found and "Deleted evaluator" in result.text, where
                elif found:
                    assert ("still there" in result.text or "Nothing was deleted" in result.text), \
                        f"{where}\n{result.text}"
                else:
                    assert "deleted it anyway" in result.text, f"{where}\n{result.text}"
                if not found:
                    del model[name]
                else:
                    assert code_of(found[0]) == model[name], where
            assert "Traceback" not in result.text and fake.api_key not in result.text
            # No other rule was touched.
            for other, code in model.items():
                found = rules_named(fake, other)
                assert len(found) == 1 and code_of(found[0]) == code, f"{where}: {other!r} changed"
    assert len(seen_kinds) == len(METHODS) * len(KINDS)
    backend.close()
