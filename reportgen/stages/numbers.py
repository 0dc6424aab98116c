"""How a column writes its numbers: a decimal point or a decimal comma, with or without thousands
separators. Decided once per column from all its values, so that every cell of the column is read
the same way: one cell written '5.525,50' proves that the column's '18.611' is eighteen thousand,
and a column that proves both ('3.75' beside '3,75') is refused rather than guessed. When no value
tells ('18.611', '3,750' and whole numbers only), the file's delimiter does: a ';' file is a
European export (decimal comma), any other uses a decimal point. The `decimal` setting overrides.

The counts are SQL aggregates over every cell (DuckDB and Spark alike, through reportgen.sql.Dialect);
the decision is made here in Python, for customer tables (stages/probe.py) and order logs
(stages/order_sql.py) alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..sql import SIGNS_FROM, quote_text
from ..errors import DataError

# A cell's shape, after currency and percent signs, spaces and signs are taken out (no backslashes:
# the patterns are used as they are in both engines' SQL).
AMBIGUOUS_POINT = "^[1-9][0-9]{0,2}[.][0-9]{3}$"  # 18.611: 18.611 or 18611
AMBIGUOUS_COMMA = "^[1-9][0-9]{0,2},[0-9]{3}$"  # 3,750: 3.75 or 3750
POINT = "^([0-9]*[.][0-9]+|[1-9][0-9]{0,2}(,[0-9]{3})+([.][0-9]*)?)$"  # 3.75, 0.500, 1,234.50, 1,234,567
COMMA = "^([0-9]*,[0-9]+|[1-9][0-9]{0,2}([.][0-9]{3})+(,[0-9]*)?)$"  # 3,75, 0,500, 1.234,50, 1.234.567
_DROPPED = SIGNS_FROM + " -+()\u2212"
SHAPES = {"p": POINT, "c": COMMA, "ap": AMBIGUOUS_POINT, "ac": AMBIGUOUS_COMMA}
HINT = "Write the column one way, or say which way it is written: decimal: point (3.75, 1,234.50) or decimal: comma (3,75, 1.234,50) in the settings."


@dataclass(frozen=True)
class Shapes:
    """A column's cells by shape: proving a decimal point, proving a decimal comma, or either."""

    point: int = 0
    comma: int = 0
    ambiguous: int = 0
    with_point: int = 0  # number-like cells that contain '.'
    with_comma: int = 0  # ... and ','
    point_example: str | None = None
    comma_example: str | None = None
    ambiguous_example: str | None = None


@dataclass(frozen=True)
class Convention:
    comma: bool  # ',' is the decimal mark
    grouped: bool  # some cells carry thousands separators: read them through Dialect.number(signed=True)


def _plain(text_sql: str) -> str:
    """The cell without currency or percent signs, spaces, signs and parentheses."""
    return f"translate(coalesce({text_sql}, ''), {quote_text(_DROPPED)}, '')"


def shape_sql(text_sql: str) -> str:
    """0 no separator (or not a number), 1 proves a decimal point, 2 a decimal comma, 3 '18.611', 4 '3,750'."""
    t = _plain(text_sql)
    test = lambda pattern: f"regexp_extract({t}, {quote_text(pattern)}, 0) <> ''"  # noqa: E731
    # the ambiguous shapes end in a separator and three digits: a cheap test first spares most cells two regexes
    three = lambda sep: f"length({t}) - instr({t}, '{sep}') = 3"  # noqa: E731
    return (
        f"(CASE WHEN instr({t}, '.') + instr({t}, ',') = 0 THEN 0 WHEN {three('.')} AND {test(AMBIGUOUS_POINT)} THEN 3 "
        f"WHEN {three(',')} AND {test(AMBIGUOUS_COMMA)} THEN 4 WHEN {test(POINT)} THEN 1 WHEN {test(COMMA)} THEN 2 ELSE 0 END)"
    )


def counts_sql(text_sql: str, key: str, weight: str = "1") -> list[str]:
    """Aggregate expressions (named `key`_...) over a shape column `key`_s (see shape_sql) and the cell
    text; `weight`: how many cells a row stands for (a column of counts over distinct texts)."""
    s = f"{key}_s"

    def count(cond: str) -> str:
        return f"sum(CASE WHEN {cond} THEN {weight} ELSE 0 END)"

    has_point, has_comma = f"instr({text_sql}, '.') > 0", f"instr({text_sql}, ',') > 0"
    return [
        f"{count(f'{s} = 1')} AS {key}_p", f"{count(f'{s} = 2')} AS {key}_c", f"{count(f'{s} IN (3, 4)')} AS {key}_a",
        f"{count(f'{s} > 0 AND {has_point}')} AS {key}_hp", f"{count(f'{s} > 0 AND {has_comma}')} AS {key}_hc",
        f"min(CASE WHEN {s} = 1 THEN {text_sql} END) AS {key}_xp", f"min(CASE WHEN {s} = 2 THEN {text_sql} END) AS {key}_xc",
        f"min(CASE WHEN {s} IN (3, 4) THEN {text_sql} END) AS {key}_xa",
    ]


N_COUNTS = 8  # values counts_sql gives per column, in its order


def shapes(values: tuple[object, ...] | list[object]) -> Shapes:
    """Shapes from the N_COUNTS values of counts_sql."""
    p, c, a, hp, hc, xp, xc, xa = values
    return Shapes(int(p or 0), int(c or 0), int(a or 0), int(hp or 0), int(hc or 0), _text(xp), _text(xc), _text(xa))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def decide(found: Shapes, delimiter_comma: bool, setting: str, column: str, source: str) -> Convention:
    """The column's convention: the setting's, else the one its values prove, else the delimiter's."""
    if setting in ("point", "comma"):
        comma = setting == "comma"
    elif found.point and found.comma:
        either = f" {found.ambiguous_example!r} could be read either way." if found.ambiguous_example else ""
        raise DataError(
            f"{source}: column '{column}' writes numbers two ways: {found.point_example!r} with a decimal point and "
            f"{found.comma_example!r} with a decimal comma.{either}",
            HINT,
        )
    else:
        comma = bool(found.comma) or (not found.point and delimiter_comma)
    grouped = (found.with_point if comma else found.with_comma) > 0
    return Convention(comma, grouped)


def shape(text: str) -> int:
    """shape_sql in Python (for `reportgen init` and tests): 0, 1 point, 2 comma, 3 '18.611', 4 '3,750'."""
    t = text.translate({ord(ch): None for ch in _DROPPED})
    if "." not in t and "," not in t:
        return 0
    for code, pattern in ((3, AMBIGUOUS_POINT), (4, AMBIGUOUS_COMMA), (1, POINT), (2, COMMA)):
        if re.match(pattern, t):
            return code
    return 0
