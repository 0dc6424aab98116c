"""A customer table's plan (stages/derive.py) as one SQL query: every feature, the row checks
(missing, not a number, outside the valid range, a date after the period, missing or repeated
customer id) as boolean columns of the same query, so DuckDB and Spark count them alike, and what
the counts become (row issues, notes, the stop when too few customers remain). On one machine the
repeated ids are found beside the query, with the same meaning: see query(window=False)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..input_settings import InputSettings
from ..sql import FINITE, Dialect, quote_text
from ..errors import ConfigError, DataError
from ..model import CustomerTable, RowIssue
from .dates import plain_time_sql
from .identity import customer_id_sql
from .derive import MAX_EXAMPLES, Feature, Plan, sources  # noqa: F401  (MAX_EXAMPLES: the engines' example lines)

NO_ID = "The file has no customer id column; customers are identified by their line number."



def period_end(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{period}-{calendar.monthrange(year, month)[1]:02d}"


class _Sql:
    """Builds the expressions of a plan for one dialect and one set of typed columns."""

    def __init__(self, p: Plan, d: Dialect, typed: set[str]) -> None:
        self.p, self.d, self.typed = p, d, typed

    def is_feature(self, op: str, owner: Feature) -> bool:
        return self.p._is_feature(op, owner)

    def number(self, column: str) -> str:
        return self.d.number(column, column in self.typed, column in self.p.comma, column in self.p.signed)

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
            return f"CAST({self.d.days_between(self.day(f), period_end(self.p.period))} AS DOUBLE)"
        raise AssertionError(f.kind)

    def day(self, f: Feature) -> str:
        """A days_since feature's date as SQL. A two-digit year is the latest year that is not after the
        period ('58 in 2026 is 1958, not 2058; '75 is 1975 on both engines, whose own rules differ)."""
        text = self.d.text(f.operands[0])
        if f.name in self.p.zoned:
            text = plain_time_sql(text)
        fmt = self.p.date_formats[f.name]
        day = f"CAST({self.d.timestamp(text, fmt)} AS DATE)"
        if "%y" not in fmt:
            return day
        return f"(CASE WHEN {day} > DATE {quote_text(period_end(self.p.period))} THEN {self.d.years_earlier(day, 100)} ELSE {day} END)"

    def last_century(self, f: Feature) -> str:
        """True where a two-digit year was read in the century before the period's ('58 -> 1958)."""
        return f"coalesce({self.day(f)} < DATE '{int(self.p.period[:4]) // 100 * 100:04d}-01-01', false)"

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
    notes: tuple[Check, ...] = ()  # flags counted for a note (the value kept), not a row issue


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def query(p: Plan, settings: InputSettings, d: Dialect, typed: set[str], source: str, window: bool = True) -> Query:
    """The derivation as one SELECT over `source` (which has a `_line` column): customer_id, every
    feature after its valid range, the attributes, `_keep`, and one boolean column per check.

    `window=False` leaves out the repeated-id check (a window over every row, then a sort by line:
    most of the query's time at 10M rows) and the ORDER BY: the query is then a plain projection,
    which DuckDB returns in the source's order, and the caller flags repeated ids itself with the
    same meaning (every occurrence of a non-missing id after its first line) and drops them
    (Query.duplicates names that check; see duplicate_lines)."""
    q = _Sql(p, d, typed)
    clustered = set(p.clustered or ())
    raw: list[str] = ["_line"]
    final: list[str] = ["_line"]
    checks: list[Check] = []
    notes: list[Check] = []  # counts reported as notes, not as row issues (the value is kept)
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
        if f.kind == "days_since":  # a date after the period: negative days since, not a value
            end = period_end(p.period)
            flags.append((f"coalesce({col} < 0, false)", f"date after the period's last day {end}"))
            outside.append(f"{col} < 0")
            if "%y" in p.date_formats[f.name]:
                raw.append(f"{q.last_century(f)} AS _y{i}")
                century = int(p.period[:4]) // 100 * 100
                notes.append(Check(
                    f"_n{len(notes)}", f.operands[0],
                    f"dates with a two-digit year read as {century - 100}-{century - 1}: a two-digit year is the latest one not after {end}", False,
                ))
                final.append(f"_y{i} AS {notes[-1].flag}")
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
        ids = customer_id_sql(d.text(p.id_column))
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
    return Query(sql, tuple(checks), p.numeric, p.attributes, flagged_by_caller, tuple(notes))


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


def note_texts(notes: tuple[Check, ...], counts: Callable[[Check], tuple[int, tuple[int, ...]]]) -> tuple[str, ...]:
    """The notes' sentences for Data quality, from each flag's count and example lines."""
    out = []
    for c in notes:
        n, lines = counts(c)
        if n:
            example = f" (e.g. line {lines[0]})" if lines else ""
            out.append(f"Column '{c.column}': {n:,} {c.reason}{example}.")
    return tuple(out)


def check_kept(path: Path | str, n_read: int, kept: int, found: tuple[RowIssue, ...], settings: InputSettings) -> None:
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


def facts(p: Plan) -> dict[str, str]:
    """What the reader must know about a customer table: the day its days-since features count to."""
    dated = [f.name for f in p.features if f.kind == "days_since"]
    return {"dates_to": period_end(p.period)} if dated else {}


def customer_table(
    p: Plan, q: Query, frame: Any, source: Path, checksum: str, n_read: int, found: tuple[RowIssue, ...], notes: tuple[str, ...], n_used: int | None = None
) -> CustomerTable:
    """The CustomerTable of a derivation, whichever engine ran it (`frame`: the rows it holds)."""
    return CustomerTable(
        frame=frame, source=source, checksum=checksum, n_read=n_read, columns=sources(p), issues=found,
        notes=(() if p.id_column else (NO_ID,)) + notes, n_used=n_used, numeric=q.numeric, attributes=q.attributes,
        clustered=tuple(p.clustered or ()), categories=dict(p.categories), facts=facts(p),
    )
