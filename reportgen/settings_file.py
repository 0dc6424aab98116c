"""The settings as a run gets them: the defaults, a YAML file (its relative paths rebased on the
file's folder, `~` expanded) and the overrides of the command line, validated by config.Settings;
a mistake is one line naming the file or the option and the setting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .config import Settings, is_pack
from .definitions import KINDS
from .errors import ConfigError
from .paths import check_out
from .schema import first_error, keys_at, message, unknown_key
from .suggest import did_you_mean
from .yamlfile import read_yaml

_PATH_KEYS = ("data", "out", "segments_rules", "campaigns_rules", "templates")
# Flat override names (CLI flags, run() keywords) -> where they live in the settings tree.
_OVERRIDE_PATHS = {"k": ("clustering", "k"), "seed": ("clustering", "seed"), "spark_master": ("spark", "master")}


def _explain(err: ValidationError, source: str) -> ConfigError:
    first = first_error(err)
    loc = [str(p) for p in first["loc"] if not str(p).startswith(("function-", "lax-", "[key]"))]
    kind = None
    if len(loc) >= 3 and loc[0] == "columns" and loc[2] in (*KINDS, "str"):
        kind = loc.pop(2)  # the feature definition's tag, not a key the user wrote
    where = ".".join(loc)
    if unknown_key(first):
        allowed = keys_at(KINDS[kind], loc[-1:]) if kind in KINDS else keys_at(Settings, loc)
        return ConfigError(f"{source}: unknown setting '{where}'.", did_you_mean(loc[-1], sorted(allowed), listing="Valid keys"))
    return ConfigError(f"{source}: setting '{where}': {message(first)}.", "Fix the value and run again.")


def load_settings(config: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Defaults <- YAML file <- overrides; relative paths in the file are relative to the file."""
    raw: dict[str, Any] = {}
    source = "settings"
    if config is not None:
        cfg = Path(config)
        source = str(cfg)
        loaded = read_yaml(cfg, "Config file")
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{cfg}: the top level must be a mapping of settings.", "See examples/marketing_campaign/reportgen.yaml.")
        raw = dict(loaded)
        for key in _PATH_KEYS:  # out: ~/reports means the home folder, as in a shell
            if isinstance(raw.get(key), str) and raw[key].startswith("~"):
                raw[key] = os.path.expanduser(raw[key])
        if isinstance(raw.get("out"), str):
            check_out(Path(raw["out"]), cfg.parent, source)
        for key in _PATH_KEYS:
            if isinstance(raw.get(key), str) and "://" not in raw[key]:
                raw[key] = str((cfg.parent / raw[key]))
        report = raw.get("report")
        if isinstance(report, dict) and isinstance(report.get("logo"), str) and "://" not in report["logo"]:
            raw["report"] = {**report, "logo": str(cfg.parent / Path(report["logo"]).expanduser())}
        if isinstance(raw.get("rules"), str) and not is_pack(raw["rules"]):
            raw["rules"] = str(cfg.parent / raw["rules"])  # a pack folder of the user's, beside the config
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key in _PATH_KEYS and isinstance(value, (str, Path)) and str(value).startswith("~"):
            value = Path(os.path.expanduser(str(value)))
        if key == "out":
            check_out(Path(value), Path.cwd(), "--out")
        if key in _OVERRIDE_PATHS:
            section, name = _OVERRIDE_PATHS[key]
            raw[section] = {**(raw.get(section) or {}), name: value}
        else:
            raw[key] = value
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        loc = tuple(str(p) for p in exc.errors()[0]["loc"])
        for key, value in (overrides or {}).items():  # a bad command-line value is named as the option
            if value is not None and loc[: len(_OVERRIDE_PATHS.get(key, (key,)))] == _OVERRIDE_PATHS.get(key, (key,)):
                source = f"--{key.replace('_', '-')}"
        raise _explain(exc, source) from None
    settings._source = source
    settings._period_given = raw.get("period") is not None
    return settings
