"""The run history: one JSON line per run in OUT/history.jsonl, and a table of it for people."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock

from .errors import ConfigError

FILE = "history.jsonl"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def append(out: Path, record: dict[str, Any]) -> None:
    """Append one record; a lock keeps lines whole when periods run side by side."""
    out.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out / f".{FILE}.lock")):
        with (out / FILE).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def read(out: Path) -> list[dict[str, Any]]:
    path = out / FILE
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise ConfigError(f"{path} line {number} is not a JSON record.", "Remove or fix that line.") from None
    return records


def table(records: list[dict[str, Any]]) -> str:
    """Plain-text table, newest last."""
    head = ("period", "status", "finished (UTC)", "customers", "k", "segment sizes", "input", "seconds")
    rows = [head]
    for r in records:
        sizes = ", ".join(f"{name} {size}" for name, size in (r.get("segment_sizes") or {}).items())
        if r.get("status") != "ok":
            sizes = r.get("error", "")[:80]
        rows.append(
            (
                r.get("period", ""),
                r.get("status", ""),
                (r.get("finished_at") or "")[:19].replace("T", " "),
                str(r.get("n_customers", "")),
                str(r.get("k", "")),
                sizes,
                (r.get("input_sha256") or "")[:10],
                f"{r['seconds']:.1f}" if isinstance(r.get("seconds"), (int, float)) else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
