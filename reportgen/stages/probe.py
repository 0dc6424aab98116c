"""What a customer table's columns hold, learnt from the data before the derivation runs: which
columns are text (attributes), which numbers carry currency signs or thousands separators, how the
dates of days_since features are written. The queries run on either engine through a `rows(sql)`
callable; derive_sql.query then uses what `settle` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..input_settings import InputSettings
from ..sql import FINITE, Dialect, quote_text, signed_number
from ..errors import ConfigError
from ..vocabulary import SENSITIVE_BY_DEFAULT
from . import numbers
from .dates import date_format, plain_time
from .derive import Plan, source_of

Rows = Callable[[str], list[Any]]


def settle(p: Plan, settings: InputSettings, d: Dialect, typed: set[str], decimal_comma: bool, source: str, rows: Rows) -> Plan:
    """The plan with its text columns, number conventions, signed-number columns and date formats
    settled from `source`. `decimal_comma`: the file's delimiter says decimal comma (a ';' file)
    when no value of a column tells (see stages/numbers.py)."""
    samples = {c: [r[0] for r in rows(sample_sql(d, c, source))] for c in date_columns(p)}
    found = counts(p, settings, d, typed, decimal_comma, source, rows)
    return resolve(p, settings, found.cells, samples, found.comma, found.grouped)


def counts_sql(p: Plan, d: Dialect, typed: set[str], source: str) -> tuple[str, list[str]]:
    """One aggregate row: for each untyped column used as a number, its filled cells, cells that read
    as a number with a decimal point and with a decimal comma, and its cells by shape (numbers.counts_sql).
    Each distinct text is tested once, weighted by its cells: a column repeats its values (a gender,
    a region, prices), and the casts and regular expressions cost ~0.4 s per million cells each time."""
    columns = [c for c in p.columns if c not in typed and c != p.id_column and c not in date_columns(p)]
    if not columns:
        return "", []
    parts = []
    for i, c in enumerate(columns):
        v, w = f"v{i}", f"w{i}"
        distinct = f"SELECT {v}, count(*) AS {w} FROM (SELECT {d.text(c)} AS {v} FROM {source}) t{i} GROUP BY {v}"
        shaped = f"SELECT {v}, {numbers.shape_sql(v)} AS k{i}_s, {w} FROM ({distinct}) d{i}"
        sums = [
            f"sum(CASE WHEN coalesce({v}, '') <> '' THEN {w} ELSE 0 END) AS f{i}",
            f"sum(CASE WHEN {_finite(f'try_cast({v} AS DOUBLE)')} THEN {w} ELSE 0 END) AS n{i}",
            f"sum(CASE WHEN {_finite(f'try_cast(replace({v}, {quote_text(chr(44))}, {quote_text(chr(46))}) AS DOUBLE)')} THEN {w} ELSE 0 END) AS m{i}",
            *numbers.counts_sql(v, f"k{i}", w),
        ]
        parts.append(f"(SELECT {', '.join(sums)} FROM ({shaped}) s{i}) c{i}")
    return "SELECT * FROM " + " CROSS JOIN ".join(parts), columns


def _finite(value: str) -> str:
    return f"abs({value}) <= {FINITE}"


@dataclass(frozen=True)
class Counts:
    """What the probe found in the untyped columns used as numbers."""

    cells: dict[str, tuple[int, int, int]]  # filled, numeric, numeric when read with signs and separators
    comma: frozenset[str]  # columns whose decimal mark is a comma
    grouped: frozenset[str]  # columns with thousands separators: read with Dialect.number(signed=True)


def counts(p: Plan, settings: InputSettings, d: Dialect, typed: set[str], decimal_comma: bool, source: str, rows: Rows) -> Counts:
    """Per untyped column: filled cells, numeric cells, and numeric cells when read with currency
    signs and thousands separators ('$1,234.50'); and its number convention (stages/numbers.py).
    The signed count is made only for a column with thousands separators or whose first values read
    so (a count over every row costs seconds at 10M rows, and text like 'Female' never reads as a
    number); `rows(sql)` runs a query on either engine."""
    sql, columns = counts_sql(p, d, typed, source)
    if not sql:
        return Counts({}, frozenset(), frozenset())
    row = rows(sql)[0]
    width = 3 + numbers.N_COUNTS
    cells: dict[str, tuple[int, int, int]] = {}
    comma: set[str] = set()
    grouped: set[str] = set()
    for i, c in enumerate(columns):
        filled, point, by_comma, *shape = row[width * i : width * (i + 1)]
        convention = numbers.decide(numbers.shapes(shape), decimal_comma, settings.decimal, c, str(p.path))
        comma.update([c] if convention.comma else [])
        grouped.update([c] if convention.grouped else [])
        plain = int((by_comma if convention.comma else point) or 0)
        signed = plain
        if convention.grouped or (
            int(filled or 0) > plain and any(signed_number(str(v), convention.comma) is not None for (v,) in rows(sample_sql(d, c, source, 200)))
        ):
            (n,) = rows(f"SELECT sum(CASE WHEN {d.number(c, False, convention.comma, True)} IS NOT NULL THEN 1 ELSE 0 END) FROM {source}")[0]
            signed = int(n or 0)
        cells[c] = (int(filled or 0), plain, signed)
    return Counts(cells, frozenset(comma), frozenset(grouped))


def date_columns(p: Plan) -> set[str]:
    return {f.operands[0] for f in p.features if f.kind == "days_since"}


def sample_sql(d: Dialect, column: str, source: str, limit: int = 5000) -> str:
    """The column's first `limit` filled values, as text."""
    text = d.text(column)
    return f"SELECT {text} AS v FROM {source} WHERE coalesce({text}, '') <> '' LIMIT {limit}"


def resolve(p: Plan, settings: InputSettings, counts: dict[str, tuple[int, int, int]], samples: dict[str, list[str]], comma: frozenset[str] = frozenset(), grouped: frozenset[str] = frozenset()) -> Plan:
    """Tell text attributes (columns without a single number) from numbers, by the probe's counts,
    and settle date formats; a text column used as a number is refused. A column that reads as more
    numbers with its currency signs and thousands separators taken out is read so."""
    where = source_of(settings) if settings.source != "settings" else str(p.path)
    text_cols = {c for c, (filled, plain, signed) in counts.items() if filled and max(plain, signed) == 0}
    signed_cols = frozenset(c for c, (_, plain, signed) in counts.items() if signed > plain or (c in grouped and signed))
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
    return Plan(p.path, p.header, p.id_column, p.features, clustered, p.categories, p.period, frozenset(text), formats, signed_cols, frozenset(zoned), comma)
