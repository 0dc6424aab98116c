"""Read a customer table (CSV or Parquet) on one machine and derive its features with DuckDB.

The file is read by stages/read.py (encodings, delimiters, ragged rows named by line); the features
and row checks are the SQL of stages/derive_sql.py, which the Spark engine runs too. Rows that are only
partly bad are dropped and counted by reason instead of stopping the run.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..input_settings import InputSettings
from ..suggest import did_you_mean
from ..vocabulary import RFM_FEATURES, TRANSACTION_FEATURES
from ..sql import DUCKDB
from ..errors import ConfigError, DataError
from ..model import CustomerTable
from . import derive, derive_sql, probe, read

MAX_EXAMPLES = derive.MAX_EXAMPLES


def _connect() -> object:
    import duckdb

    return duckdb.connect(config={"threads": 2})


def header_plan(settings: InputSettings) -> derive.Plan:
    """The plan from the file's header alone (no data read): settings mistakes surface here."""
    path = settings.data_path
    return derive.plan(settings, read.header(path), path)


def load(settings: InputSettings) -> CustomerTable:
    """Read settings.data_path and return the usable customers with their features.

    A clean CSV stays in Arrow from the reader through DuckDB to the kept rows: only the customers
    kept, and only their columns, become a pandas frame (at a million rows the old way, a pandas
    frame in and every flag column out, cost about a second more)."""
    import pyarrow as pa

    path = settings.data_path
    plan = header_plan(settings)
    raw = read.read(path, plan.columns, plan.number_columns(), arrow=True, maybe_numeric=_maybe_numbers(plan), decimal=settings.decimal)
    source = _with_lines(raw)
    if len(source) == 0:
        raise DataError(f"{path} has a header but no customers.", "Export the table again with its rows.")
    if isinstance(source, pa.Table):
        typed = {name for name, t in zip(source.schema.names, source.schema.types) if name != "_line" and (pa.types.is_integer(t) or pa.types.is_floating(t))}
    else:
        typed = {str(c) for c in source.columns if c != "_line" and source[c].dtype.kind in "iuf"}
    con = _connect()
    try:
        con.register("src", source)  # type: ignore[attr-defined]
        plan = _resolve(con, plan, settings, typed, raw.decimal_comma)
        q = derive_sql.query(plan, settings, DUCKDB, typed, "src", window=False)
        result = con.sql(q.sql).to_arrow_table()  # type: ignore[attr-defined]
        lines = result.column("_line").to_numpy()
        if len(lines) > 1 and not bool(np.all(lines[1:] > lines[:-1])):  # a plain projection keeps the order; should a DuckDB release not
            order = np.argsort(lines, kind="stable")
            result, lines = result.take(pa.array(order)), lines[order]
        repeated = _repeated(con, result, lines) if q.duplicates else None
    finally:
        con.close()  # type: ignore[attr-defined]

    def flags(name: str) -> np.ndarray:
        return repeated if name == q.duplicates and repeated is not None else _flags(result.column(name))

    def count(check: derive_sql.Check) -> tuple[int, tuple[int, ...]]:
        hits = np.flatnonzero(flags(check.flag))
        return len(hits), tuple(int(lines[i]) for i in hits[:MAX_EXAMPLES])

    found = derive_sql.issues(q.checks, count)
    keep = _flags(result.column("_keep"))
    if repeated is not None:
        keep &= ~repeated
    derive_sql.check_kept(path, result.num_rows, int(keep.sum()), found, settings)
    kept = result.select(["customer_id", *q.numeric, *q.attributes])
    if not keep.all():  # a clean file keeps every row: no copy of its columns
        kept = kept.filter(pa.array(keep))
    kept = kept.to_pandas()
    kept["customer_id"] = kept["customer_id"].astype(str)
    for name in q.numeric:
        kept[name] = kept[name].astype("float64")
    return derive_sql.customer_table(plan, q, kept, path, raw.checksum, result.num_rows, found, raw.notes + derive_sql.note_texts(q.notes, count))


def _maybe_numbers(plan: derive.Plan) -> set[str]:
    """Columns that may hold numbers or text (not the id, not dates): typed on the way in when the
    file's head says they are numbers (see read.read)."""
    return set(plan.columns) - {plan.id_column} - probe.date_columns(plan)


def _with_lines(raw: read.Raw) -> Any:
    """The rows read, with a first column `_line`: each row's line in the file, for Data quality."""
    import pyarrow as pa

    frame = raw.frame
    lines = raw.lines if raw.lines is not None else np.arange(len(frame), dtype=np.int64) + raw.first_line
    if isinstance(frame, pa.Table):
        return frame.add_column(0, "_line", pa.array(lines, type=pa.int64()))
    frame = frame.reset_index(drop=True)
    frame.insert(0, "_line", lines)
    return frame


def _repeated(con: Any, result: Any, lines: np.ndarray) -> np.ndarray:
    """Per row of the derived table, whether its customer id already appeared on an earlier line
    (missing ids excluded). Ids that increase from row to row cannot repeat: an export sorted by id
    is settled by one comparison of neighbours (~0.05 s at 10M rows) instead of hashing every id
    (~3 s); other files take the hash aggregate of derive_sql.duplicate_lines."""
    import pyarrow.compute as pc

    ids = result.column("customer_id")
    if ids.null_count or pc.any(pc.equal(ids, "")).as_py():
        ids = ids.filter(pc.fill_null(pc.not_equal(ids, ""), False))
    if len(ids) < 2 or pc.all(pc.greater(ids[1:], ids[:-1])).as_py():
        return np.zeros(len(lines), dtype=bool)
    con.register("derived", result.select(["_line", "customer_id"]))
    again = con.sql(derive_sql.duplicate_lines("derived")).to_arrow_table().column(0).to_numpy()
    return np.isin(lines, again)


def _flags(column: Any) -> np.ndarray:
    """A boolean column of the query as a numpy array (a NULL counts as false)."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False), dtype=bool)


def _resolve(con: object, plan: derive.Plan, settings: InputSettings, typed: set[str], decimal_comma: bool) -> derive.Plan:
    """Which columns hold text and how dates are written, from the data itself."""
    return probe.settle(plan, settings, DUCKDB, typed, decimal_comma, "src", lambda sql: con.execute(sql).fetchall())  # type: ignore[attr-defined]  # all rows: no unfinished result left on the connection


def kind(settings: InputSettings) -> str:
    """"transactions" for an order log (declared, or recognised: a customer id that repeats, a date), else "customers"."""
    from . import transactions

    if settings.transactions is not None:
        return "transactions"
    if "://" in settings.data_location:
        return "customers"  # a remote order log is declared with transactions: in the settings
    return "transactions" if transactions.is_order_log(settings.data_path, settings) else "customers"


def with_order_features(table: CustomerTable, settings: InputSettings) -> CustomerTable:
    """An order log's per-customer table with its features named: every number is profiled, the
    settings' features (default recency_days, frequency, monetary) are clustered."""
    from .transactions import check_customers

    check_customers(table.n_customers, settings.data_location, settings.quality.min_rows)  # as many as a customer table needs
    numeric = tuple(str(c) for c in table.frame.columns if c != "customer_id")
    clustered = tuple(settings.features or (f for f in RFM_FEATURES if f in numeric))  # no value column: recency and frequency
    for name in clustered:
        if name not in numeric:
            why = " (it has no value column, so no monetary value)" if name in TRANSACTION_FEATURES else ""
            raise ConfigError(f"{settings.source}: features: '{name}' is not a feature of this order log{why}.", did_you_mean(name, list(numeric)))
    return replace(table, numeric=numeric, clustered=clustered)


def load_orders(settings: InputSettings) -> CustomerTable:
    from . import transactions

    return with_order_features(transactions.load(settings), settings)
