"""The user's keymap: `$EVALTUI_HOME/keymap.toml` moves keys by binding id.

    [keymap]
    "main.upload" = "ctrl+u"
    "runner.start" = "f5,ctrl+r"   # several keys: comma-separated

The README lists the binding ids; the app passes the table to `App.set_keymap`, and the help
screen and the command palette show the moved keys. A file that cannot be used never stops the app: `load_keymap` returns what it
could read and a sentence saying what was wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

KEYMAP_FILE = "keymap.toml"


def load_keymap(path: Path) -> tuple[dict[str, str], str | None]:
    """`({binding_id: keys}, problem)`; no file is `({}, None)`, a bad file `({...}, "sentence")`."""
    if not path.is_file():
        return {}, None
    import tomllib  # only when there is a file: the first frame does not wait for it

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        return {}, f"Could not read {path}: {err}. The default keys are used."
    except tomllib.TOMLDecodeError as err:
        return {}, f"{path} is not valid TOML ({err}). The default keys are used."
    table = data.get("keymap")
    if not isinstance(table, dict):
        return {}, (f"{path} has no [keymap] table. Write one line per key, for example:\n"
                    '[keymap]\n"main.upload" = "ctrl+u"')
    keymap = {str(k): v.strip() for k, v in table.items() if _is_keys(v)}
    bad = [str(k) for k, v in table.items() if not _is_keys(v)]
    if bad:
        names = ", ".join(repr(b) for b in bad)
        return keymap, (f"{path}: {names} ignored: each binding id takes a key string such as "
                        '"ctrl+u" (several keys separated by commas).')
    return keymap, None


def _is_keys(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def binding_keys(keymap: dict[str, str], binding: Any) -> str:
    """The keys a binding answers to under `keymap` (its own when the keymap does not move it)."""
    return keymap.get(binding.id, binding.key) if binding.id else binding.key
