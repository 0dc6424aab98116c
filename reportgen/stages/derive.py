"""A customer table's columns -> one row per customer with named features.

Each feature is defined once, in `columns:` (a column, sum, ratio, birth_year, days_since), and
turned into one SQL query through engines/sql.py, which DuckDB runs on one machine and Spark SQL on a
cluster: the same text, so the same meaning. The row checks (missing, not a number, outside the
valid range, missing or repeated customer id) are columns of the same query, so both engines count
them alike (on one machine the repeated ids are found beside the query, with the same meaning: see
query(window=False)). `plan` needs only the file's header (no pandas), so mistakes in the settings are found
before any browser or engine starts; which columns hold text, numbers with currency signs or dates
with zones is learnt from the data by stages/probe.py.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..config import Settings
from ..definitions import BirthYear, Column, DaysSince, Ratio, Sum
from ..engines.sql import FINITE, Dialect
from ..errors import ConfigError, DataError
from ..model import RowIssue
from ..suggest import closest_to_any, did_you_mean, names as name_list
from ..vocabulary import FEATURE_NAME, MALL_CLUSTERED, MALL_FEATURES, RFM_FEATURES, feature_name, find_column, usual_names
from .dates import plain_time_sql

MAX_EXAMPLES = 5


def _like(feature: str, header: list[str]) -> str:
    """"Did you mean 'X'? " for the column most like the feature's usual names, else nothing."""
    near = closest_to_any(usual_names(feature), header)
    return f"Did you mean '{near}'? " if near is not None else ""


@dataclass(frozen=True)
class Feature:
    """One configured feature: how it is computed and from which file columns."""

    name: str
    kind: str  # column | sum | ratio | birth_year | days_since
    operands: tuple[str, ...]  # columns or earlier features, as written
    source: str  # how the report states the definition
    sensitive: bool = False
    date_format: str | None = None


@dataclass(frozen=True)
class Plan:
    """What to read and compute; text attributes are told apart from numbers after `probe`."""

    path: Path
    header: tuple[str, ...]
    id_column: str | None
    features: tuple[Feature, ...]  # dependency order
    clustered: tuple[str, ...] | None  # None: chosen once the types are known
    categories: dict[str, str]  # category label -> feature name
    period: str
    text: frozenset[str] = frozenset()  # plain-column features that hold text (attributes)
    date_formats: dict[str, str] = field(default_factory=dict)  # days_since feature -> strftime format
    signed: frozenset[str] = frozenset()  # columns whose numbers carry currency signs or thousands separators
    zoned: frozenset[str] = frozenset()  # days_since features whose times carry a fraction or a zone

    def by_name(self, name: str) -> Feature:
        return next(f for f in self.features if f.name == name)

    @property
    def columns(self) -> list[str]:
        """File columns to read."""
        used = [c for f in self.features for c in f.operands if c in self.header and not self._is_feature(c, f)]
        if self.id_column:
            used.append(self.id_column)
        return list(dict.fromkeys(used))

    def _is_feature(self, operand: str, owner: Feature) -> bool:
        return operand != owner.name and any(f.name == operand for f in self.features)

    def number_columns(self) -> set[str]:
        """Columns certainly read as numbers (operands of arithmetic), typed on the way in."""
        out: set[str] = set()
        for f in self.features:
            if f.kind in ("sum", "ratio", "birth_year") or (self.clustered and f.name in self.clustered and f.kind == "column"):
                out.update(c for c in f.operands if c in self.header and not self._is_feature(c, f))
        return out

    @property
    def numeric(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.name not in self.text)

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.name in self.text)


def source_of(settings: Settings) -> str:
    return settings.source


def _specs(settings: Settings, header: list[str], kind: str) -> dict[str, Any]:
    """Feature name -> spec: the settings' `columns:`, else the recognised mall columns."""
    configured = {k: v for k, v in settings.columns.items() if k != "customer_id"}
    if configured:
        specs: dict[str, Any] = dict(configured)
    else:
        specs = {name: col for name in MALL_FEATURES if (col := find_column(usual_names(name), header))}
    for name in settings.features or ():
        if name not in specs and (col := find_column(usual_names(name), header)) is not None:
            specs[name] = col
    if "gender" not in specs and (col := find_column(usual_names("gender"), header)) is not None and col not in specs.values():
        specs["gender"] = col  # described per segment, never clustered unless asked
    return specs


def _feature(name: str, spec: Any) -> Feature:
    if isinstance(spec, str):
        return Feature(name, "column", (spec,), spec)
    if isinstance(spec, Column):
        return Feature(name, "column", (spec.column,), spec.column, spec.sensitive)
    if isinstance(spec, Sum):
        return Feature(name, "sum", tuple(spec.sum), " + ".join(spec.sum), spec.sensitive)
    if isinstance(spec, Ratio):
        return Feature(name, "ratio", tuple(spec.ratio), f"{spec.ratio[0]} / {spec.ratio[1]}", spec.sensitive)
    if isinstance(spec, BirthYear):
        return Feature(name, "birth_year", (spec.birth_year,), f"age from {spec.birth_year}", spec.sensitive)
    if isinstance(spec, DaysSince):
        return Feature(name, "days_since", (spec.days_since,), f"days since {spec.days_since}", spec.sensitive, spec.date_format)
    raise ConfigError(f"feature '{name}': unknown definition {spec!r}.", "Use a column name or one of sum, ratio, birth_year, days_since.")


def _order(features: dict[str, Feature], where: str) -> list[Feature]:
    """Dependency order; a cycle is refused with its path."""
    done: list[Feature] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = trail[trail.index(name):] + [name]
            raise ConfigError(f"{where}: features {' -> '.join(cycle)} refer to each other in a cycle.", "Define each feature from columns or from features defined without it.")
        state[name] = 1
        f = features[name]
        for op in f.operands:
            if op in features and op != name:
                visit(op, trail + [name])
        state[name] = 2
        done.append(f)

    for name in features:
        visit(name, [])
    return done


def plan(settings: Settings, header: list[str], path: Path, kind: str = "customers") -> Plan:
    """Check the settings against the file's header: every operand a column or a feature, no cycles,
    every clustered feature configured."""
    where = source_of(settings)
    specs = _specs(settings, header, kind)
    features = {name: _feature(name, spec) for name, spec in specs.items()}
    for f in features.values():
        for op in f.operands:
            if op in header or (op in features and op != f.name):
                continue
            options = list(header) + [n for n in features if n != f.name]
            raise ConfigError(
                f"{where}: feature '{f.name}' uses column '{op}', which is not in {path.name} and is not a feature.",
                did_you_mean(op, options),
            )
        if f.date_format is not None:
            try:
                from ..engines.sql import java_format

                java_format(f.date_format)
            except ValueError as exc:
                raise ConfigError(f"{where}: feature '{f.name}': date_format {f.date_format!r}: {exc}.", "Use strftime codes such as %d-%m-%Y.") from None
    ordered = _order(features, where)
    id_spec = settings.columns.get("customer_id")
    if id_spec is not None:
        id_column = id_spec if isinstance(id_spec, str) else getattr(id_spec, "column", None)
        if not isinstance(id_column, str):
            raise ConfigError(f"{where}: customer_id must name a column.", "Write customer_id: <column name>.")
        if id_column not in header:
            raise ConfigError(f"{where}: customer_id uses column '{id_column}', which is not in {path.name}.", did_you_mean(id_column, header))
    else:
        id_column = find_column(usual_names("customer_id"), header)
    clustered = tuple(settings.features) if settings.features else None
    if clustered is None and kind == "transactions":
        clustered = RFM_FEATURES
    if clustered is None and (set(MALL_CLUSTERED) <= set(features) or not any(k != "customer_id" for k in settings.columns)):
        clustered = MALL_CLUSTERED  # the mall schema's default
    for name in clustered or ():
        if name not in features:
            configured = [n for n in features]
            if not settings.columns and name in MALL_FEATURES:
                raise DataError(
                    f"{path}: no column for '{name}', which the clustering needs.",
                    f"{_like(name, header)}'reportgen init --data {path}' writes a config for this file (a customer table or an order log); "
                    f"or map it yourself (columns: {{{name}: <column name>}}), or choose other --features. Columns found: {name_list(header)}.",
                )
            raise ConfigError(f"{where}: features: '{name}' is not a configured feature.", f"{did_you_mean(name, configured)} Define it under columns:.")
    for key, names in (("value", [settings.value] if settings.value else []), ("map", settings.map or [])):
        for name in names:
            if name not in features:
                raise ConfigError(f"{where}: {key}: '{name}' is not a configured feature.", did_you_mean(name, list(features)))
    categories: dict[str, str] = {}
    for label, target in settings.categories.items():
        if target in features:
            categories[label] = target
        elif target in header:
            name = target if FEATURE_NAME.match(target) and target not in features else feature_name(target, set(features))
            features[name] = Feature(name, "column", (target,), target)
            ordered.append(features[name])
            categories[label] = name
        else:
            raise ConfigError(f"{where}: category '{label}' uses column '{target}', which is not in {path.name}.", did_you_mean(target, list(header) + list(features)))
    return Plan(path, tuple(header), id_column, tuple(ordered), clustered, categories, settings.period)


# -- SQL --------------------------------------------------------------------------------------


def period_end(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{period}-{calendar.monthrange(year, month)[1]:02d}"


class _Sql:
    """Builds the expressions of a plan for one dialect and one set of typed columns."""

    def __init__(self, p: Plan, d: Dialect, typed: set[str], decimal_comma: bool) -> None:
        self.p, self.d, self.typed, self.decimal_comma = p, d, typed, decimal_comma

    def is_feature(self, op: str, owner: Feature) -> bool:
        return self.p._is_feature(op, owner)

    def number(self, column: str) -> str:
        return self.d.number(column, column in self.typed, self.decimal_comma, column in self.p.signed)

    def blank(self, column: str) -> str:
        return self.d.blank(column, column in self.typed)

    def operand(self, op: str, owner: Feature) -> str:
        return self.value(self.p.by_name(op)) if self.is_feature(op, owner) else self.number(op)

    def value(self, f: Feature) -> str:
        """The feature's raw value (before the valid range) as SQL."""
        ops = [self.operand(op, f) for op in f.operands] if f.kind != "days_since" else []
        if f.kind == "column":
            return ops[0]
        if f.kind == "sum":  # finite parts can overflow: 1e308 + 1e308 is inf
            return _finite("(" + " + ".join(ops) + ")")
        if f.kind == "ratio":  # and 1e308 / 1e-308 too
            return _finite(f"(CASE WHEN {ops[1]} = 0 THEN NULL ELSE {ops[0]} / {ops[1]} END)")
        if f.kind == "birth_year":
            return f"({int(self.p.period[:4])} - {ops[0]})"
        if f.kind == "days_since":
            (op,) = f.operands
            if self.is_feature(op, f):
                raise ConfigError(f"feature '{f.name}': days_since needs a date column, not the feature '{op}'.", "Name the column that holds the dates.")
            fmt = self.p.date_formats[f.name]
            text = self.d.text(op)
            if f.name in self.p.zoned:
                text = plain_time_sql(text)
            stamp = self.d.timestamp(text, fmt)
            return f"CAST({self.d.days_between(stamp, period_end(self.p.period))} AS DOUBLE)"
        raise AssertionError(f.kind)

    def columns_of(self, f: Feature) -> list[str]:
        out: list[str] = []
        for op in f.operands:
            out += self.columns_of(self.p.by_name(op)) if self.is_feature(op, f) else [op]
        return list(dict.fromkeys(out))

    def any_blank(self, f: Feature) -> str:
        return "(" + " OR ".join(self.blank(c) for c in self.columns_of(f)) + ")"

    def zero_denominator(self, f: Feature) -> str | None:
        if f.kind != "ratio":
            return None
        return f"(coalesce({self.operand(f.operands[1], f)} = 0, false))"


def _finite(value: str) -> str:
    """A computed value, or NULL when it is not finite (inf, -inf, NaN): counted as 'not a number'."""
    return f"(CASE WHEN abs({value}) <= {FINITE} THEN {value} END)"


@dataclass(frozen=True)
class Check:
    flag: str  # the boolean column of the query
    column: str  # where, for the reader
    reason: str
    dropped: bool


@dataclass(frozen=True)
class Query:
    sql: str
    checks: tuple[Check, ...]
    numeric: tuple[str, ...]
    attributes: tuple[str, ...]
    duplicates: str | None = None  # the flag of the repeated-id check when the caller computes it (not a column of `sql`)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def query(p: Plan, settings: Settings, d: Dialect, typed: set[str], decimal_comma: bool, source: str, window: bool = True) -> Query:
    """The derivation as one SELECT over `source` (which has a `_line` column): customer_id, every
    feature after its valid range, the attributes, `_keep`, and one boolean column per check.

    `window=False` leaves out the repeated-id check (a window over every row, then a sort by line:
    most of the query's time at 10M rows) and the ORDER BY: the query is then a plain projection,
    which DuckDB returns in the source's order, and the caller flags repeated ids itself with the
    same meaning (every occurrence of a non-missing id after its first line) and drops them
    (Query.duplicates names that check; see duplicate_lines)."""
    q = _Sql(p, d, typed, decimal_comma)
    clustered = set(p.clustered or ())
    raw: list[str] = ["_line"]
    final: list[str] = ["_line"]
    checks: list[Check] = []
    keep: list[str] = []
    flagged_by_caller: str | None = None
    i = 0
    for f in p.features:
        col = d.ident(f.name)
        if f.name in p.text:
            text = d.text(f.operands[0])
            raw.append(f"CASE WHEN coalesce({text}, '') = '' THEN 'Not stated' ELSE {text} END AS {col}")
            final.append(col)
            continue
        raw.append(f"{q.value(f)} AS {col}")
        raw.append(f"{q.any_blank(f)} AS _b{i}")
        zero = q.zero_denominator(f)
        if zero:
            raw.append(f"{zero} AS _z{i}")
        is_clustered = f.name in clustered
        label = f.source if f.kind == "column" else f"{f.name} ({f.source})"
        bad_reason = "not a date" if f.kind == "days_since" else "not a number"
        flags = [
            (f"({col} IS NULL AND _b{i})", "missing value"),
            (f"({col} IS NULL AND NOT _b{i}" + (f" AND NOT _z{i})" if zero else ")"), bad_reason),
        ]
        if zero:
            flags.append((f"({col} IS NULL AND NOT _b{i} AND _z{i})", "zero denominator"))
        low, high = settings.valid.get(f.name, (None, None))
        outside = []
        if low is not None:
            flags.append((f"coalesce({col} < {float(low)!r}, false)", f"below the valid minimum {_fmt(low)}"))
            outside.append(f"{col} < {float(low)!r}")
        if high is not None:
            flags.append((f"coalesce({col} > {float(high)!r}, false)", f"above the valid maximum {_fmt(high)}"))
            outside.append(f"{col} > {float(high)!r}")
        for cond, reason in flags:
            name = f"_c{len(checks)}"
            final.append(f"{cond} AS {name}")
            checks.append(Check(name, label, reason, is_clustered))
        value = f"CASE WHEN {' OR '.join(outside)} THEN NULL ELSE {col} END" if outside else col
        final.append(f"{value} AS {col}")
        if is_clustered:
            keep.append(f"({value}) IS NOT NULL")
        i += 1
    if p.id_column:
        ids = d.text(p.id_column)
        raw.append(f"{ids} AS customer_id")
        final.append("customer_id")
        missing = "(coalesce(customer_id, '') = '')"
        duplicate = f"(NOT {missing} AND row_number() OVER (PARTITION BY customer_id ORDER BY _line) > 1)" if window else None
        for cond, reason in ((missing, "missing customer id"), (duplicate, "duplicate customer id (first kept)")):
            name = f"_c{len(checks)}"
            checks.append(Check(name, p.id_column, reason, True))
            if cond is None:
                flagged_by_caller = name
                continue
            final.append(f"{cond} AS {name}")
            keep.append(f"NOT {cond}")
    else:
        raw.append("CAST(_line AS STRING) AS customer_id")
        final.append("customer_id")
    final.append(f"({' AND '.join(keep) if keep else 'true'}) AS _keep")
    order = " ORDER BY _line" if window else ""
    sql = f"WITH v AS (SELECT {', '.join(raw)} FROM {source}) SELECT {', '.join(final)} FROM v{order}"
    return Query(sql, tuple(checks), p.numeric, p.attributes, flagged_by_caller)


def duplicate_lines(source: str) -> str:
    """The lines whose customer id was already seen on an earlier line, over `source` (a query's
    result with `customer_id` and `_line`): a hash aggregate, for query(window=False)."""
    return (
        f"SELECT s._line FROM {source} s JOIN (SELECT customer_id, min(_line) AS _first FROM {source} "
        f"WHERE coalesce(customer_id, '') <> '' GROUP BY customer_id HAVING count(*) > 1) d "
        f"ON s.customer_id = d.customer_id WHERE s._line > d._first"
    )


def issues(checks: tuple[Check, ...], counts: Callable[[Check], tuple[int, tuple[int, ...]]]) -> tuple[RowIssue, ...]:
    """RowIssues from each check's count and example lines (however the engine finds them)."""
    out = []
    for c in checks:
        n, lines = counts(c)
        if n:
            out.append(RowIssue(c.column, c.reason, n, lines, c.dropped))
    return tuple(out)


def check_kept(path: Path | str, n_read: int, kept: int, found: tuple[RowIssue, ...], settings: Settings) -> None:
    """Stop when too many rows are unusable or too few customers remain."""
    if n_read == 0:
        raise DataError(f"{path} has a header but no customers.", "Export the table again with its rows.")
    dropped = n_read - kept
    if dropped and dropped / n_read > settings.quality.max_dropped_share:
        worst = max((i for i in found if i.dropped), key=lambda i: i.rows)
        example = f", e.g. line {worst.examples[0]}" if worst.examples else ""
        raise DataError(
            f"{path}: {dropped} of {n_read} rows are unusable (most: {worst.rows} × '{worst.reason}' in column '{worst.column}'{example}).",
            "Fix the export, map the right columns in the config, or raise quality.max_dropped_share.",
        )
    if kept < settings.quality.min_rows:
        raise DataError(f"{path}: only {kept} usable customers; at least {settings.quality.min_rows} are needed.", "Give a larger customer table.")


def sources(p: Plan) -> dict[str, str]:
    """Feature -> where it comes from, for the data-quality section."""
    out = {"customer_id": p.id_column or "line number"}
    for f in p.features:
        out[f.name] = f.source
    return out
