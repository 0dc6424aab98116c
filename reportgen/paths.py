"""Where a report may be written: never outside the folder a relative --out starts from, never
into a system folder."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError

# Folders a report must never be written into, whatever --out says.
_SYSTEM_DIRS = tuple(Path(p) for p in ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root/.ssh", "/sbin", "/sys", "/usr", "/var/lib", "/var/log"))


def check_out(out: Path, base: Path, source: str) -> Path:
    """A relative --out stays inside its base folder (the working folder, or the config file's);
    no --out points into a system folder."""
    target = (base / out).resolve() if not out.is_absolute() else out.resolve()
    if not out.is_absolute() and target != base.resolve() and base.resolve() not in target.parents:
        raise ConfigError(f"{source}: out '{out}' leaves {base.resolve()}.", "Give a folder inside it, or an absolute path.")
    if any(target == d or d in target.parents for d in _SYSTEM_DIRS):
        raise ConfigError(f"{source}: out '{out}' is inside the system folder {next(d for d in _SYSTEM_DIRS if target == d or d in target.parents)}.", "Choose a folder for reports.")
    return out
