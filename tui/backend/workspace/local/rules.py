"""Rules (uploaded evaluators) of the local workspace.

A rule keeps its whole request-shape body (filters, side actions, LLM judges...) as LangSmith's
POST / full-replace PATCH take it, so a replace carries them over as on LangSmith, and reads back
through `rule_from_payload` like a LangSmith rule.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from typing import Any

from tui.backend.core.errors import InvalidInput, NotFound
from tui.backend.core.models import Rule, RuleSpec
from tui.backend.rules.rule_payload import create_body, kind_of, replace_body, rule_from_payload, settings_from_payload
from tui.backend.rules.sample_rate import validate_sample_rate
from tui.backend.workspace.local.rows import dumps, exists, loads, now, parse_time
from tui.backend.workspace.local.store import LocalStore

_RULE_SELECT = (
    "SELECT r.id, r.name, r.code, r.sampling_rate, r.is_enabled, r.dataset_id, d.name, "
    "r.project_id, p.name, r.created_at, r.updated_at, r.body, r.evaluator_version, r.evaluator_id "
    "FROM rules r LEFT JOIN datasets d ON d.id = r.dataset_id LEFT JOIN projects p ON p.id = r.project_id"
)


def _rule(row: Sequence[Any]) -> Rule:
    """The stored body in the LangSmith payload shape, so both backends read rules alike."""
    body = loads(row[11]) or {}
    if row[2] is not None and not body.get("code_evaluators"):
        body["code_evaluators"] = [{"code": row[2], "language": "python"}]  # a v1 workspace row
    payload = {
        **body,
        "id": row[0],
        "display_name": row[1],
        "sampling_rate": float(row[3]),
        "is_enabled": bool(row[4]),
        "dataset_id": row[5],
        "dataset_name": row[6],
        "session_id": row[7],
        "session_name": row[8],
        "created_at": row[9],
        "updated_at": row[10],
        "evaluator_version": row[12],
        "evaluator_id": row[13],
    }
    return rule_from_payload(payload, parse_time=parse_time)


def _validate_body(conn: sqlite3.Connection, body: dict[str, Any]) -> None:
    name = body.get("display_name")
    if not name or not str(name).strip():
        raise InvalidInput("A rule needs a non-empty name.")
    validate_sample_rate(body.get("sampling_rate"), "Sampling rate", numbers_only=True)
    dataset_id, project_id = body.get("dataset_id"), body.get("session_id")
    if dataset_id and project_id:
        raise InvalidInput("A rule is bound to a dataset or a project, not both.")
    if dataset_id and not exists(conn, "datasets", dataset_id):
        raise NotFound("Dataset", dataset_id)
    if project_id and not exists(conn, "projects", project_id):
        raise NotFound("Project", project_id)


def _store_rule(conn: sqlite3.Connection, rule_id: str, body: dict[str, Any], *, new: bool) -> None:
    """Write a rule body (request shape, as LangSmith's POST / full-replace PATCH take it)."""
    _validate_body(conn, body)
    kind, code, _ = kind_of(settings_from_payload(body))
    stored = {k: v for k, v in body.items() if k not in ("evaluator_version",)}
    values = (
        body["display_name"], code if kind == "python" else None, float(body["sampling_rate"]),
        int(body.get("is_enabled", True)), body.get("dataset_id") or None, body.get("session_id") or None,
        dumps(stored), body.get("evaluator_id"),
    )
    if new:
        stamp = now()
        conn.execute(
            "INSERT INTO rules (name, code, sampling_rate, is_enabled, dataset_id, project_id, body, "
            "evaluator_id, id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, rule_id, stamp, stamp),
        )
        return
    row = conn.execute("SELECT evaluator_version FROM rules WHERE id = ?", (rule_id,)).fetchone()
    if row is None:
        raise NotFound("Rule", rule_id)
    if body.get("evaluator_version") not in (None, row[0]):
        raise InvalidInput(
            f"Rule {body['display_name']!r} was changed by someone else since evaltui read it; "
            "nothing was replaced. Run the command again to see the new version."
        )
    conn.execute(
        "UPDATE rules SET name = ?, code = ?, sampling_rate = ?, is_enabled = ?, dataset_id = ?, "
        "project_id = ?, body = ?, evaluator_id = ?, updated_at = ?, "
        "evaluator_version = evaluator_version + 1 WHERE id = ?",
        (*values, now(), rule_id),
    )


class LocalRules(LocalStore):
    """The rules part of `LocalBackend`."""

    def list_rules(self, name: str | None = None) -> list[Rule]:
        def query(conn: sqlite3.Connection) -> list[Rule]:
            if name is None:
                rows = conn.execute(_RULE_SELECT + " ORDER BY r.created_at, r.rowid").fetchall()
            else:
                rows = conn.execute(_RULE_SELECT + " WHERE r.name = ? ORDER BY r.created_at, r.rowid", (name,)).fetchall()
            return [_rule(r) for r in rows]

        return self._read(query)

    def get_rule(self, rule_id: str) -> Rule:
        row = self._read(lambda c: c.execute(_RULE_SELECT + " WHERE r.id = ?", (rule_id,)).fetchone())
        if row is None:
            raise NotFound("Rule", rule_id)
        return _rule(row)

    def add_rule(self, body: dict[str, Any]) -> Rule:
        """Store a rule of any kind from its LangSmith create body (webhook-only, LLM judge...)."""
        rule_id = str(uuid.uuid4())
        with self._write() as conn:
            _store_rule(conn, rule_id, dict(body), new=True)
        return self.get_rule(rule_id)

    def create_rule(self, spec: RuleSpec) -> Rule:
        return self.add_rule(create_body(spec, require_target=False))

    def update_rule(self, rule_id: str, spec: RuleSpec, base: Rule | None = None) -> Rule:
        with self._write() as conn:
            current = base
            if current is None:
                row = conn.execute(_RULE_SELECT + " WHERE r.id = ?", (rule_id,)).fetchone()
                if row is None:
                    raise NotFound("Rule", rule_id)
                current = _rule(row)
            _store_rule(conn, rule_id, replace_body(current, spec, require_target=False), new=False)
        return self.get_rule(rule_id)

    def delete_rule(self, rule_id: str) -> None:
        with self._write() as conn:
            if conn.execute("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount == 0:
                raise NotFound("Rule", rule_id)
