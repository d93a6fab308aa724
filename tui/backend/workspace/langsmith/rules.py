"""Run rules (uploaded evaluators) of a LangSmith workspace.

The SDK has no run-rule methods, so rules go through `client.request_with_retries`. Listing uses
GET /api/v2/runs/rules (cursor pages, filtered on the server); v1 is deprecated (removal
2027-04-01) and used only where v2 answers 404 (an older self-hosted server). Create, replace and
delete use /runs/rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from tui.backend.core import errors
from tui.backend.core.models import Rule, RuleSpec
from tui.backend.rules.rule_payload import create_body, replace_body, rule_from_payload
from tui.backend.workspace.langsmith.client import LangSmithSession
from tui.backend.workspace.langsmith.values import is_uuid, parse_time


class LangSmithRules(LangSmithSession):
    """The rules part of `LangSmithBackend`."""

    _RULES_PAGE = 100

    def _name_lookup(self) -> Callable[[str, str], str | None]:
        """Dataset / project names a rule payload lacks, looked up once per listing."""
        cache: dict[tuple[str, str], str | None] = {}

        def lookup(kind: str, obj_id: str) -> str | None:
            if (kind, obj_id) not in cache:
                try:
                    if kind == "dataset":
                        cache[kind, obj_id] = self._call(self.client.read_dataset, dataset_id=obj_id).name
                    else:
                        cache[kind, obj_id] = self._call(self.client.read_project, project_id=obj_id).name
                except errors.NotFound:
                    cache[kind, obj_id] = None
            return cache[kind, obj_id]

        return lookup

    def _raw_rules(self, **filters: Any) -> Iterator[dict]:
        """Rule payloads matching `filters` (v2 names: name_contains, dataset_id, project_id, id)."""
        if not self._rules_v1_only:
            params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
            params["page_size"] = self._RULES_PAGE
            first = True
            while True:
                try:
                    page = self._request("GET", "/api/v2/runs/rules", params=params) or {}
                except errors.NotFound:
                    if not first:
                        raise
                    self._rules_v1_only = True
                    break
                first = False
                yield from page.get("items") or []
                cursor = page.get("next_cursor")
                if not cursor:
                    return
                params["cursor"] = cursor
        v1 = {("session_id" if k == "project_id" else k): v for k, v in filters.items() if v is not None}
        yield from self._request("GET", "/runs/rules", params=v1 or None) or []

    def list_rules(self, name: str | None = None) -> list[Rule]:
        lookup = self._name_lookup()
        rules = [rule_from_payload(raw, lookup, parse_time) for raw in self._raw_rules(name_contains=name)]
        return [r for r in rules if r.name == name] if name else rules

    def get_rule(self, rule_id: str) -> Rule:
        if not is_uuid(rule_id):  # the server answers 422 for a malformed id
            raise errors.NotFound("Rule", rule_id)
        for raw in self._raw_rules(id=[rule_id]):
            if str(raw.get("id")) == rule_id:
                return rule_from_payload(raw, self._name_lookup(), parse_time)
        raise errors.NotFound("Rule", rule_id)

    def create_rule(self, spec: RuleSpec) -> Rule:
        raw = self._request("POST", "/runs/rules", json=create_body(spec))
        return rule_from_payload(raw, self._name_lookup(), parse_time)

    def update_rule(self, rule_id: str, spec: RuleSpec, base: Rule | None = None) -> Rule:
        """Full-replace PATCH built from the rule's own settings (`base`, read now if not given):
        only the code and what `spec` changes differ; filters, side actions and the rest are kept."""
        current = base if base is not None else self.get_rule(rule_id)
        body = replace_body(current, spec)
        try:
            raw = self._request("PATCH", f"/runs/rules/{rule_id}", json=body)
        except errors.NotFound:
            raise errors.NotFound("Rule", rule_id) from None
        except errors.InvalidInput as exc:
            if "HTTP 409" in str(exc):
                raise errors.InvalidInput(
                    f"Rule {current.name!r} was changed by someone else since evaltui read it "
                    "(HTTP 409); nothing was replaced. Run the command again to see the new version."
                ) from None
            raise
        return rule_from_payload(raw, self._name_lookup(), parse_time)

    def delete_rule(self, rule_id: str) -> None:
        if not is_uuid(rule_id):
            raise errors.NotFound("Rule", rule_id)
        try:
            self._request("DELETE", f"/runs/rules/{rule_id}")
        except errors.NotFound:
            raise errors.NotFound("Rule", rule_id) from None
