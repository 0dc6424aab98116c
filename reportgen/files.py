"""Small file helpers shared by the reader and the writers."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path
from typing import Any

log = logging.getLogger("reportgen")


def sha256(path: Path) -> str:
    """Checksum of a file of any size, read a megabyte at a time."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest(data: Any) -> str:
    """Checksum of JSON-able data (the settings of a run), the same for the same values in any key order."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def strict(value: Any) -> Any:
    """The value with every non-finite float (NaN, inf) as null, so json.dumps(allow_nan=False)
    writes standard JSON that every reader (JavaScript, jq, Go) accepts."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "item"):  # numpy scalars
        return strict(value.item())
    return value


def dumps(data: Any, **options: Any) -> str:
    return json.dumps(strict(data), allow_nan=False, ensure_ascii=False, **options)


def append_lines(path: Path, lines: list[str]) -> None:
    """Append whole lines to a ledger (history.jsonl, deliveries.jsonl). A line torn by a killed
    run is ended first. The file is opened without following a symbolic link: a link planted in
    its place would make reportgen write into whatever file it points at (OSError ELOOP instead)."""
    import errno
    import os

    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, f"{path} is a symbolic link; reportgen appends only to a plain file there (remove the link)") from None
        raise
    with os.fdopen(fd, "a+b") as fh:
        fh.seek(0, 2)
        if fh.tell():  # a run killed mid-write leaves a torn last line: start on a fresh one
            fh.seek(-1, 2)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
        fh.write("".join(line + "\n" for line in lines).encode("utf-8"))


def read_jsonl(path: Path, what: str, is_record: Any = None) -> list[dict[str, Any]]:
    """The records of an append-only JSON-lines ledger. A line that is not a JSON object (torn by a
    crash mid-write, or edited by hand) is skipped with a warning naming its line, so one damaged
    line never stops the commands that read the ledger."""
    if not path.exists():
        return []
    records = []
    skipped = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or (is_record is not None and not is_record(record)):
            skipped.append(number)
            continue
        records.append(record)
    if skipped:
        lines = ", ".join(map(str, skipped[:5])) + (" ..." if len(skipped) > 5 else "")
        log.warning("%s: skipped %d damaged line(s) that are not %s (line %s).", path, len(skipped), what, lines)
    return records
