"""tui.backend.source.bundle: every bundle runs on its own and scores exactly like the original function."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import importlib.util
import inspect
import json
import sys
import threading
import types
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evaluators.signature import signature_of
from tui.backend.core.errors import EvaluatorLoadError
from tui.backend.source.bundle import Bundle, bundle_for_upload
from tui.backend.source.discovery import list_functions

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed_evaluators.py"
HELPERS = DATA / "helpers_constants.py"
JUDGE = DATA / "seed_judge.py"
ASYNC = DATA / "async_evaluators.py"


def _pair(outputs: dict, reference: dict, inputs: dict | None = None) -> tuple[dict, dict]:
    inputs = inputs or {"query": "What is the capital of France?"}
    return {"inputs": inputs, "outputs": outputs}, {"inputs": inputs, "outputs": reference}


FINAL_RESPONSE = [
    _pair({"expected_response": "Paris"}, {"expected_response": "Paris"}),
    _pair({"expected_response": "  PARIS \n"}, {"expected_response": "paris"}),
    _pair({"expected_response": "Lyon"}, {"expected_response": "Paris"}),
    _pair({}, {"expected_response": "Paris"}),
    _pair({"expected_response": ""}, {}),
]
TRAJECTORY = [
    _pair({"expected_trajectory": ["search", "summarize"]}, {"expected_trajectory": ["search", "summarize"]}),
    _pair({"expected_trajectory": ["summarize", "search"]}, {"expected_trajectory": ["search", "summarize"]}),
    _pair({"expected_trajectory": ["search", "lookup", "summarize"]}, {"expected_trajectory": ["search", "summarize"]}),
    _pair({"expected_trajectory": ["search"]}, {"expected_trajectory": ["search", "summarize"]}),
    _pair({}, {}),
]
SINGLE_STEP = [
    _pair({"node_name": "classification", "output": {"classification": "Billing"}},
          {"expected_output": {"classification": "billing"}}),
    _pair({"node_name": "classification_node", "output": {"classification": "tech"}},
          {"expected_output": {"classification": "billing"}}),
    _pair({"node_name": "retriever", "output": {"docs": [1, 2]}}, {"expected_output": {"docs": [1, 2]}}),
    _pair({"node_name": "retriever", "output": {"docs": [1]}}, {"expected_output": {"docs": [1, 2]}}),
]
ANSWERS = [
    _pair({"answer": "The capital of France is Paris."}, {"answer": "Paris"}),
    _pair({"answer": "paris"}, {"answer": "Paris"}),
    _pair({"answer": "Lyon, of course"}, {"answer": "Paris"}),
    _pair({"answer": ""}, {"answer": "the Paris"}),
    _pair({"answer": "Paris"}, {"answer": ""}),
]

CASES = [
    (SEED, "exact_match_evaluator", FINAL_RESPONSE[:3] + FINAL_RESPONSE[4:]),
    (SEED, "exact_match", FINAL_RESPONSE),
    (SEED, "trajectory_evaluator", TRAJECTORY),
    (SEED, "trajectory_match", TRAJECTORY),
    (SEED, "single_step_evaluator", SINGLE_STEP),
    (SEED, "single_step_match", SINGLE_STEP),
    (HELPERS, "token_overlap", ANSWERS),
    (HELPERS, "weighted_match", ANSWERS),
    (HELPERS, "nesting_depth", SINGLE_STEP + ANSWERS),
    (HELPERS, "uses_fast_json", ANSWERS),
    (HELPERS, "several", ANSWERS),
    (HELPERS, "bare_bool", ANSWERS),
    (JUDGE, "length_ratio", FINAL_RESPONSE[:3]),
    (ASYNC, "slow_exact", ANSWERS),
    (ASYNC, "slow_exact_m1", ANSWERS),
]


# ---------------------------------------------------------------------------- helpers


def import_original(path: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Import the whole fixture file the ordinary way: the reference behaviour."""
    stub = types.ModuleType("definitely_not_installed_package_xyz")
    stub.VALUE = 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, stub.__name__, stub)
    spec = importlib.util.spec_from_file_location(f"_original_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def method1_to_method2(result: Any, name: str) -> Any:
    """The reshaping the spec asks of the Method-1 adapter, written independently of it."""
    if isinstance(result, dict) and "results" in result:
        shaped: dict = {}
        comments = []
        for item in result["results"]:
            shaped[item["key"]] = item["score"]
            if item.get("comment") is not None:
                comments.append(f"{item['key']}: {item['comment']}")
        if comments:
            shaped["comment"] = "; ".join(comments)
        return shaped
    if isinstance(result, dict) and "key" in result:
        shaped = {result["key"]: result["score"]}
        if result.get("comment") is not None:
            shaped["comment"] = result["comment"]
        return shaped
    return {name: result}


def original_score(fn: Any, run: dict, example: dict) -> Any:
    params = inspect.signature(fn).parameters
    method2 = signature_of(fn) == "method2"  # the one rule: `(r, e)` is Method 2 too
    if method2:
        result = fn(run, example)
    else:
        available = {"inputs": run["inputs"], "outputs": run["outputs"], "reference_outputs": example["outputs"]}
        result = fn(**{k: v for k, v in available.items() if k in params})
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return result if method2 else method1_to_method2(result, fn.__name__)


def exec_bundle(bundle: Bundle) -> dict:
    namespace: dict = {}
    # dont_inherit: this test module's `from __future__ import annotations` must not leak in.
    exec(compile(bundle.code, "<bundle>", "exec", dont_inherit=True), namespace)
    return namespace


# ---------------------------------------------------------------------------- the main property


@pytest.mark.parametrize(("path", "function", "pairs"), CASES, ids=[f"{p.stem}:{f}" for p, f, _ in CASES])
def test_bundle_scores_like_the_original(
    path: Path, function: str, pairs: list, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")  # seed_judge.py builds a ChatOpenAI
    original = getattr(import_original(path, monkeypatch), function)
    bundle = bundle_for_upload(path, function)
    namespace = exec_bundle(bundle)
    perform_eval = namespace["perform_eval"]
    assert list(inspect.signature(perform_eval).parameters) == ["run", "example"]
    assert not inspect.iscoroutinefunction(perform_eval)
    for run, example in pairs:
        expected = original_score(original, copy.deepcopy(run), copy.deepcopy(example))
        assert perform_eval(copy.deepcopy(run), copy.deepcopy(example)) == expected, (run, example)
    assert capfd.readouterr().out == ""


def test_method1_results_are_reshaped_for_code_rules() -> None:
    run, example = ANSWERS[1]
    perform_eval = exec_bundle(bundle_for_upload(HELPERS, "several"))["perform_eval"]
    assert perform_eval(run, example) == {"non_empty": True, "short": True, "comment": "non_empty: has text"}
    perform_eval = exec_bundle(bundle_for_upload(SEED, "exact_match"))["perform_eval"]
    assert perform_eval(*FINAL_RESPONSE[2]) == {"exact_match": 0, "comment": "Match: False"}
    perform_eval = exec_bundle(bundle_for_upload(HELPERS, "bare_bool"))["perform_eval"]
    assert perform_eval(*ANSWERS[0]) == {"bare_bool": False}
    perform_eval = exec_bundle(bundle_for_upload(HELPERS, "weighted_match"))["perform_eval"]
    assert perform_eval(*ANSWERS[2]) == {"weighted_match": 0.0}  # no comment key when there is none


def test_method1_adapter_tolerates_missing_fields() -> None:
    perform_eval = exec_bundle(bundle_for_upload(SEED, "exact_match"))["perform_eval"]
    assert perform_eval({"outputs": None}, None) == {"exact_match": 1, "comment": "Match: True"}


def test_every_fixture_function_bundles_and_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every evaluator-shaped function of the pure-Python fixtures gives a bundle that execs in `{}`."""
    for path in (SEED, HELPERS, ASYNC, DATA / "side_effects.py", DATA / "bad_signatures.py"):
        for info in list_functions(path):
            if info.signature is None:
                continue
            namespace = exec_bundle(bundle_for_upload(path, info.name))
            assert callable(namespace["perform_eval"]), (path, info.name)


# ---------------------------------------------------------------------------- shape of the code


def test_method2_function_is_renamed_and_nothing_else_is_added() -> None:
    bundle = bundle_for_upload(SEED, "exact_match_evaluator")
    assert bundle.code.startswith("def perform_eval(run, example):\n")
    assert "exact_match_evaluator" not in bundle.code and "_evaltui" not in bundle.code
    assert bundle.warnings == []
    assert "trajectory" not in bundle.code  # only what the function uses


def test_seed_comments_inside_the_function_are_kept() -> None:
    code = bundle_for_upload(SEED, "trajectory_evaluator").code
    assert "    # All required tools used (order-agnostic)\n" in code


def test_bundle_contains_only_what_is_needed_in_file_order() -> None:
    code = bundle_for_upload(HELPERS, "token_overlap").code
    for absent in ("definitely_not_installed_package_xyz", "UNUSED_CONSTANT", "fast_json", "WEIGHTS", "_depth", "weighted_match"):
        assert absent not in code
    order = ["from __future__ import annotations", "import json", "import re", "import string",
             "# Words that never count as content.", "STOPWORDS = {", "STOPWORDS.add(\"of\")", "PUNCT = ",
             "THRESHOLD = 0.5", "@dataclass\nclass Overlap", "class Verdict(TypedDict)", "def _tokens(",
             "def _overlap(", "def perform_eval(run, example) -> dict:"]
    positions = [code.index(piece) for piece in order]
    assert positions == sorted(positions)


def test_future_import_kept_first() -> None:
    code = bundle_for_upload(HELPERS, "bare_bool").code
    assert code.startswith("from __future__ import annotations\n")


def test_recursive_method2_keeps_its_old_name_working() -> None:
    bundle = bundle_for_upload(HELPERS, "nesting_depth")
    assert "\nnesting_depth = perform_eval\n" in bundle.code
    perform_eval = exec_bundle(bundle)["perform_eval"]
    run, example = ANSWERS[0]
    assert perform_eval([run, run], example) == {"depth": True}


def test_bundle_is_deterministic() -> None:
    for path, function, _ in CASES:
        assert bundle_for_upload(path, function) == bundle_for_upload(path, function)


def test_statements_sharing_a_line(tmp_path: Path) -> None:
    path = tmp_path / "compact.py"
    path.write_text(
        "import json; import os\nLIMIT = 3; OTHER = os.getcwd()\n\n"
        "def ev(run, example): return {'short': len(json.dumps(run['outputs'])) < LIMIT * 10}\n"
    )
    bundle = bundle_for_upload(path, "ev")
    assert "os" not in bundle.code.replace("outputs", "")
    assert exec_bundle(bundle)["perform_eval"]({"outputs": {"a": 1}}, {}) == {"short": True}


def test_side_effect_module_bundle_is_clean() -> None:
    code = bundle_for_upload(DATA / "side_effects.py", "evaluate").code
    assert "boom" not in code and "SystemExit" not in code and "open(" not in code
    assert code == (
        'PREFIX = "ok"\n\n\ndef perform_eval(run, example):\n    """Only needs PREFIX."""\n'
        '    return {"prefixed": run["outputs"].get("text", "").startswith(PREFIX)}\n'
    )


# ---------------------------------------------------------------------------- async


def test_async_bundle_warns_and_runs_inside_a_running_loop() -> None:
    bundle = bundle_for_upload(ASYNC, "slow_exact")
    assert bundle.warnings == [
        "slow_exact is async: LangSmith code rules call perform_eval synchronously, so the bundle runs it "
        "with asyncio.run()."
    ]
    perform_eval = exec_bundle(bundle)["perform_eval"]

    async def call_from_loop() -> Any:
        return perform_eval(*ANSWERS[1])

    assert asyncio.run(call_from_loop()) == {"exact": False}


# ---------------------------------------------------------------------------- warnings


def test_judge_bundle_warns_about_llm_client() -> None:
    warnings = bundle_for_upload(JUDGE, "accuracy_evaluator").warnings
    assert warnings[0].startswith("accuracy_evaluator is async")
    assert warnings[1].startswith(
        "accuracy_evaluator imports langchain_openai (line 3), which LangSmith code evaluators cannot use"
    )
    assert "LLM client" in warnings[1] and "no network access" in warnings[1]
    assert len(warnings) == 2  # typing is stdlib


def test_import_warnings(tmp_path: Path) -> None:
    path = tmp_path / "imports.py"
    path.write_text(
        "import math\nimport numpy as np\nimport socket\nfrom . import sibling\n"
        "def ev(run, example):\n"
        "    import requests\n"
        "    from openai import OpenAI\n"
        "    return {'x': math.pi + np.pi, 'h': socket.gethostname(), 's': sibling.X, 'q': missing_name,"
        " 'r': requests, 'o': OpenAI}\n"
    )
    warnings = bundle_for_upload(path, "ev").warnings
    assert warnings == [
        "ev imports socket (line 3), but LangSmith code evaluators have no network or process access.",
        "ev uses a relative import (line 4) that evaltui could not inline (the module was not found, or its "
        "names clash with this file's): copy what it needs into the file.",
        "ev imports requests (line 6), which LangSmith code evaluators cannot use: they have only the standard "
        "library, numpy, pandas, jsonschema, scipy and scikit-learn.",
        "ev imports openai (line 7), which LangSmith code evaluators cannot use: they have only the standard "
        "library, numpy, pandas, jsonschema, scipy and scikit-learn. It is an LLM client and code evaluators have "
        "no network access: create an LLM-as-judge evaluator in LangSmith for this one, or run it locally.",
        "ev uses 'missing_name', which is not defined in imports.py; it will raise NameError in LangSmith.",
    ]


def test_optional_import_is_not_warned() -> None:
    assert bundle_for_upload(HELPERS, "uses_fast_json").warnings == []


# ---------------------------------------------------------------------------- local imports


def test_relative_imports_are_inlined_and_score_like_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    stub = types.ModuleType("definitely_not_installed_package_xyz")
    monkeypatch.setitem(sys.modules, stub.__name__, stub)
    monkeypatch.syspath_prepend(str(DATA))
    for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
        monkeypatch.delitem(sys.modules, name)
    original = importlib.import_module("pkg.evaluator").answer_match
    bundle = bundle_for_upload(DATA / "pkg" / "evaluator.py", "answer_match")
    assert bundle.warnings == []
    assert "from ." not in bundle.code and "unused_helper" not in bundle.code
    assert "definitely_not_installed" not in bundle.code
    assert bundle.code.count("def norm(") == 1  # imported by evaluator.py and by _more.py: kept once
    assert "\nnormalize = norm\n" in bundle.code  # `import norm as normalize`
    perform_eval = exec_bundle(bundle)["perform_eval"]
    pairs = ANSWERS + [_pair({"answer": "Um  PARIS"}, {"answer": "paris"}), ({}, {})]
    for run, example in pairs:
        assert perform_eval(copy.deepcopy(run), copy.deepcopy(example)) == original(run, example)
    assert perform_eval(*pairs[-2]) == {"answer_match": True, "comment": "'paris' vs 'paris'"}
    for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
        del sys.modules[name]


def test_relative_import_not_inlined_when_names_clash() -> None:
    bundle = bundle_for_upload(DATA / "pkg" / "evaluator.py", "clashing")
    assert "from ._more import same" in bundle.code
    assert bundle.warnings == [
        "clashing uses a relative import (line 2) that evaltui could not inline (the module was not found, or "
        "its names clash with this file's): copy what it needs into the file."
    ]


def test_sibling_module_import_is_inlined() -> None:
    bundle = bundle_for_upload(DATA / "uses_sibling.py", "clean_match")
    assert bundle.warnings == [] and "import" not in bundle.code.split("def _evaltui")[0]
    perform_eval = exec_bundle(bundle)["perform_eval"]
    assert perform_eval(*ANSWERS[1]) == {"clean_match": True}
    assert perform_eval(*ANSWERS[2]) == {"clean_match": False}


# ---------------------------------------------------------------------------- errors


def test_bundle_errors_match_the_loader(tmp_path: Path) -> None:
    with pytest.raises(EvaluatorLoadError, match="Did you mean 'exact_match'"):
        bundle_for_upload(SEED, "exact_mach")
    with pytest.raises(EvaluatorLoadError, match="is not an evaluator signature"):
        bundle_for_upload(DATA / "bad_signatures.py", "three_args")
    with pytest.raises(EvaluatorLoadError, match="syntax error"):
        bundle_for_upload(DATA / "syntax_error.py", "ok")


def test_bundle_refuses_name_clashes(tmp_path: Path) -> None:
    path = tmp_path / "clash.py"
    path.write_text(
        "def perform_eval(x):\n    return x\n\n"
        "def ev(run, example):\n    return {'x': perform_eval(1)}\n\n"
        "def perform_eval2(inputs, outputs):\n    return 1\n"
    )
    with pytest.raises(EvaluatorLoadError, match="defines another 'perform_eval' that 'ev' uses"):
        bundle_for_upload(path, "ev")
    m1 = tmp_path / "m1.py"
    m1.write_text("def perform_eval(inputs, outputs):\n    return 1\n")
    with pytest.raises(EvaluatorLoadError, match="give the function another name"):
        bundle_for_upload(m1, "perform_eval")


def test_method2_already_named_perform_eval(tmp_path: Path) -> None:
    path = tmp_path / "pe.py"
    path.write_text("def perform_eval(run, example):\n    return {'ok': 1}\n")
    assert bundle_for_upload(path, "perform_eval").code == path.read_text()


def test_method2_with_other_parameter_names_gets_an_adapter(tmp_path: Path) -> None:
    """Issue 12: `(r, e)` is Method 2 (the SDK's rule) for uploads too, where it used to be refused.
    LangSmith calls `perform_eval(run, example)`, so the function keeps its name behind an adapter."""
    path = tmp_path / "short.py"
    path.write_text("def ev(r, e):\n    return {'same': r['outputs'] == e['outputs']}\n")
    bundle = bundle_for_upload(path, "ev")
    assert bundle.code.startswith(path.read_text())
    perform_eval = exec_bundle(bundle)["perform_eval"]
    assert list(inspect.signature(perform_eval).parameters) == ["run", "example"]
    assert perform_eval({"outputs": {"a": 1}}, {"outputs": {"a": 1}}) == {"same": True}
    assert perform_eval(*ANSWERS[2]) == {"same": False}


# ---------------------------------------------------------------------------- the judge, end to end


class _JudgeHandler(BaseHTTPRequestHandler):
    """A tiny OpenAI-compatible /chat/completions: accurate iff expected == agent output."""

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        expected = prompt.split("Expected: ", 1)[1].split("\n", 1)[0]
        got = prompt.split("Agent Output: ", 1)[1].split("\n", 1)[0]
        grade = {"reasoning": f"compared {got!r} with {expected!r}", "is_accurate": expected == got, "confidence": 0.9}
        reply = {
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(grade)}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def judge_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JudgeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    yield url
    server.shutdown()
    server.server_close()


def test_judge_bundle_scores_like_the_original(judge_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = import_original(JUDGE, monkeypatch).accuracy_evaluator
    perform_eval = exec_bundle(bundle_for_upload(JUDGE, "accuracy_evaluator"))["perform_eval"]
    for run, example in FINAL_RESPONSE[:3]:
        expected = asyncio.run(original(run, example))
        assert perform_eval(run, example) == expected
    assert perform_eval(*FINAL_RESPONSE[0])["accuracy"] == 1
    assert perform_eval(*FINAL_RESPONSE[2])["accuracy"] == 0


# ---------------------------------------------------------------------------- the library, when present


def _library_functions() -> list[tuple[Path, str]]:
    try:
        import evaluators
    except ImportError:
        return []
    found = []
    for path in sorted(Path(evaluators.__file__).parent.glob("*.py")):
        try:
            infos = list_functions(path)
        except EvaluatorLoadError:
            continue
        found += [(path, i.name) for i in infos if i.signature and not i.is_judge and not i.name.startswith("_")]
    return found


def _plain(value: Any) -> Any:
    """A dataclass instance as its class name and fields: the bundle defines its own copy of the class."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__qualname__, dataclasses.asdict(value)
    return value


def test_library_evaluators_bundle_like_the_originals() -> None:
    """Deterministic evaluators of the `evaluators` package (written in parallel) bundle faithfully."""
    functions = _library_functions()
    if not functions:
        pytest.skip("the evaluators package has no evaluator functions yet")
    import importlib

    checked = 0
    for path, name in functions:
        bundle = bundle_for_upload(path, name)
        if bundle.warnings:  # e.g. relative imports: not runnable alone, and the warning says so
            continue
        module = importlib.import_module(f"evaluators.{path.stem}" if path.stem != "__init__" else "evaluators")
        original = getattr(module, name)
        perform_eval = exec_bundle(bundle)["perform_eval"]
        for run, example in FINAL_RESPONSE + TRAJECTORY + SINGLE_STEP:
            try:
                expected: Any = original_score(original, copy.deepcopy(run), copy.deepcopy(example))
            except Exception as exc:  # noqa: BLE001 - compare failures too
                expected = type(exc)
            try:
                got: Any = perform_eval(copy.deepcopy(run), copy.deepcopy(example))
            except Exception as exc:  # noqa: BLE001
                got = type(exc)
            assert _plain(got) == _plain(expected), (path.name, name, run, example)
        checked += 1
    if not checked:
        pytest.skip("no library evaluator bundles without warnings yet")
