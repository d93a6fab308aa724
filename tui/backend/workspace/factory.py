"""The one place that turns Settings into a workspace backend."""

from __future__ import annotations

from tui.backend.core.config import Settings


def open_backend(settings: Settings):
    """Build the backend the settings ask for. Imports stay lazy: langsmith is slow to import.
    """
    from tui.backend.core.errors import InvalidInput

    if settings.backend == "local":
        from tui.backend.workspace.local import LocalBackend

        return LocalBackend(settings.home / "workspace.sqlite3", busy_timeout_ms=int(settings.lock_timeout_s * 1000))
    if settings.backend == "langsmith":
        if not settings.api_key:
            raise InvalidInput(
                "The langsmith backend needs LANGSMITH_API_KEY (in the environment or a .env file)."
            )
        from tui.backend.workspace.langsmith import LangSmithBackend

        return LangSmithBackend(
            api_key=settings.api_key,
            endpoint=settings.endpoint,
            workspace_id=settings.workspace_id,
            timeout_s=settings.http_timeout_s,
            upload_wait_s=settings.upload_wait_s,
        )
    raise InvalidInput(f"Unknown backend {settings.backend!r}: use 'local' or 'langsmith'.")
