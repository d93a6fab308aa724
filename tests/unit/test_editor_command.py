"""The editor command behind key e, and the rows of files that do not parse (issue 11)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.backend.core.errors import InvalidInput
from tui.backend.source.discovery import find_evaluators, scan_local_functions
from tui.backend.source.editor_command import NO_EDITOR, editor_command
from tui.backend.source.functions import BrokenFile


def _program(folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    return program


def test_visual_comes_first_then_editor_and_line_editors_get_plus_line(tmp_path):
    bin_dir = tmp_path / "bin"
    vim, nano = _program(bin_dir, "vim"), _program(bin_dir, "nano")
    target = tmp_path / "f.py"
    both = editor_command(target, 12, {"VISUAL": "vim", "EDITOR": "nano", "PATH": str(bin_dir)})
    assert (both.argv, both.variable, both.editor, both.at_line) == ([str(vim), "+12", str(target)], "VISUAL",
                                                                     "vim", True)
    blank_visual = editor_command(target, 3, {"VISUAL": "  ", "EDITOR": "nano", "PATH": str(bin_dir)})
    assert blank_visual.argv == [str(nano), "+3", str(target)] and blank_visual.variable == "EDITOR"


def test_an_editor_with_arguments_keeps_them_and_an_unknown_editor_gets_the_path_only(tmp_path):
    bin_dir = tmp_path / "bin"
    emacs, code = _program(bin_dir, "emacs"), _program(bin_dir, "code")
    target = tmp_path / "my file.py"
    env = {"PATH": str(bin_dir)}
    assert editor_command(target, 7, {**env, "EDITOR": "emacs -nw"}).argv == [str(emacs), "-nw", "+7", str(target)]
    unknown = editor_command(target, 7, {**env, "EDITOR": "code --wait"})
    assert unknown.argv == [str(code), "--wait", str(target)] and not unknown.at_line
    assert editor_command(target, None, {**env, "EDITOR": "emacs"}).argv == [str(emacs), str(target)]


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_a_link_to_a_known_editor_and_a_debian_alternative_name_count_as_that_editor(tmp_path):
    real = _program(tmp_path / "real", "vim.basic")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "editor").symlink_to(real)
    command = editor_command(tmp_path / "f.py", 4, {"EDITOR": "editor", "PATH": str(bin_dir)})
    assert command.at_line and command.argv[1] == "+4"
    assert editor_command(tmp_path / "f.py", 4, {"EDITOR": str(real)}).at_line


def test_no_editor_or_an_unreadable_value_is_a_clear_error_and_no_guess(tmp_path):
    for env in ({}, {"VISUAL": "", "EDITOR": " "}):
        with pytest.raises(InvalidInput) as err:
            editor_command(tmp_path / "f.py", 1, env)
        assert str(err.value) == NO_EDITOR
    with pytest.raises(InvalidInput, match=r"\$EDITOR \('vim \"unterminated'\) cannot be read as a command"):
        editor_command(tmp_path / "f.py", 1, {"EDITOR": 'vim "unterminated'})
    with pytest.raises(InvalidInput, match="names no program"):
        editor_command(tmp_path / "f.py", 1, {"EDITOR": '""'})


def test_a_file_that_does_not_parse_is_a_row_in_its_place_with_its_line_and_message(tmp_path):
    (tmp_path / "a_good.py").write_text("def exact(run, example):\n    return {'m': 1}\n")
    (tmp_path / "b_broken.py").write_text("x = 1\ndef nope(:\n    pass\n")
    (tmp_path / "c_latin1.py").write_bytes(b"def f(run, example):\n    return {'\xe9': 1}\n")
    (tmp_path / "d_outside.py").write_text("def g(run, example):\n    return {}\n\nreturn 3\n")
    functions, problems = scan_local_functions(tmp_path, [])
    assert [(f.path.name, f.name, f.kind, f.state) for f in functions] == [
        ("a_good.py", "exact", "Method 2", "not uploaded"),
        ("b_broken.py", "b_broken.py", "bad syntax", "line 2: invalid syntax"),
        ("c_latin1.py", "c_latin1.py", "unreadable", "line 2: not UTF-8 text"),
        ("d_outside.py", "d_outside.py", "bad syntax", "line 4: 'return' outside function"),
    ]
    broken = functions[1]
    assert isinstance(broken, BrokenFile) and broken.lineno == 2 and broken.key == f"{broken.path}::b_broken.py"
    assert broken.problem == "syntax error at line 2: invalid syntax"
    assert broken.why_not("upload") == ("Nothing to upload in b_broken.py yet: fix the syntax error at line 2 "
                                        "first (invalid syntax); e opens it in your editor.")
    assert functions[0].why_not("upload") is None
    assert problems == [f.detail for f in functions[1:]] and problems[0].startswith(f"{broken.path}:2:")
    found, listed_problems = find_evaluators(tmp_path)  # what the start form and the CLI read: unchanged
    assert [info.name for _, info in found] == ["exact"] and listed_problems == problems
