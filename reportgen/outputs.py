"""Write a period folder atomically: everything goes into a hidden staging folder beside the target,
which replaces the target only when complete. A failed or killed run leaves the previous report as
it was; leftovers of a killed run are cleared by the next run of that period. Also the manifest,
which names every file written. (segments.csv: segments_file.py; summary.json: summary_file.py.)
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .errors import ConfigError, ReportgenError
from .files import digest, dumps, sha256
from .model import Report
from .version import __version__

PACKAGES = ("pandas", "numpy", "scikit-learn", "jinja2", "weasyprint", "plotly", "kaleido", "pyyaml", "pydantic")


@contextmanager
def period_lock(target: Path) -> Iterator[None]:
    """One run per period folder at a time; a second run is refused with a clear message."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target.parent / f".{target.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ReportgenError(
            f"Another reportgen run is writing {target} right now.", "Wait for it to finish, then run again."
        ) from None
    try:
        yield
    finally:
        lock.release()


VERSION = "v-"  # .PERIOD.v-<id>: a complete report; OUT/PERIOD is a symlink to one of them


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where not available."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    return False  # EINVAL / ENOSYS (file system or kernel without it): the caller falls back


def _versions_of(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.{VERSION}*"), key=lambda p: p.stat().st_mtime_ns)


def _recover(target: Path) -> None:
    """A run killed while replacing an old-style folder may leave no OUT/PERIOD: point it at the
    newest complete version. Then clear every leftover except the version in use."""
    parent = target.parent
    if not target.exists() and not target.is_symlink():
        complete = [v for v in _versions_of(target) if v.is_dir() and not v.is_symlink()]
        if complete:
            os.symlink(complete[-1].name, target)
    if target.is_symlink() and not target.exists():  # dangling: its version was removed by hand
        complete = [v for v in _versions_of(target) if v.is_dir() and not v.is_symlink()]
        if complete:
            _point(target, complete[-1])
    # what the period shows, however its link is spelt (relative, absolute, './x', 'x/', re-made by hand)
    in_use = target.resolve() if target.exists() else None
    for stale in parent.glob(f".{target.name}.*"):  # left by a killed run; we hold the lock
        if stale.name.endswith(".lock"):
            continue
        if stale.is_symlink() or stale.is_file():
            stale.unlink(missing_ok=True)  # removes the link, never what it points at
        elif stale.is_dir() and stale.resolve() != in_use:
            shutil.rmtree(stale, ignore_errors=True)


def _point(target: Path, version: Path) -> None:
    """Make `target` a symlink to `version` in one atomic step (rename of a new link over it)."""
    link = target.parent / f".{target.name}.link-{uuid.uuid4().hex[:8]}"
    os.symlink(version.name, link)
    os.replace(link, target)


@contextmanager
def staging(target: Path) -> Iterator[Path]:
    """Yield an empty folder; on success it becomes what `target` shows, on failure it is removed.

    `target` (OUT/PERIOD) is a relative symlink to a hidden complete folder `.PERIOD.v-<id>`
    beside it. A finished run renames its staging folder to a new version and swaps the symlink
    with one rename, so at every instant OUT/PERIOD is either the old report or the new one,
    whatever moment a run is killed. The old version is removed afterwards (or by the next run).
    """
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the output folder {parent} ({exc.strerror}).", "Choose another --out.") from None
    _recover(target)
    tmp = parent / f".{target.name}.staging-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    version = parent / f".{target.name}.{VERSION}{uuid.uuid4().hex[:8]}"
    os.rename(tmp, version)  # complete from here on
    old: Path | None = None
    if target.is_symlink():
        old = target.resolve() if target.exists() else None  # the folder it showed, by its real path
        _point(target, version)
    elif target.exists():  # a real folder written by an earlier reportgen
        link = parent / f".{target.name}.link-{uuid.uuid4().hex[:8]}"
        os.symlink(version.name, link)
        if _exchange(link, target):
            old = link  # now the old folder
        else:
            old = parent / f".{target.name}.{VERSION}old-{uuid.uuid4().hex[:8]}"
            os.rename(target, old)  # a kill here leaves no OUT/PERIOD; _recover restores the newest
            os.replace(link, target)
    else:
        _point(target, version)
    if old is None or old.name == version.name or not old.name.startswith(f".{target.name}."):
        return
    if old.is_symlink() or old.is_file():
        old.unlink(missing_ok=True)
    elif old.resolve().parent == parent.resolve() and old.resolve() != target.resolve():  # only a version of ours, never what is shown
        shutil.rmtree(old, ignore_errors=True)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "reportgen": __version__}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def manifest(report: Report, folder: Path, settings_dump: dict[str, Any]) -> dict[str, Any]:
    settings = settings_dump  # no secrets live in settings
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": {"path": str(report.table.source), "sha256": report.table.checksum},
        "settings": settings,
        "settings_sha256": digest(settings),
        "versions": _versions(),
        "timings_s": {k: round(v, 3) for k, v in report.timings.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "files": {str(p.relative_to(folder)): sha256(p) for p in files},
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(dumps(data, indent=2) + "\n", encoding="utf-8")

