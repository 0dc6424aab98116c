"""How a column of date texts is written (ISO, day-first or month-first), decided from its values."""

from __future__ import annotations

import re

from ..errors import ConfigError

DATE = re.compile(r"^(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?:([ T])(\d{1,2}):(\d{2})(:\d{2})?)?")


def date_format(values: list[str], where: str) -> str:
    """The strftime format of date texts: ISO, day-first or month-first, decided from the values
    (a first field above 12 proves day-first); ambiguous values are refused."""
    shapes: dict[tuple[str, ...], int] = {}
    day_first = month_first = False
    for v in values:
        m = DATE.match(v.strip())
        if not m:
            continue
        a, sep, b, c, tsep, _, _, secs = m.groups()
        if len(a) == 4:
            order = "ymd"
        else:
            order = "?"
            if int(a) > 12:
                day_first = True
            if int(b) > 12:
                month_first = True
        time = "" if tsep is None else (tsep + "%H:%M" + (":%S" if secs else ""))
        key = (order, sep, "%Y" if len(c) == 4 or order == "ymd" else "%y", time)
        shapes[key] = shapes.get(key, 0) + 1
    if not shapes:
        example = values[0] if values else "(no values)"
        raise ConfigError(f"{where}: the dates cannot be read (e.g. {example!r}).", "Give date_format, e.g. date_format: '%d-%m-%Y'.")
    order, sep, year, time = max(shapes, key=lambda k: shapes[k])
    if order == "ymd":
        return f"%Y{sep}%m{sep}%d{time}"
    if day_first and month_first:
        raise ConfigError(f"{where}: the dates mix day-first and month-first values.", "Give date_format, e.g. date_format: '%d-%m-%Y'.")
    if not day_first and not month_first:
        raise ConfigError(f"{where}: the dates could be day-first or month-first (no day above 12).", "Give date_format, e.g. date_format: '%d-%m-%Y'.")
    return f"%d{sep}%m{sep}{year}{time}" if day_first else f"%m{sep}%d{sep}{year}{time}"
