"""Date-format detection has two twins that must agree: stages/dates.date_format (Python, on a sample
of a customer table's days_since column) and the order log's probe (stages/order_sql.probe_sql and
date_formats, SQL over every distinct date text, here on DuckDB). Property-based: hypothesis writes
real dates as exports do (year-first, day-first, month-first; '-', '/' or '.'; two- or four-digit years;
padded or not; with a 24- or 12-hour time, seconds, a fraction and a zone) and both twins must
read every value back as the date written, or both refuse (no day above 12: the order cannot be
told). The zone-stripping twins (plain_time and plain_time_sql) are checked alike."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import example, given, settings, strategies as st

from reportgen.sql import DUCKDB, quote_text
from reportgen.errors import ConfigError, DataError
from reportgen.stages.dates import TIMED, date_format, plain_time, plain_time_sql
from reportgen.stages.order_sql import Columns, date_formats, probe_sql, values_sql
from reportgen.stages.transactions import _probe

PROPERTY = settings(max_examples=50, deadline=None)  # each example builds a table and runs the probe: ~0.1 s
COLS = Columns(customer_id="c", order_id=None, date="d", amount="a")


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


TIMES = {  # how the time of day is written -> (strftime, a suffix after the seconds)
    "none": ("", ""),
    "minutes": (" %H:%M", ""),
    "seconds": (" %H:%M:%S", ""),
    "twelve": (" %I:%M %p", ""),
    "twelve-seconds": (" %I:%M:%S %p", ""),
    "iso": ("T%H:%M:%S", ""),
    "iso-zulu": ("T%H:%M:%S", ".120Z"),
    "iso-offset": ("T%H:%M:%S", "+01:00"),
    "utc": (" %H:%M:%S", " UTC"),
}


@st.composite
def written_dates(draw: st.DrawFn) -> tuple[list[str], list[dt.datetime], str, bool]:
    """(texts, the moments written, the order, whether the time was written) in one export format."""
    order = draw(st.sampled_from(["iso", "day", "month"]))
    sep = draw(st.sampled_from(["-", "/", "."]))  # year first too: '2020/03/13' (East Asian exports), '2020.03.13'
    year = "%Y" if order == "iso" or draw(st.booleans()) else "%y"
    padded = draw(st.booleans())
    time_kind = draw(st.sampled_from(sorted(TIMES)))
    time, suffix = TIMES[time_kind]
    moments = draw(st.lists(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 12, 31)), min_size=1, max_size=30))
    moments = [m.replace(microsecond=0, second=m.second if "%S" in time else 0) for m in moments]
    d, m = ("%d", "%m") if padded else ("%-d", "%-m")
    date = {"iso": f"%Y{sep}%m{sep}%d", "day": f"{d}{sep}{m}{sep}{year}", "month": f"{m}{sep}{d}{sep}{year}"}[order]
    texts = [x.strftime(date + time) + suffix for x in moments]
    return texts, moments, order, time_kind != "none"


def python_reads(texts: list[str]) -> list[dt.datetime] | None:
    """The customer-table twin: the format from the values, then each value read with it; None if refused."""
    try:
        fmt = date_format(texts, "test")
    except ConfigError:
        return None
    return [dt.datetime.strptime(plain_time(t.strip()), fmt) for t in texts]


def sql_reads(con: duckdb.DuckDBPyConnection, texts: list[str]) -> list[dt.datetime] | None:
    """The order-log twin: the probe over the texts, the formats it gives, each text parsed with the
    first that reads it (as lines_sql does); None if refused."""
    con.execute("CREATE OR REPLACE TEMP TABLE src (d VARCHAR, a VARCHAR, i INTEGER)")
    con.executemany("INSERT INTO src VALUES (?, '1', ?)", [(t, i) for i, t in enumerate(texts)])
    con.execute(f"CREATE OR REPLACE TEMP TABLE vals AS {values_sql(COLS, DUCKDB)}")
    probe = _probe(con.execute(probe_sql(COLS, DUCKDB)).fetchone())
    try:
        formats = date_formats(probe, COLS, "log.csv")
    except DataError:
        return None
    stamp = plain_time_sql("dtext") if probe.n_zoned else "dtext"
    parsed = ", ".join(DUCKDB.timestamp(stamp, f) for f in formats)
    rows = con.execute(f"SELECT coalesce({parsed}) FROM (SELECT d AS dtext, i FROM src) n ORDER BY i").fetchall()
    return [r[0] for r in rows]


@PROPERTY
@given(written_dates())
@example((["13/03/2020 10:10 PM"], [dt.datetime(2020, 3, 13, 22, 10)], "day", True))
@example((["3/13/2020 10:10 PM", "4/1/2020 9:05 AM"], [dt.datetime(2020, 3, 13, 22, 10), dt.datetime(2020, 4, 1, 9, 5)], "month", True))
@example((["2020-03-13T22:10:05.120Z"], [dt.datetime(2020, 3, 13, 22, 10, 5)], "iso", True))
@example((["01.02.2020", "03.04.2020"], [dt.datetime(2020, 2, 1), dt.datetime(2020, 4, 3)], "day", False))
@example((["2020/03/13", "2021/11/02"], [dt.datetime(2020, 3, 13), dt.datetime(2021, 11, 2)], "iso", False))  # the order log refused these (regression)
@example((["2020.03.13 22:10"], [dt.datetime(2020, 3, 13, 22, 10)], "iso", True))
def test_both_twins_read_the_dates_written_or_both_refuse(con: duckdb.DuckDBPyConnection, case) -> None:
    texts, moments, order, timed = case
    py, sql = python_reads(texts), sql_reads(con, texts)
    if order != "iso" and all(x.day <= 12 for x in moments):  # day-first or month-first cannot be told
        assert py is None and sql is None
        return
    want = moments if timed else [dt.datetime(x.year, x.month, x.day) for x in moments]
    assert py == want
    assert sql == want


@settings(max_examples=15, deadline=None)
@given(st.lists(st.datetimes(min_value=dt.datetime(2000, 1, 13), max_value=dt.datetime(2030, 12, 31)).filter(lambda x: x.day > 12), min_size=2, max_size=20), st.sampled_from(["/", "-", "."]))
def test_day_first_and_month_first_in_one_column_are_refused_by_both(con: duckdb.DuckDBPyConnection, moments: list[dt.datetime], sep: str) -> None:
    """Half the values day-first, half month-first, each with a day above 12: both twins refuse."""
    texts = [x.strftime(f"%d{sep}%m{sep}%Y" if i % 2 else f"%m{sep}%d{sep}%Y") for i, x in enumerate(moments)]
    assert python_reads(texts) is None and sql_reads(con, texts) is None


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789-/.: TZzUCGMAPM+,", min_size=0, max_size=32))
@example("2020-03-13T22:10:05.120Z")
@example("2020-03-13 22:10:05+01:00")
@example("13/03/2020 22:10 UTC")
@example("2020-03-13 22:10:05,5 GMT")
def test_plain_time_is_the_same_in_python_and_sql(con: duckdb.DuckDBPyConnection, text: str) -> None:
    (sql,) = con.execute(f"SELECT {plain_time_sql('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)", [text]).fetchone()
    assert plain_time(text) == sql, quote_text(TIMED)
