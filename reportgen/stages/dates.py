"""How a column of date texts is written (ISO, day-first or month-first), decided from its values.

The rule is one: a first field above 12 proves day-first, a second above 12 proves month-first; both
is a mix, neither cannot be told. derive.py applies it to a sample of a customer table's values in
Python; transactions.py to every distinct date of an order log, summed up in SQL.
"""

from __future__ import annotations

import re
from typing import Literal

from ..engines.sql import quote_text
from ..errors import ConfigError

DATE = re.compile(r"^(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?:([ T])(\d{1,2}):(\d{2})(:\d{2})?( ?[AaPp][Mm])?)?")
# A time's fraction of a second and its zone ('2025-01-01T06:32:00.120Z', '... 06:32:00+02:00',
# '... 06:32 UTC'): group 1 is the text without them. The zone is dropped, not applied: a purchase
# keeps the shop's local day, which is what days are counted in. (No backslashes: the pattern is
# used as it is in both engines' SQL.)
TIMED = "^(.*[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)([.,][0-9]+)? ?(Z|z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)?$"
_TIMED = re.compile(TIMED)


def plain_time(value: str) -> str:
    """A date text without a fraction of a second or a zone after its time."""
    m = _TIMED.match(value)
    return m.group(1) if m else value


def plain_time_sql(text_sql: str) -> str:
    """plain_time() as SQL (DuckDB and Spark alike)."""
    cut = f"regexp_extract(coalesce({text_sql}, ''), {quote_text(TIMED)}, 1)"
    return f"(CASE WHEN {cut} <> '' THEN {cut} ELSE {text_sql} END)"


def day_order(max_first: int, max_second: int) -> Literal["day", "month", "mixed", "unknown"]:
    """Which field of d/m or m/d dates is the day, from the largest value seen in each."""
    day_first, month_first = max_first > 12, max_second > 12
    if day_first and month_first:
        return "mixed"
    return "day" if day_first else "month" if month_first else "unknown"


def numeric_format(order: Literal["day", "month"], sep: str, year: str) -> str:
    """The strftime date part of d/m/y or m/d/y dates ('%d/%m/%Y')."""
    return f"%d{sep}%m{sep}{year}" if order == "day" else f"%m{sep}%d{sep}{year}"


def date_format(values: list[str], where: str) -> str:
    """The strftime format of date texts: ISO, day-first or month-first, decided from the values
    (a first field above 12 proves day-first); ambiguous values are refused."""
    shapes: dict[tuple[str, ...], int] = {}
    max_first = max_second = 0
    for v in values:
        m = DATE.match(plain_time(v.strip()))
        if not m:
            continue
        a, sep, b, c, tsep, _, _, secs, ampm = m.groups()
        if len(a) == 4:
            order = "ymd"
        else:
            order = "?"
            max_first, max_second = max(max_first, int(a)), max(max_second, int(b))
        time = "" if tsep is None else (tsep + ("%I" if ampm else "%H") + ":%M" + (":%S" if secs else "") + ((" %p" if ampm.startswith(" ") else "%p") if ampm else ""))
        key = (order, sep, "%Y" if len(c) == 4 or order == "ymd" else "%y", time)
        shapes[key] = shapes.get(key, 0) + 1
    if not shapes:
        example = values[0] if values else "(no values)"
        raise ConfigError(f"{where}: the dates cannot be read (e.g. {example!r}).", "Give date_format, e.g. date_format: '%d-%m-%Y'.")
    order, sep, year, time = max(shapes, key=lambda k: shapes[k])
    if order == "ymd":
        return f"%Y{sep}%m{sep}%d{time}"
    first = day_order(max_first, max_second)
    if first == "mixed":
        raise ConfigError(f"{where}: the dates mix day-first and month-first values.", "Give date_format, e.g. date_format: '%d-%m-%Y'.")
    if first == "unknown":
        raise ConfigError(f"{where}: the dates could be day-first or month-first (no day above 12).", "Give date_format, e.g. date_format: '%d-%m-%Y'.")
    return numeric_format(first, sep, year) + time
