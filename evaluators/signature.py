"""The one rule that decides how an evaluator function is called: Method 1 or Method 2.

It is the LangSmith SDK's rule (`langsmith/evaluation/evaluator.py`, `_normalize_evaluator_func`,
langsmith 0.15), read off a list of parameters so that it serves a live function
(`inspect.signature`, :func:`params_of_callable`) and a function read from a file without running
it (an ``ast.arguments``, :func:`params_of_ast`) alike. The SDK:

* ignores ``**kwargs``; ``*args`` counts as a parameter without a default;
* with a parameter that is neither a name it fills (``run``, ``example``, ``inputs``,
  ``outputs``, ``reference_outputs``, ``attachments``) nor has a default, calls the function
  positionally as ``fn(run, example)`` when exactly two parameters lack a default, and refuses
  it otherwise. So ``def ev(r, e)`` is called as ``(run, example)``;
* calls ``def ev(run, example)`` positionally too;
* otherwise passes the parameters it knows by name.

evaltui has two call shapes, so:

* **Method 2** ``fn(run, example)``: the SDK's positional call, and the by-name call whose first
  two positional parameters are ``run, example`` (``def ev(run, example, strict=True)``);
* **Method 1** ``fn(inputs=..., outputs=..., reference_outputs=...)``: the by-name call of any
  subset of those three (other parameters have defaults);
* everything else is refused, also what the SDK accepts but would then fail to call (a required
  keyword-only parameter in a positional call) or what evaltui does not pass (``attachments``,
  ``run`` mixed with ``inputs``, a positional-only Method-1 parameter). :func:`refusal_hint` says
  what to change where a short hint helps.

Standard library only: `tui` (the loader, the bundle, the UI labels) and `evaluators.normalize`
import it.
"""

from __future__ import annotations

import ast
import functools
import inspect
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Signature = Literal["method1", "method2"]
ParamKind = Literal["POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "VAR_POSITIONAL", "KEYWORD_ONLY", "VAR_KEYWORD"]

METHOD1_PARAMS = ("inputs", "outputs", "reference_outputs")
METHOD2_PARAMS = ("run", "example")
SDK_PARAMS = (*METHOD2_PARAMS, *METHOD1_PARAMS, "attachments")
"""The parameter names the SDK fills by name."""

ACCEPTED_SIGNATURES = "Method 1 `(inputs, outputs, reference_outputs=None)` or Method 2 `(run, example)`"
SIGNATURE_LABELS: dict[str, str] = {"method1": "Method 1", "method2": "Method 2"}

_POSITIONAL = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")


@dataclass(frozen=True)
class Param:
    """One parameter as the rule sees it (`kind` spelled like `inspect.Parameter.kind.name`)."""

    name: str
    has_default: bool
    kind: ParamKind = "POSITIONAL_OR_KEYWORD"


def classify(params: Sequence[Param]) -> Signature | None:
    """``"method1"``, ``"method2"`` or None (not an evaluator), by the rule in the module docstring."""
    return _decide(params)[0]


def refusal_hint(params: Sequence[Param]) -> str:
    """What to change so a refused parameter list becomes an evaluator ("" when none is needed)."""
    return _decide(params)[1]


def _decide(params: Sequence[Param]) -> tuple[Signature | None, str]:
    args = [p for p in params if p.kind != "VAR_KEYWORD"]
    if not args:
        return None, ""
    required = [p for p in args if _is_required(p)]
    by_name = all(p.name in SDK_PARAMS or not _is_required(p) for p in args)
    if not by_name or [p.name for p in args] == list(METHOD2_PARAMS):
        return _positional_call(args, required, by_name)
    filled = [p for p in args if p.name in SDK_PARAMS]
    names = {p.name for p in filled}
    if not names:
        return None, ""
    if "attachments" in names:
        return None, " evaltui does not pass `attachments`; remove that parameter."
    if names <= set(METHOD1_PARAMS):
        if any(p.kind in ("POSITIONAL_ONLY", "VAR_POSITIONAL") for p in filled):
            return None, " Method-1 parameters are passed by name: they cannot be positional-only."
        return "method1", ""
    if names <= set(METHOD2_PARAMS):
        if [p.name for p in args if p.kind in _POSITIONAL][:2] == list(METHOD2_PARAMS):
            return "method2", ""
        return None, " Method 2 takes `run` and `example` as its first two parameters, in that order."
    return None, " Use either `run, example` or `inputs, outputs, reference_outputs`, not both."


def _is_required(p: Param) -> bool:
    return not p.has_default or p.kind == "VAR_POSITIONAL"  # the SDK: `*args` has no default


def _positional_call(args: list[Param], required: list[Param], by_name: bool) -> tuple[Signature | None, str]:
    """The SDK calls `fn(run, example)`: valid when that call binds (two required parameters)."""
    if not by_name and len(required) != 2:
        return None, ""
    keyword_only = [p.name for p in required if p.kind == "KEYWORD_ONLY"]
    if keyword_only:
        return None, (
            f" LangSmith passes run and example positionally; make {', '.join(map(repr, keyword_only))} positional."
        )
    slots = sum(p.kind in _POSITIONAL for p in args)
    if slots < 2 and not any(p.kind == "VAR_POSITIONAL" for p in args):
        return None, ""
    return "method2", ""


def signature_label(signature: str | None, is_async: bool) -> str:
    """`Method 1`, `Method 2 async`, `?` ... as the app shows an evaluator's shape."""
    label = SIGNATURE_LABELS.get(signature or "", "?")
    return f"{label} async" if is_async else label


# --------------------------------------------------------------------------- reading parameters


def params_of_signature(sig: inspect.Signature) -> list[Param]:
    return [
        Param(p.name, p.default is not inspect.Parameter.empty, p.kind.name)  # type: ignore[arg-type]
        for p in sig.parameters.values()
    ]


def params_of_ast(args: ast.arguments) -> list[Param]:
    """The parameters of a `def` read from its AST (nothing executed)."""
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    params = [
        Param(p.arg, i >= first_default, "POSITIONAL_ONLY" if i < len(args.posonlyargs) else "POSITIONAL_OR_KEYWORD")
        for i, p in enumerate(positional)
    ]
    if args.vararg is not None:
        params.append(Param(args.vararg.arg, False, "VAR_POSITIONAL"))
    params += [Param(p.arg, d is not None, "KEYWORD_ONLY") for p, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg is not None:
        params.append(Param(args.kwarg.arg, False, "VAR_KEYWORD"))
    return params


def params_of_callable(fn: Callable) -> list[Param]:
    return params_of_signature(inspect.signature(fn))


def callable_name(fn: Any) -> str:
    """`fn.__name__`, also through `functools.partial`; the type's name otherwise."""
    name = getattr(fn, "__name__", None)
    if name is None and isinstance(fn, functools.partial):
        name = getattr(fn.func, "__name__", None)
    return name or type(fn).__name__


def signature_of(fn: Callable) -> Signature:
    """Classify a live callable as ``"method1"`` or ``"method2"``; ``TypeError`` with a clear message
    for anything else."""
    if not callable(fn):
        raise TypeError(f"{reprlib.repr(fn)} is not callable, so it cannot be an evaluator.")
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cannot read the signature of {callable_name(fn)!r}: {exc}.") from exc
    params = params_of_signature(sig)
    signature = classify(params)
    if signature is None:
        name = callable_name(fn)
        raise TypeError(
            f"Evaluator {name!r} has the signature {name}{sig}; expected Method 1 "
            f"(inputs, outputs, reference_outputs) or Method 2 (run, example).{refusal_hint(params)}"
        )
    return signature
