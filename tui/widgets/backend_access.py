"""The one way screens, modals and widgets reach the open workspace: `current_backend(node)`.

The app owns the backend (`EvalTuiApp.backend`, None until the workspace has opened); a widget
asks for it when it needs it, from the UI thread or a worker, instead of keeping its own copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from tui.backend.workspace.base import Backend

#: Said (or raised as InvalidInput) when a key needs the workspace before it has opened.
NOT_OPEN_YET = "The workspace is not open yet; try again in a moment."


def current_backend(node: DOMNode) -> Backend | None:
    """The app's open backend, or None while the workspace is still opening (or failed to)."""
    return getattr(node.app, "backend", None)


def require_backend(node: DOMNode) -> Backend:
    """The open backend, else `InvalidInput(NOT_OPEN_YET)` (for worker bodies that report errors)."""
    from tui.backend.core.errors import InvalidInput

    backend = current_backend(node)
    if backend is None:
        raise InvalidInput(NOT_OPEN_YET)
    return backend
