"""Reading the values LangSmith sends: ISO timestamps (with a `Z` or none) and UUIDs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
