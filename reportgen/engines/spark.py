"""The Spark engine (`--engine spark`, `pip install reportgen[spark]`).

Loading, cleaning, scaling, K-Means (Spark MLlib, k-means|| init) and every per-segment aggregate
run on Spark; the per-customer assignments are written by Spark. Only aggregates and a bounded,
seeded sample (clustering.fit_sample rows) come back to the driver, so its memory does not grow
with the number of customers. k is chosen on that sample exactly as on one machine (silhouette),
then MLlib fits every row. Rules, templates and outputs are the same as on one machine.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import NUMERIC_ROLES, AgeFromBirthYear, Settings, SumOf
from ..errors import ConfigError, DataError, ReportgenError
from ..files import sha256
from ..model import Clustering, CustomerTable, Features, Profile, RowIssue
from ..rules import Rulebook
from ..stages import cluster as local_cluster
from ..stages import columns as columns_map
from ..stages import load as local_load
from ..stages import read as local_read
from ..stages.compare import Previous
from ..stages.label import quantile_points

FORMULA = r"^[=+\-@\t\r]"


def _is_local(location: str) -> bool:
    return "://" not in location


class SparkEngine:
    """One Spark session for a run: open it with `with`, then analyse, count migrations, write."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spark: Any = None
        self._assigned: Any = None  # customer_id, gender, roles..., label (Spark DataFrame, cached)
        self._names: list[str] = []

    def __enter__(self) -> "SparkEngine":
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise ConfigError("The Spark engine is not installed.", "Install it with: pip install 'reportgen[spark]' (and Java 17 or 21).") from None
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # else Spark binds to the external interface
        # PySpark 4.3 warns about pandas 3 on every toPandas(); it only ever converts small results here
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        s = self.settings.spark
        try:
            self.spark = (
                SparkSession.builder.master(s.master)
                .appName("reportgen")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", str(s.shuffle_partitions))
                .config("spark.driver.memory", s.driver_memory)
                .getOrCreate()
            )
        except Exception as exc:  # PySparkRuntimeError JAVA_GATEWAY_EXITED and friends
            raise ReportgenError(
                f"Spark could not start ({type(exc).__name__}).",
                "Spark needs Java 17 or 21 on PATH (Debian: sudo apt-get install --no-install-recommends openjdk-17-jre-headless).",
            ) from None
        self.spark.sparkContext.setLogLevel("ERROR")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.spark is not None:
            if self._assigned is not None:
                self._assigned.unpersist()
            self.spark.stop()
            self.spark = None

    # -- loading -------------------------------------------------------------------------------

    def _read(self, location: str) -> tuple[Any, str]:
        """The raw table (all text for CSV) and the file's checksum (local files only)."""
        local = _is_local(location)
        path = Path(location)
        if local and not path.exists():
            raise DataError(f"{location}: file not found.", "Check the path given with --data or in the config.")
        checksum = sha256(path) if local and path.is_file() else "not computed (remote or folder input)"
        if location.lower().rstrip("/").endswith(local_read.PARQUET_SUFFIXES) or (local and path.is_dir()):
            return self.spark.read.parquet(location), checksum
        delimiter = local_read.sniff(path).delimiter if local else ","
        df = self.spark.read.csv(location, header=True, sep=delimiter, inferSchema=False, encoding="UTF-8")
        for name in df.columns:
            if name != name.strip():
                df = df.withColumnRenamed(name, name.strip())
        return df, checksum

    def _clean(self, location: str) -> tuple[Any, CustomerTable]:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        settings = self.settings
        path = Path(location)  # for messages
        raw, checksum = self._read(location)
        columns = list(raw.columns)
        columns_map.columns_used(settings, columns, path)  # same messages for missing roles
        raw = raw.withColumn("_order", F.monotonically_increasing_id())
        year = int(settings.period[:4])
        exprs: dict[str, Any] = {}
        sources: dict[str, str] = {}
        checks: list[tuple[str, str, bool, Any]] = []  # column, reason, dropped, condition

        def number(c: str) -> Any:
            return F.trim(F.col(f"`{c}`").cast("string")).cast("double")

        def blank(c: str) -> Any:
            return F.col(f"`{c}`").isNull() | (F.trim(F.col(f"`{c}`").cast("string")) == "")

        for role in NUMERIC_ROLES:
            spec = columns_map.role_spec(settings, role, columns, path)
            if spec is None:
                continue
            if isinstance(spec, SumOf):
                used = spec.sum
                value = sum((number(c) for c in used[1:]), number(used[0]))
                source = " + ".join(used)
            elif isinstance(spec, AgeFromBirthYear):
                used = [spec.birth_year]
                value = F.lit(float(year)) - number(used[0])
                source = f"{used[0]} (age in {year})"
            else:
                used = [str(spec)]
                value = number(used[0])
                source = used[0]
            any_blank = blank(used[0])
            for c in used[1:]:
                any_blank = any_blank | blank(c)
            feature = role in settings.features
            low, high = settings.valid.get(role, (None, None))
            checks += [(source, "missing value", feature, value.isNull() & any_blank), (source, "not a number", feature, value.isNull() & ~any_blank)]
            outside = F.lit(False)
            if low is not None:
                checks.append((source, f"below the valid minimum {local_load._fmt(low)}", feature, value < low))
                outside = outside | (value < low)
            if high is not None:
                checks.append((source, f"above the valid maximum {local_load._fmt(high)}", feature, value > high))
                outside = outside | (value > high)
            exprs[role] = F.when(F.coalesce(outside, F.lit(False)), F.lit(None).cast("double")).otherwise(value)
            sources[role] = source

        id_col = settings.columns.get("customer_id") or columns_map.find_column("customer_id", columns)
        keep = F.lit(True)
        for role in settings.features:
            keep = keep & exprs[role].isNotNull()
        if id_col is None:
            exprs["customer_id"] = (F.col("_order") + 1).cast("string")
            sources["customer_id"] = "row number"
        else:
            ids = F.trim(F.col(f"`{id_col}`").cast("string"))
            missing = ids.isNull() | (ids == "")
            duplicate = (F.row_number().over(Window.partitionBy(ids).orderBy("_order")) > 1) & ~missing
            checks += [(str(id_col), "missing customer id", True, missing), (str(id_col), "duplicate customer id (first kept)", True, duplicate)]
            exprs["customer_id"] = ids
            keep = keep & ~missing & ~duplicate
            sources["customer_id"] = str(id_col)
        gender_col = settings.columns.get("gender") or columns_map.find_column("gender", columns)
        if gender_col is not None:
            g = F.trim(F.col(f"`{gender_col}`").cast("string"))
            exprs["gender"] = F.when(g.isNull() | (g == ""), F.lit("Not stated")).otherwise(g)
            sources["gender"] = str(gender_col)

        flagged = raw.select(
            *[e.alias(name) for name, e in exprs.items()],
            F.coalesce(keep, F.lit(False)).alias("_keep"),
            *[F.coalesce(cond, F.lit(False)).alias(f"_c{i}") for i, (_, _, _, cond) in enumerate(checks)],
        ).cache()
        totals = flagged.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("_keep").cast("long")).alias("kept"),
                             *[F.sum(F.col(f"_c{i}").cast("long")).alias(f"_c{i}") for i in range(len(checks))]).first()
        n_read, kept = int(totals["n"]), int(totals["kept"] or 0)
        issues = tuple(
            RowIssue(column, reason, int(totals[f"_c{i}"]), (), dropped)
            for i, (column, reason, dropped, _) in enumerate(checks)
            if totals[f"_c{i}"]
        )
        if n_read == 0:
            raise DataError(f"{path} has a header but no customers.", "Export the table again with its rows.")
        dropped_rows = n_read - kept
        if dropped_rows and dropped_rows / n_read > settings.quality.max_dropped_share:
            worst = max((i for i in issues if i.dropped), key=lambda i: i.rows)
            raise DataError(
                f"{path}: {dropped_rows} of {n_read} rows are unusable (most: {worst.rows} × '{worst.reason}' in column '{worst.column}').",
                "Fix the export, map the right columns in the config, or raise quality.max_dropped_share.",
            )
        if kept < settings.quality.min_rows:
            raise DataError(f"{path}: only {kept} usable customers; at least {settings.quality.min_rows} are needed.", "Give a larger customer table.")
        clean = flagged.where("_keep").select(*exprs.keys()).cache()
        clean.count()
        flagged.unpersist()
        table = CustomerTable(
            frame=pd.DataFrame(), source=path, checksum=checksum, n_read=n_read, columns=sources, issues=issues, n_used=kept,
        )
        return clean, table

    # -- clustering and aggregates ---------------------------------------------------------------

    def analyse(self, rulebook: Rulebook) -> tuple[CustomerTable, Features, Clustering, Profile]:
        from pyspark.ml.clustering import KMeans
        from pyspark.ml.feature import StandardScaler, VectorAssembler
        from pyspark.sql import functions as F

        settings = self.settings
        cfg = settings.clustering
        clean, table = self._clean(settings.data_location)
        roles = list(settings.features)
        n = table.n_customers

        assembled = VectorAssembler(inputCols=roles, outputCol="_raw").transform(clean)
        scaler = StandardScaler(inputCol="_raw", outputCol="_x", withMean=True, withStd=True).fit(assembled)
        mean = np.array(scaler.mean.toArray(), dtype=np.float64)
        scale = np.array(scaler.std.toArray(), dtype=np.float64)
        scale[scale == 0] = 1.0
        scaled = scaler.transform(assembled)

        # k and the quality measures on a bounded, seeded sample brought to the driver
        fraction = min(1.0, 1.3 * cfg.fit_sample / n)
        sample = clean.sample(fraction=fraction, seed=cfg.seed).orderBy("customer_id").limit(cfg.fit_sample).toPandas()
        xs = (sample[roles].to_numpy(dtype=np.float64) - mean) / scale
        on_sample = local_cluster.cluster(Features(xs, tuple(roles), mean, scale), cfg)
        k = on_sample.k

        model = KMeans(k=k, seed=cfg.seed, maxIter=300, tol=1e-6, initMode="k-means||", featuresCol="_x", predictionCol="_cluster").fit(scaled)
        centres = np.array([c for c in model.clusterCenters()])
        predicted = model.transform(scaled).select(*clean.columns, "_cluster")
        counts = {int(r["_cluster"]): int(r["count"]) for r in predicted.groupBy("_cluster").count().collect()}
        order = sorted(range(k), key=lambda c: (-counts.get(c, 0), *centres[c].round(9)))
        new_id = {old: new for new, old in enumerate(order)}
        mapping = F.create_map(*[F.lit(x) for pair in new_id.items() for x in pair])
        self._assigned = predicted.withColumn("label", mapping[F.col("_cluster")]).drop("_cluster").cache()
        sizes = tuple(counts.get(old, 0) for old in order)

        # the sample's labels from the Spark centres, for the charts and the quality measures
        distances = ((xs[:, None, :] - centres[order][None, :, :]) ** 2).sum(axis=2)
        sample_labels = distances.argmin(axis=1)
        from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

        several = len(set(sample_labels.tolist())) > 1
        size = min(cfg.silhouette_sample, len(xs))
        clustering = Clustering(
            k=k,
            k_auto=cfg.k == "auto",
            labels=sample_labels,
            silhouette=round(float(silhouette_score(xs, sample_labels, sample_size=size, random_state=cfg.seed)), 4) if several else 0.0,
            davies_bouldin=round(float(davies_bouldin_score(xs, sample_labels)), 4) if several else 0.0,
            calinski_harabasz=round(float(calinski_harabasz_score(xs, sample_labels)), 2) if several else 0.0,
            k_curve=on_sample.k_curve,
            sizes=sizes,
        )
        profile = self._profile(rulebook, k)
        table = CustomerTable(
            frame=sample.reset_index(drop=True), source=table.source, checksum=table.checksum, n_read=table.n_read,
            columns=table.columns, issues=table.issues, notes=table.notes, n_used=n,
        )
        return table, Features(xs, tuple(roles), mean, scale), clustering, profile

    def _profile(self, rulebook: Rulebook, k: int) -> Profile:
        from pyspark.sql import functions as F

        df = self._assigned
        roles = [r for r in NUMERIC_ROLES if r in df.columns]
        overall = df.agg(F.count(F.lit(1)).alias("n"), *[F.avg(r).alias(r) for r in roles]).first()
        population = {r: float(overall[r]) for r in roles if overall[r] is not None}
        per = {int(row["label"]): row for row in df.groupBy("label").agg(*[F.avg(r).alias(r) for r in roles]).collect()}
        centroids = tuple({r: float(per[c][r]) for r in roles if c in per and per[c][r] is not None} for c in range(k))
        mixes: list[dict[str, float]] = [{} for _ in range(k)]
        if "gender" in df.columns:
            counts: dict[int, dict[str, int]] = {}
            for row in df.groupBy("label", "gender").count().collect():
                counts.setdefault(int(row["label"]), {})[str(row["gender"])] = int(row["count"])
            for c, by_gender in counts.items():
                total = sum(by_gender.values())
                mixes[c] = {g: round(n / total, 4) for g, n in sorted(by_gender.items())}
        quantiles = {}
        for role, points in quantile_points(rulebook).items():
            if role in population:
                values = df.approxQuantile(role, list(points), 1e-4)
                quantiles[role] = {q: float(v) for q, v in zip(points, values)}
        return Profile(n=int(overall["n"]), population=population, centroids=centroids, gender_mix=tuple(mixes), quantiles=quantiles)

    # -- after naming --------------------------------------------------------------------------

    def migration_counts(self, previous: Previous, previous_folder: Path, n_columns: int) -> np.ndarray:
        """Last month's segment (rows, then "new") to this month's (columns, then "gone"), on Spark."""
        from pyspark.sql import functions as F

        n_rows = len(previous.segments) + 1
        row_of = {p.name: i for i, p in enumerate(previous.segments)}
        before = self.spark.read.csv(str(previous_folder / "segments.csv"), header=True, escape='"')
        unquote = lambda c: F.when(F.col(c).rlike(r"^'[=+\-@\t\r]"), F.expr(f"substring({c}, 2)")).otherwise(F.col(c))  # noqa: E731
        before = before.select(unquote("customer_id").alias("customer_id"), unquote("segment").alias("_before"))
        rows = F.create_map(*[F.lit(x) for pair in row_of.items() for x in pair])
        joined = self._assigned.select("customer_id", "label").join(before, "customer_id", "full_outer")
        grouped = joined.select(
            F.coalesce(rows[F.col("_before")], F.lit(n_rows - 1)).alias("r"),
            F.coalesce(F.col("label"), F.lit(n_columns - 1)).alias("c"),
        ).groupBy("r", "c").count().collect()
        counts = np.zeros((n_rows, n_columns), dtype=np.int64)
        for row in grouped:
            counts[int(row["r"]), int(row["c"])] += int(row["count"])
        return counts

    def write_assignments(self, names: list[str], folder: Path, parquet: bool) -> None:
        """segments.csv (one file, written by one Spark task) and, if asked, segments.parquet."""
        from pyspark.sql import functions as F

        safe = lambda col: F.when(col.rlike(FORMULA), F.concat(F.lit("'"), col)).otherwise(col)  # noqa: E731
        segment = F.create_map(*[F.lit(x) for i, name in enumerate(names) for x in (i, name)])[F.col("label")]
        out = self._assigned.select(
            safe(F.col("customer_id")).alias("customer_id"), safe(segment).alias("segment"), F.col("label").cast("int").alias("cluster")
        )
        parts = folder / ".segments-csv"
        out.coalesce(1).write.mode("overwrite").option("header", True).option("escape", '"').option("lineSep", "\n").csv(str(parts))
        part = next(parts.glob("part-*.csv"))
        shutil.move(str(part), folder / "segments.csv")
        shutil.rmtree(parts, ignore_errors=True)
        if parquet:
            self._assigned.select("customer_id", segment.alias("segment"), F.col("label").cast("short").alias("cluster")).write.mode(
                "overwrite"
            ).parquet(str(folder / "segments.parquet"))

