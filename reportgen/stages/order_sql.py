"""The order log's SQL: four passes written once as text through `engines.sql.Dialect`, which DuckDB
(stages/transactions.py `load`) and Spark SQL (`spark_frame`) run alike; pass 3 runs a second time,
reading currency signs and thousands separators, only when values did not read as numbers. The
definitions they implement are in stages/transactions.py's docstring."""

from __future__ import annotations

from dataclasses import dataclass

from ..engines.sql import Dialect, quote_text
from ..errors import DataError
from .dates import day_order, numeric_format, plain_time_sql

NULL_TOKENS = ("", "NA", "N/A", "NAN", "NULL", "NONE")

# Line status codes (pass 2); 0 is a purchase. Cancellations and non-positive quantities feed return_rate.
PURCHASE, NO_ID, BAD_DATE, AFTER_PERIOD, CANCELLED, NO_ORDER, NOT_NUMBER, QTY_NONPOS, PRICE_NONPOS = range(9)


@dataclass(frozen=True)
class Columns:
    """Which file column plays which role (a role absent from the file is None)."""

    customer_id: str
    order_id: str | None  # None: a customer's lines at one date and time are one order
    date: str
    quantity: str | None = None
    price: str | None = None
    amount: str | None = None
    product: str | None = None
    category: str | None = None
    date_format: str | None = None  # declared strftime format, else decided from the values

    @property
    def uses_amount(self) -> bool:
        return self.quantity is None or self.price is None

    @property
    def item(self) -> str | None:
        """The column whose values the spend is broken down by: the category if any, else the product."""
        return self.category or self.product


def _blank_null(text_sql: str) -> str:
    """NULL for a blank or a null word (NA, NULL, ...). Spelt as equalities, not IN (...): DuckDB
    plans a long IN list as a join, several times slower per line."""
    tests = " OR ".join(f"upper({text_sql}) = {quote_text(t)}" for t in NULL_TOKENS if t)
    return f"(CASE WHEN {text_sql} = '' OR (length({text_sql}) <= 4 AND ({tests})) THEN NULL ELSE {text_sql} END)"


def _found(text_sql: str, pattern: str) -> str:
    """1 when the regular expression (no backslashes: both engines' literals agree then) occurs."""
    return f"(CASE WHEN regexp_extract(coalesce({text_sql}, ''), {quote_text(pattern)}, 0) <> '' THEN 1 ELSE 0 END)"


_ISO = "^[0-9]{4}[/.-][0-9]{1,2}[/.-][0-9]{1,2}"  # year first: 2020-03-13, 2020/03/13, 2020.03.13
_DMY = "^[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}"


def _has(text_sql: str, char: str) -> str:
    return f"(CASE WHEN instr(coalesce({text_sql}, ''), {quote_text(char)}) > 0 THEN 1 ELSE 0 END)"


def probe_sql(cols: Columns, d: Dialect) -> str:
    """Pass 2: the shape of the dates, and whether numbers use a decimal comma. The regular
    expressions run once per distinct date text (a log has far fewer distinct times than lines)."""
    t = "t"
    field_a = f"try_cast(NULLIF(regexp_extract({t}, '^([0-9]{{1,2}})[/.-][0-9]{{1,2}}[/.-]', 1), '') AS INT)"
    field_b = f"try_cast(NULLIF(regexp_extract({t}, '^[0-9]{{1,2}}[/.-]([0-9]{{1,2}})[/.-]', 1), '') AS INT)"
    year = f"length(regexp_extract({t}, '^[0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-]([0-9]{{2,4}})', 1))"
    sep = f"NULLIF(regexp_extract({t}, '^[0-9]{{1,2}}([/.-])', 1), '')"
    numbers = ["amt_text"] if cols.uses_amount else ["p_text", "q_text"]
    comma = " + ".join(_has(c, ",") for c in numbers)
    point = " + ".join(_has(c, ".") for c in numbers)
    dmy = _found(t, _DMY)
    distinct = (
        f"SELECT t, count(*) AS w, sum(comma) AS comma, sum(point) AS point FROM ("
        f"SELECT dtext AS t, {comma} AS comma, {point} AS point FROM norm) x GROUP BY t"
    )
    return (
        f"SELECT sum(CASE WHEN t IS NULL THEN 0 ELSE w END) AS n, sum({_found(t, _ISO)} * w) AS n_iso, sum(dmy * w) AS n_dmy, "
        f"max(CASE WHEN dmy = 1 THEN {field_a} END) AS max_a, "
        f"max(CASE WHEN dmy = 1 THEN {field_b} END) AS max_b, "
        f"max(CASE WHEN dmy = 1 THEN {year} END) AS year_len, "
        f"min(CASE WHEN dmy = 1 THEN {year} END) AS year_len_min, "
        f"max({sep}) AS sep, min(CASE WHEN t IS NOT NULL AND {_found(t, _ISO)} + dmy = 0 THEN t END) AS odd, "
        f"sum(comma) AS n_comma, sum(point) AS n_point, sum({_found(t, '[0-9]:[0-9]{2}:[0-9]{2}')} * w) AS n_sec, "
        f"sum({_found(t, '[0-9][ T][0-9]{1,2}:[0-9]{2}')} * w) AS n_time, sum({_found(t, '[0-9]T[0-9]')} * w) AS n_t, "
        f"sum({_found(t, '[0-9] ?[AaPp][Mm]$')} * w) AS n_ampm, sum(CASE WHEN {plain_time_sql(t)} <> t THEN w ELSE 0 END) AS n_zoned, "
        f"max(CASE WHEN {_found(t, _ISO)} = 1 THEN regexp_extract({t}, '^[0-9]{{4}}([/.-])', 1) END) AS iso_sep "
        f"FROM (SELECT *, {dmy} AS dmy FROM ({distinct}) g) h"
    )


@dataclass(frozen=True)
class Probe:
    n: int
    n_iso: int
    n_dmy: int
    max_a: int | None
    max_b: int | None
    year_len: int | None
    year_len_min: int | None
    sep: str | None
    odd: str | None
    n_comma: int
    n_point: int
    n_sec: int  # with seconds
    n_time: int  # with a time of day
    n_t: int  # ISO 'T' between date and time
    n_ampm: int = 0  # a 12-hour time with AM or PM
    n_zoned: int = 0  # a time with a fraction of a second or a zone
    iso_sep: str | None = None  # the separator of year-first dates: '-', '/' or '.'

    def times(self) -> tuple[str, ...]:
        """Time-of-day formats to try, the most common shape first (all are tried)."""
        twelve = (" %I:%M:%S %p", " %I:%M %p") if self.n_sec * 2 > self.n_time else (" %I:%M %p", " %I:%M:%S %p")
        if self.n_ampm * 2 > self.n:
            first = twelve[0]
        elif self.n_t * 2 > self.n:
            first = "T%H:%M:%S"
        else:
            first = " %H:%M:%S" if self.n_sec * 2 > self.n_time else " %H:%M" if self.n_time * 2 > self.n else ""
        rest = [t for t in (" %H:%M:%S", " %H:%M", "", *(("T%H:%M:%S",) if self.n_t else ()), *(twelve if self.n_ampm else ())) if t != first]
        return (first, *rest)


def date_formats(probe: Probe, cols: Columns, source: str) -> tuple[str, ...]:
    """The strftime formats tried in order, decided from the values (or the declared one)."""
    if cols.date_format:
        return (cols.date_format,)
    hint = "Set transactions.date_format in the config, e.g. '%d/%m/%Y %H:%M' (day first) or '%m/%d/%y %H:%M' (month first)."
    if probe.n == 0:
        raise DataError(f"{source}: the date column '{cols.date}' is empty.", "Export the order log with its dates.")
    if probe.n_iso + probe.n_dmy < probe.n / 2:
        raise DataError(f"{source}: most values of '{cols.date}' are not dates I can read (e.g. {probe.odd!r}).", hint)
    if probe.n_iso >= probe.n_dmy:
        iso = probe.iso_sep or "-"
        return tuple(f"%Y{iso}%m{iso}%d" + t for t in probe.times())
    sep = probe.sep or "/"
    if probe.year_len != probe.year_len_min:
        raise DataError(f"{source}: the dates in '{cols.date}' mix two- and four-digit years.", hint)
    year = "%y" if probe.year_len == 2 else "%Y"
    first = day_order(probe.max_a or 0, probe.max_b or 0)
    if first == "mixed":
        raise DataError(f"{source}: the dates in '{cols.date}' put the day first on some lines and the month first on others.", hint)
    if first == "unknown":
        raise DataError(
            f"{source}: cannot tell whether the dates in '{cols.date}' are day/month or month/day (no day above 12 in either place).", hint
        )
    return tuple(numeric_format(first, sep, year) + t for t in probe.times())


def norm_sql(cols: Columns, d: Dialect) -> str:
    """Pass 1 (kept by the engine: a DuckDB temp table, a cached Spark view named `norm`): the columns
    used, as trimmed text with blanks and null words as NULL, ids without a trailing '.0'."""
    cid = _blank_null(d.text(cols.customer_id))
    cid = f"(CASE WHEN substr({cid}, -2) = '.0' THEN substr({cid}, 1, length({cid}) - 2) ELSE {cid} END)"
    order = _blank_null(d.text(cols.order_id or cols.date))  # no order id: the lines' date and time stand for the order
    texts = [f"{cid} AS cid", f"{order} AS inv", f"{_blank_null(d.text(cols.date))} AS dtext"]
    if cols.uses_amount:
        texts.append(f"{d.text(str(cols.amount))} AS amt_text")
    else:
        texts += [f"{d.text(str(cols.quantity))} AS q_text", f"{d.text(str(cols.price))} AS p_text"]
    texts.append(f"{_blank_null(d.text(cols.item))} AS item" if cols.item else "CAST(NULL AS STRING) AS item")
    return f"SELECT {', '.join(texts)} FROM src"


def lines_sql(
    cols: Columns, d: Dialect, formats: tuple[str, ...], period_end: str, decimal_comma: bool, zoned: bool = False, signed: bool = False
) -> str:
    """Every line of `norm` with its customer, order, time, status code, purchase and returned value, item.
    `zoned`: cut a fraction of a second and a zone from the times first (the probe saw some);
    `signed`: read values with currency signs, spaces and thousands separators ($1,234.50). Both cost
    time on every line, so they are used only when the file needs them."""
    stamp = plain_time_sql("dtext") if zoned else "dtext"
    parsed = [d.timestamp(stamp, f) for f in formats]
    ts = parsed[0] if len(parsed) == 1 else f"coalesce({', '.join(parsed)})"
    if cols.uses_amount:
        values = f"{d.number('amt_text', False, decimal_comma, signed)} AS amt"
        bad_number, qty_nonpos, price_nonpos = "amt IS NULL", "amt <= 0", "1 = 0"
        bought, returned, known = "amt", "abs(amt)", "amt IS NOT NULL"
    else:
        values = f"{d.number('q_text', False, decimal_comma, signed)} AS q, {d.number('p_text', False, decimal_comma, signed)} AS p"
        bad_number, qty_nonpos, price_nonpos = "q IS NULL OR p IS NULL", "q <= 0", "p <= 0"
        bought, returned, known = "q * p", "(CASE WHEN p > 0 THEN abs(q) * p ELSE 0 END)", "q IS NOT NULL AND p IS NOT NULL"
    status = (
        f"CASE WHEN cid IS NULL OR cid = '' THEN {NO_ID} WHEN ts IS NULL THEN {BAD_DATE} "
        f"WHEN CAST(ts AS DATE) > DATE {quote_text(period_end)} THEN {AFTER_PERIOD} "
        f"WHEN upper(substr(inv, 1, 1)) = 'C' AND substr(inv, 2, 1) BETWEEN '0' AND '9' THEN {CANCELLED} WHEN inv IS NULL THEN {NO_ORDER} "
        f"WHEN {bad_number} THEN {NOT_NUMBER} WHEN {qty_nonpos} THEN {QTY_NONPOS} WHEN {price_nonpos} THEN {PRICE_NONPOS} "
        f"ELSE {PURCHASE} END"
    )
    return (
        f"SELECT cid, inv, ts, item, dtext, status, "
        f"CASE WHEN status = {PURCHASE} THEN {bought} END AS pv, "
        f"CASE WHEN status IN ({CANCELLED}, {QTY_NONPOS}) AND {known} THEN {returned} END AS rv "
        f"FROM (SELECT *, {status} AS status FROM (SELECT cid, inv, dtext, item, {ts} AS ts, {values} FROM norm) p) s"
    )


def counts_sql(lines: str) -> str:
    """Pass 3: lines, revenue and first/last time by status and item (a small result)."""
    return (
        f"SELECT status, item, count(*) AS n, sum(pv) AS revenue, min(ts) AS first_ts, max(ts) AS last_ts, "
        f"min(CASE WHEN status = {BAD_DATE} THEN dtext END) AS bad_example FROM ({lines}) l GROUP BY status, item"
    )


def customers_sql(lines: str, d: Dialect, as_of: str, items: dict[str, str]) -> str:
    """Pass 4: one row per customer with a purchase line; `items` maps item text -> output column.
    Aggregated by (customer, order) first, then by customer: cheaper than count(DISTINCT order)."""
    rank = " ".join(f"WHEN {quote_text(label)} THEN {i}" for i, label in enumerate(items, start=1))
    item_no = f"CASE item {rank} ELSE 0 END" if items else "0"
    spend_order = "".join(f", sum(CASE WHEN item_no = {i} THEN pv END) AS {col}" for i, col in enumerate(items.values(), start=1))
    spend = "".join(f", sum({col}) AS {col}" for col in items.values())
    spend_out = "".join(f", coalesce({col}, 0.0) AS {col}" for col in items.values())
    orders = (
        f"SELECT cid, inv, max(CASE WHEN status = {PURCHASE} THEN ts END) AS last_ts, min(CASE WHEN status = {PURCHASE} THEN ts END) AS first_ts, "
        f"sum(pv) AS pv, sum(rv) AS rv{spend_order} FROM (SELECT cid, inv, ts, status, pv, rv, {item_no} AS item_no FROM ({lines}) l "
        f"WHERE status IN ({PURCHASE}, {CANCELLED}, {QTY_NONPOS})) k GROUP BY cid, inv"
    )
    return (
        f"SELECT cid AS customer_id, {d.days_between('last_ts', as_of)} AS recency_days, frequency, monetary, "
        f"{d.days_between('first_ts', as_of)} AS tenure_days, monetary / frequency AS avg_order_value, "
        f"least(coalesce(returned, 0.0) / monetary, 1.0) AS return_rate{spend_out} FROM ("
        f"SELECT cid, max(last_ts) AS last_ts, min(first_ts) AS first_ts, count(pv) AS frequency, sum(pv) AS monetary, "
        f"sum(rv) AS returned{spend} FROM ({orders}) o GROUP BY cid HAVING count(pv) > 0) c"
    )
