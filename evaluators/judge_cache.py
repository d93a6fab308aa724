"""Judge calls cached on disk through LangChain's own cache interface (`BaseCache`).

LangChain builds the key itself: the serialized messages (`prompt`) and the model's whole
configuration (`llm_string`: model, every parameter, the base URL, the structured-output schema
bound to the call). It caches only calls that succeeded, so errors are never cached. The value
is LangChain's own serialization of the reply (`langchain_core.load.dumps`), which the judge then
parses into the grade exactly as on a live reply. The store is one SQLite table.

    install(path)        # LangChain's process-wide cache (set_llm_cache) is this file's cache
    cache_at(path).stats()   # {"hits": n, "misses": m}

It answers only inside an evaluator (`_scope.evaluating`, set by `normalize`), so the chat
models of every judge are cached, whoever built them, and a target's own LLM calls never are;
`caching` turns it off for one run (`--no-cache`).
"""

import hashlib
import json
import sqlite3
import threading
import warnings
from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Optional

from langchain_core.caches import BaseCache
from langchain_core.load import dumps, loads

from ._scope import evaluating

#: Whether judges in this context (a run, a test) use the cache; the runner sets it per run.
caching: ContextVar[bool] = ContextVar("evaltui_judge_caching", default=True)

_SCHEMA = """CREATE TABLE IF NOT EXISTS judge_cache (
    key TEXT PRIMARY KEY,
    llm_string TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
)"""


class JudgeCache(BaseCache):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: Optional[sqlite3.Connection] = None
        self.hits = 0
        self.misses = 0

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)
            self._conn = conn
        return self._conn

    @staticmethod
    def _key(prompt: str, llm_string: str) -> str:
        return hashlib.sha256(f"{llm_string}\x00{prompt}".encode()).hexdigest()

    def lookup(self, prompt: str, llm_string: str) -> Optional[Sequence[Any]]:
        if not (caching.get() and evaluating.get()):
            return None
        with self._lock:
            row = self._db().execute(
                "SELECT value FROM judge_cache WHERE key = ?", (self._key(prompt, llm_string),)
            ).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # `loads` is marked beta; we read only what `dumps` wrote
            return loads(row[0])

    def update(self, prompt: str, llm_string: str, return_val: Sequence[Any]) -> None:
        if not (caching.get() and evaluating.get()) or not _usable(llm_string, return_val):
            return
        value = dumps(list(return_val))
        with self._lock, self._db() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO judge_cache (key, llm_string, value) VALUES (?, ?, ?)",
                (self._key(prompt, llm_string), llm_string, value),
            )

    async def alookup(self, prompt: str, llm_string: str) -> Optional[Sequence[Any]]:
        return self.lookup(prompt, llm_string)  # a local SQLite read: no thread hop needed

    async def aupdate(self, prompt: str, llm_string: str, return_val: Sequence[Any]) -> None:
        self.update(prompt, llm_string, return_val)

    def clear(self, **kwargs: Any) -> None:
        with self._lock, self._db() as conn:
            conn.execute("DELETE FROM judge_cache")

    def info(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"path": str(self.path), "entries": 0, "bytes": 0}
        with self._lock:
            entries = self._db().execute("SELECT COUNT(*) FROM judge_cache").fetchone()[0]
        return {"path": str(self.path), "entries": entries, "bytes": self.path.stat().st_size}

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}

    def reset_stats(self) -> None:
        self.hits = self.misses = 0


def _usable(llm_string: str, generations: Sequence[Any]) -> bool:
    """A reply the judge can grade from. LangChain caches the reply before the structured-output
    parser reads it, so a refusal or a broken JSON answer would otherwise be cached as a success."""
    for generation in generations:
        message = getattr(generation, "message", None)
        if message is not None and (getattr(message, "additional_kwargs", None) or {}).get("refusal"):
            return False
        if "json_schema" in llm_string:
            try:
                json.loads(getattr(generation, "text", "") or "")
            except ValueError:
                return False
    return bool(generations)


_caches: dict[Path, JudgeCache] = {}
_caches_lock = threading.Lock()


def cache_at(path: Path) -> JudgeCache:
    """The one JudgeCache of a file (so hit counts add up across judges)."""
    path = Path(path).resolve()
    with _caches_lock:
        if path not in _caches:
            _caches[path] = JudgeCache(path)
        return _caches[path]


def install(path: Path) -> JudgeCache:
    """Make the cache at `path` LangChain's process-wide LLM cache (unless the program set its own)."""
    from langchain_core.globals import get_llm_cache, set_llm_cache

    cache = cache_at(path)
    current = get_llm_cache()
    if current is None or isinstance(current, JudgeCache):
        set_llm_cache(cache)
    return cache
