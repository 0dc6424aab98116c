"""The `columns:` setting: how each feature is made from a file's columns (a column, a sum, a ratio,
an age from a birth year, days since a date). stages/derive_sql.py turns these into SQL."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag

from .schema import Strict


class _Spec(Strict):
    sensitive: bool = False  # never clustered on unless listed in features (then the appendix says so)


class Column(_Spec):
    """A feature read from one column, written out to mark it sensitive: {column: Gender, sensitive: true}."""

    column: str


class Sum(_Spec):
    """The row sum of columns or earlier features; missing if any of them is missing."""

    sum: list[str] = Field(min_length=1)


class Ratio(_Spec):
    """numerator / denominator; a zero denominator gives a missing value."""

    ratio: list[str] = Field(min_length=2, max_length=2)


class BirthYear(_Spec):
    """Age at the report period's year, from a birth-year column."""

    birth_year: str


class DaysSince(_Spec):
    """Whole days from a date column to the last day of the report period."""

    days_since: str
    date_format: str | None = None  # strftime, e.g. "%d-%m-%Y"; None: decided from the values


KINDS = {"column": Column, "sum": Sum, "ratio": Ratio, "birth_year": BirthYear, "days_since": DaysSince}


def _spec_kind(value: Any) -> str | None:
    """Which definition a feature's value is, from the key it names, so a mistake inside it (a ratio
    of one column) is reported against that definition, not as 'not any of them'."""
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return next((k for k in KINDS if k in value), None)
    return next((k for k, cls in KINDS.items() if isinstance(value, cls)), None)


FeatureSpec = Annotated[
    Annotated[str, Tag("str")]
    | Annotated[Column, Tag("column")]
    | Annotated[Sum, Tag("sum")]
    | Annotated[Ratio, Tag("ratio")]
    | Annotated[BirthYear, Tag("birth_year")]
    | Annotated[DaysSince, Tag("days_since")],
    Discriminator(
        _spec_kind,
        custom_error_type="feature_definition",
        custom_error_message="a feature is a column name or one of {column: C}, {sum: [A, B]}, {ratio: [A, B]}, {birth_year: C}, {days_since: C}",
    ),
]
