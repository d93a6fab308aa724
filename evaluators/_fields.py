"""Small, forgiving readers for run/example sections (``None``, missing keys, non-dicts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def section(container: Any, name: str) -> Mapping:
    """``container[name]`` as a mapping; ``{}`` when the container or the section is missing/not a dict."""
    if not isinstance(container, Mapping):
        return {}
    value = container.get(name)
    return value if isinstance(value, Mapping) else {}


def as_mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def first_present(mapping: Any, keys: tuple[str, ...], default: Any = None) -> Any:
    """The value of the first of `keys` present (and not None) in `mapping`."""
    mapping = as_mapping(mapping)
    for key in keys:
        value = mapping.get(key)
        if value is not None:
            return value
    return default


def as_text(value: Any) -> str:
    """A string for comparison: ``None`` -> ``""``, other non-strings via ``str()``."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
