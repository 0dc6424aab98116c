"""Transaction logs in: one row per customer with recency, frequency, monetary value and friends.

The derivation is written once, as SQL text built through `engines.sql.Dialect`, and run by DuckDB
on one machine (`load`) or by Spark SQL (`spark_frame`). Only reading the file into a view named
`src` (every column as text) and keeping an intermediate result differ between the engines (`derive`
takes both as functions); every query below is the same text for both.

Four steps (their SQL is in stages/order_sql.py):
  1. `norm`: the columns used, as clean text (kept: a DuckDB temp table, a cached Spark view), so
     the file is parsed once;
  2. a probe: the shape of the dates (ISO or d/m/y vs m/d/y, two- or four-digit years, time of day)
     and whether the amounts use a decimal comma, decided over every line;
  3. line counts by what happened to each line (purchase, no customer id, unreadable date, after the
     period, cancellation, ...) and revenue by product, which give the row issues, the as-of day and
     the top products;
  4. the per-customer aggregation.

Definitions (also stated in `CustomerTable.facts["definitions"]` for the report):
  - a *purchase line* has a customer id, a readable date on or before the period's last day, an
    order id not starting with "C", and quantity > 0 and price > 0 (or amount > 0);
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

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..engines.sql import DUCKDB, SPARK, Dialect, quote_text
from ..errors import DataError
from ..model import CustomerTable, RowIssue
from ..suggest import did_you_mean, names
from ..vocabulary import ORDER_COLUMNS, ORDER_ROLES, TRANSACTION_FEATURES, feature_name, find_by_words, find_column
from .order_sql import (
    AFTER_PERIOD, BAD_DATE, CANCELLED, NO_ID, NO_ORDER, NOT_NUMBER, PRICE_NONPOS, PURCHASE, QTY_NONPOS,
    Columns, Probe, counts_sql, customers_sql, date_formats, lines_sql, norm_sql, probe_sql,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..config import Settings


DEFINITIONS: dict[str, str] = {
    "recency_days": "Days from the customer's last purchase to the as-of day (1 = bought on the last day).",
    "frequency": "Number of distinct orders (invoices) with at least one purchase line.",
    "monetary": "Total value bought: sum of quantity x unit price over purchase lines.",
    "tenure_days": "Days from the customer's first purchase in the file to the as-of day.",
    "avg_order_value": "Average value per order: monetary / frequency.",
    "return_rate": "Value cancelled or returned as a share of the value bought (0-1, capped at 1).",
}

def _auto(header: list[str]) -> dict[str, str | None]:
    """Each role's column: by its usual names first, then, for the roles still open, by the words
    in the remaining column names ('Buyer Ref', 'Ordered At')."""
    found: dict[str, str | None] = {}
    taken: set[str] = set()
    for role in ORDER_ROLES:
        col = find_column(ORDER_COLUMNS[role], [h for h in header if h not in taken])
        found[role] = col
        if col is not None:
            taken.add(col)
    for role in ORDER_ROLES:
        if found[role] is None:
            col = find_by_words(role, [h for h in header if h not in taken])
            found[role] = col
            if col is not None:
                taken.add(col)
    return found


def recognise(header: list[str], settings: Settings) -> bool:
    """True when the data is an order log: declared by `settings.transactions`, or a header with a
    customer id, an order id, a date and either an amount or a quantity and a price."""
    if settings.transactions is not None:
        return True
    found = _auto([h.strip() for h in header])
    has_value = found["amount"] is not None or (found["quantity"] is not None and found["price"] is not None)
    return all(found[r] is not None for r in ("customer_id", "order_id", "date")) and has_value


def resolve(header: list[str], settings: Settings, source: str) -> Columns:
    """The columns to use: declared ones (each checked against the header), the rest recognised by name."""
    header = [h.strip() for h in header]
    declared = settings.transactions
    found: dict[str, str | None] = {r: None for r in ORDER_ROLES}
    for role in ORDER_ROLES:
        name = getattr(declared, role, None) if declared is not None else None
        if name is None:
            continue
        if name not in header:
            hint = did_you_mean(name, header, listing="Its columns are")
            raise DataError(f"{source}: setting transactions.{role} names column '{name}', which the file does not have.", hint)
        found[role] = name
    auto = _auto([h for h in header if h not in set(v for v in found.values() if v)])
    for role in ORDER_ROLES:
        if found[role] is None:
            found[role] = auto[role]
    if declared is not None and declared.amount is not None and (declared.quantity is None or declared.price is None):
        found["quantity"] = found["price"] = None  # the declared amount is the line's value
    elif found["quantity"] is not None and found["price"] is not None:
        found["amount"] = None
    needs = [("customer_id", "the customer id"), ("date", "the order date")]
    if declared is None:  # recognised by name: an order id is part of what makes the file an order log
        needs.insert(1, ("order_id", "the order (invoice) id"))
    for role, what in needs:
        if found[role] is None:
            raise DataError(
                f"{source}: no column for {what} (transactions.{role}) among: {names(header)}.",
                f"Name it in the config, e.g. transactions: {{{role}: <column>}}.",
            )
    if found["amount"] is None and (found["quantity"] is None or found["price"] is None):
        missing = "quantity" if found["quantity"] is None else "price"
        raise DataError(
            f"{source}: no column for the line's value: neither an amount nor a {missing} (transactions.amount / transactions.{missing}).",
            "Name them in the config: transactions: {amount: <column>} or {quantity: <column>, price: <column>}.",
        )
    return Columns(
        customer_id=str(found["customer_id"]), order_id=found["order_id"], date=str(found["date"]),
        quantity=found["quantity"], price=found["price"], amount=found["amount"],
        product=found["product"], category=found["category"],
        date_format=declared.date_format if declared is not None else None,
    )


# ---------------------------------------------------------------- deciding from the small results

def period_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:])
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def item_columns(labels: list[str]) -> dict[str, str]:
    """Item text -> a safe, unique column name (spend_<slug>)."""
    used: set[str] = set(TRANSACTION_FEATURES) | {"customer_id"}
    return {label: feature_name(label or "item", used, split_words=False, prefix="spend_") for label in labels}


_REASONS = {
    NO_ID: ("customer_id", "no customer id (line not used)"),
    BAD_DATE: ("date", "date missing or not readable (line not used)"),
    AFTER_PERIOD: ("date", "after the period's last day {end} (ignored for this period)"),
    CANCELLED: ("order_id", "cancellation (order id starts with C and a digit): not a purchase, counted in return_rate"),
    NO_ORDER: ("order_id", "no order id (line not used)"),
    NOT_NUMBER: ("quantity/price", "quantity or price is not a number (line not used)"),
    QTY_NONPOS: ("quantity", "quantity zero or negative: not a purchase, counted in return_rate"),
    PRICE_NONPOS: ("price", "price zero or negative: not a purchase (line not used)"),
}


@dataclass
class Summary:
    """What pass 2 tells: counts by status, the as-of day, the top items, the facts and issues."""

    by_status: dict[int, int]
    as_of: str
    first_day: str
    items: dict[str, str]
    issues: tuple[RowIssue, ...]
    facts: dict[str, str] = field(default_factory=dict)


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.datetime.fromisoformat(str(value)).date()


def summarise(rows: list[tuple[Any, ...]], cols: Columns, source: str, settings: Settings, formats: tuple[str, ...]) -> Summary:
    """rows of counts_sql: (status, item, n, revenue, first_ts, last_ts, bad_example)."""
    from ..config import Transactions

    declared = settings.transactions or Transactions()
    top = declared.top_items
    services = [pattern.lower() for pattern in declared.not_products]
    end = period_end(settings.period)
    by_status: dict[int, int] = {}
    revenue: dict[str, float] = {}
    first = last = None
    bad_example = None
    for status, item, n, rev, first_ts, last_ts, example in rows:
        status = int(status)
        by_status[status] = by_status.get(status, 0) + int(n)
        if status == PURCHASE:
            if item is not None and rev is not None:
                revenue[item] = revenue.get(item, 0.0) + float(rev)
            first = first_ts if first is None or (first_ts is not None and first_ts < first) else first
            last = last_ts if last is None or (last_ts is not None and last_ts > last) else last
        if example is not None and (bad_example is None or example < bad_example):
            bad_example = example
    total = sum(by_status.values())
    with_id = total - by_status.get(NO_ID, 0)
    hint_fmt = "Set transactions.date_format in the config (strftime, e.g. '%d/%m/%Y %H:%M')."
    if total == 0:
        raise DataError(f"{source} has no lines.", "Export the order log again, with its lines.")
    if with_id == 0:
        raise DataError(f"{source}: no line has a customer id in '{cols.customer_id}'.", "RFM needs to know who bought; export the log with customer ids.")
    if by_status.get(BAD_DATE, 0) > with_id / 2:
        raise DataError(
            f"{source}: {by_status[BAD_DATE]:,} of {with_id:,} lines have a date in '{cols.date}' that does not read as {formats[0]} (e.g. {bad_example!r}).",
            hint_fmt,
        )
    if last is None:
        returns = by_status.get(CANCELLED, 0) + by_status.get(QTY_NONPOS, 0)
        if by_status.get(AFTER_PERIOD, 0) and not returns:
            raise DataError(f"{source}: no purchase on or before {end.isoformat()}, the last day of period {settings.period}.", "Choose a later --period.")
        if returns and returns >= with_id - by_status.get(BAD_DATE, 0) - by_status.get(AFTER_PERIOD, 0):
            raise DataError(f"{source}: every line with a customer id is a cancellation or return; there are no purchases.", "Export the sales, not only the cancellations.")
        raise DataError(f"{source}: no purchase line (positive quantity and price, a customer id, a date on or before {end.isoformat()}).", "Check the quantity and price columns.")
    as_of = _day(last) + dt.timedelta(days=1)
    goods = {item: rev for item, rev in revenue.items() if not any(fnmatch.fnmatchcase(item.strip().lower(), p) for p in services)}
    ranked = sorted(goods.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    items = item_columns([label for label, _ in ranked])
    issues = []
    for status, (column, reason) in _REASONS.items():
        n = by_status.get(status, 0)
        if n:
            col = {"customer_id": cols.customer_id, "date": cols.date, "order_id": cols.order_id}.get(column, column)
            if column == "quantity/price" and cols.uses_amount:
                col, reason = str(cols.amount), "amount is not a number (line not used)"
            if column == "quantity" and cols.uses_amount:
                col, reason = str(cols.amount), "amount zero or negative: not a purchase, counted in return_rate"
            elif column in ("quantity", "price"):
                col = getattr(cols, column)
            issues.append(RowIssue(col, reason.format(end=end.isoformat()), n, (), True))
    item_kind = "categories" if cols.category else "products"
    facts = {
        "as_of": as_of.isoformat(),
        "period_end": end.isoformat(),
        "first_purchase": _day(first).isoformat(),
        "last_purchase": _day(last).isoformat(),
        "lines": str(total),
        "purchase_lines": str(by_status.get(PURCHASE, 0)),
        "date_format": formats[0],
        "definitions": (
            f"As of {as_of.isoformat()} (the day after the last purchase on or before {end.isoformat()}). "
            + f"A purchase is a line with a customer id, {'a positive amount' if cols.uses_amount else 'a positive quantity and price'}"
            + (
                " and an order id not starting with C and a digit (C536379 cancels an order). Recency: days since the last purchase. Frequency: distinct orders. "
                if cols.order_id
                else f"; the file has no order id, so a customer's lines at one date and time ({cols.date}) count as one order. "
                "Recency: days since the last purchase. Frequency: orders so counted. "
            )
            + f"Monetary: total value bought ({'sum of the amounts' if cols.uses_amount else 'quantity x price'}). "
            "Tenure: days since the first purchase in the file. Average order value: monetary / frequency. "
            "Return rate: value of cancellations and negative-quantity lines / value bought, capped at 1."
        ),
    }
    if items:
        left_out = sorted(set(revenue) - set(goods))
        services_note = f", leaving out service lines such as {', '.join(left_out[:4])}" if left_out else ""
        facts["item_spend"] = (
            f"The top {len(items)} {item_kind} by revenue (column {cols.item}) each get a spend figure per customer{services_note}; "
            "the rest counts in total spend only."
        )
    return Summary(by_status, as_of.isoformat(), _day(first).isoformat(), items, tuple(issues), facts)


# ---------------------------------------------------------------- engines: DuckDB (local)

_DUCK_ENCODING = {"utf-8-sig": "utf-8", "cp1252": "latin-1", "latin-1": "latin-1", "utf-16": "utf-16"}


def _probe(row: tuple[Any, ...]) -> Probe:
    n, n_iso, n_dmy, max_a, max_b, year_len, year_len_min, sep, odd, *counts, iso_sep = row
    n_comma, n_point, n_sec, n_time, n_t, n_ampm, n_zoned = (int(c or 0) for c in counts)
    return Probe(int(n or 0), int(n_iso or 0), int(n_dmy or 0), max_a, max_b, year_len, year_len_min, sep, odd, n_comma, n_point, n_sec, n_time, n_t, n_ampm, n_zoned, iso_sep or None)


def _not_numbers(counts: list[tuple[Any, ...]]) -> int:
    """Lines whose value is not a number, from pass 3's rows (status first, line count third)."""
    return sum(int(row[2] or 0) for row in counts if row[0] == NOT_NUMBER)


def _decimal_comma(probe: Probe, delimiter: str) -> bool:
    return delimiter != "," and probe.n_comma > probe.n_point


def _duck_source(con: Any, path: Path) -> tuple[list[str], str, str]:
    """Create the view `src` (every column as text); return the header, the delimiter and the checksum."""
    from ..files import sha256
    from . import read

    where = quote_text(str(path))
    if read.is_parquet(path):
        header = read.header(path)
        con.execute(f"CREATE VIEW src AS SELECT * FROM read_parquet({where})")
        return header, ",", sha256(path)
    sniffed = read.sniff(path)
    encoding = _DUCK_ENCODING.get(sniffed.encoding, "utf-8")
    con.execute(
        f"CREATE VIEW src AS SELECT * FROM read_csv({where}, delim={quote_text(sniffed.delimiter)}, header=true, "
        f"all_varchar=true, quote='\"', escape='\"', encoding={quote_text(encoding)}, null_padding=true, strict_mode=false)"
    )
    header = [str(r[0]).strip() for r in con.execute("DESCRIBE src").fetchall()]
    if len(header) > len(sniffed.header):  # DuckDB widened the table for a row with a field too many
        read.refuse_ragged(path, sniffed)
    return header, sniffed.delimiter, sha256(path)


def _check_customers(n: int, source: str) -> None:
    if n < 2:
        raise DataError(f"{source}: only {n} customer made a purchase; segments need many customers.", "Give the whole order log, not one customer's orders.")


def derive(dialect: Dialect, query: Callable[[str], list[tuple[Any, ...]]], keep: Callable[[str, str], None],
           cols: Columns, source: str, settings: Settings, delimiter: str) -> tuple[Summary, str]:
    """The derivation, engine-neutral: `keep(sql, name)` stores a result as a named relation (DuckDB
    temp table, cached Spark view), `query(sql)` returns rows. The view `src` must exist. Returns
    what pass 3 told and the SQL of the per-customer table (pass 4), for the engine to run."""
    keep(norm_sql(cols, dialect), "norm")
    probe = _probe(query(probe_sql(cols, dialect))[0])
    formats = date_formats(probe, cols, source)
    end, comma = period_end(settings.period).isoformat(), _decimal_comma(probe, delimiter)
    lines = lines_sql(cols, dialect, formats, end, comma, zoned=probe.n_zoned > 0)
    counts = query(counts_sql(lines))
    unread = _not_numbers(counts)
    if unread:  # values with currency signs or thousands separators? Read them so, if that reads more.
        signed = lines_sql(cols, dialect, formats, end, comma, zoned=probe.n_zoned > 0, signed=True)
        signed_counts = query(counts_sql(signed))
        if _not_numbers(signed_counts) < unread:
            lines, counts = signed, signed_counts
    summary = summarise(counts, cols, source, settings, formats)
    return summary, customers_sql(lines, dialect, summary.as_of, summary.items)


def load(settings: Settings) -> CustomerTable:
    """The order log at settings.data_path aggregated by DuckDB into one row per customer."""
    import duckdb

    path = settings.data_path
    source = str(path)
    # line order does not matter to any query; without keeping it DuckDB stores `norm` in parallel
    con = duckdb.connect(config={"preserve_insertion_order": False})
    con.execute("SET enable_progress_bar = false")
    try:
        try:
            header, delimiter, checksum = _duck_source(con, path)
        except duckdb.Error as exc:
            raise DataError(f"{source}: cannot be read as CSV ({str(exc).splitlines()[0]}).", "Export the order log again as CSV.") from None
        cols = resolve(header, settings, source)
        try:
            summary, final = derive(
                DUCKDB, lambda sql: con.execute(sql).fetchall(), lambda sql, name: con.execute(f"CREATE TEMP TABLE {name} AS {sql}"),
                cols, source, settings, delimiter,
            )
            frame = con.execute(final + " ORDER BY customer_id").df()
        except duckdb.Error as exc:
            raise DataError(f"{source}: the order log could not be read ({str(exc).splitlines()[0]}).", "Check that it is a CSV with one line per order line.") from None
    finally:
        con.close()
    _check_customers(len(frame), source)
    frame["customer_id"] = frame["customer_id"].astype(str)
    for name in ("recency_days", "frequency", "tenure_days"):
        frame[name] = frame[name].astype("int64")
    return _table(frame, path, checksum, cols, summary, len(frame))


def _table(frame: pd.DataFrame, path: Path, checksum: str, cols: Columns, summary: Summary, n: int, n_used: int | None = None) -> CustomerTable:
    columns = dict(DEFINITIONS)
    for label, col in summary.items.items():
        columns[col] = f"Value bought of {label} ({cols.item})"
    notes = (f"Order log: {summary.facts['lines']} lines, {summary.facts['purchase_lines']} purchase lines, {n} customers, as of {summary.as_of}.",)
    return CustomerTable(
        frame=frame, source=path, checksum=checksum, n_read=n, columns=columns, issues=summary.issues, notes=notes,
        n_used=n_used, kind="transactions", facts=dict(summary.facts), categories=dict(summary.items),
    )


# ---------------------------------------------------------------- engines: Spark

def spark_frame(spark: Any, location: str, settings: Settings) -> tuple[Any, CustomerTable]:
    """The same derivation on Spark: (per-customer Spark DataFrame, table of facts and issues).

    The Spark DataFrame has customer_id, the six features and the spend_* columns, and is cached
    (one row per customer). The returned CustomerTable carries no rows: its frame is empty with
    those columns, n_used and n_read are the number of customers; issues, facts, categories and
    columns are as on one machine.
    """
    import pandas as pd

    local = "://" not in location
    path = Path(location)
    source = location
    delimiter = ","
    checksum = ""
    if local:
        from ..files import sha256
        from . import read

        if read.is_parquet(path):
            reader = spark.read.parquet(str(path))
        else:
            sniffed = read.sniff(path)
            delimiter = sniffed.delimiter
            # Spark 4 reads only iso-8859-1, us-ascii, utf-8, utf-16(be|le), utf-32: Windows-1252 is read as Latin-1
            encoding = {"utf-8-sig": "utf-8", "cp1252": "iso-8859-1", "latin-1": "iso-8859-1"}.get(sniffed.encoding, sniffed.encoding)
            reader = spark.read.csv(str(path), header=True, sep=delimiter, encoding=encoding, quote='"', escape='"', inferSchema=False)
        checksum = sha256(path) if path.is_file() else ""
    elif location.lower().endswith((".parquet", ".pq")):
        reader = spark.read.parquet(location)
    else:  # a folder or URL: the delimiter from the first line, as Spark reads it
        first = spark.read.text(location).first()
        line = str(first[0]) if first is not None else ""
        delimiter = max(",;\t|", key=line.count) if line else ","
        reader = spark.read.csv(location, header=True, sep=delimiter, quote='"', escape='"', inferSchema=False)
    reader.createOrReplaceTempView("src")
    cols = resolve([str(c) for c in reader.columns], settings, source)
    kept: list[Any] = []

    def keep(sql: str, name: str) -> None:
        frame = spark.sql(sql).cache()
        frame.createOrReplaceTempView(name)
        kept.append(frame)

    summary, final = derive(SPARK, lambda sql: [tuple(r) for r in spark.sql(sql).collect()], keep, cols, source, settings, delimiter)
    customers = spark.sql(final).cache()
    n = customers.count()
    for frame in kept:
        frame.unpersist()
    _check_customers(n, source)
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in [*TRANSACTION_FEATURES, *summary.items.values()]})
    empty.insert(0, "customer_id", pd.Series(dtype="str"))
    return customers, _table(empty, path, checksum, cols, summary, n, n_used=n)
