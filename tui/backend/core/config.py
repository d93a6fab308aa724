"""Settings from the environment and `.env` files (cwd, then $EVALTUI_HOME). Real env wins."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Variable:
    """One environment variable evaltui (or its evaluator library) reads."""

    name: str
    meaning: str
    default: str | None = None


# Every variable, in one place: `.env.example` documents each (a test checks it) and a test checks
# that the code reads no other. `evaluators/` reads its EVALTUI_JUDGE_* itself (it never imports tui).
VARIABLES = (
    Variable("LANGSMITH_API_KEY", "LangSmith key; without one evaltui uses the embedded local workspace"),
    Variable("LANGSMITH_ENDPOINT", "LangSmith API URL", "https://api.smith.langchain.com"),
    Variable("LANGSMITH_API_URL", "the name upload_evaluators.py reads for the endpoint"),
    Variable("LANGSMITH_WORKSPACE_ID", "workspace of an org-scoped key"),
    Variable("OPENAI_API_KEY", "key for LLM-as-judge evaluators (ChatOpenAI)"),
    Variable("OPENAI_BASE_URL", "any OpenAI-compatible server for the judges"),
    Variable("EVALTUI_HOME", "local workspace, sample evaluators and judge cache", "the user data dir"),
    Variable("EVALTUI_BACKEND", "local | langsmith", "langsmith when LANGSMITH_API_KEY is set"),
    Variable("EVALTUI_JUDGE_MODEL", "the sample judges' model", "gpt-4o-mini"),
    Variable("EVALTUI_JUDGE_MAX_RETRIES", "retries per judge call", "2"),
    Variable("EVALTUI_JUDGE_TIMEOUT", "seconds per judge call", "60"),
    Variable("EVALTUI_HTTP_TIMEOUT", "seconds for one LangSmith request", "10"),
    Variable("EVALTUI_LOCK_TIMEOUT", "seconds to wait for another process's write lock on the workspace", "5"),
    Variable("EVALTUI_UPLOAD_WAIT", "seconds `run` waits for LangSmith to show uploaded results", "60"),
    Variable("EVALTUI_TEST_TIMEOUT", "seconds per evaluator call when testing from the app", "30"),
    Variable("EVALTUI_DEBUG", "1 shows tracebacks of unexpected errors"),
)
ENV_VARS = tuple(v.name for v in VARIABLES)

DEFAULT_ENDPOINT = "https://api.smith.langchain.com"


def evaltui_home() -> Path:
    home = os.environ.get("EVALTUI_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("evaltui", appauthor=False))


def default_evaluator_dir(home: Path) -> Path:
    """`./evaluators` when it exists (a project of evaluator files), else the sample files under
    `home/evaluators`. In a clone of evaltui, `./evaluators` is evaltui's own library (helpers such as
    `number_from_env`, not the user's evaluators): the sample files are meant there too."""
    here = Path.cwd() / "evaluators"
    return here if here.is_dir() and not is_evaltui_library(here) else home / "evaluators"


_PROJECT_NAME = re.compile(r'^name\s*=\s*["\']evaltui["\']\s*$', re.MULTILINE)


def is_evaltui_library(directory: Path) -> bool:
    """True for the `evaluators` package at the root of an evaltui checkout (its pyproject names evaltui)."""
    if directory.name != "evaluators" or not (directory / "__init__.py").is_file():
        return False
    try:
        pyproject = (directory.parent / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return bool(_PROJECT_NAME.search(pyproject))


def load_env_files() -> None:
    """Load `.env` from cwd, then from $EVALTUI_HOME; never overrides real env vars."""
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)
    load_dotenv(evaltui_home() / ".env", override=False)


def mask_secret(value: str | None) -> str:
    """`lsv2_pt_abc…wxyz` -> `lsv2_…wxyz`. Short or empty values reveal nothing."""
    if not value:
        return "(none)"
    prefix = value.split("_", 1)[0] + "_" if "_" in value[:8] else ""
    if len(value) < 12:
        return prefix + "…"
    return f"{prefix}…{value[-4:]}"


@dataclass(frozen=True)
class Settings:
    api_key: str | None
    endpoint: str
    workspace_id: str | None
    home: Path
    backend: str  # "local" | "langsmith"
    http_timeout_s: float = 10.0
    lock_timeout_s: float = 5.0
    upload_wait_s: float = 60.0
    test_timeout_s: float = 30.0
    debug: bool = False

    @classmethod
    def from_env(cls, backend: str | None = None) -> Settings:
        key = os.environ.get("LANGSMITH_API_KEY") or None
        chosen = backend or os.environ.get("EVALTUI_BACKEND") or ("langsmith" if key else "local")
        return cls(
            api_key=key,
            # LANGSMITH_API_URL is what LangChain's upload_evaluators.py reads: honour it too.
            endpoint=(
                os.environ.get("LANGSMITH_ENDPOINT")
                or os.environ.get("LANGSMITH_API_URL")
                or DEFAULT_ENDPOINT
            ).rstrip("/"),
            workspace_id=os.environ.get("LANGSMITH_WORKSPACE_ID") or None,
            home=evaltui_home(),
            backend=chosen,
            http_timeout_s=seconds_from_env("EVALTUI_HTTP_TIMEOUT", 10.0),
            lock_timeout_s=seconds_from_env("EVALTUI_LOCK_TIMEOUT", 5.0),
            upload_wait_s=seconds_from_env("EVALTUI_UPLOAD_WAIT", 60.0),
            test_timeout_s=seconds_from_env("EVALTUI_TEST_TIMEOUT", 30.0),
            debug=debug_from_env(),
        )

    @property
    def masked_key(self) -> str:
        return mask_secret(self.api_key)


def debug_from_env() -> bool:
    return os.environ.get("EVALTUI_DEBUG") == "1"


def seconds_from_env(name: str, default: float) -> float:
    """A positive number of seconds from the environment, with a clear error for a bad value."""
    if name not in os.environ:  # the common case: no need to import `evaluators` (~50 ms) at start-up
        return default
    from evaluators.env import EnvNumberError, number_from_env
    from tui.backend.core.errors import InvalidInput

    try:
        return number_from_env(name, default, float, allow_zero=False, unit="seconds")
    except EnvNumberError as exc:
        raise InvalidInput(str(exc)) from None
