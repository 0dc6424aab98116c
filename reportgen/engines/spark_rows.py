"""The per-customer work of stages/rows.py on Spark: every customer stays on the cluster (a cached
DataFrame); aggregates, counts and a bounded, seeded sample come back to the driver. What to
compute (the transforms, the K-Means starts and numbering, the cells, the segments, the models) is
the analysis's own; Spark only counts, averages and assigns."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import Clustering as ClusteringSettings
from ..model import CustomerTable, Features
from ..spreadsheet import QUOTED_FORMULA
from ..stages import kmeans, members, predict
from ..stages import features as feats
from ..stages.rows import LABEL, Aggregates, Cycle, Moments, nearest

QUANTILE_ERROR = 1e-4  # Spark's approxQuantile: relative error of the rank (the exact quantiles' brackets)


def seeded_sample(df: Any, size: int, seed: int, order: str = "_line") -> Any:
    """`size` rows of `df` chosen without bias and the same on every run and cluster layout: the
    rows whose seeded hash of customer_id (and `_line`, for a customer table) is smallest, then put
    back in the table's order (`order`: file order, or an order log's ids).
    (Taking a Bernoulli over-sample and keeping its first rows by line, as before, dropped the
    newest customers whenever the over-sample came out larger than `size`.)"""
    from pyspark.sql import functions as F

    parts = [F.col("customer_id")] + ([F.col(order)] if order != "customer_id" else []) + [F.lit(int(seed))]
    key = F.xxhash64(*parts)
    return df.withColumn("_sample_key", key).orderBy("_sample_key", order).limit(size).drop("_sample_key").orderBy(order)


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col(f"`{name}`")


def cell_column(cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> Any:
    """members.cell_numbers as a Spark expression: each feature's level (MISSING for a missing
    value; a value equal to a cut goes above it) plus one, times its stride, summed."""
    from pyspark.sql import functions as F

    total = F.lit(0)
    for feature, stride in zip(cells.features, cells.strides):
        value = _col(feature)
        level = F.when(value.isNull() | F.isnan(value), F.lit(members.MISSING))
        for i, cut in enumerate(cuts[feature]):
            level = level.when(value < F.lit(float(cut)), F.lit(i))
        level = level.otherwise(F.lit(len(cuts[feature])))
        total = total + (level + 1) * F.lit(stride)
    return total.cast("long")


def lloyd(scaled: Any, zcols: list[str], start: np.ndarray, tol: float, max_iter: int = kmeans.MAX_ITER) -> tuple[np.ndarray, Any]:
    """Lloyd's iterations over every customer as SQL expressions, from `start`, stopping by the rule
    of stages/kmeans.py (tolerance): the centres and each customer's nearest centre (a column)."""
    from pyspark.sql import functions as F

    centres = start.copy()

    def nearest_column(c: np.ndarray) -> Any:
        dist = [sum((F.col(z) - float(c[j, i])) ** 2 for i, z in enumerate(zcols)) for j in range(len(c))]
        best = F.least(*dist) if len(dist) > 1 else dist[0]
        expr = F.when(dist[0] == best, F.lit(0))
        for j in range(1, len(dist)):
            expr = expr.when(dist[j] == best, F.lit(j))
        return expr

    for _ in range(max_iter):
        rows = scaled.groupBy(nearest_column(centres).alias("_c")).agg(*[F.avg(z).alias(z) for z in zcols]).collect()
        moved = centres.copy()
        for r in rows:
            moved[int(r["_c"])] = [float(r[z]) for z in zcols]
        shift = float(((moved - centres) ** 2).sum())
        centres = moved
        if shift <= tol:
            break
    return centres, nearest_column(centres)


class SparkRows:
    """Every customer on Spark (`_frame`, cached); the held rows are the seeded fit sample."""

    def __init__(self, spark: Any, frame: Any, table: CustomerTable, cfg: ClusteringSettings, order: str, scratch: Path) -> None:
        self.spark = spark
        self._frame = frame  # _line (customer tables), customer_id, the features, attributes, then _t*, labels, predictions
        self._table = table
        self.cfg = cfg
        self.order = order  # the table's order: "_line" (file order) or "customer_id" (an order log)
        self.scratch = scratch
        self._held: dict[str, np.ndarray] = {}  # per label column, the held rows' raw ids
        self._exported: dict[tuple[str, ...], Path] = {}
        self._present: dict[str, int] = {}  # per feature, the customers with a value (its quantiles' n)

    @property
    def table(self) -> CustomerTable:
        return self._table

    def _replace(self, frame: Any) -> None:
        """Keep `frame` (cached, materialised) instead of the current one."""
        frame = frame.cache()
        frame.count()  # kept before what it was computed from is let go
        self._frame.unpersist()
        self._frame = frame

    def release(self) -> None:
        self._frame.unpersist()

    # features
    def moments(self, names: Sequence[str]) -> dict[str, Moments]:
        from pyspark.sql import functions as F

        stats = self._frame.agg(*[x for n in names for x in (F.skewness(_col(n)), F.min(_col(n)), F.max(_col(n)))]).first()
        return {n: Moments(float(stats[3 * i] or 0.0), float(stats[3 * i + 1]), float(stats[3 * i + 2])) for i, n in enumerate(names)}

    def transformed(self, names: Sequence[str], transforms: Sequence[str], offsets: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from pyspark.sql import functions as F

        tcols = [f"_t{i}" for i in range(len(names))]
        self._replace(self._frame.select("*", *[F.expr(feats.transform_sql(f"`{n}`", how, off)).alias(t) for n, how, off, t in zip(names, transforms, offsets, tcols)]))
        stats = self._frame.agg(*[F.avg(t) for t in tcols], *[F.stddev_pop(t) for t in tcols]).first()
        mean = np.array([float(stats[i]) for i in range(len(tcols))], dtype=np.float64)
        scale = np.array([float(stats[len(tcols) + i] or 0.0) for i in range(len(tcols))], dtype=np.float64)
        sample = seeded_sample(self._frame, self.cfg.fit_sample, self.cfg.seed, self.order).toPandas()
        raw = sample[tcols].to_numpy(dtype=np.float64)
        held = sample.drop(columns=[c for c in (*tcols, "_line") if c in sample.columns]).reset_index(drop=True)
        self._table = replace(self._table, frame=held)
        return raw, mean, scale

    # clustering
    def kmeans(self, features: Features, start: np.ndarray, seed: int, column: str) -> tuple[np.ndarray, np.ndarray]:
        from pyspark.sql import functions as F

        zcols = [f"_z{i}" for i in range(len(features.roles))]
        scaled = self._frame.select(
            "*", *[((F.col(f"_t{i}") - float(features.mean[i])) / float(features.scale[i])).alias(z) for i, z in enumerate(zcols)]
        ).cache()
        variances = scaled.agg(*[F.var_pop(z) for z in zcols]).first()
        tol = kmeans.tolerance(np.array([float(v or 0.0) for v in variances]))
        centres, label = lloyd(scaled, zcols, start, tol)
        self._replace(scaled.withColumn(column, label).drop(*zcols))
        scaled.unpersist()
        counted = {int(r[column]): int(r["count"]) for r in self._frame.groupBy(column).count().collect()}
        self._held[column] = nearest(features.matrix, centres)
        return centres, np.array([counted.get(c, 0) for c in range(len(centres))], dtype=np.int64)

    def renumber(self, column: str, new_id: np.ndarray) -> np.ndarray:
        from pyspark.sql import functions as F

        mapping = F.create_map(*[F.lit(int(x)) for old, new in enumerate(new_id) for x in (old, new)])
        self._replace(self._frame.withColumn(column, mapping[F.col(column)]))
        self._held[column] = new_id[self._held[column]]
        return self._held[column]

    # profile
    def aggregates(self, k: int, features: Features | None) -> Aggregates:
        from pyspark.sql import functions as F

        df, t = self._frame, self._table
        names = list(t.numeric)
        above = lambda n: (_col(n) > 0).cast("double")  # noqa: E731  (null stays null: averaged over the values present)
        others = lambda n: F.sum(F.when(_col(n).isNotNull() & ~_col(n).isin(0.0, 1.0), 1).otherwise(0))  # noqa: E731
        overall = df.agg(
            F.count(F.lit(1)).alias("n"),
            *[F.avg(_col(n)).alias(f"m{i}") for i, n in enumerate(names)],
            *[F.sum(_col(n)).alias(f"s{i}") for i, n in enumerate(names)],
            *[others(n).alias(f"b{i}") for i, n in enumerate(names)],
            *[(F.min(_col(n)) != F.max(_col(n))).alias(f"v{i}") for i, n in enumerate(names)],
            *[F.avg(above(n)).alias(f"p{i}") for i, n in enumerate(names)],
        ).first()
        present = [(i, n) for i, n in enumerate(names) if overall[f"m{i}"] is not None]
        judged = [(j, n) for j, n in enumerate(features.roles if features is not None else ()) if features is not None and features.transforms and features.transforms[j] != "linear"]
        cats = list(t.categories.items())
        per = {
            int(row[LABEL]): row
            for row in df.groupBy(LABEL).agg(
                *[F.avg(_col(n)).alias(f"m{i}") for i, n in enumerate(names)],
                *[F.sum(_col(n)).alias(f"s{i}") for i, n in enumerate(names)],
                *[F.avg(above(n)).alias(f"p{i}") for i, n in enumerate(names)],
                *[F.avg(F.col(f"_t{j}")).alias(f"t{j}") for j, _ in judged],
                *[F.sum(F.coalesce(_col(c), F.lit(0.0))).alias(f"c{j}") for j, (_, c) in enumerate(cats)],
            ).collect()
        }

        def by_cluster(prefix: str, items: list[tuple[int, str]]) -> tuple[dict[str, float], ...]:
            return tuple({n: float(per[c][f"{prefix}{i}"]) for i, n in items if c in per and per[c][f"{prefix}{i}"] is not None} for c in range(k))

        category_total = tuple({label: float(per[c][f"c{j}"] or 0.0) if c in per else 0.0 for j, (label, _) in enumerate(cats)} for c in range(k))
        attributes = {}
        for attr in t.attributes:
            counts: list[dict[str, int]] = [{} for _ in range(k)]
            for row in df.groupBy(LABEL, _col(attr).alias("_v")).count().collect():
                counts[int(row[LABEL])][str(row["_v"])] = int(row["count"])
            attributes[attr] = tuple(counts)
        return Aggregates(
            n=int(overall["n"]),
            mean={n: float(overall[f"m{i}"]) for i, n in present},
            total={n: float(overall[f"s{i}"]) for i, n in present},
            positive={n: float(overall[f"p{i}"]) for i, n in present},
            others={n: int(overall[f"b{i}"]) for i, n in present},
            varies={n: bool(overall[f"v{i}"]) for i, n in present},
            cluster_mean=by_cluster("m", list(enumerate(names))),
            cluster_total=by_cluster("s", list(enumerate(names))),
            cluster_positive=by_cluster("p", list(enumerate(names))),
            cluster_transformed=by_cluster("t", judged),
            category_total=category_total,
            category_population={label: sum(ct[label] for ct in category_total) for label, _ in cats},
            attribute_counts=attributes,
        )

    def quantiles(self, points: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
        """Exact, as on one machine (numpy's linear interpolation between order statistics), without
        bringing the values to the driver: Spark's approximate quantiles bracket each order
        statistic needed within QUANTILE_ERROR of its rank, and only the distinct values inside the
        brackets come back, counted, with how many customers lie below each bracket. A handful of
        Spark jobs for every feature asked at once, one more per feature."""
        from pyspark.sql import functions as F

        names = [n for n in points if len(points[n])]
        out = {name: np.full(len(points[name]), np.nan) for name in points}
        valued = self._frame.select(*[F.when(F.isnan(_col(n)), None).otherwise(_col(n)).alias(n) for n in names])  # a NaN is no value
        unknown = [n for n in names if n not in self._present]
        if unknown:
            row = valued.agg(*[F.count(_col(n)) for n in unknown]).first()
            self._present.update({n: int(row[i]) for i, n in enumerate(unknown)})
        names = [n for n in names if self._present[n]]
        if not names:
            return out
        virtual, lower, upper, asked = {}, {}, {}, set()
        for name in names:
            n = self._present[name]
            virtual[name] = (n - 1) * np.asarray(points[name], dtype=np.float64)
            lower[name] = np.clip(np.floor(virtual[name]), 0, n - 1).astype(np.int64)
            upper[name] = np.minimum(lower[name] + 1, n - 1)
            margin = QUANTILE_ERROR * n + 2  # approxQuantile's rank error, and a little more
            asked |= {max(0.0, (r - margin) / n) for r in lower[name]} | {min(1.0, (r + 1 + margin) / n) for r in upper[name]}
        grid = sorted(asked)
        found = dict(zip(names, valued.approxQuantile(names, grid, QUANTILE_ERROR)))
        brackets = {}
        for name in names:
            n, at = self._present[name], dict(zip(grid, found[name]))
            margin = QUANTILE_ERROR * n + 2
            brackets[name] = [(at[max(0.0, (lo - margin) / n)], at[min(1.0, (hi + 1 + margin) / n)]) for lo, hi in zip(lower[name], upper[name])]
        below = valued.agg(*[F.sum((_col(n) < F.lit(float(a))).cast("long")) for n in names for a, _ in brackets[n]]).first()
        i = 0
        for name in names:
            column = _col(name)
            inside = F.lit(False)
            for a, b in brackets[name]:
                inside = inside | ((column >= F.lit(float(a))) & (column <= F.lit(float(b))))
            counted = sorted((float(r[0]), int(r[1])) for r in valued.where(inside).groupBy(column).count().collect())
            firsts = [int(below[i + j] or 0) for j in range(len(brackets[name]))]
            i += len(brackets[name])
            out[name] = feats.counted_quantiles(counted, brackets[name], firsts, lower[name], upper[name], virtual[name], name)
        return out

    def cycle(self) -> Cycle | None:
        """The exact median (percentile with linear interpolation, as numpy's) of repeat customers' days between orders."""
        from pyspark.sql import functions as F

        t = self._table
        if t.kind != "transactions" or not {"recency_days", "frequency", "tenure_days"} <= set(t.numeric):
            return None
        gap = (F.col("tenure_days") - F.col("recency_days")) / (F.col("frequency") - 1)
        row = self._frame.agg(
            F.max("tenure_days").alias("history"),
            F.sum(F.when(F.col("frequency") >= 2, 1).otherwise(0)).alias("repeat"),
            F.percentile(F.when(F.col("frequency") >= 2, gap), F.lit(0.5)).alias("cycle"),
        ).first()
        return Cycle(float(row["cycle"]) if row["cycle"] is not None else None, float(row["history"] or 0.0), int(row["repeat"] or 0))

    # naming
    def cell_counts(self, column: str, k: int, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray:
        from pyspark.sql import functions as F

        df = self._frame.select(F.col(column).cast("long").alias("_g"), cell_column(cuts, cells).alias("_cell"))
        out = np.zeros((k, len(cells)), dtype=np.int64)
        for row in df.groupBy("_g", "_cell").count().collect():
            out[int(row["_g"]), int(row["_cell"])] += int(row["count"])
        return out

    def assign(self, fine: str, segment: np.ndarray, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> tuple[np.ndarray, np.ndarray]:
        """Each customer's segment from (fine cluster, cell) through a small broadcast table."""
        from pyspark.sql import functions as F

        n_cells = len(cells)
        keys = [(int(f * n_cells + c), int(segment[f, c])) for f in range(segment.shape[0]) for c in range(n_cells)]
        table = self.spark.createDataFrame(keys, "_key long, _segment long")
        keyed = self._frame.withColumn("_key", F.col(fine).cast("long") * F.lit(n_cells) + cell_column(cuts, cells))
        self._replace(keyed.join(F.broadcast(table), "_key").drop("_key", LABEL).withColumnRenamed("_segment", LABEL))
        values = {f: self._table.frame[f].to_numpy(dtype=np.float64) for f in cells.features}
        mine = members.cell_numbers(values, cuts, cells)
        self._held[LABEL] = segment[self._held[fine], mine]
        return self._held[LABEL], mine

    # value
    def _inputs(self) -> Any:
        from pyspark.sql import functions as F

        df = self._frame
        return df.select(
            (F.col("frequency") - 1).alias("x"), (F.col("tenure_days") - F.col("recency_days")).alias("t_x"), F.col("tenure_days").alias("T"),
            F.col("frequency").alias("orders"),
            (F.col("avg_order_value") if "avg_order_value" in df.columns else F.lit(None).cast("double")).alias("m"),
            F.col("customer_id"),
        )

    def triples(self) -> pd.DataFrame:
        counted = self._inputs().groupBy("x", "t_x", "T").count().withColumnRenamed("count", "n").orderBy("x", "t_x", "T").toPandas()  # sorted, as on one machine
        return counted.astype({"x": "float64", "t_x": "float64", "T": "float64", "n": "int64"})

    def value_sample(self, limit: int, seed: int) -> pd.DataFrame:
        from pyspark.sql import functions as F

        repeat = self._inputs().where(F.col("orders") >= 2)
        chosen = repeat.withColumn("_k", F.xxhash64(F.col("customer_id"), F.lit(int(seed)))).orderBy("_k", "customer_id").limit(limit)
        # in the customers' order, as on one machine: the value model's sums then add up alike
        return chosen.orderBy("customer_id").select("orders", "m").toPandas().astype("float64")

    def score(self, model: predict.Model, k: int) -> dict[str, np.ndarray]:
        """Every customer's predictions without Python on the executors: stages/predict.py scores each
        distinct (x, t_x, T) on the driver and the table is joined to the customers; the order value's
        expectation is predict.expected_value_sql, the same formula as SQL."""
        from pyspark.sql import functions as F

        triples = self.triples()
        x, t_x, T = (triples[c].to_numpy() for c in ("x", "t_x", "T"))
        scored = pd.DataFrame({
            "_x": x, "_tx": t_x, "_T": T,
            "p_active": predict.p_active(model, x, t_x, T).round(6),
            "p_order_90d": predict.p_order(model, 90.0, x, t_x, T).round(6),
            "expected_orders_90d": predict.expected_orders(model, 90.0, x, t_x, T).round(6),
            "_orders_365": predict.expected_orders(model, 365.0, x, t_x, T),
        })
        keys = [(F.col("frequency") - 1) == F.col("_x"), (F.col("tenure_days") - F.col("recency_days")) == F.col("_tx"), F.col("tenure_days") == F.col("_T")]
        joined = self._frame.join(F.broadcast(self.spark.createDataFrame(scored)), keys, "left")
        names = ["p_active", "p_order_90d", "expected_orders_90d"]
        if model.gg is not None:
            value = F.expr(predict.expected_value_sql(model, "frequency", "avg_order_value"))
            joined = joined.withColumn("expected_value_12m", F.round(F.col("_orders_365") * value, 6))
            names.append("expected_value_12m")
        self._replace(joined.drop("_x", "_tx", "_T", "_orders_365"))
        self._table = replace(self._table, scores=tuple(names))
        sums = {int(r[LABEL]): r for r in self._frame.groupBy(LABEL).agg(*[F.sum(n).alias(n) for n in names]).collect()}
        return {n: np.array([float(sums[c][n]) if c in sums else 0.0 for c in range(k)]) for n in names}

    # month over month
    def migration(self, previous: Path) -> tuple[dict[tuple[str | None, int | None], int], bool]:
        from pyspark.sql import functions as F

        before = self.spark.read.csv(str(previous / "segments.csv"), header=True, escape='"')
        unquote = lambda c: F.when(F.col(c).rlike(QUOTED_FORMULA), F.expr(f"substring({c}, 2)")).otherwise(F.col(c))  # noqa: E731
        before = before.select(unquote("customer_id").alias("customer_id"), unquote("segment").alias("_before"))
        ids = before.agg(F.count("customer_id").alias("n"), F.countDistinct("customer_id").alias("d")).first()
        if int(ids["n"]) != int(ids["d"]):
            return {}, True
        joined = self._frame.select("customer_id", LABEL).join(before, "customer_id", "full_outer")
        pairs = joined.groupBy("_before", LABEL).count().collect()
        return {(r["_before"], None if r[LABEL] is None else int(r[LABEL])): int(r["count"]) for r in pairs}, False

    # the written files
    def batches(self, columns: Sequence[str], size: int) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
        """Every customer in the table's order: Spark writes them to Parquet in order (on the
        driver's file system, as it wrote segments.csv before), and the driver reads them back
        a batch at a time, so one writer serves both engines and the driver holds `size` rows."""
        import pyarrow.parquet as pq

        wanted = tuple(dict.fromkeys([*columns, LABEL]))
        folder = self._exported.get(wanted)
        if folder is None:
            folder = self.scratch / f"rows-{uuid.uuid4().hex[:8]}"
            self._frame.orderBy(self.order).select(*[_col(c) for c in wanted]).write.parquet(str(folder))
            self._exported[wanted] = folder
        for part in sorted(folder.glob("part-*.parquet")):
            for batch in pq.ParquetFile(part).iter_batches(batch_size=size):
                frame = batch.to_pandas()
                yield {c: frame[c] for c in columns}, frame[LABEL].to_numpy(dtype=np.int64)
