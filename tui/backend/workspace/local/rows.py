"""How the local workspace stores values in its columns (JSON text, ISO-8601 UTC times) and the
small query every table shares (does a row exist)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_ENCODE = json.JSONEncoder(default=str, ensure_ascii=False).encode  # one encoder, not one per call


def dumps(value: Any) -> str:
    return _ENCODE(value)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def exists(conn: sqlite3.Connection, table: str, row_id: str) -> bool:
    return conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None
