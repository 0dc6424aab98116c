"""Read a customer table (CSV or Parquet) on one machine and derive its features with DuckDB.

The file is read by stages/read.py (encodings, delimiters, ragged rows named by line); the features
and row checks are the SQL of stages/derive.py, which the Spark engine runs too. Rows that are only
partly bad are dropped and counted by reason instead of stopping the run.
"""

from __future__ import annotations

import numpy as np

from dataclasses import replace

from ..config import Settings
from ..suggest import did_you_mean
from ..vocabulary import RFM_FEATURES
from ..engines.sql import DUCKDB
from ..errors import ConfigError, DataError
from ..model import CustomerTable
from . import derive, read

MAX_EXAMPLES = derive.MAX_EXAMPLES


def _connect() -> object:
    import duckdb

    return duckdb.connect(config={"threads": 2})


def header_plan(settings: Settings) -> derive.Plan:
    """The plan from the file's header alone (no data read): settings mistakes surface here."""
    path = settings.data_path
    return derive.plan(settings, read.header(path), path)


def load(settings: Settings) -> CustomerTable:
    """Read settings.data_path and return the usable customers with their features."""
    path = settings.data_path
    plan = header_plan(settings)
    raw = read.read(path, plan.columns, plan.number_columns())
    frame = raw.frame
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no customers.", "Export the table again with its rows.")
    frame = frame.reset_index(drop=True)
    lines = raw.lines if raw.lines is not None else np.arange(len(frame), dtype=np.int64) + raw.first_line
    frame.insert(0, "_line", lines)  # the file's own line numbers, for Data quality
    typed = {str(c) for c in frame.columns if c != "_line" and frame[c].dtype.kind in "iuf"}
    con = _connect()
    try:
        con.register("src", frame)  # type: ignore[attr-defined]
        plan = _resolve(con, plan, settings, typed, raw.decimal_comma)
        q = derive.query(plan, settings, DUCKDB, typed, raw.decimal_comma, "src")
        result = con.execute(q.sql).df()  # type: ignore[attr-defined]
    finally:
        con.close()  # type: ignore[attr-defined]
    lines = result["_line"].to_numpy()

    def count(check: derive.Check) -> tuple[int, tuple[int, ...]]:
        flags = result[check.flag].to_numpy(dtype=bool)
        hits = np.flatnonzero(flags)
        return len(hits), tuple(int(lines[i]) for i in hits[:MAX_EXAMPLES])

    found = derive.issues(q.checks, count)
    keep = result["_keep"].to_numpy(dtype=bool)
    derive.check_kept(path, len(result), int(keep.sum()), found, settings)
    kept = result.loc[keep, ["customer_id", *q.numeric, *q.attributes]].reset_index(drop=True)
    kept["customer_id"] = kept["customer_id"].astype(str)
    for name in q.numeric:
        kept[name] = kept[name].astype("float64")
    notes = () if plan.id_column else ("The file has no customer id column; customers are identified by their line number.",)
    return CustomerTable(
        frame=kept,
        source=path,
        checksum=raw.checksum,
        n_read=len(result),
        columns=derive.sources(plan),
        issues=found,
        notes=notes,
        numeric=q.numeric,
        attributes=q.attributes,
        clustered=tuple(plan.clustered or ()),
        categories=dict(plan.categories),
        facts=_facts(plan),
    )


def _facts(plan: derive.Plan) -> dict[str, str]:
    dated = [f.name for f in plan.features if f.kind == "days_since"]
    return {"dates_to": derive.period_end(plan.period)} if dated else {}


def _resolve(con: object, plan: derive.Plan, settings: Settings, typed: set[str], decimal_comma: bool) -> derive.Plan:
    """Which columns hold text and how dates are written, from the data itself."""
    sql, columns = derive.probe_sql(plan, DUCKDB, typed, decimal_comma, "src")
    counts: dict[str, tuple[int, int]] = {}
    if sql:
        row = con.execute(sql).fetchone()  # type: ignore[attr-defined]
        for i, c in enumerate(columns):
            counts[c] = (int(row[2 * i] or 0), int(row[2 * i + 1] or 0))
    samples = {}
    for c in derive._date_columns(plan):
        samples[c] = [r[0] for r in con.execute(derive.dates_sql(plan, DUCKDB, c, "src")).fetchall()]  # type: ignore[attr-defined]
    return derive.resolve(plan, settings, counts, samples)


def kind(settings: Settings) -> str:
    """"transactions" for an order log (declared, or recognised from its header), else "customers"."""
    from . import transactions

    if settings.transactions is not None:
        return "transactions"
    if "://" in settings.data_location:
        return "customers"  # a remote order log is declared with transactions: in the settings
    return "transactions" if transactions.recognise(read.header(settings.data_path), settings) else "customers"


def with_order_features(table: CustomerTable, settings: Settings) -> CustomerTable:
    """An order log's per-customer table with its features named: every number is profiled, the
    settings' features (default recency_days, frequency, monetary) are clustered."""
    numeric = tuple(str(c) for c in table.frame.columns if c != "customer_id")
    clustered = tuple(settings.features or RFM_FEATURES)
    for name in clustered:
        if name not in numeric:
            raise ConfigError(f"{settings.source}: features: '{name}' is not a feature of an order log.", did_you_mean(name, list(numeric)))
    return replace(table, numeric=numeric, clustered=clustered)


def load_orders(settings: Settings) -> CustomerTable:
    from . import transactions

    return with_order_features(transactions.load(settings), settings)
