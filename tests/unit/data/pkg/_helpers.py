"""Helpers shared by the package's evaluators (relative imports must be inlined in bundles)."""
from __future__ import annotations

import re
from collections.abc import Mapping

import definitely_not_installed_package_xyz  # unused by the helpers below

_SPACES = re.compile(r"\s+")
FILLER = {"um", "uh"}


def norm(text: object) -> str:
    words = _SPACES.sub(" ", str(text or "")).strip().lower().split(" ")
    return " ".join(w for w in words if w not in FILLER)


def section(container: object, name: str) -> Mapping:
    value = container.get(name) if isinstance(container, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def unused_helper() -> int:
    return definitely_not_installed_package_xyz.VALUE
