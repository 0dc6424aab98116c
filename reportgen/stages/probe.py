"""What a customer table's columns hold, learnt from the data before the derivation runs: which
columns are text (attributes), which numbers carry currency signs or thousands separators, how the
dates of days_since features are written. The queries run on either engine through a `rows(sql)`
callable; derive.query then uses what `settle` returns."""

from __future__ import annotations

from typing import Any, Callable

from ..config import Settings
from ..engines.sql import Dialect, signed_number
from ..errors import ConfigError
from ..vocabulary import SENSITIVE_BY_DEFAULT
from .dates import date_format, plain_time
from .derive import Plan, source_of

Rows = Callable[[str], list[Any]]


def settle(p: Plan, settings: Settings, d: Dialect, typed: set[str], decimal_comma: bool, source: str, rows: Rows) -> Plan:
    """The plan with its text columns, signed-number columns and date formats settled from `source`."""
    samples = {c: [r[0] for r in rows(sample_sql(d, c, source))] for c in date_columns(p)}
    return resolve(p, settings, counts(p, d, typed, decimal_comma, source, rows), samples)


def counts_sql(p: Plan, d: Dialect, typed: set[str], decimal_comma: bool, source: str) -> tuple[str, list[str]]:
    """One aggregate row: for each untyped column used as a number, its filled and numeric cells."""
    columns = [c for c in p.columns if c not in typed and c != p.id_column and c not in date_columns(p)]
    parts = []
    for i, c in enumerate(columns):
        parts.append(f"sum(CASE WHEN NOT {d.blank(c, c in typed)} THEN 1 ELSE 0 END) AS f{i}")
        parts.append(f"sum(CASE WHEN {d.number(c, False, decimal_comma)} IS NOT NULL THEN 1 ELSE 0 END) AS n{i}")
    if not parts:
        return "", []
    return f"SELECT {', '.join(parts)} FROM {source}", columns


def counts(p: Plan, d: Dialect, typed: set[str], decimal_comma: bool, source: str, rows: Rows) -> dict[str, tuple[int, int, int]]:
    """Per untyped column: filled cells, numeric cells, and numeric cells when read with currency
    signs and thousands separators ('$1,234.50'). The last is counted only for a column whose first
    values read so (a count over every row costs seconds at 10M rows, and text like 'Female' never
    reads as a number); `rows(sql)` runs a query on either engine."""
    sql, columns = counts_sql(p, d, typed, decimal_comma, source)
    if not sql:
        return {}
    row = rows(sql)[0]
    found = {c: (int(row[2 * i] or 0), int(row[2 * i + 1] or 0), int(row[2 * i + 1] or 0)) for i, c in enumerate(columns)}
    for c, (filled, numbers, _) in found.items():
        if filled > numbers and any(signed_number(str(v), decimal_comma) is not None for (v,) in rows(sample_sql(d, c, source, 200))):
            (signed,) = rows(f"SELECT sum(CASE WHEN {d.number(c, False, decimal_comma, True)} IS NOT NULL THEN 1 ELSE 0 END) FROM {source}")[0]
            found[c] = (filled, numbers, int(signed or 0))
    return found


def date_columns(p: Plan) -> set[str]:
    return {f.operands[0] for f in p.features if f.kind == "days_since"}


def sample_sql(d: Dialect, column: str, source: str, limit: int = 5000) -> str:
    """The column's first `limit` filled values, as text."""
    text = d.text(column)
    return f"SELECT {text} AS v FROM {source} WHERE coalesce({text}, '') <> '' LIMIT {limit}"


def resolve(p: Plan, settings: Settings, counts: dict[str, tuple[int, int, int]], samples: dict[str, list[str]]) -> Plan:
    """Tell text attributes (columns without a single number) from numbers, by the probe's counts,
    and settle date formats; a text column used as a number is refused. A column that reads as more
    numbers with its currency signs and thousands separators taken out is read so."""
    where = source_of(settings) if settings.source != "settings" else str(p.path)
    text_cols = {c for c, (filled, numbers, signed) in counts.items() if filled and max(numbers, signed) == 0}
    signed_cols = frozenset(c for c, (_, numbers, signed) in counts.items() if signed > numbers)
    text: set[str] = set()
    used_as_number = set(p.clustered or ())
    for f in p.features:
        if f.kind != "column" or f.name in p.categories.values():
            used_as_number.update(op for op in f.operands if p._is_feature(op, f))
    used_as_number.update(p.categories.values())
    for f in p.features:
        bad = [c for c in f.operands if c in text_cols and not p._is_feature(c, f)]
        if not bad:
            continue
        if f.kind == "column" and f.name not in used_as_number:
            text.add(f.name)
            continue
        raise ConfigError(
            f"{where}: feature '{f.name}' uses column '{bad[0]}' of {p.path.name} as a number, but it holds text.",
            "Cluster on numeric features only; a text column can be a descriptive attribute (map it alone and leave it out of features).",
        )
    formats, zoned = {}, set()
    for f in p.features:
        if f.kind == "days_since":
            values = samples.get(f.operands[0], [])
            formats[f.name] = f.date_format or date_format(values, f"{where}: feature '{f.name}' (column '{f.operands[0]}')")
            if any(plain_time(str(v).strip()) != str(v).strip() for v in values):
                zoned.add(f.name)
    clustered = p.clustered
    if clustered is None:
        clustered = tuple(f.name for f in p.features if f.name not in text and not f.sensitive and f.name not in SENSITIVE_BY_DEFAULT and f.name not in p.categories.values())
        if not clustered:
            raise ConfigError(f"{where}: no numeric feature to cluster on.", "Map numeric columns under columns: and list them in features:.")
    return Plan(p.path, p.header, p.id_column, p.features, clustered, p.categories, p.period, frozenset(text), formats, signed_cols, frozenset(zoned))
