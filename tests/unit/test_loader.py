"""tui.backend.source (discovery, parse, slice, loader): listing by AST, loading only the needed slice, and every
error message."""

from __future__ import annotations

import inspect
import os
import pickle
import sys
from pathlib import Path

import pytest

from tui.backend.core.errors import EvaluatorLoadError
from tui.backend.source.discovery import list_functions
from tui.backend.source.functions import FunctionInfo
from tui.backend.source.loader import load_evaluator

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed_evaluators.py"
HELPERS = DATA / "helpers_constants.py"
JUDGE = DATA / "seed_judge.py"
SIDE_EFFECTS = DATA / "side_effects.py"
BAD = DATA / "bad_signatures.py"


def _load_error(path: Path | str, function: str) -> str:
    with pytest.raises(EvaluatorLoadError) as info:
        load_evaluator(path, function)
    return str(info.value)


@pytest.fixture
def fake_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """ChatOpenAI needs a key to be constructed; nothing here ever calls it."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")


# ---------------------------------------------------------------------------- list_functions


def test_list_functions_reports_names_lines_signatures() -> None:
    infos = {info.name: info for info in list_functions(SEED)}
    assert list(infos) == [
        "exact_match_evaluator",
        "exact_match",
        "trajectory_evaluator",
        "trajectory_match",
        "single_step_evaluator",
        "single_step_match",
    ]
    assert infos["exact_match_evaluator"] == FunctionInfo(
        name="exact_match_evaluator",
        lineno=4,
        end_lineno=12,
        signature="method2",
        is_async=False,
        is_judge=False,
        source=infos["exact_match_evaluator"].source,
    )
    assert infos["exact_match_evaluator"].source.startswith("def exact_match_evaluator(run, example):\n")
    assert infos["exact_match_evaluator"].source.rstrip().endswith("}")
    assert infos["exact_match"].signature == "method1"
    assert {i.signature for n, i in infos.items() if n.endswith("_evaluator")} == {"method2"}


def test_list_functions_detects_async_judges() -> None:
    infos = {info.name: info for info in list_functions(JUDGE)}
    assert infos["accuracy_evaluator"].is_async and infos["accuracy_evaluator"].is_judge
    assert infos["accuracy_evaluator"].signature == "method2"
    assert not infos["length_ratio"].is_judge and not infos["length_ratio"].is_async


def test_list_functions_includes_helpers_with_no_signature() -> None:
    infos = {info.name: info for info in list_functions(HELPERS)}
    assert infos["_tokens"].signature is None
    assert infos["token_overlap"].signature == "method2"
    assert infos["weighted_match"].signature == "method1"
    assert infos["bare_bool"].signature == "method1"  # (outputs, reference_outputs): a subset, by name


def test_list_functions_classifies_signatures() -> None:
    sigs = {info.name: info.signature for info in list_functions(BAD)}
    assert sigs == {
        "three_args": None,
        "renamed": "method2",  # (r, e): two positional parameters, called as (run, example) like the SDK does
        "extra_required": None,
        "no_args": None,
        "exact_match": "method2",
        "options": "method2",
        "kw_only_m1": "method1",
    }


def test_list_functions_never_executes_the_file(tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran.txt"
    monkeypatch.setenv("EVALTUI_SIDE_EFFECT_FILE", str(marker))
    infos = list_functions(SIDE_EFFECTS)
    assert [i.name for i in infos] == ["evaluate"]
    assert not marker.exists()
    assert "boom" not in capfd.readouterr().out


# ---------------------------------------------------------------------------- load_evaluator: good files


@pytest.mark.parametrize(
    ("function", "run_outputs", "ref_outputs", "expected"),
    [
        ("exact_match_evaluator", {"expected_response": " Paris "}, {"expected_response": "paris"},
         {"exact_match": 1, "comment": "Match: True"}),
        ("exact_match_evaluator", {"expected_response": "Lyon"}, {"expected_response": "paris"},
         {"exact_match": 0, "comment": "Match: False"}),
        ("trajectory_evaluator", {"expected_trajectory": ["a", "b", "c"]}, {"expected_trajectory": ["a", "b"]},
         {"trajectory_match": 0, "comment": "Exact: False, All tools: True, Extra: 1"}),
    ],
)
def test_load_method2_function_and_call_it(function: str, run_outputs: dict, ref_outputs: dict, expected: dict) -> None:
    loaded = load_evaluator(SEED, function)
    assert loaded.name == function and loaded.signature == "method2" and not loaded.is_async
    assert loaded.path == SEED
    assert loaded.source.startswith(f"def {function}(")
    assert loaded.fn({"outputs": run_outputs}, {"outputs": ref_outputs}) == expected


def test_load_method1_function() -> None:
    loaded = load_evaluator(SEED, "exact_match")
    assert loaded.signature == "method1"
    result = loaded.fn(inputs={}, outputs={"expected_response": "A"}, reference_outputs={"expected_response": "a "})
    assert result == {"key": "exact_match", "score": 1, "comment": "Match: True"}


def test_loaded_module_is_real(tmp_path: Path) -> None:
    """dataclasses, TypedDict, pickle and inspect need a registered module with __file__."""
    loaded = load_evaluator(HELPERS, "token_overlap")
    module = sys.modules[loaded.fn.__module__]
    assert module.__file__ == str(HELPERS)
    assert inspect.getsource(loaded.fn).startswith("def token_overlap(")
    assert pickle.loads(pickle.dumps(loaded.fn)) is loaded.fn
    overlap = module.Overlap(shared=1, total=2)  # a dataclass under `from __future__ import annotations`
    assert overlap.ratio == 0.5 and "shared=1" in repr(overlap)
    result = loaded.fn({"outputs": {"answer": "The capital of France, Paris!"}}, {"outputs": {"answer": "Paris"}})
    assert result == {"token_overlap": 1.0, "comment": '{"reason": "1/1", "passed": true}'}


def test_load_skips_unused_imports_and_constants() -> None:
    """helpers_constants.py imports a package that is not installed; no evaluator uses it."""
    loaded = load_evaluator(HELPERS, "weighted_match")
    namespace = loaded.fn.__globals__
    assert "definitely_not_installed_package_xyz" not in namespace
    assert "UNUSED_CONSTANT" not in namespace and "STOPWORDS" not in namespace
    assert namespace["WEIGHTS"] == {"exact": 1.0, "partial": 0.5}  # the later `WEIGHTS[...] = ` ran too
    assert loaded.fn(inputs={}, outputs={"answer": "x paris y"}, reference_outputs={"answer": "Paris"}) == {
        "key": "weighted_match", "score": 0.5, "comment": "partial"}


def test_load_keeps_statements_that_mutate_needed_names() -> None:
    loaded = load_evaluator(HELPERS, "token_overlap")
    assert loaded.fn.__globals__["STOPWORDS"] == {"the", "a", "an", "of"}


def test_load_recursive_function() -> None:
    loaded = load_evaluator(HELPERS, "nesting_depth")
    run = {"outputs": {"a": {"b": 1}}}
    assert loaded.fn([run, run], {"outputs": {"x": {"y": 2}}}) == {"depth": True}


def test_load_async_judge_keeps_module_level_model(fake_openai_env: None) -> None:
    loaded = load_evaluator(JUDGE, "accuracy_evaluator")
    assert loaded.is_async and loaded.signature == "method2"
    assert inspect.iscoroutinefunction(loaded.fn)
    namespace = loaded.fn.__globals__
    assert "judge" in namespace and "AccuracyGrade" in namespace
    assert "length_ratio" not in namespace
    # Annotations stay objects: the loader's own `from __future__` import must not leak into the file.
    assert not any(isinstance(a, str) for a in namespace["AccuracyGrade"].__annotations__.values())


def test_load_twice_replaces_the_module() -> None:
    first = load_evaluator(SEED, "exact_match")
    second = load_evaluator(SEED, "exact_match")
    assert first.fn.__module__ == second.fn.__module__
    assert sys.modules[second.fn.__module__].exact_match is second.fn


def test_load_honours_coding_cookie() -> None:
    loaded = load_evaluator(DATA / "latin1_with_cookie.py", "evaluate")
    assert loaded.fn({}, {}) == {"café": 1}


def test_load_sibling_import(tmp_path: Path) -> None:
    (tmp_path / "my_helpers_for_loader_test.py").write_text("def norm(s):\n    return s.strip().lower()\n")
    evaluator = tmp_path / "ev.py"
    evaluator.write_text(
        "from my_helpers_for_loader_test import norm\n\n"
        "def ev(run, example):\n    return {'m': norm(run['outputs']['a']) == norm(example['outputs']['a'])}\n"
    )
    loaded = load_evaluator(evaluator, "ev")
    assert loaded.fn({"outputs": {"a": " X"}}, {"outputs": {"a": "x"}}) == {"m": True}
    assert str(tmp_path) not in sys.path


def test_load_file_inside_a_package_with_relative_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    monkeypatch.setitem(sys.modules, "definitely_not_installed_package_xyz", types.ModuleType("x"))
    loaded = load_evaluator(DATA / "pkg" / "evaluator.py", "answer_match")
    result = loaded.fn({"outputs": {"answer": "Um Paris"}}, {"outputs": {"answer": "paris"}})
    assert result == {"answer_match": True, "comment": "'paris' vs 'paris'"}
    assert str(DATA) not in sys.path
    for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
        del sys.modules[name]


# ---------------------------------------------------------------------------- side effects


def test_load_does_not_run_unrelated_module_code(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran.txt"
    monkeypatch.setenv("EVALTUI_SIDE_EFFECT_FILE", str(marker))
    monkeypatch.delenv("EVALTUI_SIDE_EFFECT_ENV", raising=False)
    loaded = load_evaluator(SIDE_EFFECTS, "evaluate")  # the file ends with `raise SystemExit(3)`
    out = capfd.readouterr().out
    assert "boom" not in out and "main block" not in out
    assert not marker.exists()
    assert "EVALTUI_SIDE_EFFECT_ENV" not in os.environ
    assert loaded.fn({"outputs": {"text": "ok then"}}, {"outputs": {}}) == {"prefixed": True}


def test_load_function_from_file_whose_other_code_fails() -> None:
    loaded = load_evaluator(DATA / "module_error.py", "standalone")
    assert loaded.fn({}, {}) == {"ok": True}


# ---------------------------------------------------------------------------- error messages


def test_error_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    assert _load_error(missing, "f") == f"Evaluator file {str(missing)!r} does not exist."


def test_error_directory(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "f")
    assert "is a directory" in message and "Python file" in message


def test_error_non_utf8() -> None:
    message = _load_error(DATA / "latin1_no_cookie.py", "evaluate")
    assert message == f"{DATA / 'latin1_no_cookie.py'} is not valid UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8."


def test_error_null_bytes(tmp_path: Path) -> None:
    path = tmp_path / "nul.py"
    path.write_bytes(b"def f(run, example):\n    return {}\x00\n")
    assert _load_error(path, "f") == f"{path}: cannot be parsed as Python: source code string cannot contain null bytes."


def test_error_syntax_error_has_file_line_col() -> None:
    message = _load_error(DATA / "syntax_error.py", "ok")
    assert message.startswith(f"{DATA / 'syntax_error.py'}:5:")
    assert "syntax error: expected ':'" in message
    assert "def broken(run, example)" in message


def test_error_compile_time_error(tmp_path: Path) -> None:
    path = tmp_path / "ret.py"
    path.write_text("return 1\n\ndef f(run, example):\n    return {}\n")
    assert _load_error(path, "f").startswith(f"{path}:1:")


def test_error_missing_function_lists_and_suggests() -> None:
    message = _load_error(SEED, "exact_mach")
    assert message.startswith(f"Function 'exact_mach' not found in {SEED}. Did you mean 'exact_match'")
    assert "Functions in the file: exact_match_evaluator, exact_match, trajectory_evaluator," in message


def test_error_missing_function_in_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("")
    assert _load_error(path, "f") == f"Function 'f' not found in {path}. The file defines no top-level functions."


@pytest.mark.parametrize(
    ("name", "kind", "line"),
    [("THRESHOLD", "a variable", 1), ("Grader", "a class", 4)],
)
def test_error_not_a_function(name: str, kind: str, line: int) -> None:
    message = _load_error(BAD, name)
    assert message.startswith(f"{name!r} in {BAD} is {kind} (line {line}), not a function. Functions in the file: three_args")


def test_error_imported_name_is_not_a_function() -> None:
    assert "is an imported name (line 3), not a function" in _load_error(JUDGE, "ChatOpenAI")


def test_error_wrong_signature_shows_actual_and_accepted() -> None:
    message = _load_error(BAD, "three_args")
    assert message == (
        f"three_args(a, b, c) in {BAD} (line 8) is not an evaluator signature: use Method 1 "
        "`(inputs, outputs, reference_outputs=None)` or Method 2 `(run, example)`."
    )


def test_two_positional_params_with_other_names_are_method2_as_in_the_sdk(tmp_path: Path) -> None:
    """Issue 12 changed this on purpose: `def ev(r, e)` used to be refused for `file.py:ev` (asking to
    rename the parameters) while `module:ev` ran it as Method 2. One rule now decides both
    (`evaluators.signature`, the SDK's): any two positional parameters are called as (run, example)."""
    from evaluators import normalize, signature_of

    assert load_evaluator(BAD, "renamed").signature == "method2"
    path = tmp_path / "short_names.py"
    path.write_text("def ev(r, e):\n    return {'same': r['outputs']['x'] == e['outputs']['x']}\n")
    loaded = load_evaluator(path, "ev")
    assert loaded.signature == signature_of(loaded.fn) == "method2"
    scored = normalize(loaded.fn).score_sync({"outputs": {"x": 1}}, {"outputs": {"x": 1}})
    assert scored == [{"key": "same", "score": True, "comment": None}]


@pytest.mark.parametrize("name", ["extra_required", "no_args"])
def test_error_other_bad_signatures(name: str) -> None:
    assert "is not an evaluator signature" in _load_error(BAD, name)


def test_error_exception_in_module_slice_names_type_and_line() -> None:
    message = _load_error(DATA / "module_error.py", "needs_config")
    path = DATA / "module_error.py"
    assert message.startswith(f"{path}:5: the module-level code that 'needs_config' needs failed at line 5")
    assert "(`return json.loads(\"{not json\")`)" in message
    assert "with JSONDecodeError: Expecting property name" in message


def test_error_missing_openai_key_while_building_judge() -> None:
    message = _load_error(JUDGE, "accuracy_evaluator")  # conftest removes OPENAI_API_KEY
    assert message.startswith(f"{JUDGE}:14:")
    assert "OpenAIError" in message and "judge = ChatOpenAI(" in message


def test_error_system_exit_in_needed_code(tmp_path: Path) -> None:
    path = tmp_path / "exits.py"
    path.write_text("import sys\nLIMIT = sys.exit(4)\n\ndef f(run, example):\n    return {'x': LIMIT}\n")
    message = _load_error(path, "f")
    assert message == f"{path}:2: the module-level code that 'f' needs failed at line 2 (`LIMIT = sys.exit(4)`) with SystemExit: 4."
    assert not any(name.endswith("_f_" + "x") for name in sys.modules)


def test_error_import_of_missing_package(tmp_path: Path) -> None:
    path = tmp_path / "imp.py"
    path.write_text("import not_installed_pkg_evaltui\n\ndef f(run, example):\n    return {'x': not_installed_pkg_evaltui.X}\n")
    message = _load_error(path, "f")
    assert "ModuleNotFoundError: No module named 'not_installed_pkg_evaltui'" in message
    assert message.startswith(f"{path}:1:")


def test_find_evaluators_skips_helpers_and_reports_unreadable_files(tmp_path) -> None:
    from tui.backend.source.discovery import find_evaluators

    (tmp_path / "good.py").write_text(
        "def _helper(x):\n    return x\n\n"
        "def exact(run, example):\n    return {'m': 1}\n\n"
        "async def judge(inputs, outputs, reference_outputs=None):\n    return {'key': 'k', 'score': 1}\n"
    )
    (tmp_path / "_private.py").write_text("def skipped(run, example):\n    return {}\n")
    (tmp_path / "broken.py").write_text("def nope(:\n")
    found, problems = find_evaluators(tmp_path)
    assert [(p.name, f.name, f.kind) for p, f in found] == [
        ("good.py", "exact", "Method 2"), ("good.py", "judge", "Method 1 async")]
    assert len(problems) == 1 and "broken.py" in problems[0]
    assert find_evaluators(tmp_path / "missing") == ([], [])
