"""Where an evaluator file sits among the user's packages, and which local file an import names.

The loader uses `package_context` so `from ._helpers import x` works in a file inside a package;
the bundle uses `resolve_local_module` to inline such helpers into the uploaded code.
"""

from __future__ import annotations

from pathlib import Path


def package_context(path: Path) -> tuple[str | None, Path]:
    """(dotted package containing `path` or None, the folder to put on sys.path to import it)."""
    parts: list[str] = []
    folder = path.resolve().parent
    while (folder / "__init__.py").exists() and folder.name.isidentifier():
        parts.insert(0, folder.name)
        folder = folder.parent
    return (".".join(parts) or None), folder


def resolve_local_module(path: Path, module: str, level: int) -> Path | None:
    """The file a relative (`level` > 0) or sibling import refers to, if it is a local file."""
    base = path.resolve().parent
    for _ in range(max(level - 1, 0)):
        base = base.parent
    candidate = base.joinpath(*module.split(".")) if module else base
    for file in (candidate.with_suffix(".py"), candidate / "__init__.py"):
        if module and file.is_file():
            return file
    if not module and (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None
