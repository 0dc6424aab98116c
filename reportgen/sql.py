"""The few SQL spellings where DuckDB (one machine) and Spark SQL (a cluster) differ.

Derivations and aggregations are written once, as SQL built from these pieces, so a feature means
the same on both engines: the meaning lives in stages/derive_sql.py and stages/order_sql.py; only the
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


# Padded forms, for directives written next to each other ('%Y%m%d': 20230105), where a single
# letter would not know where the month ends.
_JAVA_PADDED = {"M": "MM", "d": "dd", "H": "HH", "h": "hh"}
# Excel's serial day numbers (43831 is 2020-01-01, 43831.75 six in the evening), as a date format.
EXCEL = "excel"


def java_format(fmt: str) -> str:
    """A strftime date format (as the config states it) in Spark's pattern language."""
    out, i = [], 0
    while i < len(fmt):
        token = fmt[i : i + 3] if fmt.startswith("%-", i) else fmt[i : i + 2]
        if token in _JAVA:
            adjacent = fmt.startswith("%", i + len(token)) or (i > 0 and fmt[i - 1].isalpha() and fmt[i - 2] == "%")
            out.append(_JAVA_PADDED.get(_JAVA[token], _JAVA[token]) if adjacent else _JAVA[token])
            i += len(token)
        elif fmt[i] == "%":
            raise ValueError(f"unsupported date directive {token!r}")
        else:
            ch = fmt[i]
            out.append(f"'{ch}'" if ch.isalpha() else ch)
            i += 1
    return "".join(out)


def quote_text(value: str) -> str:
    """A SQL string literal both engines read alike, for text without backslashes (the patterns and
    constants written here); text from the data or the settings goes through Dialect.literal."""
    return "'" + value.replace("'", "''") + "'"


MINUS = "\u2212"  # the typographic minus sign, as word processors and some exports write '−100.00'


def negated(text_sql: str) -> str:
    """Accounting negatives as a leading minus: '(100.00)' and '100.00-' are -100.00 (DuckDB and Spark alike)."""
    return (
        f"(CASE WHEN {text_sql} LIKE '(%)' AND length({text_sql}) > 2 THEN concat('-', trim(substr({text_sql}, 2, length({text_sql}) - 2))) "
        f"WHEN {text_sql} LIKE '%-' AND length({text_sql}) > 1 THEN concat('-', trim(substr({text_sql}, 1, length({text_sql}) - 1))) ELSE {text_sql} END)"
    )


_SIGNS = str.maketrans(dict(zip(SIGNS_FROM, SIGNS_TO.ljust(len(SIGNS_FROM), "\0")))) | {ord(c): None for c in SIGNS_FROM[len(SIGNS_TO):]}


def signed_number(text: str, decimal_comma: bool) -> float | None:
    """The number Dialect.number(signed=True) reads from a text that is not a plain number, in
    Python (to find the columns worth reading so); None if it is a plain number or none at all."""
    try:
        float(text.replace(",", ".") if decimal_comma else text)
        return None  # plain
    except ValueError:
        pass
    plain = text.translate(_SIGNS).replace(MINUS, "-").strip()
    if not plain.isascii():  # float() reads '１２' and '١٢'; SQL's cast does not, and the run reads what SQL reads
        return None
    if len(plain) > 2 and plain.startswith("(") and plain.endswith(")"):
        plain = "-" + plain[1:-1].strip()
    elif len(plain) > 1 and plain.endswith("-"):
        plain = "-" + plain[:-1].strip()
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

    def literal(self, value: str) -> str:
        """Any text as a string literal of this dialect: Spark SQL reads backslash escapes in its
        literals ('a\\b' is a, backspace), DuckDB does not; both double a single quote. A product
        called 'C:\\' or 'x\\' OR 1=1 --' stays that text, on both engines."""
        if self.name == "spark":
            value = value.replace("\\", "\\\\")
        return "'" + value.replace("'", "''") + "'"

    def text(self, column: str) -> str:
        """A column's cell as trimmed text; NULL stays NULL. DuckDB's trim (which also takes no-break
        and other Unicode spaces off) costs ~0.3 CPU s per million cells; it runs only on cells that
        could change: a space at either end, or a character outside ASCII (strlen counts bytes)."""
        cell = f"CAST({self.ident(column)} AS STRING)"
        if self.name == "spark":
            return f"trim({cell})"
        return f"(CASE WHEN {cell} LIKE ' %' OR {cell} LIKE '% ' OR strlen({cell}) <> length({cell}) THEN trim({cell}) ELSE {cell} END)"

    def blank(self, column: str, typed: bool) -> str:
        """True for an empty cell (NULL, or blank text)."""
        return f"({self.ident(column)} IS NULL)" if typed else f"(coalesce({self.text(column)}, '') = '')"

    def number(self, column: str, typed: bool, decimal_comma: bool = False, signed: bool = False) -> str:
        """A column's cell as a finite double, or NULL when it is blank, not a number or not finite.
        `signed`: the text may carry currency or percent signs and thousands separators ('$1,234.50',
        '1.234,50 €', '1 234,50', '23.5%') and write a negative as accountants do ('(100.00)', '100.00-',
        '−100.00'), read only for the columns that need it (it costs time per cell)."""
        if typed:
            value = f"CAST({self.ident(column)} AS DOUBLE)"
        else:
            text = self.text(column)
            if signed:
                text = negated(f"trim(replace(translate({text}, {quote_text(SIGNS_FROM)}, {quote_text(SIGNS_TO)}), {quote_text(MINUS)}, '-'))")
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
        """Text parsed with a strftime format (or EXCEL: serial day numbers); NULL when it does not parse."""
        if fmt == EXCEL:
            days = f"try_cast({text_sql} AS DOUBLE)"
            day = f"(CASE WHEN {days} >= 1 AND {days} < 2958466 THEN {days} END)"
            whole = f"CAST(floor({day}) AS INT)"
            if self.name == "spark":
                return f"(CAST(date_add(DATE '1899-12-30', {whole}) AS TIMESTAMP) + make_dt_interval(0, 0, 0, CAST(({day} - floor({day})) * 86400 AS DECIMAL(18, 6))))"
            return f"(CAST(DATE '1899-12-30' + {whole} AS TIMESTAMP) + to_microseconds(CAST(round(({day} - floor({day})) * 86400000000) AS BIGINT)))"
        if self.name == "spark":
            return f"try_to_timestamp({text_sql}, {self.literal(java_format(fmt))})"
        return f"try_strptime({text_sql}, {self.literal(fmt)})"

    def years_earlier(self, date_sql: str, years: int) -> str:
        """A DATE expression moved `years` back (29 February to the 28th where needed)."""
        if self.name == "spark":
            return f"add_months({date_sql}, {-12 * years})"
        return f"CAST({date_sql} - INTERVAL {12 * years} MONTH AS DATE)"

    def days_between(self, start: str, end_date: str) -> str:
        """Whole days from a timestamp expression to an ISO date (end_date 'yyyy-mm-dd')."""
        if self.name == "spark":
            return f"datediff(DATE {quote_text(end_date)}, CAST({start} AS DATE))"
        return f"date_diff('day', CAST({start} AS DATE), DATE {quote_text(end_date)})"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")
