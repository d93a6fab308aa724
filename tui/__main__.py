"""Entry point of the `evaltui` console script: a CLI subcommand, or the app when none is given.

Imports stay lazy so `evaltui --help` / `--version` never load textual, langsmith or langchain.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TextIO


def _redact(text: str, secrets: Sequence[str | None]) -> str:
    """Belt and braces: a key must never reach the terminal, even inside a library's message."""
    from tui.backend.core.config import mask_secret

    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, mask_secret(secret))
    return text


def _secrets() -> list[str | None]:
    return [os.environ.get(v) for v in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "OPENAI_API_KEY")]


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run evaltui and return its exit code. Streams can be injected (tests run it in-process)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    inp = stdin if stdin is not None else sys.stdin

    from tui.cli import CliContext, build_parser, run_command
    from tui.cli.context import CANCELLED_EXIT

    parser = build_parser()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version, or a usage error (exit 2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)

    from tui.backend.core.config import Settings, load_env_files

    ctx: CliContext | None = None
    try:
        load_env_files()
        settings = Settings.from_env(backend=args.backend)
        if getattr(args, "handler", None) is None:
            return _start_app(settings, args.dir)
        ctx = CliContext(settings=settings, stdout=out, stderr=err, stdin=inp)
        return run_command(args, ctx)
    except KeyboardInterrupt:
        print("Cancelled.", file=err, flush=True)
        return CANCELLED_EXIT
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one clear line, no traceback
        return _report_error(exc, err)
    finally:
        if ctx is not None:
            try:
                ctx.close()
            except Exception:  # noqa: BLE001 - closing must not hide the real outcome
                pass


def _start_app(settings, evaluator_dir: str | None) -> int:
    from tui.app import run_app
    from tui.backend.core.config import default_evaluator_dir

    directory = Path(evaluator_dir).expanduser() if evaluator_dir else default_evaluator_dir(settings.home)
    return run_app(settings, directory)


def _report_error(exc: Exception, err: TextIO) -> int:
    from tui.backend.core.config import debug_from_env
    from tui.backend.core.errors import EvaltuiError

    if isinstance(exc, EvaltuiError):
        message, code = f"Error: {exc}", int(getattr(exc, "exit_code", 1))
    else:
        detail = " ".join(str(exc).split()) or "no details"
        message = f"Unexpected error ({type(exc).__name__}): {detail}"
        message += "" if debug_from_env() else " (set EVALTUI_DEBUG=1 for details)"
        code = 1
        if debug_from_env():
            import traceback

            err.write(_redact("".join(traceback.format_exception(exc)), _secrets()))
    print(_redact(message, _secrets()), file=err, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
