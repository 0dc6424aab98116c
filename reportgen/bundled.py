"""Where the bundled templates, rule packs and sample live.

In a checkout (and an editable install) they are the top-level folders `templates/`, `rules/` and
`data/`, where a marketer or analyst who opens the repository looks for them. A wheel carries the same
folders inside the package as `reportgen/_bundled/`, so an installed `reportgen run` works from any
folder. The installed copy is looked for first: a checkout never has it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
FOLDERS = ("templates", "rules", "data")


def bundled_path(folder: str, *parts: str) -> Path:
    """A bundled file or folder: bundled_path("rules", "mall", "segments.yaml")."""
    if folder not in FOLDERS:
        raise ValueError(f"{folder!r} is not one of the bundled folders {FOLDERS}")
    installed = PACKAGE / "_bundled" / folder
    base = installed if installed.is_dir() else PACKAGE.parent / folder
    return base.joinpath(*parts)
