"""Which process runs an experiment, so a run whose process died (a crash, a kill, a closed
terminal) is found and marked "interrupted" instead of staying "running" forever.

The runner writes `owner_metadata()` into the experiment's metadata; a workspace reading a
"running" experiment asks `owner_gone(metadata)`. Only a process on this host can be checked: a
run started elsewhere (another machine, a container) stays "running".
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

INTERRUPTED = "interrupted"


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def owner_metadata() -> dict[str, Any]:
    pid = os.getpid()
    owner: dict[str, Any] = {"evaltui_pid": pid, "evaltui_host": socket.gethostname()}
    started = _start_ticks(pid)
    if started is not None:
        owner["evaltui_started"] = started
    return owner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def owner_gone(metadata: Mapping[str, Any] | None) -> bool:
    """True only when the run's process is known to have ended: same host, and that pid is not
    alive (or is alive but started at another time: a reused pid)."""
    metadata = metadata or {}
    pid = metadata.get("evaltui_pid")
    if not isinstance(pid, int) or metadata.get("evaltui_host") != socket.gethostname():
        return False
    if pid == os.getpid():
        return False
    if not _alive(pid):
        return True
    started = metadata.get("evaltui_started")
    now = _start_ticks(pid)
    return started is not None and now is not None and now != started
