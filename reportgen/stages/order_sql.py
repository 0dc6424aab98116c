"""The order log's SQL, written once as text through `reportgen.sql.Dialect`, which DuckDB
(stages/transactions.py `load`) and Spark SQL (engines/spark_read.py `order_frame`) run alike. Two scans of the file:
pass 1 counts the distinct texts of the date and value columns (values_sql), from which the dates'
shape (probe_sql) and each value column's decimal mark and thousands separators (numbers_sql,
stages/numbers.py) are decided; pass 2 reads every line once, cleaned and parsed with those
conventions, into the kept relation `lines` (lines_sql), over which the line counts (counts_sql) and
the per-customer table (customers_sql) are aggregated. Lines are read a second time, with currency
signs, only when values did not read as numbers. The definitions they implement are in
stages/transactions.py's docstring."""

from __future__ import annotations

from dataclasses import dataclass

from ..sql import EXCEL, Dialect, quote_text
from ..errors import DataError
from . import numbers
from .identity import customer_id_sql
from .dates import COMPACT, SERIAL, compact_format, day_order, numeric_format, plain_time_sql

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
    def used(self) -> list[str]:
        """The file's columns the log is read from."""
        roles = (self.customer_id, self.order_id, self.date, self.quantity, self.price, self.amount, self.product, self.category)
        return [c for c in roles if c]

    @property
    def has_value(self) -> bool:
        """False for a log with no amount and no quantity and price: segmented on recency and frequency."""
        return self.amount is not None or not self.uses_amount

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


def values_sql(cols: Columns, d: Dialect, source: str = "src") -> str:
    """Pass 1 (kept by the engine as `vals`): each distinct text of the date column and of each value
    column with its number of lines, in one scan of `source` (GROUPING SETS; g_<name> = 0 marks the rows
    of that column). A log repeats its times, prices and quantities, so this is small; the texts are
    trimmed and the null words read per distinct text afterwards, not per line. (The typed fast path,
    stages/order_typed.py, runs it over the file's first lines only.)"""
    raw = {"dtext": cols.date, **value_texts(cols)}
    cast = ", ".join(f"CAST({d.ident(column)} AS STRING) AS {name}" for name, column in raw.items())
    tags = ", ".join(f"grouping({name}) AS g_{name}" for name in raw)
    sets = ", ".join(f"({name})" for name in raw)
    return f"SELECT {', '.join(raw)}, count(*) AS w, {tags} FROM (SELECT {cast} FROM {source}) r GROUP BY GROUPING SETS ({sets})"


def _distinct(name: str, clean: str) -> str:
    """The distinct texts of one column of `vals` as the lines read them (`clean`), with their line counts."""
    return f"SELECT t AS {name}, sum(w) AS w FROM (SELECT {clean} AS t, w FROM vals WHERE g_{name} = 0) v GROUP BY t"


def probe_sql(cols: Columns, d: Dialect) -> str:
    """The shape of the dates, from `vals`. The regular expressions run once per distinct date text (a
    log has far fewer distinct times than lines); how the values write their numbers is numbers_sql's."""
    t = "t"
    field_a = f"try_cast(NULLIF(regexp_extract({t}, '^([0-9]{{1,2}})[/.-][0-9]{{1,2}}[/.-]', 1), '') AS INT)"
    field_b = f"try_cast(NULLIF(regexp_extract({t}, '^[0-9]{{1,2}}[/.-]([0-9]{{1,2}})[/.-]', 1), '') AS INT)"
    year = f"length(regexp_extract({t}, '^[0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-]([0-9]{{2,4}})', 1))"
    sep = f"NULLIF(regexp_extract({t}, '^[0-9]{{1,2}}([/.-])', 1), '')"
    dmy = _found(t, _DMY)
    distinct = f"SELECT dtext AS t, w FROM ({_distinct('dtext', _blank_null('trim(dtext)'))}) d"
    return (
        f"SELECT sum(CASE WHEN t IS NULL THEN 0 ELSE w END) AS n, sum({_found(t, _ISO)} * w) AS n_iso, sum(dmy * w) AS n_dmy, "
        f"max(CASE WHEN dmy = 1 THEN {field_a} END) AS max_a, "
        f"max(CASE WHEN dmy = 1 THEN {field_b} END) AS max_b, "
        f"max(CASE WHEN dmy = 1 THEN {year} END) AS year_len, "
        f"min(CASE WHEN dmy = 1 THEN {year} END) AS year_len_min, "
        f"max({sep}) AS sep, min(CASE WHEN t IS NOT NULL AND {_found(t, _ISO)} + dmy = 0 THEN t END) AS odd, "
        f"sum({_found(t, '[0-9]:[0-9]{2}:[0-9]{2}')} * w) AS n_sec, "
        f"sum({_found(t, '[0-9][ T][0-9]{1,2}:[0-9]{2}')} * w) AS n_time, sum({_found(t, '[0-9]T[0-9]')} * w) AS n_t, "
        f"sum({_found(t, '[0-9] ?[AaPp][Mm]$')} * w) AS n_ampm, sum(CASE WHEN {plain_time_sql(t)} <> t THEN w ELSE 0 END) AS n_zoned, "
        f"sum({_found(t, COMPACT)} * w) AS n_compact, sum({_found(t, SERIAL)} * w) AS n_serial, "
        f"max(CASE WHEN {_found(t, COMPACT)} = 1 THEN t END) AS compact_example, "
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
    n_sec: int  # with seconds
    n_time: int  # with a time of day
    n_t: int  # ISO 'T' between date and time
    n_ampm: int = 0  # a 12-hour time with AM or PM
    n_zoned: int = 0  # a time with a fraction of a second or a zone
    n_compact: int = 0  # 20230105 (and 20230105 13:45)
    n_serial: int = 0  # Excel serial days: 43831
    compact_example: str | None = None
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


def value_texts(cols: Columns) -> dict[str, str]:
    """The value columns of `norm` (their text) -> the file's column, for the number conventions."""
    if not cols.has_value:
        return {}
    if cols.uses_amount:
        return {"amt_text": str(cols.amount)}
    return {"q_text": str(cols.quantity), "p_text": str(cols.price)}


def numbers_sql(cols: Columns) -> str:
    """How the value columns write their numbers: their cells by shape (stages/numbers.py), over every
    line, from `vals`."""
    texts = value_texts(cols)
    if not texts:
        return "SELECT 0 AS nothing"
    # each distinct text once (a log repeats its prices and quantities), weighted by its lines
    parts = []
    for t in texts:
        shaped = f"SELECT {t}, {numbers.shape_sql(t)} AS {t}_s, w FROM ({_distinct(t, f'trim({t})')}) d"
        parts.append(f"(SELECT {', '.join(numbers.counts_sql(t, t, 'w'))} FROM ({shaped}) s{len(parts)}) c{len(parts)}")
    return "SELECT * FROM " + " CROSS JOIN ".join(parts)


def conventions(row: tuple[object, ...], cols: Columns, delimiter: str, setting: str, source: str) -> dict[str, numbers.Convention]:
    """Each value column's number convention, from numbers_sql's row."""
    n = numbers.N_COUNTS
    return {
        text: numbers.decide(numbers.shapes(row[i * n : (i + 1) * n]), delimiter == ";", setting, column, source)
        for i, (text, column) in enumerate(value_texts(cols).items())
    }


DATE_HINT = (
    "Set transactions.date_format in the config, e.g. '%d/%m/%Y %H:%M' (day first), '%m/%d/%y %H:%M' (month first), "
    "'%Y%m%d' (20230105) or excel (Excel's serial days)."
)


def date_formats(probe: Probe, cols: Columns, source: str) -> tuple[str, ...]:
    """The strftime formats tried in order, decided from the values (or the declared one)."""
    if cols.date_format:
        return (cols.date_format,)
    hint = DATE_HINT
    if probe.n == 0:
        raise DataError(f"{source}: the date column '{cols.date}' is empty.", "Export the order log with its dates.")
    if probe.n_compact * 2 > probe.n:
        return tuple(dict.fromkeys((compact_format(probe.compact_example or ""), "%Y%m%d", "%Y%m%d %H:%M", "%Y%m%d %H:%M:%S")))
    if probe.n_serial * 2 > probe.n:
        return (EXCEL,)
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


def norm_sql(cols: Columns, d: Dialect, typed: bool = False) -> str:
    """The columns of `src` used, as trimmed text with blanks and null words as NULL, ids as
    stages/identity.py reads them ('17850.0' is 17850, e-mails without case): what lines_sql reads.
    `typed`: read `src_typed` instead, stages/order_typed.py's view, whose date is a TIMESTAMP and values
    DOUBLEs read by the CSV reader itself: there is no date text to keep and no number text to read."""
    cid = customer_id_sql(_blank_null(d.text(cols.customer_id)))
    order = _blank_null(d.text(cols.order_id or cols.date))  # no order id: the lines' date and time stand for the order
    if typed:
        texts = [f"{cid} AS cid", f"{order} AS inv", "CAST(NULL AS STRING) AS dtext", f"{d.ident(cols.date)} AS ts"]
        texts += [f"{d.ident(column)} AS {name}" for name, column in value_texts(cols).items()]
    else:
        texts = [f"{cid} AS cid", f"{order} AS inv", f"{_blank_null(d.text(cols.date))} AS dtext"]
        texts += [f"{d.text(column)} AS {name}" for name, column in value_texts(cols).items()]
    texts.append(f"{_blank_null(d.text(cols.item))} AS item" if cols.item else "CAST(NULL AS STRING) AS item")
    return f"SELECT {', '.join(texts)} FROM {'src_typed' if typed else 'src'}"


def lines_sql(
    cols: Columns, d: Dialect, formats: tuple[str, ...], period_end: str, comma: frozenset[str] = frozenset(), zoned: bool = False,
    signed: frozenset[str] = frozenset(), typed: bool = False,
) -> str:
    """Pass 2 (kept by the engine as `lines`): every line of `src` with its customer, order, time,
    status code, purchase and returned value, item (and its date text when that did not read).
    `comma`: the value texts (amt_text, q_text, p_text) whose decimal mark is a comma;
    `zoned`: cut a fraction of a second and a zone from the times first (the probe saw some);
    `signed`: the value texts to read with currency signs, spaces and thousands separators
    ($1,234.50). Both cost time on every line, so they are used only when the file needs them.
    `typed`: from `src_typed`, whose date is parsed and values DOUBLEs (norm_sql), read as they are."""
    stamp = plain_time_sql("dtext") if zoned else "dtext"
    parsed = [d.timestamp(stamp, f) for f in formats]
    ts = "ts" if typed else parsed[0] if len(parsed) == 1 else f"coalesce({', '.join(parsed)})"
    if not cols.has_value:  # every dated line of a customer is a purchase worth 0: only its time counts
        values = "CAST(0.0 AS DOUBLE) AS amt"
        bad_number, qty_nonpos, price_nonpos = "1 = 0", "1 = 0", "1 = 0"
        bought, returned, known = "amt", "amt", "1 = 0"
    elif cols.uses_amount:
        values = f"{d.number('amt_text', typed, 'amt_text' in comma, 'amt_text' in signed)} AS amt"
        bad_number, qty_nonpos, price_nonpos = "amt IS NULL", "amt <= 0", "1 = 0"
        bought, returned, known = "amt", "abs(amt)", "amt IS NOT NULL"
    else:
        values = ", ".join(f"{d.number(t, typed, t in comma, t in signed)} AS {t[0]}" for t in ("q_text", "p_text"))
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
        f"SELECT cid, inv, ts, item, CASE WHEN status = {BAD_DATE} THEN dtext END AS dtext, status, "
        f"CASE WHEN status = {PURCHASE} THEN {bought} END AS pv, "
        f"CASE WHEN status IN ({CANCELLED}, {QTY_NONPOS}) AND {known} THEN {returned} END AS rv "
        f"FROM (SELECT *, {status} AS status FROM (SELECT cid, inv, dtext, item, {ts} AS ts, {values} FROM ({norm_sql(cols, d, typed)}) norm) p) s"
    )


def counts_sql(lines: str) -> str:
    """Lines, revenue and first/last time by status and item (a small result)."""
    return (
        f"SELECT status, item, count(*) AS n, sum(pv) AS revenue, min(ts) AS first_ts, max(ts) AS last_ts, "
        f"min(CASE WHEN status = {BAD_DATE} THEN dtext END) AS bad_example FROM ({lines}) l GROUP BY status, item"
    )


# Why a customer with a line in the period has no row of features (customers_sql's `left_out`).
KEPT, ONLY_ZERO, ONLY_RETURNS, UNREADABLE = range(4)
LEFT_OUT = {
    ONLY_ZERO: "customers left out: every line of theirs has a zero or negative value (no purchase)",
    ONLY_RETURNS: "customers left out: they have only cancellations, returns or zero lines (no purchase)",
    UNREADABLE: "customers left out: none of their purchase lines could be read (date, value or order id)",
}


def customers_sql(lines: str, d: Dialect, as_of: str, items: dict[str, str], value: bool = True) -> str:
    """One row per customer with a line on or before the period's last day; `items` maps item
    text -> output column. `left_out` says why a customer without a purchase line has no features
    (KEPT for the others: the engine keeps those rows). Without a `value`, monetary, average order
    value and return rate are left out. Aggregated by (customer, order) first, then by customer:
    cheaper than count(DISTINCT order)."""
    rank = " ".join(f"WHEN {d.literal(label)} THEN {i}" for i, label in enumerate(items, start=1))
    item_no = f"CASE item {rank} ELSE 0 END" if items else "0"
    spend_order = "".join(f", sum(CASE WHEN item_no = {i} THEN pv END) AS {col}" for i, col in enumerate(items.values(), start=1))
    spend = "".join(f", sum({col}) AS {col}" for col in items.values())
    spend_out = "".join(f", coalesce({col}, 0.0) AS {col}" for col in items.values())
    kind = (
        f"CASE status WHEN {PURCHASE} THEN {KEPT} WHEN {QTY_NONPOS} THEN {ONLY_ZERO} WHEN {PRICE_NONPOS} THEN {ONLY_ZERO} "
        f"WHEN {CANCELLED} THEN {ONLY_RETURNS} ELSE {UNREADABLE} END"
    )
    orders = (
        f"SELECT cid, inv, max(CASE WHEN status = {PURCHASE} THEN ts END) AS last_ts, min(CASE WHEN status = {PURCHASE} THEN ts END) AS first_ts, "
        f"sum(pv) AS pv, sum(rv) AS rv, min(kind) AS kind_min, max(kind) AS kind_max{spend_order} "
        f"FROM (SELECT cid, inv, ts, status, pv, rv, {kind} AS kind, {item_no} AS item_no FROM ({lines}) l "
        f"WHERE status NOT IN ({NO_ID}, {AFTER_PERIOD})) k GROUP BY cid, inv"
    )
    monetary = ", monetary" if value else ""
    per_order = (
        ", CASE WHEN frequency > 0 THEN monetary / frequency END AS avg_order_value, "
        "CASE WHEN monetary > 0 THEN least(coalesce(returned, 0.0) / monetary, 1.0) END AS return_rate"
        if value
        else ""
    )
    left_out = (
        f"CASE WHEN kind_min = {KEPT} THEN {KEPT} WHEN kind_max = {ONLY_ZERO} THEN {ONLY_ZERO} "
        f"WHEN kind_max = {ONLY_RETURNS} THEN {ONLY_RETURNS} ELSE {UNREADABLE} END"
    )
    return (
        f"SELECT cid AS customer_id, {d.days_between('last_ts', as_of)} AS recency_days, frequency{monetary}, "
        f"{d.days_between('first_ts', as_of)} AS tenure_days{per_order}{spend_out}, {left_out} AS left_out FROM ("
        f"SELECT cid, max(last_ts) AS last_ts, min(first_ts) AS first_ts, count(pv) AS frequency, sum(pv) AS monetary, "
        f"sum(rv) AS returned, min(kind_min) AS kind_min, max(kind_max) AS kind_max{spend} FROM ({orders}) o GROUP BY cid) c"
    )
