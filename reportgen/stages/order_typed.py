"""The order log's typed fast path (one machine, DuckDB): when the file's dates and values are written
one way throughout, the CSV reader itself can parse them while it reads (a TIMESTAMP with one
strftime format, DOUBLE values), and the file is read once instead of twice with no date or number
text to handle per line.

The conventions are guessed from the file's first HEAD lines with the text path's own decisions
(stages/order_sql.py probe_sql, date_formats, numbers_sql) and proven by the read itself: a cell that
does not fit the guessed format or is not a plain number makes DuckDB's read fail, and the caller
(stages/transactions.py) then reads the log as text, as before (messy exports behave exactly as they
did). What the text path decides from every line is decided again from the typed lines: the day
order from the largest day and month read (a d/m or m/d log with no day above 12 still stops and
asks). The lines kept are the text path's, row for row, so every count and sum after them is too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from ..errors import DataError
from ..sql import DUCKDB, EXCEL, quote_text
from .dates import day_order
from .order_sql import Columns, Probe, conventions, date_formats, numbers_sql, probe_sql, value_texts, values_sql

if TYPE_CHECKING:
    from ..input_settings import InputSettings

HEAD = 100_000  # lines whose dates and values choose the formats to try


def probe_of(row: tuple[Any, ...]) -> Probe:
    """A Probe from probe_sql's row."""
    n, n_iso, n_dmy, max_a, max_b, year_len, year_len_min, sep, odd, *counts, compact_example, iso_sep = row
    n_sec, n_time, n_t, n_ampm, n_zoned, n_compact, n_serial = (int(c or 0) for c in counts)
    return Probe(
        int(n or 0), int(n_iso or 0), int(n_dmy or 0), max_a, max_b, year_len, year_len_min, sep, odd, n_sec, n_time, n_t, n_ampm, n_zoned,
        n_compact, n_serial, None if compact_example is None else str(compact_example), iso_sep or None,
    )


def eligible(cols: Columns, settings: InputSettings, delimiter: str) -> bool:
    """Whether the typed read can give the text path's lines. Not without an order id (the date's text
    then stands for the order), nor without a value, nor where a value column may write a decimal
    comma: a DOUBLE read takes '1.234' as a decimal, which a ';' file may mean as thousands."""
    if not cols.order_id or not cols.has_value or settings.decimal == "comma":
        return False
    return delimiter != ";" or settings.decimal == "point"


def guess(query: Callable[[str], list[tuple[Any, ...]]], keep: Callable[[str, str], None], cols: Columns, source: str,
          settings: InputSettings, delimiter: str) -> tuple[tuple[str, ...], Probe] | None:
    """The date formats to read the whole file with, from its first HEAD lines (and their probe), or
    None when those lines already say the typed read cannot serve (numbers with a decimal comma or
    thousands separators, zoned or Excel dates, dates the head cannot settle but by day order)."""
    keep(values_sql(cols, DUCKDB, f"(SELECT * FROM src LIMIT {HEAD}) h"), "vals")
    probe = probe_of(query(probe_sql(cols, DUCKDB))[0])
    tried = probe
    if not cols.date_format and probe.n_iso < probe.n_dmy and day_order(probe.max_a or 0, probe.max_b or 0) == "unknown":
        tried = replace(probe, max_b=13)  # the head has no day above 12: try month first; the whole file tells (settled)
    try:
        formats = date_formats(tried, cols, source)
        found = conventions(query(numbers_sql(cols))[0], cols, delimiter, settings.decimal, source)
    except DataError:
        return None  # the text path decides over every line, and says so
    if formats[0] == EXCEL or probe.n_zoned or any(c.comma or c.grouped for c in found.values()):
        return None
    return formats, probe


def source_sql(where: str, delimiter: str, encoding: str, names: list[str], cols: Columns, fmt: str) -> str:
    """The view `src_typed`: the file with its date column a TIMESTAMP read with `fmt`, its value columns
    DOUBLEs and every other column text, read with the options of the text view `src`."""
    types = {cols.date: "TIMESTAMP", **{column: "DOUBLE" for column in value_texts(cols).values()}}
    columns = ", ".join(f"{quote_text(n)}: {quote_text(types.get(n.strip(), 'VARCHAR'))}" for n in names)
    return (
        f"CREATE OR REPLACE VIEW src_typed AS SELECT * FROM read_csv({where}, delim={quote_text(delimiter)}, header=true, auto_detect=false, "
        f"columns={{{columns}}}, timestampformat={quote_text(fmt)}, quote='\"', escape='\"', encoding={quote_text(encoding)}, "
        f"null_padding=true, strict_mode=false)"
    )


def settled(query: Callable[[str], list[tuple[Any, ...]]], cols: Columns, probe: Probe, formats: tuple[str, ...], source: str) -> bool:
    """Whether the text path, deciding from every line, would have read the dates with formats[0]: the
    day order again from the largest day and month of the typed lines (raises as the text path does,
    e.g. when no day anywhere is above 12)."""
    fmt = formats[0]
    if cols.date_format or not fmt.startswith(("%d", "%m")):
        return True  # declared, or year first: the read itself proved the format
    months, days = query("SELECT max(month(ts)), max(day(ts)) FROM lines")[0]
    first, second = (days, months) if fmt.startswith("%d") else (months, days)
    return date_formats(replace(probe, max_a=first, max_b=second), cols, source)[0] == fmt
