"""Run uploaded code the way LangSmith's code-evaluator sandbox will, before it is uploaded.

The sandbox has the standard library plus numpy, pandas, jsonschema, scipy and scikit-learn, and
no network. The check runs the bundled code in a separate, isolated Python process (`-I`, an
environment with no keys in it) where

- an import *from the uploaded code* of anything else fails as it would there (imports made by
  the allowed packages themselves, e.g. pandas importing dateutil, go through);
- opening a network connection fails;

then calls `perform_eval(run, example)` on a few examples of the bound dataset (the run's outputs
are the example's reference outputs: a known-good answer) and reports what came back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from tui.backend.core.models import Example
from tui.backend.source.bundle import SANDBOX_PACKAGES
from tui.backend.source.entry_point import ENTRY_POINT

CODE_FILENAME = "<uploaded evaluator>"

#: What `source.bundle`'s warnings say when the code cannot work in the sandbox: an import it lacks,
#: a network module, a relative import left out, a name left undefined (an async function is fine).
SANDBOX_FAILURES = ("which LangSmith code evaluators cannot use", "have no network or process access",
                    "could not inline", "it will raise NameError")


def failing_in_sandbox(warnings: list[str]) -> list[str]:
    """The bundle warnings that mean the uploaded code will fail in LangSmith's sandbox."""
    return [w for w in warnings if any(marker in w for marker in SANDBOX_FAILURES)]

_CHILD = r'''
import importlib.abc, json, socket, sys, traceback

ALLOWED = set(sys.stdlib_module_names) | set(ALLOWED_PACKAGES) | {"__future__"}
CODE_FILENAME = CODE_FILENAME_VALUE


def _from_uploaded_code():
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name == CODE_FILENAME:
            return True
        if not name.startswith("<frozen importlib"):
            return False
        frame = frame.f_back
    return False


class SandboxImports(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in ALLOWED or not _from_uploaded_code():
            return None
        raise ModuleNotFoundError(
            f"No module named {top!r}: LangSmith's code-evaluator sandbox has only the standard "
            "library, " + ", ".join(ALLOWED_PACKAGES) + "."
        )


def _no_network(*args, **kwargs):
    raise OSError("Network is unreachable: LangSmith's code-evaluator sandbox has no network access.")


socket.socket.connect = socket.socket.connect_ex = _no_network
socket.create_connection = socket.getaddrinfo = _no_network
sys.meta_path.insert(0, SandboxImports())

job = json.loads(sys.stdin.read())
namespace = {"__name__": "sandbox_check"}
try:
    exec(compile(job["code"], CODE_FILENAME, "exec"), namespace)
    fn = namespace[ENTRY_POINT]
except BaseException as exc:
    print(json.dumps({"load_error": f"{type(exc).__name__}: {exc}"}))
    sys.exit(0)
for case in job["cases"]:
    try:
        value = fn(case["run"], case["example"])
        print(json.dumps({"id": case["id"], "value": value}, default=repr))
    except BaseException as exc:
        print(json.dumps({"id": case["id"], "error": f"{type(exc).__name__}: {exc}"}))
'''


@dataclass(frozen=True)
class SandboxCase:
    example_id: str
    value: Any = None
    error: str | None = None


@dataclass(frozen=True)
class SandboxReport:
    dataset: str
    cases: list[SandboxCase] = field(default_factory=list)
    load_error: str | None = None  # the code did not even load (e.g. an import the sandbox lacks)
    skipped: str | None = None  # why the check does not apply here (not a failure of the code)
    #: why the check could not run (the examples unreadable, none to try, no process): the upload
    #: goes on, and the app asks first
    not_checked: str | None = None

    @property
    def failed(self) -> bool:
        """The code would fail in the sandbox: it did not load, or an example raised."""
        return self.load_error is not None or any(c.error for c in self.cases)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and bool(self.cases)

    def lines(self) -> list[str]:
        """The preview: what each example returned or how it failed."""
        where = f"the code-evaluator sandbox (no network; stdlib, {', '.join(SANDBOX_PACKAGES)})"
        if self.skipped:
            return [f"Sandbox check skipped: {self.skipped}"]
        if self.not_checked:
            return [f"Sandbox check: not checked: {self.not_checked}"]
        if self.load_error:
            return [f"Sandbox check on {self.dataset!r} FAILED in {where}: {self.load_error}"]
        if not self.cases:
            return [f"Sandbox check: not checked: dataset {self.dataset!r} has no examples to try the code on."]
        head = "passed" if self.ok else "FAILED"
        lines = [f"Sandbox check on {len(self.cases)} example(s) of {self.dataset!r} {head} in {where}:"]
        for case in self.cases:
            shown = f"error: {case.error}" if case.error else f"returned {json.dumps(case.value, default=repr)}"
            lines.append(f"  example {case.example_id[:8]}: {shown}")
        return lines


def _case(example: Example) -> dict[str, Any]:
    run = {"id": f"check-{example.id}", "inputs": example.inputs, "outputs": example.outputs,
           "reference_example_id": example.id}
    return {"id": example.id, "run": run,
            "example": {"id": example.id, "inputs": example.inputs, "outputs": example.outputs,
                        "metadata": example.metadata}}


def check_in_sandbox(code: str, examples: list[Example], dataset: str, *, timeout_s: float = 30.0) -> SandboxReport:
    """Run `code`'s `perform_eval` on `examples` in a sandbox-like child process."""
    if not examples:
        return SandboxReport(dataset, not_checked=f"dataset {dataset!r} has no examples to try the code on.")
    script = (
        _CHILD.replace("ALLOWED_PACKAGES", repr(SANDBOX_PACKAGES))
        .replace("CODE_FILENAME_VALUE", repr(CODE_FILENAME))
        .replace("ENTRY_POINT", repr(ENTRY_POINT))
    )
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")}
    job = json.dumps({"code": code, "cases": [_case(ex) for ex in examples]}, default=str)
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", script], input=job, capture_output=True, text=True,
            timeout=timeout_s, env=env,
        )
    except subprocess.TimeoutExpired:
        return SandboxReport(dataset, load_error=f"perform_eval did not finish within {timeout_s:g} s")
    except OSError as exc:
        return SandboxReport(dataset, not_checked=f"the sandbox-like process could not start ({exc.strerror or exc}).")
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if answers and "load_error" in answers[0]:
        error = answers[0]["load_error"]
        missing = next((p for p in SANDBOX_PACKAGES if error == f"ModuleNotFoundError: No module named {p!r}"), None)
        if missing:
            return SandboxReport(dataset, skipped=(
                f"the code imports {missing}, which LangSmith's sandbox has but this machine does not "
                f"(pip install {'scikit-learn' if missing == 'sklearn' else missing} to check it here)."
            ))
        return SandboxReport(dataset, load_error=error)
    by_id = {a["id"]: a for a in answers}
    cases = []
    for ex in examples:
        answer = by_id.get(ex.id)
        if answer is None:
            tail = (done.stderr.strip().splitlines() or ["the check process stopped"])[-1]
            cases.append(SandboxCase(ex.id, error=tail))
        else:
            cases.append(SandboxCase(ex.id, answer.get("value"), answer.get("error")))
    return SandboxReport(dataset, cases)
