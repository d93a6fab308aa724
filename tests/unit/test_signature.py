"""evaluators.signature: one Method-1/Method-2 rule, the SDK's, read from a live function and from
its AST alike (issue 12: `def ev(r, e)` used to be Method 2 for `module:ev` and refused for
`file.py:ev`)."""

from __future__ import annotations

import ast

import pytest

from evaluators.signature import classify, params_of_ast, params_of_callable, refusal_hint, signature_label

# (parameter list, evaltui's signature, how langsmith's _normalize_evaluator_func calls it)
CASES = [
    ("run, example", "method2", "positional"),
    ("r, e", "method2", "positional"),  # any two required positional parameters: (run, example)
    ("a, b, c=1", "method2", "positional"),
    ("a, *rest", "method2", "positional"),
    ("run, example, strict=True, *, scale=1.0", "method2", "by name"),
    ("run, example=None", "method2", "positional"),
    ("inputs, outputs, reference_outputs=None", "method1", "by name"),
    ("outputs, reference_outputs", "method1", "by name"),
    ("*, outputs, reference_outputs=None, inputs=None", "method1", "by name"),
    ("inputs, outputs, strict=True", "method1", "by name"),
    ("outputs, **kwargs", "method1", "by name"),
    ("inputs, typo", "method2", "positional"),  # the SDK's rule: called as (run, example)
    ("", None, "refused"),
    ("x", None, "refused"),
    ("a, b, c", None, "refused"),
    ("run, example, threshold", None, "refused"),
    ("run, example, *rest", None, "refused"),  # the SDK counts *rest as a required parameter
    ("x=1", None, "by name"),  # nothing to pass: not an evaluator
    # accepted by the SDK, but it could not call them or evaltui does not pass what they ask for:
    ("a, *, b", None, "positional"),
    ("*, run, example", None, "positional"),
    ("inputs, outputs, /", None, "by name"),
    ("example, run", None, "by name"),
    ("run", None, "by name"),
    ("run, inputs", None, "by name"),
    ("outputs, attachments", None, "by name"),
]


def _function(params: str):
    namespace: dict = {}
    exec(f"def ev({params}):\n    return 1\n", namespace)  # noqa: S102 - test fixtures
    return namespace["ev"]


def _ast_args(params: str) -> ast.arguments:
    node = ast.parse(f"def ev({params}):\n    return 1\n").body[0]
    assert isinstance(node, ast.FunctionDef)
    return node.args


@pytest.mark.parametrize(("params", "expected", "sdk"), CASES, ids=[c[0] or "()" for c in CASES])
def test_live_function_and_its_ast_are_classified_alike(params: str, expected: str | None, sdk: str) -> None:
    assert classify(params_of_callable(_function(params))) == expected
    assert classify(params_of_ast(_ast_args(params))) == expected
    assert params_of_callable(_function(params)) == params_of_ast(_ast_args(params))


@pytest.mark.parametrize(("params", "expected", "sdk"), CASES, ids=[c[0] or "()" for c in CASES])
def test_the_rule_is_the_sdks(params: str, expected: str | None, sdk: str) -> None:
    evaluator = pytest.importorskip("langsmith.evaluation.evaluator")
    fn = _function(params)
    try:
        _, prepare_inputs = evaluator._normalize_evaluator_func(fn)
    except ValueError:
        route = "refused"
    else:
        route = "positional" if prepare_inputs is None else "by name"
    assert route == sdk
    if expected == "method2" and route == "by name":
        assert params.startswith("run, example")  # passed by name, the same as (run, example)
    if expected == "method1":
        assert route == "by name"


def test_refusals_say_what_to_change() -> None:
    def hint(params: str) -> str:
        return refusal_hint(params_of_ast(_ast_args(params)))

    assert hint("a, b, c") == ""
    assert "make 'b' positional" in hint("a, *, b")
    assert "first two parameters" in hint("example, run")
    assert "not both" in hint("run, inputs")
    assert "attachments" in hint("outputs, attachments")
    assert "positional-only" in hint("inputs, outputs, /")


def test_labels() -> None:
    assert signature_label("method1", False) == "Method 1"
    assert signature_label("method2", True) == "Method 2 async"
    assert signature_label(None, False) == "?"
