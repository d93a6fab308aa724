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

Judges evaltui builds itself (`get_judge`: the library's judges, `LLMJudge`, LLM rules) are also
wrapped in `GradeCached`: the same file keeps their *parsed grade* under a key of the model's whole
configuration, the schema and the messages, so a hit returns the grade without running LangChain's
chat-model machinery at all (most of a cached call's cost). One tier answers per call: a grade miss
runs the judge with LangChain's tier off, then stores the grade. Errors are never stored.
"""

import contextlib
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
_GRADES = """CREATE TABLE IF NOT EXISTS judge_grades (
    key TEXT PRIMARY KEY,
    judge TEXT NOT NULL,
    grade TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
)"""
_TABLES = ("judge_cache", "judge_grades")


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
            conn.execute(_GRADES)
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

    # -- parsed grades (GradeCached) ---------------------------------------------------------
    def lookup_grade(self, key: str) -> Optional[dict]:
        with self._lock:
            row = self._db().execute("SELECT grade FROM judge_grades WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        return json.loads(row[0])

    def store_grade(self, key: str, judge: str, grade: dict) -> None:
        with self._lock, self._db() as conn:
            conn.execute("INSERT OR REPLACE INTO judge_grades (key, judge, grade) VALUES (?, ?, ?)",
                         (key, judge, json.dumps(grade)))

    def clear(self, **kwargs: Any) -> None:
        with self._lock, self._db() as conn:
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def info(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"path": str(self.path), "entries": 0, "bytes": 0}
        with self._lock:
            db = self._db()
            entries = sum(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in _TABLES)  # noqa: S608
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


def active_cache() -> Optional[JudgeCache]:
    """The cache that answers here and now: installed, and asked for in an evaluator's context."""
    if not (caching.get() and evaluating.get()):
        return None
    from langchain_core.globals import get_llm_cache

    cache = get_llm_cache()
    return cache if isinstance(cache, JudgeCache) else None


def _messages_text(messages: Any) -> str:
    if isinstance(messages, str):
        return json.dumps(messages)
    return json.dumps(messages, sort_keys=True, default=lambda m: dumps(m, sort_keys=True))


@contextlib.contextmanager
def _one_tier():
    """LangChain's own cache neither answers nor stores the call a grade miss makes."""
    token = caching.set(False)
    try:
        yield
    finally:
        caching.reset(token)


class GradeCached:
    """A structured-output judge whose parsed grades are cached (see the module docstring).

    `identity` names everything that decides the grade besides the messages: the model's whole
    serialized configuration (model, every parameter, base URL) and the output schema."""

    def __init__(self, judge: Any, identity: str, schema: dict) -> None:
        self.judge = judge
        self.identity = identity
        self.schema = schema

    def _key(self, messages: Any) -> str:
        return hashlib.sha256(f"{self.identity}\x00{_messages_text(messages)}".encode()).hexdigest()

    def _lookup(self, messages: Any) -> tuple[Optional[JudgeCache], str, Optional[dict]]:
        cache = active_cache()
        if cache is None:
            return None, "", None
        key = self._key(messages)
        return cache, key, cache.lookup_grade(key)

    def _keep(self, cache: JudgeCache, key: str, grade: Any) -> None:
        if complete(grade, self.schema):
            cache.store_grade(key, self.identity, grade)

    async def ainvoke(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        cache, key, grade = self._lookup(messages)
        if grade is not None:
            return grade
        if cache is None:
            return await self.judge.ainvoke(messages, *args, **kwargs)
        with _one_tier():
            grade = await self.judge.ainvoke(messages, *args, **kwargs)
        self._keep(cache, key, grade)
        return grade

    def invoke(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        cache, key, grade = self._lookup(messages)
        if grade is not None:
            return grade
        if cache is None:
            return self.judge.invoke(messages, *args, **kwargs)
        with _one_tier():
            grade = self.judge.invoke(messages, *args, **kwargs)
        self._keep(cache, key, grade)
        return grade

    def __getattr__(self, name: str) -> Any:  # the rest of the Runnable API, uncached
        return getattr(self.judge, name)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "boolean": (bool,), "integer": (int,), "number": (int, float),
    "array": (list,), "object": (dict,),
}


def complete(grade: Any, schema: dict) -> bool:
    """A grade worth keeping: an object with every required field, each of its declared type.
    (A reply cut off mid-JSON parses into a partial object: that one is not kept.)"""
    if not isinstance(grade, dict):
        return False
    properties = schema.get("properties") or {}
    for name in schema.get("required") or list(properties):
        if name not in grade:
            return False
        kinds = _JSON_TYPES.get((properties.get(name) or {}).get("type", ""), (object,))
        value = grade[name]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            return False
    return True


def grade_cached(judge: Any, llm: Any, schema: Any) -> GradeCached:
    """`judge` (llm.with_structured_output(schema, ...)) with its grades cached, keyed by the model's
    configuration and the schema (LangChain serializes secrets as ids: no key is ever stored)."""
    from langchain_core.load import dumpd

    if not isinstance(schema, dict):
        from langchain_core.utils.function_calling import convert_to_json_schema

        schema = convert_to_json_schema(schema)
    identity = json.dumps({"model": dumpd(llm), "schema": schema, "method": "json_schema", "strict": True},
                          sort_keys=True, default=str)
    return GradeCached(judge, identity, schema)
