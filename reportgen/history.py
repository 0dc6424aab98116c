"""The run history: one JSON line per run in OUT/history.jsonl, and a table of it for people."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock

from .files import append_lines, dumps, read_jsonl

FILE = "history.jsonl"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def append(out: Path, record: dict[str, Any]) -> None:
    """Append one record; a lock keeps lines whole when periods run side by side."""
    out.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out / f".{FILE}.lock")):
        append_lines(out / FILE, [dumps(record, sort_keys=True)])


def read(out: Path) -> list[dict[str, Any]]:
    """The run records, oldest first; damaged lines are skipped with a warning."""
    return read_jsonl(out / FILE, "run records", lambda r: isinstance(r.get("period", ""), str) and isinstance(r.get("status", ""), str))


def json_lines(records: list[dict[str, Any]]) -> list[str]:
    """The records as strict JSON lines (a NaN or Infinity written into the file by hand prints as null)."""
    return [dumps(r, sort_keys=True) for r in records]


def table(records: list[dict[str, Any]]) -> str:
    """Plain-text table, newest last."""
    head = ("period", "status", "finished (UTC)", "customers", "k", "segment sizes", "input", "seconds")
    rows = [head]
    for r in records:
        given = r.get("segment_sizes")
        sizes = ", ".join(f"{name} {size}" for name, size in given.items()) if isinstance(given, dict) else ""
        if r.get("status") != "ok":
            sizes = str(r.get("error", ""))[:80]
        rows.append(
            (
                str(r.get("period", "")),
                str(r.get("status", "")),
                str(r.get("finished_at") or "")[:19].replace("T", " "),
                str(r.get("n_customers", "")),
                str(r.get("k", "")),
                sizes,
                str(r.get("input_sha256") or "")[:10],
                f"{r['seconds']:.1f}" if isinstance(r.get("seconds"), (int, float)) else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
