"""summary.json's schema version, and an earlier period's report read back for the comparison.

outputs.summary writes summary.json with `schema_version`; this module is its reader, so a change
to the file's shape and the code that reads it sit together. The version is a whole number raised
when a field other tools or the next month's run read changes meaning or goes away (adding a field
does not raise it). Files written before the version existed carry none: they are version 1 and are
read as before, so months already on disk still compare. A version this release does not know
(written by a newer reportgen) is refused with the file named, never half-read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import DataError
from .stages.compare import Previous, PreviousSegment

SCHEMA_VERSION = 2  # 1: the unversioned files of earlier releases
READABLE = (1, 2)


def schema_version(summary: dict[str, Any], path: Path) -> int:
    """The file's version (1 when it has none); an unknown one stops the run, naming the file."""
    version = summary.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version not in READABLE:
        raise DataError(
            f"{path}: schema_version {version!r} is not one this reportgen reads (it reads {', '.join(map(str, READABLE))}); "
            "a newer reportgen wrote it.",
            "Upgrade reportgen, re-run that period with this one, or choose another period with --compare-to.",
        )
    return version


def load_previous(folder: Path) -> Previous:
    """Read a period folder's summary.json; its segments.csv, which lists every customer, is read
    by the engine that counts who moved (stages/compare.py, on one machine)."""
    path = folder / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict):
            raise TypeError("not a JSON object")
        schema_version(summary, path)
        segments = tuple(
            PreviousSegment(
                name=s["name"],
                base_name=s.get("base_name", s["name"]),
                size=int(s["size"]),
                share=float(s["share"]),
                centroid={k: float(v) for k, v in s["centroid"].items()},
                colour=int(s.get("colour", s["id"])),
            )
            for s in summary["segments"]
        )
        if not (folder / "segments.csv").is_file():
            raise FileNotFoundError(f"no segments.csv in {folder}")
        cuts = {str(f): tuple(float(v) for v in c) for f, c in (summary.get("level_cuts") or {}).items()}
        return Previous(str(summary["period"]), int(summary["n_customers"]), segments, folder, cuts)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"{folder}: the previous report cannot be read for the comparison ({type(exc).__name__}: {exc}).",
            "Re-run that period, or choose another with --compare-to.",
        ) from None

