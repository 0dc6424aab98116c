"""The few SQL spellings where DuckDB (one machine) and Spark SQL (a cluster) differ.

Derivations and aggregations are written once, as SQL built from these pieces, so a feature means
the same on both engines: the meaning lives in stages/derive.py and stages/transactions.py; only the
spelling of an identifier, a text-to-number cast, a date parse and a day difference lives here.
Everything else used by those queries (CASE, COALESCE, abs, ln, sum, count, max, min, GROUP BY,
DATE 'yyyy-mm-dd' literals) is spelt the same on both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FINITE = "1.7976931348623157e308"  # abs(x) <= this is false for inf, -inf and NaN on both engines
# What a number's text may carry besides the number: currency signs and a percent sign, deleted
# ('23.5%' reads 23.5; no-break spaces become spaces); thousands separators (',' or '.', or a
# space), deleted only where every group has three digits, so '+44 7700 900123' or '555 0199' stay
# text, not numbers.
SIGNS_FROM, SIGNS_TO = "\u00a0\u202f$€£¥%", "  "
THOUSANDS_COMMA = "^-?[0-9]{1,3}([, ][0-9]{3})+([.][0-9]+)?$"  # 1,234.50 or 1 234.50
THOUSANDS_POINT = "^-?[0-9]{1,3}([. ][0-9]{3})+(,[0-9]+)?$"  # 1.234,50 or 1 234,50

# strftime directives -> Java DateTimeFormatter letters (Spark). Single letters parse padded and
# unpadded numbers alike ("1" and "01"), as strftime's do.
_JAVA = {
    "%Y": "yyyy", "%y": "yy", "%m": "M", "%-m": "M", "%d": "d", "%-d": "d", "%H": "H", "%-H": "H",
    "%I": "h", "%M": "mm", "%S": "ss", "%p": "a", "%b": "MMM", "%B": "MMMM", "%f": "SSSSSS", "%%": "%",
}


def java_format(fmt: str) -> str:
    """A strftime date format (as the config states it) in Spark's pattern language."""
    out, i = [], 0
    while i < len(fmt):
        token = fmt[i : i + 3] if fmt.startswith("%-", i) else fmt[i : i + 2]
        if token in _JAVA:
            out.append(_JAVA[token])
            i += len(token)
        elif fmt[i] == "%":
            raise ValueError(f"unsupported date directive {token!r}")
        else:
            ch = fmt[i]
            out.append(f"'{ch}'" if ch.isalpha() else ch)
            i += 1
    return "".join(out)


def quote_text(value: str) -> str:
    """A SQL string literal (both engines double a single quote)."""
    return "'" + value.replace("'", "''") + "'"


_SIGNS = str.maketrans(dict(zip(SIGNS_FROM, SIGNS_TO.ljust(len(SIGNS_FROM), "\0")))) | {ord(c): None for c in SIGNS_FROM[len(SIGNS_TO):]}


def signed_number(text: str, decimal_comma: bool) -> float | None:
    """The number Dialect.number(signed=True) reads from a text that is not a plain number, in
    Python (to find the columns worth reading so); None if it is a plain number or none at all."""
    try:
        float(text.replace(",", ".") if decimal_comma else text)
        return None  # plain
    except ValueError:
        pass
    plain = text.translate(_SIGNS).strip()
    if not plain.isascii():  # float() reads '１２' and '١٢'; SQL's cast does not, and the run reads what SQL reads
        return None
    sep, grouped = (".", THOUSANDS_POINT) if decimal_comma else (",", THOUSANDS_COMMA)
    if re.match(grouped, plain):
        plain = plain.replace(sep, "").replace(" ", "")
    try:
        value = float(plain.replace(",", ".") if decimal_comma else plain)
    except ValueError:
        return None
    return value if abs(value) <= float(FINITE) else None


@dataclass(frozen=True)
class Dialect:
    name: str  # "duckdb" or "spark"

    def ident(self, name: str) -> str:
        if self.name == "spark":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def text(self, column: str) -> str:
        """A column's cell as trimmed text; NULL stays NULL."""
        return f"trim(CAST({self.ident(column)} AS STRING))"

    def blank(self, column: str, typed: bool) -> str:
        """True for an empty cell (NULL, or blank text)."""
        return f"({self.ident(column)} IS NULL)" if typed else f"(coalesce({self.text(column)}, '') = '')"

    def number(self, column: str, typed: bool, decimal_comma: bool = False, signed: bool = False) -> str:
        """A column's cell as a finite double, or NULL when it is blank, not a number or not finite.
        `signed`: the text may carry currency or percent signs and thousands separators ('$1,234.50',
        '1.234,50 €', '1 234,50', '23.5%'), read only for the columns that need it (it costs time per cell)."""
        if typed:
            value = f"CAST({self.ident(column)} AS DOUBLE)"
        else:
            text = self.text(column)
            if signed:
                text = f"trim(translate({text}, {quote_text(SIGNS_FROM)}, {quote_text(SIGNS_TO)}))"
                sep, grouped = (".", THOUSANDS_POINT) if decimal_comma else (",", THOUSANDS_COMMA)
                text = (
                    f"(CASE WHEN regexp_extract(coalesce({text}, ''), {quote_text(grouped)}, 0) <> '' "
                    f"THEN replace(replace({text}, {quote_text(sep)}, ''), ' ', '') ELSE {text} END)"
                )
            if decimal_comma:
                text = f"replace({text}, ',', '.')"
            value = f"try_cast({text} AS DOUBLE)"
        return f"(CASE WHEN abs({value}) <= {FINITE} THEN {value} END)"

    def timestamp(self, text_sql: str, fmt: str) -> str:
        """Text parsed with a strftime format; NULL when it does not parse."""
        if self.name == "spark":
            return f"try_to_timestamp({text_sql}, {quote_text(java_format(fmt))})"
        return f"try_strptime({text_sql}, {quote_text(fmt)})"

    def days_between(self, start: str, end_date: str) -> str:
        """Whole days from a timestamp expression to an ISO date (end_date 'yyyy-mm-dd')."""
        if self.name == "spark":
            return f"datediff(DATE {quote_text(end_date)}, CAST({start} AS DATE))"
        return f"date_diff('day', CAST({start} AS DATE), DATE {quote_text(end_date)})"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")
