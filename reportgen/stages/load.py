"""Read a customer table (CSV or Parquet), map its columns onto roles, keep the usable rows.

Every problem names the file and the column or line; rows that are only partly bad are dropped and
counted by reason instead of stopping the run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import NUMERIC_ROLES, AgeFromBirthYear, Settings, SumOf
from ..errors import DataError
from ..model import CustomerTable, RowIssue
from . import read
from .columns import columns_used, find_column, require, role_spec

MAX_EXAMPLES = 5


def _numeric(values: pd.Series, decimal_comma: bool) -> pd.Series:
    text = values.astype("string").str.strip()
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")


def _role_values(
    spec: object, frame: pd.DataFrame, path: Path, role: str, period_year: int, decimal_comma: bool
) -> tuple[pd.Series, str, pd.Series]:
    """The numbers for one numeric role, where they came from, and which rows had a blank cell."""
    columns = list(frame.columns)
    if isinstance(spec, SumOf):
        used = [require(c, columns, path, role) for c in spec.sum]
        values = pd.concat([_numeric(frame[c], decimal_comma) for c in used], axis=1).sum(axis=1, min_count=len(used))
        source = " + ".join(used)
    elif isinstance(spec, AgeFromBirthYear):
        used = [require(spec.birth_year, columns, path, role)]
        values = period_year - _numeric(frame[used[0]], decimal_comma)
        source = f"{used[0]} (age in {period_year})"
    else:
        used = [require(str(spec), columns, path, role)]
        col = frame[used[0]]
        values = col.astype("float64") if col.dtype.kind in "iuf" else _numeric(col, decimal_comma)
        source = used[0]
    blank = pd.Series(False, index=frame.index)
    for c in used:
        col = frame[c]
        blank |= col.isna() if col.dtype.kind in "iuf" else (col.isna() | col.astype("string").str.strip().eq("").fillna(True))
    return values, source, blank


def _duplicated(ids: pd.Series) -> pd.Series:
    """Later repeats of an id. Fixed-width digit ids (the common export) are compared as integers,
    which is exact for them and several times faster than hashing millions of strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(ids) > 100_000 and not ids.isna().any():
        arr = pa.array(ids.to_numpy(dtype=object) if ids.dtype == object else ids.array, type=pa.string(), from_pandas=True)
        lengths = pc.min_max(pc.utf8_length(arr)).as_py()
        if lengths["min"] == lengths["max"] and 0 < lengths["max"] <= 18 and pc.all(pc.utf8_is_digit(arr)).as_py():
            numbers = pc.cast(arr, pa.int64()).to_numpy()
            return pd.Series(pd.Series(numbers).duplicated(keep="first").to_numpy(), index=ids.index)
    return ids.duplicated(keep="first")


class _Issues:
    """Collects row problems by (column, reason), keeping a few example line numbers."""

    def __init__(self, first_line: int) -> None:
        self.first_line = first_line
        self.items: list[RowIssue] = []

    def add(self, mask: pd.Series, column: str, reason: str, dropped: bool = True) -> None:
        count = int(mask.sum())
        if count:
            lines = tuple(int(i) + self.first_line for i in np.flatnonzero(mask.to_numpy())[:MAX_EXAMPLES])
            self.items.append(RowIssue(column, reason, count, lines, dropped))


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def load(settings: Settings) -> CustomerTable:
    """Read settings.data_path and return the usable customers by role."""
    path = settings.data_path
    used, numeric = columns_used(settings, read.header(path), path)
    raw = read.read(path, used, numeric)
    frame, first_line, checksum, decimal_comma = raw.frame, raw.first_line, raw.checksum, raw.decimal_comma
    n_read = len(frame)
    if n_read == 0:
        raise DataError(f"{path} has a header but no customers.", "Export the table again with its rows.")
    columns = [str(c) for c in frame.columns]
    period_year = int(settings.period[:4])
    issues = _Issues(first_line)
    notes: list[str] = []

    out = pd.DataFrame(index=frame.index)
    sources: dict[str, str] = {}
    for role in NUMERIC_ROLES:
        spec = role_spec(settings, role, columns, path)
        if spec is None:
            continue
        values, src, blank = _role_values(spec, frame, path, role, period_year, decimal_comma)
        sources[role] = src
        is_feature = role in settings.features
        issues.add(values.isna() & blank, src, "missing value", is_feature)
        issues.add(values.isna() & ~blank, src, "not a number", is_feature)
        low, high = settings.valid.get(role, (None, None))
        below = values < low if low is not None else pd.Series(False, index=values.index)
        above = values > high if high is not None else pd.Series(False, index=values.index)
        issues.add(below, src, f"below the valid minimum {_fmt(low)}", is_feature)
        issues.add(above, src, f"above the valid maximum {_fmt(high)}", is_feature)
        outside = below | above
        out[role] = values.where(~outside)

    id_spec = settings.columns.get("customer_id")
    id_col = require(str(id_spec), columns, path, "customer_id") if id_spec else find_column("customer_id", columns)
    if id_col is None:
        out["customer_id"] = (frame.index + first_line).astype(str)
        sources["customer_id"] = "line number"
        notes.append("The file has no customer id column; customers are identified by their line number.")
    else:
        ids = frame[id_col].astype("string").str.strip()
        out["customer_id"] = ids
        sources["customer_id"] = id_col
        missing_id = ids.isna() | ids.eq("")
        duplicate_id = _duplicated(ids) & ~missing_id
        issues.add(missing_id, id_col, "missing customer id")
        issues.add(duplicate_id, id_col, "duplicate customer id (first kept)")

    gender_spec = settings.columns.get("gender")
    gender_col = require(str(gender_spec), columns, path, "gender") if gender_spec else find_column("gender", columns)
    if gender_col is not None:
        gender = frame[gender_col].astype("string").str.strip().fillna("")
        out["gender"] = gender.mask(gender.eq(""), "Not stated")
        sources["gender"] = gender_col

    keep = pd.Series(True, index=out.index)
    for role in settings.features:
        keep &= out[role].notna()
    if id_col is not None:
        keep &= ~missing_id & ~duplicate_id
    kept = out.loc[keep].reset_index(drop=True)
    kept["customer_id"] = kept["customer_id"].astype(str)

    dropped = n_read - len(kept)
    if dropped and dropped / n_read > settings.quality.max_dropped_share:
        worst = max((i for i in issues.items if i.dropped), key=lambda i: i.rows)
        raise DataError(
            f"{path}: {dropped} of {n_read} rows are unusable (most: {worst.rows} × '{worst.reason}' in column '{worst.column}', e.g. line {worst.examples[0]}).",
            "Fix the export, map the right columns in the config, or raise quality.max_dropped_share.",
        )
    if len(kept) < settings.quality.min_rows:
        raise DataError(
            f"{path}: only {len(kept)} usable customers; at least {settings.quality.min_rows} are needed.",
            "Give a larger customer table.",
        )
    return CustomerTable(
        frame=kept,
        source=path,
        checksum=checksum,
        n_read=n_read,
        columns=sources,
        issues=tuple(issues.items),
        notes=tuple(notes),
    )
