"""An LLM-as-judge function, read as a LangSmith LLM-as-judge rule (`evaluators[].structured`).

The seed's judge is `ChatOpenAI(...).with_structured_output(Grade, method="json_schema",
strict=True)` awaited on a prompt built in an f-string from values read off `run` / `example`.
Read from the source (never executed, except the Grade TypedDict's own class body, which
LangChain converts to a JSON schema):

- the f-string becomes the template (`template_format: "f-string"`), each `{variable}` mapped to
  the field it was read from: `inputs.<k>`, `outputs.<k>` (the run's) or `reference_outputs.<k>`
  (the example's), as in `expected = example["outputs"].get("expected_response")`;
- the Grade TypedDict becomes the JSON schema (its `Annotated` descriptions kept);
- the `ChatOpenAI(...)` call becomes LangChain's own serialized manifest (`langchain_core.load.dumpd`),
  whose key is a reference to `OPENAI_API_KEY`, never a value.

What an LLM rule cannot carry (a prompt built by a helper, a format spec, Python logic between
the call and the return) is refused with what to change, or named as a warning the user confirms.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.backend.core.errors import InvalidInput
from tui.backend.source.ast_names import walk
from tui.backend.source.parse import ParsedFile, find_function, parse_evaluator_file

_PARAM_ROOTS = {
    ("run", "outputs"): "outputs",
    ("run", "inputs"): "inputs",
    ("example", "outputs"): "reference_outputs",
    ("example", "inputs"): "inputs",
}
_METHOD1_ROOTS = {"inputs": "inputs", "outputs": "outputs", "reference_outputs": "reference_outputs"}
_MODEL_CLASSES = {"ChatOpenAI", "AzureChatOpenAI"}


@dataclass(frozen=True)
class JudgeRule:
    """What the rule will hold, plus what the preview must say."""

    prompt: list[list[str]]
    schema: dict[str, Any]  # {"name", "description", "parameters": JSON schema, "strict": True}
    model: dict[str, Any]  # LangChain manifest
    variable_mapping: dict[str, str]
    template_format: str = "f-string"
    warnings: list[str] = field(default_factory=list)

    @property
    def feedback_keys(self) -> list[str]:
        properties = self.schema.get("parameters", {}).get("properties", {})
        return [k for k, v in properties.items() if v.get("type") in ("boolean", "number", "integer")]

    def structured(self) -> dict[str, Any]:
        """The `evaluators[0]` of the rule body."""
        return {"structured": {
            "prompt": self.prompt,
            "schema": self.schema,
            "model": self.model,
            "variable_mapping": self.variable_mapping,
            "template_format": self.template_format,
        }}

    def preview(self) -> list[str]:
        lines = ["LLM-as-judge rule:", f"  model: {_model_line(self.model)}"]
        for role, template in self.prompt:
            lines.append(f"  {role}: " + template.replace("\n", "\n    "))
        lines.append("  variables: " + ", ".join(f"{{{k}}} <- {v}" for k, v in self.variable_mapping.items()))
        props = self.schema.get("parameters", {}).get("properties", {})
        lines.append("  schema: " + ", ".join(f"{k} ({v.get('type')})" for k, v in props.items()))
        lines.append("  feedback keys: " + (", ".join(self.feedback_keys) or "(none)"))
        return lines


def _model_line(model: dict) -> str:
    kwargs = dict(model.get("kwargs") or {})
    kwargs.pop("openai_api_key", None)
    name = (model.get("id") or ["?"])[-1]
    return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"


def is_judge(parsed: ParsedFile, function: str) -> bool:
    """True when `function` awaits / calls a `.with_structured_output(...)` chat model."""
    try:
        node = find_function(parsed, function)
    except Exception:  # noqa: BLE001 - not found: not a judge (the caller reports it)
        return False
    return _judge_call(node) is not None and _structured_builder(parsed) is not None


def is_declared_judge(parsed: ParsedFile, name: str) -> bool:
    """`name = LLMJudge(...)` at module level (the `evaluators.llm_judge` declared form)."""
    return any(
        isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        and isinstance(node.value, ast.Call) and _callee(node.value) == "LLMJudge"
        for node in parsed.tree.body
    )


def read_declared_judge(path: str | Path, name: str) -> JudgeRule:
    """A declared `LLMJudge`: the file runs (it is the user's own, as for `test` and `run`) and the
    judge says itself what LangSmith will hold."""
    import runpy

    from evaluators.llm_judge import LLMJudge

    try:
        judge = runpy.run_path(str(path)).get(name)
        if not isinstance(judge, LLMJudge):
            raise InvalidInput(f"{name} in {Path(path).name} is not an LLMJudge.")
        structured = judge.structured()
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad declaration is the user's to fix
        raise InvalidInput(f"The LLMJudge {name!r} in {Path(path).name} cannot be uploaded: {exc}") from None
    return JudgeRule(structured["prompt"], structured["schema"], structured["model"],
                     structured["variable_mapping"], structured["template_format"])


def judge_rule_for(parsed: ParsedFile, function: str, *, as_code: bool = False) -> JudgeRule | None:
    """The LLM rule `function` uploads as, or None for a code evaluator: a declared `LLMJudge`
    always; a `with_structured_output` judge function unless `as_code`."""
    if is_declared_judge(parsed, function):
        return read_declared_judge(parsed.path, function)
    if not as_code and is_judge(parsed, function):
        return read_judge(parsed.path, function)
    return None


def read_judge(path: str | Path, function: str) -> JudgeRule:
    """Translate `function` in `path` into an LLM rule; InvalidInput says what to change."""
    parsed = parse_evaluator_file(path)
    node = find_function(parsed, function)
    builder = _structured_builder(parsed)
    call = _judge_call(node)
    if builder is None or call is None:
        raise InvalidInput(
            f"{function} does not call a ChatOpenAI(...).with_structured_output(...) judge, "
            "so it cannot become an LLM-as-judge rule."
        )
    model_call, schema_arg, method = builder
    warnings: list[str] = []
    if method != "json_schema":
        warnings.append(f"with_structured_output uses method={method!r}; LangSmith's LLM rules use a JSON schema.")
    assignments = _assignments(node)
    params = [a.arg for a in node.args.args]
    prompt, mapping = _prompt(call, assignments, params, function)
    schema = _schema(parsed, schema_arg)
    model = _model(parsed, model_call, warnings)
    warnings += _logic_left_behind(node, call, assignments, mapping, schema)
    return JudgeRule(prompt, schema, model, mapping, warnings=warnings)


# -- finding the pieces ----------------------------------------------------------------------


def _structured_builder(parsed: ParsedFile) -> tuple[ast.Call, ast.expr, str] | None:
    """(the ChatOpenAI(...) call, the schema argument, the method) anywhere in the module."""
    for sub in ast.walk(parsed.tree):
        if (
            isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "with_structured_output" and isinstance(sub.func.value, ast.Call)
            and _callee(sub.func.value) in _MODEL_CLASSES and sub.args
        ):
            method = next((k.value.value for k in sub.keywords
                           if k.arg == "method" and isinstance(k.value, ast.Constant)), "function_calling")
            return sub.func.value, sub.args[0], method
    return None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _judge_call(node: ast.AST) -> ast.Call | None:
    for sub in walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in ("ainvoke", "invoke"):
            return sub
    return None


def _assignments(node: ast.AST) -> dict[str, ast.expr]:
    found: dict[str, ast.expr] = {}
    for stmt in walk(node):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            found[stmt.targets[0].id] = stmt.value
    return found


# -- the prompt and its variables -----------------------------------------------------------------


def _prompt(call: ast.Call, assignments: dict[str, ast.expr], params: list[str],
            function: str) -> tuple[list[list[str]], dict[str, str]]:
    if not call.args or not isinstance(call.args[0], (ast.List, ast.Tuple)):
        raise InvalidInput(
            f"{function} passes its judge something other than a literal list of messages; write "
            "the messages inline, e.g. judge.ainvoke([{'role': 'user', 'content': prompt}])."
        )
    mapping: dict[str, str] = {}
    messages = []
    for message in call.args[0].elts:
        role, content = _message(message, function)
        if isinstance(content, ast.Name) and content.id in assignments:
            content = assignments[content.id]
        messages.append([role, _template(content, assignments, params, mapping, function)])
    return messages, mapping


def _message(message: ast.expr, function: str) -> tuple[str, ast.expr]:
    if isinstance(message, ast.Dict):
        items = {k.value: v for k, v in zip(message.keys, message.values) if isinstance(k, ast.Constant)}
        role, content = items.get("role"), items.get("content")
    elif isinstance(message, ast.Tuple) and len(message.elts) == 2:
        role, content = message.elts
    else:
        role = content = None
    if not isinstance(role, ast.Constant) or content is None:
        raise InvalidInput(f"{function}: each judge message must be {{'role': '...', 'content': ...}} with a literal role.")
    return str(role.value), content


def _template(content: ast.expr, assignments, params, mapping: dict[str, str], function: str) -> str:
    if isinstance(content, ast.Constant) and isinstance(content.value, str):
        return content.value.replace("{", "{{").replace("}", "}}")
    if not isinstance(content, ast.JoinedStr):
        raise InvalidInput(
            f"{function} builds its prompt with {ast.unparse(content)!r}, which an LLM rule cannot run; "
            "build it in an f-string inside the function."
        )
    parts = []
    for piece in content.values:
        if isinstance(piece, ast.Constant):
            parts.append(str(piece.value).replace("{", "{{").replace("}", "}}"))
            continue
        if piece.format_spec is not None or piece.conversion != -1:
            raise InvalidInput(f"{function}: the prompt formats {{{ast.unparse(piece.value)}}} with a "
                               "conversion or format spec, which an LLM rule template cannot express.")
        name, path = _variable(piece.value, assignments, params, function)
        mapping[name] = path
        parts.append("{" + name + "}")
    return "".join(parts)


def _variable(expr: ast.expr, assignments, params, function: str) -> tuple[str, str]:
    name = expr.id if isinstance(expr, ast.Name) else None
    source = assignments.get(name, expr) if name else expr
    path = _field_path(source, params)
    if path is None:
        shown = f"{name} = {ast.unparse(source)}" if name else ast.unparse(expr)
        raise InvalidInput(
            f"{function}: the prompt variable from `{shown}` is computed by Python, which an LLM rule "
            "cannot run. Read it straight from the run or example, e.g. "
            "`expected = example['outputs'].get('expected_response', '')`."
        )
    return name or path.rsplit(".", 1)[-1], path


def _field_path(expr: ast.expr, params: list[str]) -> str | None:
    """`example["outputs"].get("k", "")` -> "reference_outputs.k" (None when not such a read)."""
    keys: list[str] = []
    while True:
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
            expr = expr.values[0]
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" \
                and expr.args and isinstance(expr.args[0], ast.Constant):
            keys.insert(0, str(expr.args[0].value))
            expr = expr.func.value
        elif isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
            keys.insert(0, str(expr.slice.value))
            expr = expr.value
        elif isinstance(expr, ast.Attribute) and expr.attr in ("outputs", "inputs"):
            keys.insert(0, expr.attr)
            expr = expr.value
        else:
            break
    if not isinstance(expr, ast.Name) or expr.id not in params:
        return None
    position = params.index(expr.id)
    if len(params) == 2 and position < 2 and keys:  # (run, example)
        root = _PARAM_ROOTS.get(("run" if position == 0 else "example", keys[0]))
        keys = keys[1:]
    else:
        root = _METHOD1_ROOTS.get(expr.id)
    return ".".join([root, *keys]) if root else None


# -- schema and model -----------------------------------------------------------------------------


def _schema(parsed: ParsedFile, arg: ast.expr) -> dict[str, Any]:
    """The Grade TypedDict as LangChain converts it. Only the class body and the typing imports run."""
    from langchain_core.utils.function_calling import convert_to_json_schema

    if not isinstance(arg, ast.Name):
        raise InvalidInput(f"The judge's schema {ast.unparse(arg)!r} must be a TypedDict class defined in the file.")
    cls = next((n for n in parsed.tree.body if isinstance(n, ast.ClassDef) and n.name == arg.id), None)
    if cls is None:
        raise InvalidInput(f"The judge's schema {arg.id!r} must be a TypedDict class defined in the file.")
    module = ast.Module(body=[n for n in parsed.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
                              and _typing_import(n)] + [cls], type_ignores=[])
    namespace: dict[str, Any] = {"__name__": "evaltui_judge_schema"}
    try:
        exec(compile(module, str(parsed.path), "exec", dont_inherit=True), namespace)  # noqa: S102 - the class body only
        schema = convert_to_json_schema(namespace[arg.id])
    except Exception as exc:  # noqa: BLE001
        raise InvalidInput(f"The judge's schema {arg.id!r} is not a TypedDict / JSON schema LangChain can "
                           f"convert: {type(exc).__name__}: {exc}") from None
    return {"name": schema.get("title", arg.id), "description": schema.get("description", ""),
            "parameters": schema, "strict": True}


def _typing_import(node: ast.Import | ast.ImportFrom) -> bool:
    modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return all((m or "").split(".")[0] in ("typing", "typing_extensions") for m in modules)


def _model(parsed: ParsedFile, call: ast.Call, warnings: list[str]) -> dict[str, Any]:
    if _callee(call) != "ChatOpenAI":
        raise InvalidInput(f"The judge's model is {_callee(call)}; evaltui uploads OpenAI-compatible ChatOpenAI judges.")
    kwargs: dict[str, Any] = {}
    scope = _assignments(parsed.tree)
    for kw in call.keywords:
        if kw.arg is None:
            raise InvalidInput("The judge's ChatOpenAI(...) takes **kwargs; spell its settings out.")
        if kw.arg in ("api_key", "openai_api_key"):
            continue  # never uploaded: LangSmith uses the workspace's key
        kwargs[kw.arg] = _setting(kw.value, scope, warnings, kw.arg)
    from langchain_core.load import dumpd
    from langchain_openai import ChatOpenAI

    try:
        return dumpd(ChatOpenAI(api_key="not-uploaded", **kwargs))
    except Exception as exc:  # noqa: BLE001
        raise InvalidInput(f"The judge's ChatOpenAI({kwargs}) is not a valid chat model: {exc}") from None


def _setting(expr: ast.expr, scope: dict[str, ast.expr], warnings: list[str], name: str) -> Any:
    if isinstance(expr, ast.Name) and expr.id in scope:
        expr = scope[expr.id]
    try:
        return ast.literal_eval(expr)
    except ValueError:
        pass
    # `os.environ.get("X") or "default"`: the value this machine would use now, said in the preview.
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or) and isinstance(expr.values[-1], ast.Constant):
        env = _env_name(expr.values[0])
        value = (os.environ.get(env) if env else None) or expr.values[-1].value
        warnings.append(f"The judge's {name} comes from {env or 'code'} at run time; uploaded as {value!r}.")
        return value
    raise InvalidInput(f"The judge's ChatOpenAI {name}={ast.unparse(expr)} is not a literal evaltui can upload.")


def _env_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Call) and expr.args and isinstance(expr.args[0], ast.Constant):
        text = ast.unparse(expr.func)
        if text in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
            return str(expr.args[0].value)
    return None


def _logic_left_behind(node, call, assignments, mapping, schema) -> list[str]:
    """The Python after the judge call that an LLM rule does not run: how the grade became scores."""
    returns = [r for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
    keys = list(schema.get("parameters", {}).get("properties", {}))
    shown = "; ".join(ast.unparse(r.value)[:120] for r in returns)
    if not returns:
        return []
    return [f"On LangSmith the judge writes one score per schema field ({', '.join(keys)}); the function's "
            f"own return ({shown}) is Python the rule does not run, so its keys and comment format are not kept."]

