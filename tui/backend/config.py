"""Settings from the environment and `.env` files (cwd, then $EVALTUI_HOME). Real env wins."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VARS = (
    "LANGSMITH_API_KEY",
    "LANGSMITH_ENDPOINT",
    "LANGSMITH_API_URL",
    "LANGSMITH_WORKSPACE_ID",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "EVALTUI_HOME",
    "EVALTUI_JUDGE_MODEL",
    "EVALTUI_BACKEND",
    "EVALTUI_HTTP_TIMEOUT",
    "EVALTUI_LOCK_TIMEOUT",
    "EVALTUI_UPLOAD_WAIT",
)

DEFAULT_ENDPOINT = "https://api.smith.langchain.com"


def evaltui_home() -> Path:
    home = os.environ.get("EVALTUI_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("evaltui", appauthor=False))


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
        )

    @property
    def masked_key(self) -> str:
        return mask_secret(self.api_key)


def _seconds_from_env(name: str, default: float) -> float:
    """A positive number of seconds from the environment, with a clear error for a bad value."""
    from .errors import InvalidInput

    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0:  # also rejects NaN
        raise InvalidInput(f"{name} must be a positive number of seconds, not {raw!r}.")
    return value


def open_backend(settings: Settings):
    """Build the backend the settings ask for. Imports stay lazy: langsmith is slow to import.

    EVALTUI_HTTP_TIMEOUT (LangSmith requests, default 10 s), EVALTUI_LOCK_TIMEOUT (waiting for
    another process holding the workspace's write lock, default 5 s) and EVALTUI_UPLOAD_WAIT (for
    LangSmith to show an experiment's uploaded results, default 60 s) tune how long evaltui waits.
    """
    from .errors import InvalidInput

    if settings.backend == "local":
        from .local import LocalBackend

        lock_s = _seconds_from_env("EVALTUI_LOCK_TIMEOUT", 5.0)
        return LocalBackend(settings.home / "workspace.sqlite3", busy_timeout_ms=int(lock_s * 1000))
    if settings.backend == "langsmith":
        if not settings.api_key:
            raise InvalidInput(
                "The langsmith backend needs LANGSMITH_API_KEY (in the environment or a .env file)."
            )
        from .langsmith import LangSmithBackend

        return LangSmithBackend(
            api_key=settings.api_key,
            endpoint=settings.endpoint,
            workspace_id=settings.workspace_id,
            timeout_s=_seconds_from_env("EVALTUI_HTTP_TIMEOUT", 10.0),
            upload_wait_s=_seconds_from_env("EVALTUI_UPLOAD_WAIT", 60.0),
        )
    raise InvalidInput(f"Unknown backend {settings.backend!r}: use 'local' or 'langsmith'.")
