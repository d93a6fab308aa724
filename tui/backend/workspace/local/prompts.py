"""Prompt-hub prompts of the local workspace (what workspace LLM evaluators point at), as
LangSmith's `GET /commits/{owner}/{repo}/{commit}` returns their manifests."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from tui.backend.core.errors import NotFound
from tui.backend.workspace.local.rows import dumps, loads, now
from tui.backend.workspace.local.store import LocalStore


def split_identifier(identifier: str) -> tuple[str, str]:
    """`owner/repo:commit` or `repo` -> (handle, commit); the commit defaults to "latest"."""
    handle, _, commit = identifier.partition(":")
    return handle, commit or "latest"


def insert_prompt(conn: sqlite3.Connection, handle: str, manifest: dict[str, Any], commit: str | None = None) -> str:
    text = dumps(manifest)
    commit = commit or hashlib.sha256(text.encode()).hexdigest()[:8]
    conn.execute("INSERT OR REPLACE INTO prompts (repo_handle, commit_hash, manifest, created_at) "
                 "VALUES (?, ?, ?, ?)", (handle, commit, text, now()))
    return commit


class LocalPrompts(LocalStore):
    """The prompts part of `LocalBackend`."""

    def add_prompt(self, handle: str, manifest: dict[str, Any], commit: str | None = None) -> str:
        """Store a commit of `handle`; returns its commit hash (it becomes "latest")."""
        with self._write() as conn:
            return insert_prompt(conn, handle, manifest, commit)

    def get_prompt_manifest(self, identifier: str) -> dict[str, Any]:
        handle, commit = split_identifier(identifier)

        def query(conn: sqlite3.Connection):
            if commit == "latest":
                return conn.execute("SELECT manifest FROM prompts WHERE repo_handle = ? "
                                    "ORDER BY created_at DESC, rowid DESC LIMIT 1", (handle,)).fetchone()
            return conn.execute("SELECT manifest FROM prompts WHERE repo_handle = ? AND commit_hash = ?",
                                (handle, commit)).fetchone()

        row = self._read(query)
        if row is None:
            raise NotFound("Prompt", identifier)
        return loads(row[0])
