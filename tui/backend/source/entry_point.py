"""The `perform_eval(run, example)` LangSmith calls in a code rule, for any evaluator function.

A sync Method-2 function whose parameters are `run, example` simply becomes `perform_eval`
(`renames_to_entry_point`). Any other function - Method 1, async, or Method 2 with other
parameter names such as `(r, e)` - keeps its name and gets an adapter (`adapter`): it maps
`run`/`example` to the function's parameters, runs coroutines with `asyncio.run`, and reshapes a
Method-1 result `{"key", "score", "comment"}` into the `{<key>: score, "comment": ...}` shape
code rules return.
"""

from __future__ import annotations

import ast

from evaluators.signature import METHOD2_PARAMS, Signature

ENTRY_POINT = "perform_eval"
HELPER_PREFIX = "_evaltui_"
"""Names evaltui adds to the upload start with this; user code must not define such names."""


def renames_to_entry_point(node: ast.FunctionDef | ast.AsyncFunctionDef, signature: Signature) -> bool:
    """Can the function itself be LangSmith's `perform_eval(run, example)`, renamed?"""
    positional = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    return signature == "method2" and isinstance(node, ast.FunctionDef) and positional[:2] == list(METHOD2_PARAMS)


RESULT_HELPER = '''def _evaltui_method2_result(result, default_key):
    """Reshape a Method-1 result ({"key", "score", "comment"}) into {<key>: score, "comment": ...}."""
    if isinstance(result, dict) and isinstance(result.get("results"), list):
        merged, comments = {}, []
        for item in result["results"]:
            one = _evaltui_method2_result(item, default_key)
            comment = one.pop("comment", None) if isinstance(one, dict) else None
            if isinstance(one, dict):
                merged.update(one)
            if comment is not None:
                comments.append(f"{next(iter(one), default_key)}: {comment}")
        if comments:
            merged["comment"] = "; ".join(comments)
        return merged
    if isinstance(result, dict) and ("key" in result or "score" in result or "value" in result):
        key = str(result.get("key") or default_key)
        shaped = {key: result["score"] if "score" in result else result.get("value")}
        if result.get("comment") is not None:
            shaped["comment"] = result["comment"]
        return shaped
    if result is None or isinstance(result, (bool, int, float)):
        return {default_key: result}
    return result
'''

RUN_SYNC_HELPER = '''def _evaltui_run_sync(awaitable):
    """Run a coroutine from synchronous code (LangSmith calls perform_eval synchronously)."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(awaitable)
    # Already inside an event loop: asyncio.run() would fail here, so use a worker thread.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, awaitable).result()
'''


def adapter(node: ast.FunctionDef | ast.AsyncFunctionDef, signature: str, is_async: bool) -> str:
    """The `perform_eval` that calls `node`'s function, and the helpers it needs."""
    name = node.name
    if signature == "method2":
        call = f"{name}(run, example)"
        if not is_async:  # e.g. `def ev(r, e)`: called positionally, as the SDK does
            doc = f"LangSmith code-rule entry point: calls the evaluator `{name}`."
            return f'def {ENTRY_POINT}(run, example):\n    """{doc}"""\n    return {call}\n'
        body = f"    return _evaltui_run_sync({call})\n"
        doc = f"LangSmith code-rule entry point: runs the async evaluator `{name}`."
        return RUN_SYNC_HELPER + "\n\n" + f'def {ENTRY_POINT}(run, example):\n    """{doc}"""\n' + body

    declared = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
    sources = {
        "inputs": 'run.get("inputs") or {}',
        "outputs": 'run.get("outputs") or {}',
        "reference_outputs": 'example.get("outputs") or {}',
    }
    kwargs = "".join(f"        {p}={src},\n" for p, src in sources.items() if p in declared)
    call = f"{name}(\n{kwargs}    )"
    if is_async:
        call = f"_evaltui_run_sync({call})"
    helpers = RESULT_HELPER + ("\n\n" + RUN_SYNC_HELPER if is_async else "")
    return (
        helpers
        + "\n\n"
        + f"def {ENTRY_POINT}(run, example):\n"
        + f'    """LangSmith code-rule entry point: calls the Method-1 evaluator `{name}`."""\n'
        + "    run = run or {}\n"
        + "    example = example or {}\n"
        + f"    result = {call}\n"
        + f"    return _evaltui_method2_result(result, {name!r})\n"
    )
