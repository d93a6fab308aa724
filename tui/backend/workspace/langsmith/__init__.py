"""A LangSmith workspace behind the `Backend` protocol (`LangSmithBackend`).

Where things live:

- `backend`: `LangSmithBackend`, assembled from the parts below (each a `LangSmithSession`
  subclass), with its capabilities, `describe` and `check`.
- `client`: `LangSmithSession` - connection settings, the lazily built SDK clients (the plain one
  and the batching `tracing_client`), urllib3 retries, and every SDK / HTTP failure translated into
  a `tui.backend.core.errors` exception (user-facing, never containing the API key).
- `http_errors`: what lies behind an SDK exception (status, detail, path, hidden read timeout).
- `values`: LangSmith timestamps and ids.
- `datasets`, `projects`, `rules` (v2 listing with v1 fallback, create / replace / delete),
  `workspace_evaluators`, `experiments` (incl. `missing_uploads` / `verify_uploads`): one API
  area each.

`langsmith` (the SDK) is imported lazily, inside functions: it costs about a second to import.
"""

from tui.backend.workspace.langsmith.backend import LangSmithBackend

__all__ = ["LangSmithBackend"]
