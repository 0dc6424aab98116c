"""Transaction logs in: one row per customer with recency, frequency, monetary value and friends.

The derivation is written once, as SQL text built through `reportgen.sql.Dialect`, and run by DuckDB
on one machine (`load`) or by Spark SQL (engines/spark_read.py). Only reading the file into a view
named `src` (every column as text) and keeping an intermediate result differ between the engines
(`derive` takes both as functions); every query below is the same text for both.

Two scans of the file, then aggregations of what the second kept (their SQL is in stages/order_sql.py):
  1. `vals`: the distinct texts of the date and value columns with their line counts (small: a log
     repeats its times and prices), from which the shape of the dates (ISO or d/m/y vs m/d/y, two-
     or four-digit years, time of day) and how each value column writes its numbers (decimal point
     or comma, thousands separators: stages/numbers.py) are decided, over every line;
  2. `lines` (kept: a DuckDB temp table, a cached Spark view): every line read once, cleaned and
     parsed with those conventions, with what happened to it (purchase, no customer id, unreadable
     date, after the period, cancellation, ...);
  3. line counts and revenue by status and product, which give the row issues, the as-of day and
     the top products;
  4. the per-customer aggregation.

Definitions (also stated in `CustomerTable.facts["definitions"]` for the report, with the columns
they come from: stages/order_summary.py):
  - a *purchase line* has a customer id, a readable date on or before the period's last day, an
    order id not starting with "C" and a digit, and quantity > 0 and price > 0 (or amount > 0); a
    log without an order id counts a customer's lines at one date and time as one order, and a log
    without a value column (no amount, no quantity and price) is segmented on recency and frequency;
  - a customer with lines on or before the period's last day but no purchase line is left out and
    counted by why (every line zero or negative, only returns, nothing readable);
  - the *as-of day* is the day after the latest purchase line on or before the period's last day;
  - `recency_days`: whole days from the customer's last purchase line to the as-of day (>= 1);
  - `frequency`: distinct order ids among the customer's purchase lines;
  - `monetary`: sum of quantity x price (or amount) over the customer's purchase lines;
  - `tenure_days`: whole days from the customer's first purchase line to the as-of day (>= recency);
  - `avg_order_value`: monetary / frequency;
  - `return_rate`: value returned / value bought, capped at 1. Value returned = sum of
    |quantity| x price (or |amount|) over the customer's cancellation lines (order id starting "C")
    and lines with a negative or zero quantity, dated on or before the period's last day. Returns can
    exceed purchases when goods bought before the file starts come back, hence the cap at 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..sql import DUCKDB, Dialect, quote_text
from ..errors import DataError
from ..model import CustomerTable, RowIssue
from .order_columns import _auto, recognise, resolve  # noqa: F401  (resolve, recognise: also used through this module)
from .order_sql import (
    KEPT, LEFT_OUT, NOT_NUMBER, Columns, conventions, counts_sql, customers_sql, date_formats, lines_sql, norm_sql, numbers_sql, probe_sql,
    values_sql,
)
from . import order_typed
from .order_typed import probe_of as _probe
from .order_summary import NO_VALUE, Summary, definitions, period_end, summarise  # noqa: F401  (NO_VALUE: the report's statement)

if TYPE_CHECKING:
    import pandas as pd

    from ..input_settings import InputSettings


# ---------------------------------------------------------------- engines: DuckDB (local)

_DUCK_ENCODING = {"utf-8-sig": "utf-8", "cp1252": "latin-1", "latin-1": "latin-1", "utf-16": "utf-16"}


def _not_numbers(counts: list[tuple[Any, ...]]) -> int:
    """Lines whose value is not a number, from counts_sql's rows (status first, line count third)."""
    return sum(int(row[2] or 0) for row in counts if row[0] == NOT_NUMBER)


class _NotUtf8(Exception):
    """The CSV is not plain UTF-8: DuckDB reads a UTF-8 copy of it (stages/encodings.py)."""


def _duck_source(con: Any, path: Path, checksum: bool = True, readable: Path | None = None) -> tuple[list[str], str, str, str]:
    """Create the view `src` (every column as text) over `readable` (default `path`); return the
    header, the delimiter, the checksum of `path` and the encoding DuckDB reads it with ('' for
    Parquet). Raises _NotUtf8 for a Windows-1252 or Latin-1 file (DuckDB would read the euro sign of
    Windows-1252 as a control character)."""
    from ..files import sha256
    from . import read

    where = quote_text(str(readable or path))
    if read.is_parquet(path):
        header = read.header(path)
        con.execute(f"CREATE VIEW src AS SELECT * FROM read_parquet({where})")
        return header, ",", sha256(path) if checksum else "", ""
    sniffed = read.sniff(readable or path)
    if sniffed.encoding in ("cp1252", "latin-1"):
        raise _NotUtf8()
    encoding = _DUCK_ENCODING.get(sniffed.encoding, "utf-8")
    con.execute(
        f"CREATE VIEW src AS SELECT * FROM read_csv({where}, delim={quote_text(sniffed.delimiter)}, header=true, "
        f"all_varchar=true, quote='\"', escape='\"', encoding={quote_text(encoding)}, null_padding=true, strict_mode=false)"
    )
    header = [str(r[0]).strip() for r in con.execute("DESCRIBE src").fetchall()]
    if len(header) > len(sniffed.header):  # DuckDB widened the table for a row with a field too many
        read.refuse_ragged(path, read.sniff(path))
    return header, sniffed.delimiter, sha256(path) if checksum else "", encoding


REPEAT_PROBE = 100_000  # lines read first: an order log shows a repeated customer id long before


def is_order_log(path: Path, settings: InputSettings) -> bool:
    """Whether an undeclared file is an order log: a customer id and a date recognised by name, and
    a customer id that repeats (in a customer table every customer has one row, so a table with
    'Customer ID, Signup Date, Total Spent' is not a log, however its columns are named)."""
    import duckdb

    from . import read

    if not recognise(read.header(path), settings):
        return False
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _REPEATS:  # a run asks up to four times (checks, load, period); at 5M lines each asks ~1-2 s
        _REPEATS.clear()
        try:
            _REPEATS[key] = _ids_repeat(path, path)
        except _NotUtf8:
            from . import encodings

            with encodings.utf8_copy(path) as (copy, _):
                _REPEATS[key] = _ids_repeat(path, copy)
    return _REPEATS[key]


_REPEATS: dict[tuple[str, int, int], bool] = {}  # the last file's answer: (path, size, modified) -> ids repeat


def _ids_repeat(path: Path, readable: Path) -> bool:
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    try:
        header, _, _, _ = _duck_source(con, path, checksum=False, readable=readable)
        column = str(_auto(header)["customer_id"])
        ids = f"SELECT cid FROM ({norm_sql(Columns(column, None, column), DUCKDB)}) n WHERE cid IS NOT NULL"
        total, distinct = con.execute(f"SELECT count(*), count(DISTINCT cid) FROM (SELECT cid FROM ({ids}) i LIMIT {REPEAT_PROBE}) h").fetchone()
        if total == REPEAT_PROBE and total == distinct:
            total, distinct = con.execute(f"SELECT count(*), count(DISTINCT cid) FROM ({ids}) i").fetchone()
    except duckdb.Error as exc:
        if "unicode" in str(exc).lower() and readable == path:
            raise _NotUtf8() from None
        return True  # a log's header, but not readable: the order-log reader names the problem
    except DataError:
        return True
    finally:
        con.close()
    return bool(total == 0 or total > distinct)  # no id at all: the order-log reader says so


def check_customers(n: int, source: str, least: int = 2) -> None:
    """At least `least` customers with a purchase (the pipeline asks for quality.min_rows, as of a
    customer table: stages/load.with_order_features)."""
    if n < least:
        raise DataError(
            f"{source}: only {n} customer{'' if n == 1 else 's'} made a purchase; at least {least} are needed.",
            "Give the whole order log, not a few customers' orders (or lower quality.min_rows).",
        )


def derive(dialect: Dialect, query: Callable[[str], list[tuple[Any, ...]]], keep: Callable[[str, str], None],
           cols: Columns, source: str, settings: InputSettings, delimiter: str) -> tuple[Summary, str]:
    """The derivation, engine-neutral: `keep(sql, name)` stores a result as a named relation (DuckDB
    temp table, cached Spark view; a second keep of a name replaces it), `query(sql)` returns rows.
    The view `src` must exist. Returns what the line counts told and the SQL of the per-customer
    table, for the engine to run."""
    keep(values_sql(cols, dialect), "vals")
    probe = _probe(query(probe_sql(cols, dialect))[0])
    formats = date_formats(probe, cols, source)
    end = period_end(settings.period).isoformat()
    found = conventions(query(numbers_sql(cols))[0], cols, delimiter, settings.decimal, source)
    comma = frozenset(t for t, c in found.items() if c.comma)
    grouped = frozenset(t for t, c in found.items() if c.grouped)
    keep(lines_sql(cols, dialect, formats, end, comma, zoned=probe.n_zoned > 0, signed=grouped), "lines")
    counts = query(counts_sql("SELECT * FROM lines"))
    unread = _not_numbers(counts)
    if unread:  # values with currency signs? Read them so, if that reads more.
        signed = lines_sql(cols, dialect, formats, end, comma, zoned=probe.n_zoned > 0, signed=frozenset(found))
        signed_counts = query(counts_sql(signed))
        if _not_numbers(signed_counts) < unread:
            keep(signed, "lines")
            counts = signed_counts
    summary = summarise(counts, cols, source, settings, formats)
    return summary, customers_sql("SELECT * FROM lines", dialect, summary.as_of, summary.items, value=cols.has_value)


def load(settings: InputSettings) -> CustomerTable:
    """The order log at settings.data_path aggregated by DuckDB into one row per customer; a file
    that is not plain UTF-8 is read through a UTF-8 copy (stages/encodings.py), with a note when
    some of its bytes are not UTF-8."""
    from dataclasses import replace

    from . import encodings

    path = settings.data_path
    try:
        return _load(settings, path, path)
    except _NotUtf8:
        with encodings.utf8_copy(path) as (copy, found):
            table = _load(settings, path, copy)
        note = encodings.note(path, found)
        return replace(table, notes=(*table.notes, note)) if note else table


def _load(settings: InputSettings, path: Path, readable: Path) -> CustomerTable:
    from concurrent.futures import ThreadPoolExecutor

    from ..files import sha256

    # the checksum (~0.1 s per 100 MB) is read beside DuckDB's passes: hashlib lets go of the GIL
    with ThreadPoolExecutor(1) as pool:
        checksum = pool.submit(sha256, path)
        frame, cols, summary = _aggregate(settings, path, readable)
        return _customers(frame, path, checksum.result(), cols, summary)


def _aggregate(settings: InputSettings, path: Path, readable: Path) -> tuple[pd.DataFrame, Columns, Summary]:
    """The per-customer frame DuckDB computes (every customer with a line in the period, `left_out` saying why
    some have no features), the roles of the columns and what the line counts told."""
    import duckdb

    source = str(path)
    # `lines` kept in the file's order: the sums of money then add up in the same order as before the
    # order log was read in one pass (letting DuckDB store it in any order moved their last bits, and the
    # Gamma-Gamma fit's sixth digit with them)
    con = duckdb.connect(config={"preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")
    try:
        try:
            header, delimiter, _, encoding = _duck_source(con, path, checksum=False, readable=readable)
        except duckdb.Error as exc:
            if "unicode" in str(exc).lower() and readable == path:
                raise _NotUtf8() from None  # a byte that is not UTF-8
            raise DataError(f"{source}: cannot be read as CSV ({str(exc).splitlines()[0]}).", "Export the order log again as CSV.") from None
        cols = resolve(header, settings, source)
        from . import read

        read.refuse_indistinct(source, read.header(path), cols.used)  # DuckDB renames such twins
        query, keep = lambda sql: con.execute(sql).fetchall(), lambda sql, name: con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        try:
            typed = _typed(con, query, keep, readable, encoding, cols, source, settings, delimiter) if encoding and order_typed.eligible(cols, settings, delimiter) else None
            summary, final = typed or derive(DUCKDB, query, keep, cols, source, settings, delimiter)
            # one thread for the per-customer sums: with several, a customer's money is added in the order
            # the threads finish, and two runs of one file differed in its last bits (2 runs in 30)
            con.execute("SET threads = 1")
            frame = con.execute(final + " ORDER BY customer_id").df()
        except duckdb.Error as exc:
            if "unicode" in str(exc).lower() and readable == path:
                raise _NotUtf8() from None  # a byte further down that is not UTF-8
            raise DataError(f"{source}: the order log could not be read ({str(exc).splitlines()[0]}).", "Check that it is a CSV with one line per order line.") from None
    finally:
        con.close()
    return frame, cols, summary


def _typed(con: Any, query: Callable[[str], list[tuple[Any, ...]]], keep: Callable[[str, str], None], readable: Path, encoding: str,
           cols: Columns, source: str, settings: InputSettings, delimiter: str) -> tuple[Summary, str] | None:
    """derive's result from one typed read of the file (stages/order_typed.py), or None when the file
    does not fit it (a cell the guessed format does not read): then it is read as text."""
    import duckdb

    guessed = order_typed.guess(query, keep, cols, source, settings, delimiter)
    if guessed is None:
        return None
    formats, probe = guessed
    names = [str(r[0]) for r in con.execute("DESCRIBE src").fetchall()]
    try:
        con.execute(order_typed.source_sql(quote_text(str(readable)), delimiter, encoding, names, cols, formats[0]))
        keep(lines_sql(cols, DUCKDB, formats, period_end(settings.period).isoformat(), typed=True), "lines")
    except duckdb.Error:
        return None
    if not order_typed.settled(query, cols, probe, formats, source):
        return None
    summary = summarise(query(counts_sql("SELECT * FROM lines")), cols, source, settings, formats)
    return summary, customers_sql("SELECT * FROM lines", DUCKDB, summary.as_of, summary.items, value=cols.has_value)


def _customers(frame: pd.DataFrame, path: Path, checksum: str, cols: Columns, summary: Summary) -> CustomerTable:
    """The customers with a purchase, typed; those left out counted by why."""
    source = str(path)
    left_out = {int(k): int(n) for k, n in frame["left_out"].value_counts().items() if int(k) != KEPT}
    frame = frame[frame["left_out"] == KEPT].drop(columns="left_out").reset_index(drop=True)
    check_customers(len(frame), source)
    frame["customer_id"] = frame["customer_id"].astype(str)
    for name in ("recency_days", "frequency", "tenure_days"):
        frame[name] = frame[name].astype("int64")
    return order_table(frame, path, checksum, cols, summary, len(frame), left_out)


def order_table(
    frame: pd.DataFrame, path: Path, checksum: str, cols: Columns, summary: Summary, n: int, left_out: dict[int, int], n_used: int | None = None
) -> CustomerTable:
    """The CustomerTable of an order log: n customers with a purchase, and the customers left out
    (every line zero, only returns, nothing readable) counted as read and named in the issues."""
    columns = definitions(cols)
    for label, col in summary.items.items():
        columns[col] = f"Value bought of {label} ({cols.item})"
    gone = tuple(RowIssue(cols.customer_id, LEFT_OUT[k], left_out[k], (), True) for k in sorted(left_out))
    notes = (f"Order log: {summary.facts['lines']} lines, {summary.facts['purchase_lines']} purchase lines, {n} customers, as of {summary.as_of}.",)
    if not cols.has_value:
        notes += (NO_VALUE,)
    return CustomerTable(
        frame=frame, source=path, checksum=checksum, n_read=n + sum(left_out.values()), columns=columns, issues=(*summary.issues, *gone),
        notes=notes, n_used=n_used, kind="transactions", facts=dict(summary.facts), categories=dict(summary.items),
    )
