"""Read-only, highlighted source of the selected evaluator: a local file, a rule or a workspace
evaluator. Code is shown in its own language (Python, JavaScript); an LLM judge's prompt, variable
mapping, output schema and model, and an actions-only rule's actions, are shown as YAML. Nothing
shown here is ever executed.

TextArea compiles tree-sitter's highlight query for every document it builds (~30 ms each); a
TextArea created with a language builds two before the first frame. So the viewer starts as plain
text and sets the language (without a rebuild) just before it loads text to show.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TextArea
from textual.widgets.text_area import TextAreaTheme

from tui.backend.core.models import KIND_LABELS, Rule, WorkspaceEvaluator
from tui.widgets.formatting import rate

LANGUAGE = "python"
DARK_THEME = "css"  # the pane's own colours, VS Code dark syntax colours (TextArea's default)
LIGHT_THEME = "evaltui-light"  # the pane's own colours, GitHub light syntax colours
CODE_LANGUAGES = ("python", "javascript")

_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .,/()@+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "none", "y", "n", "~"}


# -- YAML, for people (and valid YAML: strings that need it are quoted as JSON) ----------------
def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    plain = (
        _PLAIN.match(text) and text == text.strip() and text.lower() not in _YAML_WORDS
        and not re.match(r"^[-+.]?\d", text) and ": " not in text and " #" not in text
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


def _is_block(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple)) and len(value) > 0


def to_yaml(value: Any, indent: int = 0) -> str:
    """`value` as block-style YAML; multi-line strings as `|` blocks, so prompts read as written."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            lines.append(pad + _scalar(str(key)) + ":" + _after_key(item, indent))
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, dict) and item:
                body = to_yaml(item, indent + 2).splitlines()
                lines.append(pad + "- " + body[0].lstrip())
                lines.extend(body[1:])
            else:
                lines.append(pad + "-" + _after_key(item, indent))
    else:
        lines.append(pad + _scalar(value))
    return "\n".join(lines)


def _after_key(item: Any, indent: int) -> str:
    if _is_block(item):
        return "\n" + to_yaml(item, indent + 2)
    if isinstance(item, dict):
        return " {}"
    if isinstance(item, (list, tuple)):
        return " []"
    if isinstance(item, str) and "\n" in item:
        chomp = "" if item.endswith("\n") and not item.endswith("\n\n") else "-"
        if item.endswith("\n\n") or item[:1] in (" ", "\n"):
            return " " + json.dumps(item, ensure_ascii=False)  # a block cannot say this exactly
        body = item[:-1] if chomp == "" else item
        return f" |{chomp}\n" + "\n".join(
            (" " * (indent + 2) + line) if line else "" for line in body.split("\n")
        )
    return " " + _scalar(item)


def _prompt_messages(prompt: Any) -> list[Any]:
    """[[role, template], …] (or {role, content} dicts) as `{role, template}` entries."""
    messages = []
    for message in prompt if isinstance(prompt, (list, tuple)) else [prompt]:
        if isinstance(message, (list, tuple)) and len(message) == 2:
            messages.append({"role": message[0], "template": message[1]})
        elif isinstance(message, dict) and "role" in message:
            messages.append({"role": message["role"], "template": message.get("content", message.get("template"))})
        else:
            messages.append(message)
    return messages


def llm_rule_text(rule: Rule) -> str:
    """An LLM-as-judge rule for reading: prompt messages, variable mapping, schema, model."""
    llm = dict(rule.llm or {})
    doc: dict[str, Any] = {"prompt": _prompt_messages(llm.pop("prompt", []))}
    for key in ("template_format", "variable_mapping", "schema", "model"):
        if key in llm:
            doc[key] = llm.pop(key)
    doc.update(llm)  # anything else the evaluator carries, as stored
    doc.update(_rule_extras(rule))
    return f"# {rule.name}: LLM judge (remote, shown as text)\n" + to_yaml(doc) + "\n"


def actions_rule_text(rule: Rule) -> str:
    """An actions-only rule: what it does to matching runs, and which runs those are."""
    doc = {"target": rule.target_label, "sampling_rate": rate(rule.sampling_rate),
           "enabled": rule.is_enabled, **_rule_extras(rule)}
    if not rule.side_actions:
        doc["side_actions"] = []
    return f"# {rule.name}: actions only, no evaluator\n" + to_yaml(doc) + "\n"


def _rule_extras(rule: Rule) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if rule.side_actions:
        extras["side_actions"] = list(rule.side_actions)
    if rule.filters:
        extras["filters"] = {label: value for label, value in rule.filters}
    return extras


def workspace_llm_text(ev: WorkspaceEvaluator) -> str:
    doc: dict[str, Any] = {
        "prompt_repo": ev.prompt_repo,
        "prompt_commit": ev.prompt_commit,
        "variable_mapping": ev.variable_mapping or {},
        "feedback_keys": list(ev.feedback_keys),
        "bound_to": list(ev.bindings),
    }
    return f"# {ev.name}: workspace {'LLM' if ev.type == 'llm' else ev.type} evaluator\n" + to_yaml(doc) + "\n"


def _language(language: str | None) -> str | None:
    return language if language in CODE_LANGUAGES else None


_PROPERTY_PREDICATE = re.compile(r"\s*\(#is(?:-not)?\?[^()]*\)")


def _safe_highlight_query(language: str) -> str | None:
    """Textual's highlight query for `language` without `#is?` / `#is-not?` property predicates,
    or None when it has none. With py-tree-sitter 0.26, compiling a query that has them a second
    time crashes the process (JavaScript's `(#is-not? local)`); the rest of the query is kept."""
    query = TextArea._get_builtin_highlight_query(language)
    safe = _PROPERTY_PREDICATE.sub("", query)
    return safe if safe != query else None


class SourceViewer(Vertical):
    """Shows code as text; remote code is never executed here."""

    BORDER_TITLE = "Source"
    ALLOW_MAXIMIZE = True  # `m` gives the whole pane the screen, not only its focused widget
    BINDINGS = [
        Binding("c", "copy_source", "Copy", id="source.copy", tooltip="Copy the shown code"),
        Binding("j", "jump_to_function", "Jump to fn", id="source.jump",
                tooltip="Move the cursor to the selected function"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.function_line: int | None = None
        self.origin = ""
        self._checked_languages: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static("Select an evaluator to see its code.", id="source-caption", markup=False)
        area = TextArea("", id="source-text", read_only=True, show_line_numbers=True, soft_wrap=False)
        area.can_focus = True
        yield area

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        light = TextAreaTheme.get_builtin_theme("github_light")
        area.register_theme(TextAreaTheme(name=LIGHT_THEME, syntax_styles=light.syntax_styles if light else {}))
        self.watch(self.app, "theme", self._follow_app_theme)  # now, and on every theme change

    def _follow_app_theme(self) -> None:
        self.query_one(TextArea).theme = DARK_THEME if self.app.current_theme.dark else LIGHT_THEME

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @property
    def caption(self) -> str:
        return str(self.query_one("#source-caption", Static).render())

    @property
    def language(self) -> str | None:
        return self.query_one(TextArea).language

    def show_file(self, path: Path, text: str, function: str | None, line: int | None,
                  note: str | None = None) -> None:
        self.origin = str(path)
        caption = f"{path.name} · {function}() line {line}" if function and line else path.name
        self._show(text, caption + (f" · {note}" if note else ""), line, LANGUAGE)

    def show_rule(self, rule: Rule) -> None:
        """A rule as its kind reads best: code in its language, an LLM judge or actions as YAML."""
        self.origin = f"rule {rule.name}"
        caption = f"rule {rule.name} · {KIND_LABELS.get(rule.kind, rule.kind)} · {rule.target_label}"
        if rule.side_actions:
            caption += (" · " if rule.kind == "actions" else " · and ") + "; ".join(rule.side_actions)
        if rule.kind in CODE_LANGUAGES:
            if not rule.code:
                self._show("", caption + " · no code stored", None, None)
                return
            self._show(rule.code, caption + " · shown as text, never run", 1, rule.kind)
        elif rule.kind == "llm":
            self._show(llm_rule_text(rule), caption, 1, "yaml")
        else:
            self._show(actions_rule_text(rule), caption, 1, "yaml")

    def show_workspace_evaluator(self, ev: WorkspaceEvaluator) -> None:
        """Code in its language with dependencies and build state; an LLM one's prompt and mapping."""
        self.origin = f"workspace evaluator {ev.name}"
        keys = ", ".join(ev.feedback_keys) or "no feedback keys"
        if ev.type == "code":
            deps = ", ".join(d.strip() for d in (ev.dependencies or "").splitlines() if d.strip())
            build = (ev.build_status or "unknown").lower()
            error = (ev.build_error or "").strip()
            if error:  # its first line: a whole build log would fill the pane
                first = error.splitlines()[0]
                build += ": " + (first[:97] + "…" if len(first) > 100 or "\n" in error else first)
            caption = (
                f"workspace {ev.name} · {ev.language or 'python'} code · keys {keys} · "
                f"deps {deps or 'none'} · build {build}"
            )
            if not ev.code:
                self._show("", caption + " · no code stored", None, None)
                return
            self._show(ev.code, caption, 1, _language(ev.language or "python"))
            return
        prompt = f"{ev.prompt_repo}@{ev.prompt_commit}" if ev.prompt_commit else (ev.prompt_repo or "no prompt")
        caption = f"workspace {ev.name} · {'LLM judge' if ev.type == 'llm' else ev.type} · prompt {prompt}"
        self._show(workspace_llm_text(ev), caption, 1, "yaml")

    def _show(self, text: str, caption: str, line: int | None, language: str | None) -> None:
        area = self.query_one(TextArea)
        if language is not None and language not in self._checked_languages:
            self._checked_languages.add(language)
            self._register_safe(area, language)
        if text and language != area.language and (language is None or language in area.available_languages):
            # Set without the watcher: load_text below builds the document once, in this language.
            area.set_reactive(TextArea.language, language)
        area.load_text(text)
        self.function_line = line
        caption_widget = self.query_one("#source-caption", Static)
        caption_widget.update(caption)
        caption_widget.tooltip = caption
        self.action_jump_to_function()

    @staticmethod
    def _register_safe(area: TextArea, language: str) -> None:
        safe = _safe_highlight_query(language)
        if safe is None:
            return
        try:
            from textual._tree_sitter import get_language
        except ImportError:  # no tree-sitter: plain text anyway
            return
        grammar = get_language(language)
        if grammar is not None:
            area.register_language(language, grammar, safe)

    def action_copy_source(self) -> None:
        text = self.text
        if not text:
            self.notify("Nothing to copy: select an evaluator first.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text.splitlines())} lines of {self.origin} to the clipboard.")

    def action_jump_to_function(self) -> None:
        area = self.query_one(TextArea)
        if self.function_line is None:
            return
        row = max(0, min(self.function_line - 1, area.document.line_count - 1))
        area.move_cursor((row, 0))
        area.scroll_to(y=max(0, row - 1), animate=False)
