"""How a column of date texts is written (ISO, day-first or month-first), decided from its values.

The rule is one: a first field above 12 proves day-first, a second above 12 proves month-first; both
is a mix, neither cannot be told. derive.py applies it to a sample of a customer table's values in
Python; transactions.py to every distinct date of an order log, summed up in SQL.
"""

from __future__ import annotations

import re
from typing import Literal

from ..sql import EXCEL, quote_text
from ..errors import ConfigError

DATE = re.compile(r"^(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?:([ T])(\d{1,2}):(\d{2})(:\d{2})?( ?[AaPp][Mm])?)?")
# Dates without separators, as pandas and many databases write them (20230105, 20230105 13:45), and
# Excel's serial day numbers (43831 is 2020-01-01). No backslashes: both are used as they are in SQL.
COMPACT = "^(18|19|20|21)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?$"
SERIAL = "^[1-9][0-9]{4}([.][0-9]+)?$"  # 10000-99999: 1927-05-18 to 2173-10-14
_COMPACT, _SERIAL = re.compile(COMPACT), re.compile(SERIAL)
FORMAT_HINT = "Give date_format, e.g. date_format: '%d-%m-%Y' (or '%Y%m%d' for 20230105, excel for Excel's serial days)."
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


def compact_format(sample: str) -> str:
    """The strftime format of a compact date ('20230105', '20230105 13:45', '20230105T13:45:00')."""
    m = _COMPACT.match(sample)
    time = (m.group(4) or "") if m else ""
    return "%Y%m%d" + ("" if not time else time[0] + ("%H:%M:%S" if time.count(":") == 2 else "%H:%M"))


def date_format(values: list[str], where: str) -> str:
    """The strftime format of date texts: ISO, day-first or month-first, decided from the values
    (a first field above 12 proves day-first), compact (20230105) or Excel serial days (EXCEL);
    ambiguous values are refused."""
    texts = [plain_time(str(v).strip()) for v in values]
    for pattern, fmt in ((_COMPACT, None), (_SERIAL, EXCEL)):
        fitting = [t for t in texts if pattern.match(t)]
        if texts and len(fitting) * 2 > len(texts):
            return fmt or compact_format(max(fitting, key=len))
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
        raise ConfigError(f"{where}: the dates cannot be read (e.g. {example!r}).", FORMAT_HINT)
    order, sep, year, time = max(shapes, key=lambda k: shapes[k])
    if order == "ymd":
        return f"%Y{sep}%m{sep}%d{time}"
    first = day_order(max_first, max_second)
    if first == "mixed":
        raise ConfigError(f"{where}: the dates mix day-first and month-first values.", "Give date_format, e.g. date_format: '%d-%m-%Y'.")
    if first == "unknown":
        raise ConfigError(f"{where}: the dates could be day-first or month-first (no day above 12).", "Give date_format, e.g. date_format: '%d-%m-%Y'.")
    return numeric_format(first, sep, year) + time
