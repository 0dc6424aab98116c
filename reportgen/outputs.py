"""Write a period folder atomically: everything goes into a hidden staging folder beside the target,
which replaces the target only when complete. A failed or killed run leaves the previous report as
it was; leftovers of a killed run are cleared by the next run of that period.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from . import __version__
from .config import settings_checksum, settings_summary
from .errors import ConfigError, ReportgenError
from .model import Report

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PACKAGES = ("pandas", "numpy", "scikit-learn", "jinja2", "weasyprint", "plotly", "kaleido", "pyyaml", "pydantic")


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas as OWASP recommends: a leading quote before = + - @ tab CR."""
    return "'" + value if value.startswith(FORMULA_START) else value


@contextmanager
def period_lock(target: Path, wait: float = 0) -> Iterator[None]:
    """One run per period folder at a time; a second run is refused with a clear message."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target.parent / f".{target.name}.lock"))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise ReportgenError(
            f"Another reportgen run is writing {target} right now.", "Wait for it to finish, then run again."
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def staging(target: Path) -> Iterator[Path]:
    """Yield an empty folder; on success it becomes `target`, on failure it is removed."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the output folder {parent} ({exc.strerror}).", "Choose another --out.") from None
    for stale in parent.glob(f".{target.name}.*"):  # left by a killed run; we hold the lock
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    tmp = parent / f".{target.name}.staging-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = parent / f".{target.name}.previous-{uuid.uuid4().hex[:8]}"
    if target.exists():
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def write_segments_csv(report: Report, path: Path) -> None:
    names = [s.name for s in report.segments]
    ids = report.table.frame["customer_id"].tolist()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["customer_id", "segment", "cluster"])
        for cid, cluster in zip(ids, report.clustering.labels.tolist()):
            writer.writerow([safe_cell(str(cid)), safe_cell(names[cluster]), cluster])


def summary(report: Report) -> dict[str, Any]:
    """The numbers other tools read; no timestamps, so equal inputs give equal files."""
    c = report.clustering
    t = report.table
    return {
        "period": report.period,
        "n_customers": len(t.frame),
        "n_read": t.n_read,
        "n_dropped": t.n_dropped,
        "row_issues": [
            {"column": i.column, "reason": i.reason, "rows": i.rows, "dropped": i.dropped, "example_lines": list(i.examples)}
            for i in t.issues
        ],
        "features": list(report.features.roles),
        "k": c.k,
        "k_auto": c.k_auto,
        "metrics": {"silhouette": c.silhouette, "davies_bouldin": c.davies_bouldin, "calinski_harabasz": c.calinski_harabasz},
        "k_selection": [{"k": p.k, "silhouette": p.silhouette} for p in c.k_curve],
        "level_cuts": {role: [round(v, 4) for v in cuts] for role, cuts in report.level_cuts.items()},
        "largest_segment": report.largest.id,
        "most_valuable_segment": report.most_valuable.id,
        "segments": [
            {
                "id": s.id,
                "name": s.name,
                "size": s.size,
                "share": s.share,
                "centroid": s.centroid,
                "levels": s.levels,
                "profile": s.profile,
                "rule": s.rule,
                "base_name": s.base_name,
                "colour": s.colour,
                "gender_mix": s.gender_mix,
                "campaigns": [
                    {
                        "name": cp.name,
                        "objective": cp.objective,
                        "channels": list(cp.channels),
                        "offer": cp.offer,
                        "kpi": cp.kpi,
                        "budget_share": cp.budget_share,
                        "tone": cp.tone,
                    }
                    for cp in s.campaigns
                ],
            }
            for s in report.segments
        ],
        "warnings": list(report.warnings),
        "changes": _changes(report),
    }


def _changes(report: Report) -> dict[str, Any] | None:
    ch = report.changes
    if ch is None:
        return None
    return {
        "previous_period": ch.previous_period,
        "n_customers": {"then": ch.n_then, "now": ch.n_now},
        "segments": [
            {
                "name": s.name,
                "status": s.status,
                "previous_name": s.previous_name,
                "size": {"then": s.size_then, "now": s.size_now, "change": None if s.size_then is None else s.size_now - s.size_then},
                "share": {"then": s.share_then, "now": s.share_now, "change": None if s.share_then is None else round(s.share_now - s.share_then, 4)},
                "centroid_drift": s.drift,
            }
            for s in ch.segments
        ],
        "disappeared": [{"name": name, "size_then": size} for name, size in ch.disappeared],
        "migration": {"from": list(ch.rows), "to": list(ch.columns), "counts": [list(r) for r in ch.counts]},
        "new_customers": ch.new_customers,
        "gone_customers": ch.gone_customers,
        "stayed": ch.stayed,
        "moved": ch.moved,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "reportgen": __version__}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def manifest(report: Report, folder: Path) -> dict[str, Any]:
    settings = settings_summary(report.settings)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": {"path": str(report.table.source), "sha256": report.table.checksum},
        "settings": settings,
        "settings_sha256": settings_checksum(report.settings),
        "versions": _versions(),
        "timings_s": {k: round(v, 3) for k, v in report.timings.items()},
        "files": {str(p.relative_to(folder)): _sha256(p) for p in files},
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_data_files(report: Report, folder: Path) -> None:
    write_segments_csv(report, folder / "segments.csv")
    write_json(summary(report), folder / "summary.json")
