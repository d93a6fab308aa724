"""The embedded local workspace: a `Backend` on one SQLite file.

Where things live:

- `backend`: `LocalBackend`, assembled from the parts below (each a `LocalStore` subclass), with
  its capabilities, `describe` and `check`.
- `store`: the file itself - opening, WAL, user-only permissions, schema migration, the locked
  read / `BEGIN IMMEDIATE` write transactions, sqlite3 errors -> `WorkspaceError` naming the file,
  and the find-by-name-or-id lookup with close-name suggestions.
- `schema`: the versioned DDL (`SCHEMA_VERSION`, `MIGRATIONS`).
- `rows`: how values are stored in columns (JSON, ISO times) and shared small queries.
- `datasets`, `projects`, `rules`, `workspace_evaluators`, `experiments`: one table family each.
  `datasets` also keeps every dataset's versions (one per write; reads `as_of` one), tags and splits.
- `seed`: the demo data inserted into a new file and the sample evaluators copied beside it.
"""

from tui.backend.workspace.local.backend import LocalBackend
from tui.backend.workspace.local.experiments import EXPERIMENT_STATUSES
from tui.backend.workspace.local.schema import SCHEMA_VERSION
from tui.backend.workspace.local.seed import SAMPLES_DIR

__all__ = ["EXPERIMENT_STATUSES", "SAMPLES_DIR", "SCHEMA_VERSION", "LocalBackend"]
