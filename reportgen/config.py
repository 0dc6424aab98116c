"""Validated settings: the only place defaults live.

Settings come from three layers, later wins: these defaults, a YAML file (``--config``), and
keyword overrides (the CLI's flags or ``reportgen.run(**overrides)``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError

Role = Literal["customer_id", "gender", "age", "income", "spending"]
NumericRole = Literal["age", "income", "spending"]
NUMERIC_ROLES: tuple[str, ...] = ("age", "income", "spending")
MAX_SEGMENTS = 10  # the palette has ten colour-blind-safe colours; more is not a briefing
PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def package_path(*parts: str) -> Path:
    """A file shipped inside the package (templates, rules, sample), wherever it is installed."""
    return Path(str(resources.files("reportgen").joinpath(*parts)))


def current_period(today: dt.date | None = None) -> str:
    return (today or dt.date.today()).strftime("%Y-%m")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SumOf(_Strict):
    """A role computed as the row sum of several columns (e.g. spending = all Mnt* columns)."""

    sum: list[str] = Field(min_length=1)


class AgeFromBirthYear(_Strict):
    """Age computed from a birth-year column, at the report period's year."""

    birth_year: str


ColumnSpec = str | SumOf | AgeFromBirthYear


class Clustering(_Strict):
    k: int | Literal["auto"] = "auto"
    k_min: int = Field(2, ge=2, le=MAX_SEGMENTS)
    k_max: int = Field(10, ge=2, le=MAX_SEGMENTS)
    seed: int = 42
    n_init: int = Field(10, ge=1, le=100)
    silhouette_sample: int = Field(3000, ge=100, description="rows used to score each k")
    fit_sample: int = Field(10_000, ge=1000, description="above this many rows, k and the starting centres come from a sample")

    @field_validator("k")
    @classmethod
    def _k_range(cls, v: int | str) -> int | str:
        if isinstance(v, int) and not 2 <= v <= MAX_SEGMENTS:
            raise ValueError(f"k must be 'auto' or a whole number from 2 to {MAX_SEGMENTS}")
        return v

    @model_validator(mode="after")
    def _k_order(self) -> "Clustering":
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) is larger than k_max ({self.k_max})")
        return self


class RoleDisplay(_Strict):
    """How a role's numbers read to people: 'Annual income' 86 -> '$86k'."""

    label: str
    prefix: str = ""
    suffix: str = ""
    decimals: int = Field(0, ge=0, le=4)


def _default_display() -> dict[str, RoleDisplay]:
    return {
        "age": RoleDisplay(label="Age", suffix=" yrs"),
        "income": RoleDisplay(label="Annual income", prefix="$", suffix="k"),
        "spending": RoleDisplay(label="Spending score"),
    }


def _default_valid() -> dict[str, tuple[float | None, float | None]]:
    return {"age": (0, 120), "income": (0, None), "spending": (0, None)}


class ReportText(_Strict):
    title: str = "Customer segments briefing"
    organisation: str = "Your organisation"


class Smtp(_Strict):
    """Where report.eml is sent. The login comes from REPORTGEN_SMTP_USER / REPORTGEN_SMTP_PASSWORD
    in the environment, never from a file."""

    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    timeout: float = Field(30, gt=0)
    attempts: int = Field(4, ge=1, le=10, description="tries for a temporary failure")
    retry_wait: float = Field(2.0, ge=0, description="seconds before the 2nd try; doubles each time")


class Email(_Strict):
    sender: str = "reportgen@localhost"
    recipients: list[str] = []
    subject: str = ""  # empty: "<title> — <period>"
    smtp: Smtp = Smtp()


class Charts(_Strict):
    timeout: float = Field(60, gt=0, le=600, description="seconds for Chromium to start and to draw the charts")


class Spark(_Strict):
    master: str = "local[2]"  # e.g. spark://host:7077, yarn, k8s://...
    driver_memory: str = "2g"
    shuffle_partitions: int = Field(4, ge=1)


class Quality(_Strict):
    max_dropped_share: float = Field(0.5, ge=0, le=1, description="stop if more rows than this are unusable")
    min_rows: int = Field(10, ge=3)


class Transactions(_Strict):
    """Which columns of an order log hold what (each a column name; None: recognised by name).
    Give either amount (the line's value) or quantity and price."""

    customer_id: str | None = None
    order_id: str | None = None
    date: str | None = None
    amount: str | None = None
    quantity: str | None = None
    price: str | None = None
    product: str | None = None
    category: str | None = None
    date_format: str | None = None  # strftime, e.g. "%d/%m/%Y %H:%M"; None: decided from the values
    top_items: int = Field(6, ge=0, le=12, description="products (or categories) by revenue whose spend per customer becomes a column")


class Settings(_Strict):
    data: str | None = None  # a path, or for the Spark engine also a URL (hdfs://, s3a://); None: the bundled sample
    period: str = Field(default_factory=current_period)
    compare_to: str | None = None  # a period to compare with; None: the month before, if it was run
    out: Path = Path("output")
    columns: dict[Role, ColumnSpec] = {}
    features: list[NumericRole] = ["income", "spending"]
    clustering: Clustering = Clustering()
    valid: dict[NumericRole, tuple[float | None, float | None]] = Field(default_factory=_default_valid)
    display: dict[NumericRole, RoleDisplay] = Field(default_factory=_default_display)
    segments_rules: Path | None = None  # None: bundled rules/segments.yaml
    campaigns_rules: Path | None = None  # None: bundled rules/campaigns.yaml
    templates: Path | None = None  # None: bundled templates/
    report: ReportText = ReportText()
    email: Email = Email()
    quality: Quality = Quality()
    charts: Charts = Charts()
    segments_parquet: bool = False  # also write segments.parquet (for millions of customers)
    engine: Literal["local", "spark"] = "local"
    transactions: Transactions | None = None  # the data is an order log; None: recognised from its header
    rules: str = "auto"  # a rule pack by name (mall, rfm) or a folder with segments.yaml + campaigns.yaml; auto: rfm for order logs, else mall
    spark: Spark = Spark()

    @field_validator("period", "compare_to")
    @classmethod
    def _period(cls, v: str | None) -> str | None:
        if v is not None and not PERIOD_RE.match(v):
            raise ValueError(f"period {v!r} is not a month like 2026-11 (YYYY-MM)")
        return v

    @model_validator(mode="after")
    def _compare_other(self) -> "Settings":
        if self.compare_to == self.period:
            raise ValueError(f"compare_to is the report's own period {self.period}; name an earlier one")
        return self

    @field_validator("features")
    @classmethod
    def _features(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("name at least one feature (age, income, spending)")
        if len(set(v)) != len(v):
            raise ValueError("a feature is listed twice")
        return v

    @field_validator("display", mode="before")
    @classmethod
    def _merge_display(cls, v: Any) -> Any:
        if isinstance(v, dict):
            merged: dict[str, Any] = {k: d.model_dump() for k, d in _default_display().items()}
            for role, d in v.items():
                merged[role] = {**merged.get(role, {}), **(d or {})} if isinstance(d, dict) else d
            return merged
        return v

    @field_validator("valid", mode="before")
    @classmethod
    def _merge_valid(cls, v: Any) -> Any:
        return {**_default_valid(), **v} if isinstance(v, dict) else v

    @field_validator("data", mode="before")
    @classmethod
    def _data_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, Path) else v

    @property
    def data_path(self) -> Path:
        return Path(self.data) if self.data else package_path("data", "sample_customers.csv")

    @property
    def data_location(self) -> str:
        """The input as given: a local path, or a URL Spark reads (Path would fold its '//')."""
        return self.data or str(self.data_path)

    @property
    def segments_path(self) -> Path:
        return self.segments_rules or self.rules_dir() / "segments.yaml"

    @property
    def campaigns_path(self) -> Path:
        return self.campaigns_rules or self.rules_dir() / "campaigns.yaml"

    def rules_dir(self, kind: str = "customers") -> Path:
        """The rule pack's folder: a bundled pack by name, else a folder of the user's."""
        name = self.rules if self.rules != "auto" else ("rfm" if kind == "transactions" else "mall")
        bundled = package_path("rules", name)
        if "/" not in name and bundled.is_dir():
            return bundled
        return Path(name)

    @property
    def templates_path(self) -> Path:
        return self.templates or package_path("templates")

    @property
    def period_dir(self) -> Path:
        return self.out / self.period

    @property
    def previous_period(self) -> str:
        year, month = int(self.period[:4]), int(self.period[5:])
        return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"

    def comparison_dir(self) -> Path | None:
        """The earlier report to compare with: compare_to, or last month's if it exists."""
        if self.compare_to is not None:
            folder = self.out / self.compare_to
            if not (folder / "summary.json").is_file():
                raise ConfigError(f"There is no report for {self.compare_to} in {self.out} to compare with.", "Run that period first, or drop --compare-to.")
            return folder
        folder = self.out / self.previous_period
        return folder if (folder / "summary.json").is_file() else None


_PATH_KEYS = ("data", "out", "segments_rules", "campaigns_rules", "templates")
# Folders a report must never be written into, whatever --out says.
_SYSTEM_DIRS = tuple(Path(p) for p in ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root/.ssh", "/sbin", "/sys", "/usr", "/var/lib", "/var/log"))


def _check_out(out: Path, base: Path, source: str) -> Path:
    """A relative --out stays inside its base folder (the working folder, or the config file's);
    no --out points into a system folder."""
    target = (base / out).resolve() if not out.is_absolute() else out.resolve()
    if not out.is_absolute() and target != base.resolve() and base.resolve() not in target.parents:
        raise ConfigError(f"{source}: out '{out}' leaves {base.resolve()}.", "Give a folder inside it, or an absolute path.")
    if any(target == d or d in target.parents for d in _SYSTEM_DIRS):
        raise ConfigError(f"{source}: out '{out}' is inside the system folder {next(d for d in _SYSTEM_DIRS if target == d or d in target.parents)}.", "Choose a folder for reports.")
    return out
# Flat override names (CLI flags, run() keywords) -> where they live in the settings tree.
_OVERRIDE_PATHS = {"k": ("clustering", "k"), "seed": ("clustering", "seed"), "spark_master": ("spark", "master")}


def _closest(word: str, options: list[str]) -> str:
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f" Did you mean '{match[0]}'?" if match else f" Valid keys: {', '.join(sorted(options))}."


def _explain(err: ValidationError, source: str) -> ConfigError:
    first = min(err.errors(), key=lambda e: e["type"] != "extra_forbidden")  # a misspelt key explains a missing one
    where = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("function-", "lax-", "[key]")))
    if first["type"] == "extra_forbidden":
        parent: type[BaseModel] = Settings
        for part in first["loc"][:-1]:
            field = parent.model_fields.get(str(part))
            ann = getattr(field, "annotation", None)
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                parent = ann
        key = str(first["loc"][-1])
        return ConfigError(f"{source}: unknown setting '{where}'.", _closest(key, list(parent.model_fields)).strip())
    msg = first["msg"].removeprefix("Value error, ")
    return ConfigError(f"{source}: setting '{where}': {msg}.", "Fix the value and run again.")


def read_yaml(path: Path, what: str) -> Any:
    """safe_load a YAML file; a syntax error names the file and line."""
    from .errors import ReportgenError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist.", "Check the path.") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a folder, not a file.", "Give the path of the YAML file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc}.", "Save it as UTF-8 text.") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        err: ReportgenError = ConfigError(f"{path}{line}: YAML error: {problem}.", "Fix the YAML syntax (indentation, quotes, colons).")
        raise err from None


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
            raise ConfigError(f"{cfg}: the top level must be a mapping of settings.", "See examples/reportgen.yaml.")
        raw = dict(loaded)
        if isinstance(raw.get("out"), str):
            _check_out(Path(raw["out"]), cfg.parent, source)
        for key in _PATH_KEYS:
            if isinstance(raw.get(key), str) and "://" not in raw[key]:
                raw[key] = str((cfg.parent / raw[key]))
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key == "out":
            _check_out(Path(value), Path.cwd(), "--out")
        if key in _OVERRIDE_PATHS:
            section, name = _OVERRIDE_PATHS[key]
            raw[section] = {**(raw.get(section) or {}), name: value}
        else:
            raw[key] = value
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise _explain(exc, source) from None


def settings_summary(settings: Settings) -> dict[str, Any]:
    """Settings as plain JSON values for the manifest (no secrets live in settings)."""
    return settings.model_dump(mode="json")


def settings_checksum(settings: Settings) -> str:
    return hashlib.sha256(json.dumps(settings_summary(settings), sort_keys=True).encode()).hexdigest()
