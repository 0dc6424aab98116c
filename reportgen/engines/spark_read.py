"""Reading and deriving on Spark: the file read as stages/source.py describes it (one reader for a
customer table and an order log alike), then the analysis's own SQL: stages/derive_sql.py for a
customer table, stages/transactions.py's passes for an order log. Only the execution is here."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import DataError
from ..model import CustomerTable
from ..sql import SPARK
from ..stages import derive, derive_sql, encodings, probe, read, transactions
from ..stages.load import with_order_features
from ..stages.order_sql import KEPT
from ..stages.source import Source, describe

if TYPE_CHECKING:
    from ..input_settings import InputSettings

SPARE = "_reportgen_spare"


def _first_line(spark: Any, location: str) -> str:
    first = spark.read.text(location).first()
    return str(first[0]) if first is not None else ""


def read_source(spark: Any, settings: InputSettings, copies: ExitStack) -> tuple[Any, Source, tuple[str, ...]]:
    """The raw table (every CSV column as text, names trimmed), how it was read, and the Data quality
    note of a UTF-8 file with bytes that are not. A local CSV in another encoding is read through a
    UTF-8 copy that `copies` keeps (Spark reads Windows-1252 only as Latin-1, losing the euro sign,
    and replaces stray bytes unseen)."""
    location = settings.data_location
    source = describe(location, settings.decimal, lambda: _first_line(spark, location))
    if source.parquet:
        return spark.read.parquet(location), source, ()
    readable, notes = location, ()
    if source.local:
        copy, found = copies.enter_context(encodings.utf8_copy(Path(location)))
        note = encodings.note(Path(location), found)
        readable, notes = str(copy), ((note,) if note else ())
    # a doubled quote inside quotes is a quote, as in every CSV writer; a backslash is text (Spark's default escape is '\\')
    options = {"header": True, "sep": source.delimiter, "encoding": "UTF-8", "quote": '"', "escape": '"'}
    df = spark.read.csv(readable, inferSchema=False, **options)
    _refuse_ragged(spark, location, df, readable, options)
    for name in df.columns:
        if name != name.strip():
            df = df.withColumnRenamed(name, name.strip())
    return df, source, notes


def _refuse_ragged(spark: Any, location: str, df: Any, readable: str, options: dict[str, Any]) -> None:
    """Spark's CSV reader silently drops the fields of a row beyond the header's, where one machine
    refuses the file (its values would be in the wrong columns). Read with one spare column: a row
    that fills it has too many fields, and the run stops as it does on one machine."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(c, StringType()) for c in df.columns] + [StructField(SPARE, StringType())])
    wide = spark.read.csv(readable, schema=schema, enforceSchema=True, **options)
    ragged = wide.where(F.col(SPARE).isNotNull()).limit(1).collect()
    if ragged:
        n = wide.where(F.col(SPARE).isNotNull()).count()
        raise DataError(
            f"{location}: {n:,} row(s) have more fields than the header's {len(df.columns)} (the first starts {ragged[0][0]!r}).",
            read.RAGGED_HINT,
        )


def customers(spark: Any, settings: InputSettings, copies: ExitStack) -> tuple[Any, CustomerTable]:
    """A customer table derived on Spark by the SQL of stages/derive_sql.py: (every kept customer, with
    `_line`, cached; the table of counts and facts, whose frame the sample fills later)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType

    path = Path(settings.data_location)  # for messages
    if "://" not in settings.data_location and path.is_file():  # the file's own header: Spark renames columns that differ only by case
        derive.plan(settings, read.header(path), path)
    raw, source, notes = read_source(spark, settings, copies)
    plan = derive.plan(settings, [str(c) for c in raw.columns], path)
    typed = {f.name for f in raw.schema.fields if isinstance(f.dataType, NumericType)}
    raw.withColumn("_line", F.monotonically_increasing_id() + 2).createOrReplaceTempView("reportgen_src")
    plan = probe.settle(plan, settings, SPARK, typed, source.decimal_comma, "reportgen_src", lambda sql: spark.sql(sql).collect())
    q = derive_sql.query(plan, settings, SPARK, typed, "reportgen_src")
    flagged = spark.sql(q.sql).cache()
    totals = flagged.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.col("_keep").cast("long")).alias("kept"),
        *[F.sum(F.col(c.flag).cast("long")).alias(c.flag) for c in (*q.checks, *q.notes)],
    ).first()
    n_read, kept = int(totals["n"]), int(totals["kept"] or 0)
    count = lambda c: (int(totals[c.flag] or 0), ())  # noqa: E731  (Spark counts; it lists no example lines)
    found = derive_sql.issues(q.checks, count)
    derive_sql.check_kept(path, n_read, kept, found, settings)
    clean = flagged.where("_keep").select("_line", "customer_id", *[f"`{n}`" for n in (*q.numeric, *q.attributes)]).cache()
    clean.count()
    flagged.unpersist()
    table = derive_sql.customer_table(plan, q, pd.DataFrame(), path, source.checksum, n_read, found, notes + derive_sql.note_texts(q.notes, count), n_used=kept)
    return clean, table


def orders(spark: Any, settings: InputSettings, copies: ExitStack) -> tuple[Any, CustomerTable]:
    """An order log's customers as the analysis takes them (stages/load.py load_orders on one machine)."""
    customers, table = order_frame(spark, settings, copies)
    return customers, with_order_features(table, settings)


def order_frame(spark: Any, settings: InputSettings, copies: ExitStack) -> tuple[Any, CustomerTable]:
    """An order log aggregated on Spark by the passes of stages/transactions.py, as transactions.load
    does on one machine: (one row per customer with a purchase, every feature a double, cached; the
    table of counts, facts and issues)."""
    from pyspark.sql import functions as F

    location = settings.data_location
    path = Path(location)
    if "://" not in location and path.is_file():  # the file's own header: Spark renames columns that differ only by case
        transactions.resolve(read.header(path), settings, location)
    reader, source, notes = read_source(spark, settings, copies)
    reader.createOrReplaceTempView("src")
    cols = transactions.resolve([str(c) for c in reader.columns], settings, location)
    kept: list[Any] = []

    def keep(sql: str, name: str) -> None:
        frame = spark.sql(sql).cache()
        frame.createOrReplaceTempView(name)
        kept.append(frame)

    summary, final = transactions.derive(SPARK, lambda sql: [tuple(r) for r in spark.sql(sql).collect()], keep, cols, location, settings, source.delimiter)
    every = spark.sql(final).cache()
    counts = {int(r[0]): int(r[1]) for r in every.groupBy("left_out").count().collect()}
    customers = every.where(f"left_out = {KEPT}").drop("left_out")
    customers = customers.select("customer_id", *[F.col(f"`{c}`").cast("double").alias(c) for c in customers.columns if c != "customer_id"]).cache()
    n = customers.count()
    every.unpersist()
    for frame in kept:
        frame.unpersist()
    transactions.check_customers(n, location)
    left_out = {k: v for k, v in counts.items() if k != KEPT}
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in customers.columns if c != "customer_id"})
    empty.insert(0, "customer_id", pd.Series(dtype="str"))
    table = transactions.order_table(empty, path, source.checksum, cols, summary, n, left_out, n_used=n)
    return customers, replace(table, notes=(*table.notes, *notes))
