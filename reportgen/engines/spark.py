"""The Spark engine (`--engine spark`, `pip install reportgen[spark]`).

The features are the SQL of stages/derive_sql.py (the same text DuckDB runs on one machine), then
scaling, K-Means iterations and every per-segment aggregate run on Spark; the per-customer
assignments are written by Spark. Only aggregates and a bounded, seeded sample
(clustering.fit_sample rows, in file order) come back to the driver, so its memory does not grow
with the number of customers. k and the starting centres are chosen on that sample exactly as on
one machine, then Lloyd iterations over every row run on Spark from those centres. Rules,
templates and outputs are the same as on one machine.
"""

from __future__ import annotations

import os
import shutil
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import Settings
from ..errors import ConfigError, DataError, ReportgenError
from ..files import sha256
from ..model import Clustering, CustomerTable, Features, Profile, Rhythm
from ..rules import Rulebook
from ..spreadsheet import FORMULA, QUOTED_FORMULA
from ..sql import SPARK
from ..stages import cluster as local_cluster
from ..stages import derive, derive_sql, probe
from ..stages import features as local_features
from ..stages import load as local_load
from ..stages import profile as local_profile
from ..stages import read as local_read
from ..stages.compare import Previous
from ..stages.label import quantile_points



def _is_local(location: str) -> bool:
    return "://" not in location



def seeded_sample(df: Any, size: int, seed: int) -> Any:
    """`size` rows of `df` chosen without bias and the same on every run and cluster layout: the
    rows whose seeded hash of customer_id (and line) is smallest, then put back in file order.
    (Taking a Bernoulli over-sample and keeping its first rows by line, as before, dropped the
    newest customers whenever the over-sample came out larger than `size`.)"""
    from pyspark.sql import functions as F

    key = F.xxhash64(F.col("customer_id"), F.col("_line"), F.lit(int(seed)))
    return df.withColumn("_sample_key", key).orderBy("_sample_key", "_line").limit(size).drop("_sample_key").orderBy("_line")

class SparkEngine:
    """One Spark session for a run: open it with `with`, then analyse, count migrations, write."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spark: Any = None
        self._assigned: Any = None  # customer_id, gender, roles..., label (Spark DataFrame, cached)
        self._table: CustomerTable | None = None
        self.scaling: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.ones(0))  # mean and scale of the transformed columns _t0, _t1, ...
        self.sample: pd.DataFrame = pd.DataFrame()  # the fit sample as brought to the driver (in the features matrix's row order)
        self.rulebook: Rulebook | None = None
        self.scores: tuple[str, ...] = ()  # per-customer predictions in the assigned frame
        self._copies = ExitStack()  # UTF-8 copies of the input, removed when the session ends
        self._notes: tuple[str, ...] = ()  # Data quality notes about the input's encoding

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
        self._copies.close()

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
        readable = self._utf8(path) if local else location
        # a doubled quote inside quotes is a quote, as in every CSV writer; a backslash is text (Spark's default escape is '\\')
        df = self.spark.read.csv(readable, header=True, sep=delimiter, inferSchema=False, encoding="UTF-8", quote='"', escape='"')
        df = self._refuse_ragged(location, df, delimiter, readable)
        for name in df.columns:
            if name != name.strip():
                df = df.withColumnRenamed(name, name.strip())
        return df, checksum

    def _utf8(self, path: Path) -> str:
        """The local CSV itself when it is UTF-8, else a UTF-8 copy kept until the session ends: Spark
        reads Windows-1252 only as Latin-1 (the euro sign lost) and replaces stray bytes unseen."""
        from ..stages import encodings

        copy, found = self._copies.enter_context(encodings.utf8_copy(path))
        self._notes = (encodings.note(path, found),) if found.damaged else ()
        return str(copy)

    def _refuse_ragged(self, location: str, df: Any, delimiter: str, readable: str | None = None) -> Any:
        """Spark's CSV reader silently drops the fields of a row beyond the header's, where one machine
        refuses the file (its values would be in the wrong columns). Read with one spare column: a row
        that fills it has too many fields, and the run stops as it does on one machine."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        spare = "_reportgen_spare"
        schema = StructType([StructField(c, StringType()) for c in df.columns] + [StructField(spare, StringType())])
        wide = self.spark.read.csv(readable or location, header=True, sep=delimiter, schema=schema, enforceSchema=True, encoding="UTF-8", quote='"', escape='"')
        ragged = wide.where(F.col(spare).isNotNull()).limit(1).collect()
        if ragged:
            n = wide.where(F.col(spare).isNotNull()).count()
            first = ragged[0][0]
            raise DataError(
                f"{location}: {n:,} row(s) have more fields than the header's {len(df.columns)} (the first starts {first!r}).",
                local_read.RAGGED_HINT,
            )
        return df

    def _clean(self, location: str) -> tuple[Any, CustomerTable]:
        """The derivation of stages/derive_sql.py, as the same SQL, on Spark."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import NumericType

        settings = self.settings
        path = Path(location)  # for messages
        if local_load.kind(settings) == "transactions":
            from ..stages import transactions

            customers, table = transactions.spark_frame(self.spark, location, settings, self._copies)
            table = local_load.with_order_features(table, settings)
            customers = customers.withColumn("_line", F.monotonically_increasing_id())
            return customers.select("_line", *[F.col(f"`{c}`").cast("double").alias(c) if c != "customer_id" else F.col(c) for c in customers.columns if c != "_line"]), table
        if _is_local(location) and path.is_file():  # the file's own header: Spark renames columns that differ only by case
            derive.plan(settings, local_read.header(path), path)
        raw, checksum = self._read(location)
        header = [str(c) for c in raw.columns]
        plan = derive.plan(settings, header, path)
        typed = {f.name for f in raw.schema.fields if isinstance(f.dataType, NumericType)}
        raw.withColumn("_line", F.monotonically_increasing_id() + 2).createOrReplaceTempView("reportgen_src")
        # a ';'-separated local file is a European export: decimal commas, as on one machine
        decimal_comma = _is_local(location) and path.is_file() and not local_read.is_parquet(path) and local_read.sniff(path).delimiter == ";"
        plan = probe.settle(plan, settings, SPARK, typed, decimal_comma, "reportgen_src", lambda sql: self.spark.sql(sql).collect())
        q = derive_sql.query(plan, settings, SPARK, typed, "reportgen_src")
        flagged = self.spark.sql(q.sql).cache()
        totals = flagged.agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.col("_keep").cast("long")).alias("kept"),
            *[F.sum(F.col(c.flag).cast("long")).alias(c.flag) for c in (*q.checks, *q.notes)],
        ).first()
        n_read, kept = int(totals["n"]), int(totals["kept"] or 0)
        issues = derive_sql.issues(q.checks, lambda c: (int(totals[c.flag] or 0), ()))
        derive_sql.check_kept(path, n_read, kept, issues, settings)
        clean = flagged.where("_keep").select("_line", "customer_id", *[f"`{n}`" for n in (*q.numeric, *q.attributes)]).cache()
        clean.count()
        flagged.unpersist()
        table = CustomerTable(
            frame=pd.DataFrame(), source=path, checksum=checksum, n_read=n_read, columns=derive.sources(plan), issues=issues,
            notes=self._notes + derive_sql.note_texts(q.notes, lambda c: (int(totals[c.flag] or 0), ())), n_used=kept, numeric=q.numeric, attributes=q.attributes, clustered=tuple(plan.clustered or ()),
            categories=dict(plan.categories), facts=local_load._facts(plan),
        )
        return clean, table

    # -- clustering and aggregates ---------------------------------------------------------------

    def _transformed(self, clean: Any, names: list[str]) -> tuple[Any, list[str], list[float], list[float], list[bool]]:
        """Each clustered feature transformed for skew exactly as stages/features.py decides."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        stats = clean.agg(*[x for n in names for x in (F.skewness(f"`{n}`"), F.min(f"`{n}`"), F.max(f"`{n}`"))]).first()
        transforms, offsets, skews, automatic = [], [], [], []
        out = clean
        for i, n in enumerate(names):
            skew, low, high = float(stats[3 * i] or 0.0), float(stats[3 * i + 1]), float(stats[3 * i + 2])
            setting = self.settings.scale.get(n, "auto")
            how = local_features.choose(setting, skew, low, high)
            col = F.col(f"`{n}`")
            if how == "log":
                value = F.log1p(col - F.lit(low))
            elif how == "rank":
                value = F.percent_rank().over(Window.orderBy(col))
            else:
                value = col
            out = out.withColumn(f"_t{i}", value.cast("double"))
            transforms.append(how)
            offsets.append(low if how == "log" else 0.0)
            skews.append(round(skew, 4))
            automatic.append(setting == "auto")
        return out, transforms, offsets, skews, automatic

    def analyse(self, rulebook: Rulebook) -> tuple[CustomerTable, Features, Clustering, Profile]:
        from pyspark.sql import functions as F

        settings = self.settings
        cfg = settings.clustering
        clean, table = self._clean(settings.data_location)
        roles = list(table.clustered)
        n = table.n_customers
        clean, transforms, offsets, skews, automatic = self._transformed(clean, roles)
        tcols = [f"_t{i}" for i in range(len(roles))]

        stats = clean.agg(*[F.avg(t) for t in tcols], *[F.stddev_pop(t) for t in tcols]).first()
        mean = np.array([float(stats[i]) for i in range(len(tcols))], dtype=np.float64)
        scale = np.array([float(stats[len(tcols) + i] or 0.0) for i in range(len(tcols))], dtype=np.float64)
        scale[scale == 0] = 1.0
        zcols = [f"_z{i}" for i in range(len(tcols))]
        scaled = clean.select("*", *[((F.col(t) - float(mean[i])) / float(scale[i])).alias(z) for i, (t, z) in enumerate(zip(tcols, zcols))]).cache()

        # k and the starting centres on a bounded, seeded sample brought to the driver, as on one machine
        sample = seeded_sample(clean, cfg.fit_sample, cfg.seed).toPandas()
        xs = (sample[tcols].to_numpy(dtype=np.float64) - mean) / scale
        self.scaling, self.sample, self.rulebook = (mean, scale), sample, rulebook
        sample_features = Features(xs, tuple(roles), mean, scale, tuple(transforms), tuple(offsets), tuple(skews), tuple(automatic))
        on_sample = local_cluster.cluster(sample_features, cfg)
        k = on_sample.k
        start = np.array([xs[on_sample.labels == c].mean(axis=0) for c in range(k)])
        centres, label = self._lloyd(scaled, zcols, start)
        predicted = scaled.withColumn("_cluster", label).drop(*zcols)
        counts = {int(r["_cluster"]): int(r["count"]) for r in predicted.groupBy("_cluster").count().collect()}
        order = sorted(range(k), key=lambda c: (-counts.get(c, 0), *centres[c].round(9)))
        new_id = {old: new for new, old in enumerate(order)}
        mapping = F.create_map(*[F.lit(x) for pair in new_id.items() for x in pair])
        self._assigned = predicted.withColumn("label", mapping[F.col("_cluster")]).drop("_cluster").cache()
        scaled.unpersist()
        self._table = table
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
            k_reasons=on_sample.k_reasons,
        )
        profile = self._profile(rulebook, k, sample_features, sample_labels)
        table = CustomerTable(
            frame=sample.drop(columns=[*tcols, "_line"]).reset_index(drop=True), source=table.source, checksum=table.checksum, n_read=table.n_read,
            columns=table.columns, issues=table.issues, notes=table.notes, n_used=n, numeric=table.numeric,
            attributes=table.attributes, clustered=table.clustered, kind=table.kind, facts=table.facts, categories=table.categories,
        )
        return table, sample_features, clustering, profile

    @staticmethod
    def _lloyd(scaled: Any, zcols: list[str], start: np.ndarray, max_iter: int = 300, tol: float = 1e-9) -> tuple[np.ndarray, Any]:
        """K-Means iterations over every customer from the sample's centres (what one machine does
        for a large table), as SQL expressions: the same algorithm and start, so the same answer."""
        from pyspark.sql import functions as F

        centres = start.copy()

        def nearest(c: np.ndarray) -> Any:
            dist = [sum((F.col(z) - float(c[j, i])) ** 2 for i, z in enumerate(zcols)) for j in range(len(c))]
            best = F.least(*dist) if len(dist) > 1 else dist[0]
            expr = F.when(dist[0] == best, F.lit(0))
            for j in range(1, len(dist)):
                expr = expr.when(dist[j] == best, F.lit(j))
            return expr

        for _ in range(max_iter):
            rows = scaled.groupBy(nearest(centres).alias("_c")).agg(*[F.avg(z).alias(z) for z in zcols]).collect()
            moved = centres.copy()
            for r in rows:
                moved[int(r["_c"])] = [float(r[z]) for z in zcols]
            shift = float(((moved - centres) ** 2).sum())
            centres = moved
            if shift <= tol:
                break
        return centres, nearest(centres)

    @property
    def assigned(self) -> Any:
        """Every analysed customer with their features, transformed columns and segment (`label`)."""
        return self._assigned

    def lloyd_column(self, start: np.ndarray, name: str) -> np.ndarray:
        """K-Means over every customer from `start` (scaled units), kept as the column `name`; the centres."""
        from pyspark.sql import functions as F

        mean, scale = self.scaling
        tcols = [f"_t{i}" for i in range(len(mean))]
        zcols = [f"_z{i}" for i in range(len(mean))]
        scaled = self._assigned.select("*", *[((F.col(t) - float(mean[i])) / float(scale[i])).alias(z) for i, (t, z) in enumerate(zip(tcols, zcols))]).cache()
        centres, label = self._lloyd(scaled, zcols, start)
        previous, self._assigned = self._assigned, scaled.withColumn(name, label).drop(*zcols).cache()
        self._assigned.count()  # kept before what it was computed from is let go
        previous.unpersist()
        scaled.unpersist()
        return centres

    def relabel(self, group: str, cell: Any, n_cells: int, keys: list[tuple[int, int]]) -> None:
        """Each customer's `label` from (group, cell) through a small broadcast table of segment ids."""
        from pyspark.sql import functions as F

        table = self.spark.createDataFrame(keys, "_key long, _segment long")
        keyed = self._assigned.withColumn("_key", F.col(group).cast("long") * F.lit(n_cells) + cell)
        previous = self._assigned
        self._assigned = keyed.join(F.broadcast(table), "_key").drop("_key", "label").withColumnRenamed("_segment", "label").cache()
        self._assigned.count()
        previous.unpersist()

    def replace_assigned(self, frame: Any, scores: tuple[str, ...] = ()) -> None:
        """Every customer, now with more columns (the predictions, written to segments.csv)."""
        previous, self._assigned = self._assigned, frame.cache()
        self._assigned.count()
        previous.unpersist()
        self.scores = scores

    def profile_of(self, rulebook: Rulebook, k: int, features: Features, sample_labels: np.ndarray) -> Profile:
        return self._profile(rulebook, k, features, sample_labels)

    def rows(self, features: Features, clustering: Clustering) -> Any:
        """The per-customer steps of naming (stages/naming.py Rows), on Spark."""
        from .spark_rows import SparkRows

        return SparkRows(self, features, clustering)

    def _profile(self, rulebook: Rulebook, k: int, features: Features, sample_labels: np.ndarray) -> Profile:
        """The aggregates of stages/profile.py, computed on every customer on Spark."""
        from pyspark.sql import functions as F

        df = self._assigned
        table = self._table
        names = [n for n in table.numeric]
        col = lambda n: F.col(f"`{n}`")  # noqa: E731
        above = lambda n: (col(n) > 0).cast("double")  # noqa: E731  (null stays null: averaged over the values present)

        def not_binary(n: str) -> Any:  # a value present other than 0 or 1
            return F.sum(F.when(col(n).isNotNull() & ~col(n).isin(0.0, 1.0), 1).otherwise(0))

        overall = df.agg(
            F.count(F.lit(1)).alias("n"),
            *[F.avg(col(n)).alias(f"m{i}") for i, n in enumerate(names)],
            *[F.sum(col(n)).alias(f"s{i}") for i, n in enumerate(names)],
            *[not_binary(n).alias(f"b{i}") for i, n in enumerate(names)],
            *[(F.min(col(n)) != F.max(col(n))).alias(f"v{i}") for i, n in enumerate(names)],
            *[F.avg(above(n)).alias(f"p{i}") for i, n in enumerate(names)],
        ).first()
        population = {n: float(overall[f"m{i}"]) for i, n in enumerate(names) if overall[f"m{i}"] is not None}
        population_sums = {n: float(overall[f"s{i}"]) for i, n in enumerate(names) if overall[f"s{i}"] is not None}
        binary = tuple(n for i, n in enumerate(names) if n in population and overall[f"b{i}"] == 0 and overall[f"v{i}"])
        positive = {n: float(overall[f"p{i}"]) for i, n in enumerate(names) if n in population}
        tcols = [f"_t{i}" for i in range(len(features.roles))]
        cats = list(table.categories.items())
        per = {
            int(row["label"]): row
            for row in df.groupBy("label").agg(
                *[F.avg(col(n)).alias(f"m{i}") for i, n in enumerate(names)],
                *[F.sum(col(n)).alias(f"s{i}") for i, n in enumerate(names)],
                *[F.avg(above(n)).alias(f"p{i}") for i, n in enumerate(names)],
                *[F.avg(F.col(t)).alias(t) for t in tcols],
                *[F.sum(F.coalesce(col(c), F.lit(0.0))).alias(f"c{j}") for j, (_, c) in enumerate(cats)],
            ).collect()
        }
        means = tuple({n: float(per[c][f"m{i}"]) for i, n in enumerate(names) if c in per and per[c][f"m{i}"] is not None} for c in range(k))
        sums = tuple({n: float(per[c][f"s{i}"]) for i, n in enumerate(names) if c in per and per[c][f"s{i}"] is not None} for c in range(k))
        positive_by_cluster = tuple({n: float(per[c][f"p{i}"]) for i, n in enumerate(names) if c in per and per[c][f"p{i}"] is not None} for c in range(k))
        present = [n for n in names if n in population]
        probs = list(local_profile.PERCENTILES)
        grids = df.approxQuantile(present, probs, 1e-4) if present else []
        percentiles = {n: tuple(float(v) for v in grid) for n, grid in zip(present, grids)}
        centroids = [dict(m) for m in means]
        for j, name in enumerate(features.roles):
            how = features.transforms[j]
            if how == "linear":
                continue
            for c in range(k):
                if c in per and per[c][tcols[j]] is not None:
                    value = float(per[c][tcols[j]])
                    if how == "log":
                        centroids[c][name] = local_features.inverse(value, how, features.offsets[j])
                    else:
                        centroids[c][name] = float(df.approxQuantile(name, [min(max(value, 0.0), 1.0)], 1e-4)[0])
        mixes: list[dict[str, dict[str, float]]] = [{} for _ in range(k)]
        for attr in table.attributes:
            counts: dict[int, dict[str, int]] = {}
            for row in df.groupBy("label", col(attr).alias("_v")).count().collect():
                counts.setdefault(int(row["label"]), {})[str(row["_v"])] = int(row["count"])
            clusters = sorted(counts)
            for c, shares in zip(clusters, local_profile.capped_mixes([counts[c] for c in clusters])):
                if shares:
                    mixes[c][attr] = shares
        quantiles = {}
        for name, points in quantile_points(rulebook).items():
            if name in population:
                values = df.approxQuantile(name, list(points), 1e-4)
                quantiles[name] = {q: float(v) for q, v in zip(points, values)}
        totals = tuple({label: float(per[c][f"c{j}"] or 0.0) if c in per else 0.0 for j, (label, _) in enumerate(cats)} for c in range(k))
        return Profile(
            n=int(overall["n"]),
            population=population,
            centroids=tuple(centroids),
            means=means,
            mixes=tuple(mixes),
            quantiles=quantiles,
            percentiles=percentiles,
            separation=local_profile.separation(features, sample_labels, k),
            category_totals=totals,
            category_population={label: sum(t[label] for t in totals) for label, _ in cats},
            sums=sums,
            population_sums=population_sums,
            binary=binary,
            rhythm=self._rhythm(df, table),
            positive=positive,
            positive_by_cluster=positive_by_cluster,
        )

    @staticmethod
    def _rhythm(df: Any, table: CustomerTable) -> Rhythm | None:
        """stages/profile.py rhythm(), as aggregates: the exact median (percentile with linear
        interpolation, as numpy's) of repeat customers' days between orders."""
        from pyspark.sql import functions as F

        if table.kind != "transactions" or not {"recency_days", "frequency", "tenure_days"} <= set(table.numeric):
            return None
        gap = (F.col("tenure_days") - F.col("recency_days")) / (F.col("frequency") - 1)
        row = df.agg(
            F.expr("max(tenure_days)").alias("history"),
            F.sum(F.when(F.col("frequency") >= 2, 1).otherwise(0)).alias("repeat"),
            F.percentile(F.when(F.col("frequency") >= 2, gap), F.lit(0.5)).alias("cycle"),
        ).first()
        return Rhythm(
            cycle_days=float(row["cycle"]) if row["cycle"] is not None else None,
            history_days=float(row["history"] or 0.0),
            repeat_customers=int(row["repeat"] or 0),
        )

    # -- after naming --------------------------------------------------------------------------

    def migration_counts(self, previous: Previous, previous_folder: Path, n_columns: int) -> np.ndarray:
        """Last month's segment (rows, then "new") to this month's (columns, then "gone"), on Spark."""
        from pyspark.sql import functions as F

        n_rows = len(previous.segments) + 1
        row_of = {p.name: i for i, p in enumerate(previous.segments)}
        before = self.spark.read.csv(str(previous_folder / "segments.csv"), header=True, escape='"')
        unquote = lambda c: F.when(F.col(c).rlike(QUOTED_FORMULA), F.expr(f"substring({c}, 2)")).otherwise(F.col(c))  # noqa: E731
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

    def write_audiences(self, report: Any, folder: Path) -> None:
        """contacts.py's contact lists, one CSV per segment with a campaign, written by Spark."""
        from pyspark.sql import functions as F

        from ..contacts import FOLDER, columns, file_names

        safe = lambda col: F.when(col.rlike(FORMULA), F.concat(F.lit("'"), col)).otherwise(col)  # noqa: E731
        keep = [c for c in columns(report) if c == "customer_id" or c in self._assigned.columns]
        (folder / FOLDER).mkdir(exist_ok=True)
        for seg_id, name in file_names(report.segments).items():
            part = self._assigned.where(F.col("label") == seg_id).select(*[safe(F.col(c)).alias(c) if c == "customer_id" else F.col(f"`{c}`") for c in keep])
            parts = folder / FOLDER / f".{name}.parts"
            part.coalesce(1).write.mode("overwrite").option("header", True).option("escape", '"').option("lineSep", "\n").csv(str(parts))
            shutil.move(str(next(parts.glob("part-*.csv"))), folder / FOLDER / name)
            shutil.rmtree(parts, ignore_errors=True)

    def write_assignments(self, names: list[str], folder: Path, parquet: bool) -> None:
        """segments.csv (one file, written by one Spark task) and, if asked, segments.parquet."""
        from pyspark.sql import functions as F

        safe = lambda col: F.when(col.rlike(FORMULA), F.concat(F.lit("'"), col)).otherwise(col)  # noqa: E731
        segment = F.create_map(*[F.lit(x) for i, name in enumerate(names) for x in (i, name)])[F.col("label")]
        table = self._table
        extra = [*table.numeric, *self.scores, *table.attributes] if table else []
        out = self._assigned.select(
            safe(F.col("customer_id")).alias("customer_id"), safe(segment).alias("segment"), F.col("label").cast("int").alias("cluster"),
            *[(F.col(f"`{c}`") if table and (c in table.numeric or c in self.scores) else safe(F.col(f"`{c}`"))).alias(c) for c in extra],
        )
        parts = folder / ".segments-csv"
        out.coalesce(1).write.mode("overwrite").option("header", True).option("escape", '"').option("lineSep", "\n").csv(str(parts))
        part = next(parts.glob("part-*.csv"))
        shutil.move(str(part), folder / "segments.csv")
        shutil.rmtree(parts, ignore_errors=True)
        if parquet:
            self._assigned.select(
                "customer_id", segment.alias("segment"), F.col("label").cast("short").alias("cluster"), *[F.col(f"`{c}`") for c in extra]
            ).write.mode(
                "overwrite"
            ).parquet(str(folder / "segments.parquet"))

