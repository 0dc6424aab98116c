"""The number reader's two twins agree: sql.signed_number (Python: `reportgen init` and the
probe that decides which columns to read so) and Dialect.number(signed=True) (the SQL every run
executes, here on DuckDB). Property-based: hypothesis writes numbers as shop exports do (currency
and percent signs before or after, thousands separators, decimal commas, minus signs, no-break
spaces) and text around them, and both readers must give the same value, and the value written."""

from __future__ import annotations

import re

from decimal import Decimal

import duckdb
import pytest
from hypothesis import example, given, settings, strategies as st

from reportgen.sql import DUCKDB, signed_number

PROPERTY = settings(max_examples=150, deadline=None)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


def sql_reads(con: duckdb.DuckDBPyConnection, text: str, decimal_comma: bool, signed: bool = True) -> float | None:
    """What a run reads from a cell holding `text` (the query derive.py and order_sql.py build)."""
    (value,) = con.execute(f"SELECT {DUCKDB.number('v', False, decimal_comma, signed)} FROM (SELECT CAST(? AS VARCHAR) AS v)", [text]).fetchone()
    return value


def python_reads(text: str, decimal_comma: bool) -> float | None:
    """The Python twin, as init.py uses it: a plain number as float() reads it, else signed_number."""
    try:
        return float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        return signed_number(text, decimal_comma)


SIGNS = ["", "$", "€", "£", "¥"]
SPACES = ["", " ", "\u00a0", "\u202f"]


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, bool, float]:
    """(cell text, the file uses a decimal comma, the value meant): a number as an export writes it."""
    decimal_comma = draw(st.booleans())
    whole = draw(st.integers(min_value=0, max_value=10**12))
    decimals = draw(st.integers(min_value=0, max_value=3))
    fraction = draw(st.integers(min_value=0, max_value=10**decimals - 1)) if decimals else 0
    negative = draw(st.booleans()) and (whole or fraction)
    point, group_options = (",", [".", " ", "\u00a0", "\u202f"]) if decimal_comma else (".", [",", " ", "\u00a0", "\u202f"])
    digits = str(whole)
    if draw(st.booleans()):  # thousands separators, every group of three
        sep = draw(st.sampled_from(group_options))
        groups = []
        while len(digits) > 3:
            digits, groups = digits[:-3], [digits[-3:], *groups]
        digits = sep.join([digits, *groups])
        grouped = bool(groups)
    else:
        grouped = False
    # '1.500' in a decimal-comma file (one group, no decimals) reads 1.5 as a plain number: the
    # convention cannot be told from the cell, so it is not a case with one right answer
    if decimal_comma and grouped and not decimals and digits.count(".") == 1 and len(digits.replace(".", "")) <= 6:
        grouped = False
        digits = str(whole)
    number = digits + (point + str(fraction).zfill(decimals) if decimals else "")
    sign = draw(st.sampled_from(SIGNS))
    space = draw(st.sampled_from(SPACES))
    where = draw(st.sampled_from(["before", "after", "percent"]))
    if where == "percent":
        text = ("-" if negative else "") + number + draw(st.sampled_from(["%", " %"]))
    elif where == "before" and sign:
        # '-€1.234,50' and '€ -1.234,50'; not '-€ 1.234,50': a minus parted from its digits is not read (by either twin)
        text = ("-" if negative else "") + sign + number if draw(st.booleans()) else sign + space + ("-" if negative else "") + number
    else:
        text = ("-" if negative else "") + number + (space + sign if sign else "")
    value = float(Decimal(whole) + (Decimal(fraction) / Decimal(10**decimals) if decimals else 0))
    return text, decimal_comma, -value if negative else value


@PROPERTY
@given(written_numbers())
@example(("$1,234.50", False, 1234.5))
@example(("1.234,50 €", True, 1234.5))
@example(("1 234,50", True, 1234.5))
@example(("23.5%", False, 23.5))
@example(("-€1.234.567,89", True, -1234567.89))
@example(("€\u00a0-1.234.567,89", True, -1234567.89))
def test_both_readers_read_the_number_written(con: duckdb.DuckDBPyConnection, case: tuple[str, bool, float]) -> None:
    text, decimal_comma, meant = case
    assert python_reads(text, decimal_comma) == meant
    assert sql_reads(con, text, decimal_comma) == meant


CELL = st.text(alphabet="0123456789,. -+$€£¥%eE_\t\u00a0\u202fxN/A\u0661\uff12", min_size=1, max_size=14)


@PROPERTY
@given(CELL, st.booleans())
@example("+44 7700 900123", False)
@example("555 0199", False)
@example("1,23,456", False)
@example("12.5.2020", True)
@example("$\uff11\uff12", False)  # full-width digits: Python's float() reads them, SQL does not (regression)
@example("\u0661\u0662\u0663 €", True)
def test_whatever_the_text_python_and_sql_agree(con: duckdb.DuckDBPyConnection, text: str, decimal_comma: bool) -> None:
    """Phone numbers, dates, codes and half-numbers: where the Python twin reads a number that is not
    plain, SQL reads the same; where it reads none, SQL reads none either (a value one reads and the
    other drops would make init's draft and the run disagree)."""
    text = text.strip(" ")  # the cell as both engines hand it over: trimmed
    # DuckDB's cast reads '+-5' as -5 (a quirk of its own; no export writes it), also once signs are
    # taken off ('+€-0'): left alone
    if not text or "+-" in re.sub(r"[$€£¥%\s\u00a0\u202f]", "", text):
        return
    signed = signed_number(text, decimal_comma)
    try:
        float(text.replace(",", ".") if decimal_comma else text)
        plain = True
    except ValueError:
        plain = False
    if signed is not None:
        assert sql_reads(con, text, decimal_comma) == signed
    elif not plain:
        assert sql_reads(con, text, decimal_comma) is None
