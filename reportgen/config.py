"""Validated settings: the only place defaults live.

Settings come from three layers, later wins: these defaults, a YAML file (``--config``), and
keyword overrides (the CLI's flags or ``reportgen.run(**overrides)``); settings_file.py reads the
file and rebases its paths, mailcheck.py checks addresses and the logo.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from .bundled import bundled_path
from .definitions import FeatureSpec, Ratio
from .errors import ConfigError
from .mailcheck import address_problem, fold, undrawable
from .schema import Strict
from .model import COLOURS
from .vocabulary import FEATURE_NAME, label_from_name

MAX_SEGMENTS = COLOURS  # one colour per segment; more is not a briefing
PERIOD_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")  # used with fullmatch: ASCII digits, no trailing line break


def current_period(today: dt.date | None = None) -> str:
    return (today or dt.date.today()).strftime("%Y-%m")


Scale = Literal["auto", "linear", "log", "rank"]


class Clustering(Strict):
    k: int | Literal["auto"] = "auto"
    k_min: int = Field(3, ge=2, le=MAX_SEGMENTS, description="fewest segments 'auto' considers")
    k_max: int = Field(8, ge=2, le=MAX_SEGMENTS, description="most segments 'auto' considers")
    seed: int = Field(42, ge=0, le=2**32 - 1, description="random seed, a whole number from 0 to 4294967295")
    n_init: int = Field(10, ge=1, le=100)
    silhouette_sample: int = Field(3000, ge=100, description="rows used to score each k")
    fit_sample: int = Field(10_000, ge=1000, description="above this many rows, k and the starting centres come from a sample")
    min_share: float = Field(0.02, ge=0, lt=0.5, description="'auto' skips a k that leaves a segment smaller than this share of customers")
    silhouette_tolerance: float = Field(
        0.02, ge=0, le=1, description="'auto' weighs the other criteria among the k whose silhouette is this close to the best"
    )
    bootstrap: int = Field(20, ge=2, le=200, description="resamples behind each stability figure")
    stability_sample: int = Field(2000, ge=100, description="rows resampled for stability; a seeded sample of larger tables")
    alternatives_sample: int = Field(3000, ge=100, description="rows the other methods (Gaussian mixture, Ward) are compared on")

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


class Display(Strict):
    """How a feature's numbers read to people: 'Annual income' 86 -> '$86k'; a share 0.42 -> '42%'."""

    label: str
    prefix: str = ""
    suffix: str = ""
    decimals: int = Field(0, ge=0, le=4)
    percent: bool = False  # show 0.42 as 42%
    money: bool = False  # an amount of money: shown with report.currency


def _default_display() -> dict[str, Display]:
    return {
        "age": Display(label="Age", suffix=" yrs"),
        "income": Display(label="Annual income", prefix="$", suffix="k"),
        "spending": Display(label="Spending score"),
        "recency_days": Display(label="Days since last purchase", suffix=" days"),
        "frequency": Display(label="Orders", decimals=1),
        "monetary": Display(label="Total spend", money=True),
        "tenure_days": Display(label="Days since first purchase", suffix=" days"),
        "avg_order_value": Display(label="Average order value", decimals=2, money=True),
        "return_rate": Display(label="Return rate", decimals=1, percent=True),
    }


def _default_valid() -> dict[str, tuple[float | None, float | None]]:
    return {"age": (0, 120), "income": (0, None), "spending": (0, None)}


class ReportText(Strict):
    """Title and branding: the organisation's name, its logo (a PNG or SVG file) and accent colour;
    how money reads and the month's campaign budget."""

    title: str = Field("Customer segments briefing", min_length=1)
    organisation: str = ""  # empty: the cover names no organisation
    logo: Path | None = None  # on the PDF cover and running header, once in the email, in the HTML page
    accent: str = "#332288"  # headings and rules; segment colours stay the colour-blind-safe palette
    currency: str = Field("", max_length=8, description="how money reads: a sign ($, €, £) or a code (EUR, CHF); empty: not stated")
    budget: float | None = Field(None, gt=0, allow_inf_nan=False, description="this month's campaign budget, split among the recommended campaigns")

    @field_validator("accent")
    @classmethod
    def _accent(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", v):
            raise ValueError(f"accent {v!r} is not a colour like #1F6FB2")
        return v.upper()

    @field_validator("logo", mode="before")
    @classmethod
    def _logo(cls, v: Any) -> Any:
        if v is None:
            return v
        text = str(v)
        if "://" in text or text.startswith(("data:", "//")):
            raise ValueError(f"logo {text!r} is a URL; reportgen never fetches remote files: save the logo beside the settings and give its path")
        path = Path(text).expanduser()
        if path.suffix.lower() not in (".png", ".svg"):
            raise ValueError(f"logo {text!r} must be a .png or .svg file")
        if not path.is_file():
            raise ValueError(f"logo file {text!r} does not exist")
        head = path.read_bytes()[:512]
        if path.suffix.lower() == ".png" and not head.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError(f"logo {text!r} is not a PNG image")
        if path.suffix.lower() == ".svg" and b"<svg" not in path.read_bytes()[:4096].lower():
            raise ValueError(f"logo {text!r} is not an SVG image")
        problem = undrawable(path)
        if problem:
            raise ValueError(f"logo {text!r} {problem}; save it again as PNG or SVG")
        return path

    _fold = field_validator("title", "organisation", "currency", mode="before")(fold)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if v and not re.fullmatch(r"[^\W\d_]{1,3}|[A-Z]{3}|[$€£¥₹₩₽₺₪₫฿₦₱₴₲₡₵₸]|[A-Za-z]{1,3}\$", v):
            raise ValueError(f"currency {v!r} is not a sign like $ or € or a code like EUR")
        return v


class Smtp(Strict):
    """Where report.eml is sent. The login comes from REPORTGEN_SMTP_USER / REPORTGEN_SMTP_PASSWORD
    in the environment, never from a file."""

    host: str = Field("localhost", min_length=1, pattern=r"^[^\s/]+$", description="name or address of the server, no spaces")
    port: int = Field(25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    timeout: float = Field(30, gt=0, le=3600, allow_inf_nan=False)
    attempts: int = Field(4, ge=1, le=10, description="tries for a temporary failure")
    retry_wait: float = Field(2.0, ge=0, le=3600, allow_inf_nan=False, description="seconds before the 2nd try; doubles each time")
    ca_file: Path | None = Field(None, description="CA certificate(s) (PEM) to trust for the server's TLS certificate, besides the system's")


class Email(Strict):
    sender: str = "reportgen@localhost"
    recipients: list[str] = []
    subject: str = ""  # empty: "<title> — <period>"
    smtp: Smtp = Smtp()

    _fold = field_validator("subject", mode="before")(fold)

    @field_validator("sender")
    @classmethod
    def _sender(cls, v: str) -> str:
        problem = address_problem(v)
        if problem:
            raise ValueError(problem)
        return v.strip()

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, v: list[str]) -> list[str]:
        for i, r in enumerate(v, start=1):
            problem = address_problem(r)
            if problem:
                raise ValueError(f"recipient {i}: {problem}")
        return [r.strip() for r in v]


class Charts(Strict):
    timeout: float = Field(60, gt=0, le=600, description="seconds for Chromium to start and to draw the charts")


class Spark(Strict):
    master: str = "local[2]"  # e.g. spark://host:7077, yarn, k8s://...
    driver_memory: str = "2g"
    shuffle_partitions: int = Field(4, ge=1)


class Quality(Strict):
    max_dropped_share: float = Field(0.5, ge=0, le=1, description="stop if more rows than this are unusable")
    min_rows: int = Field(10, ge=3)


class Transactions(Strict):
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
    # Lines that are a service, not goods: kept in monetary (the customer paid them) but never a "top
    # product". Shell-style patterns (* and ?), compared without case with the whole product text.
    not_products: list[str] = [
        "*postage*", "*shipping*", "carriage", "delivery*", "manual", "bank charges", "amazon fee", "discount",
        "samples", "cruk commission", "adjust bad debt", "*gift voucher*", "*gift card*",
    ]


class Settings(Strict):
    data: str | None = None  # a path, or for the Spark engine also a URL (hdfs://, s3a://); None: the bundled sample
    period: str = Field(default_factory=current_period)
    compare_to: str | None = None  # a period to compare with; None: the month before, if it was run
    out: Path = Path("output")
    columns: dict[str, FeatureSpec] = {}  # feature name -> a column or a derivation; customer_id names the id column
    features: list[str] | None = None  # clustered on; None: income+spending (mall), recency/frequency/monetary (orders), else every configured number
    clustering: Clustering = Clustering()
    valid: dict[str, tuple[float | None, float | None]] = Field(default_factory=_default_valid)
    display: dict[str, Display] = Field(default_factory=_default_display)
    scale: dict[str, Scale] = {}  # per feature; auto (default): log or rank when the data is skewed, else linear
    categories: dict[str, str] = {}  # category label -> column (or feature) of spend on it, for each segment's mix
    value: str | None = None  # the feature that measures a customer's value; None: spending, monetary, ... if present
    responses: list[str] = []  # yes/no (0/1) features holding past campaigns' answers, oldest first (the last is "the last campaign")
    map: list[str] | None = None  # the two features of the segment map; None: the two that separate the segments most
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
    decimal: Literal["auto", "point", "comma"] = "auto"  # numbers' decimal mark; auto: per column from its values, else ',' for a ';' file
    rules: str = "auto"  # a rule pack by name (mall, rfm) or a folder with segments.yaml + campaigns.yaml; auto: rfm for order logs, else mall
    spark: Spark = Spark()
    _source: str = PrivateAttr("settings")  # the config file the settings came from, for messages
    _period_given: bool = PrivateAttr(True)  # False: the period is this month by default, and a run may take the data's own

    @property
    def period_given(self) -> bool:
        return self._period_given

    @property
    def source(self) -> str:
        return self._source

    @field_validator("period", "compare_to")
    @classmethod
    def _period(cls, v: str | None) -> str | None:
        if v is not None and not PERIOD_RE.fullmatch(v):
            raise ValueError(f"period {v!r} is not a month like 2026-11 (YYYY-MM)")
        return v

    @model_validator(mode="after")
    def _compare_other(self) -> "Settings":
        if self.compare_to == self.period:
            raise ValueError(f"compare_to is the report's own period {self.period}; name an earlier one")
        return self

    @field_validator("features")
    @classmethod
    def _features(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("name at least one feature to cluster on")
        if len(set(v)) != len(v):
            raise ValueError("a feature is listed twice")
        return v

    @field_validator("columns")
    @classmethod
    def _feature_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not FEATURE_NAME.match(name):
                raise ValueError(f"'{name}' is not a feature name: use letters, digits and underscores, starting with a letter (the column goes on the right)")
        return v

    @field_validator("map")
    @classmethod
    def _map(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and (len(v) != 2 or v[0] == v[1]):
            raise ValueError("name two different features for the map's axes")
        return v

    @field_validator("valid")
    @classmethod
    def _valid_finite(cls, v: dict[str, tuple[float | None, float | None]]) -> dict[str, tuple[float | None, float | None]]:
        for name, bounds in v.items():
            if any(b is not None and not math.isfinite(b) for b in bounds):
                raise ValueError(f"the valid range of '{name}' must be finite numbers (or null for no bound)")
            if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
                raise ValueError(f"the valid range of '{name}' has its minimum above its maximum")
        return v

    def display_of(self, name: str) -> Display:
        """How a feature reads: the settings' entry, else a label made from its name (ratios as %)."""
        if name in self.display:
            return self.display[name]
        spec = self.columns.get(name)
        return Display(label=label_from_name(name), decimals=1, percent=isinstance(spec, Ratio))

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
        return Path(self.data) if self.data else bundled_path("data", "sample_customers.csv")

    @property
    def data_location(self) -> str:
        """The input as given: a local path, or a URL Spark reads (Path would fold its '//')."""
        return self.data or str(self.data_path)

    @property
    def segments_path(self) -> Path:
        return self.segments_file()

    @property
    def campaigns_path(self) -> Path:
        return self.campaigns_file()

    def segments_file(self, kind: str = "customers") -> Path:
        return self.segments_rules or self.rules_dir(kind) / "segments.yaml"

    def campaigns_file(self, kind: str = "customers") -> Path:
        return self.campaigns_rules or self.rules_dir(kind) / "campaigns.yaml"

    def rules_dir(self, kind: str = "customers") -> Path:
        """The rule pack's folder: a bundled pack by name, else a folder of the user's."""
        name = self.rules if self.rules != "auto" else ("rfm" if kind == "transactions" else "mall")
        return bundled_path("rules", name) if is_pack(name) else Path(name)

    @property
    def templates_path(self) -> Path:
        return self.templates or bundled_path("templates")

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


def is_pack(name: str) -> bool:
    """A bundled rule pack's name (mall, rfm) or auto, as opposed to a folder."""
    return name == "auto" or (re.match(r"^[a-z][a-z0-9_-]*$", name) is not None and bundled_path("rules", name).is_dir())
