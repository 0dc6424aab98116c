"""The per-customer steps of naming (stages/naming.py `Rows`) on Spark: count customers per
(cluster, cell), fit the fine clusters over every row, and apply the segments decided on the driver
back to every customer. The cells, the fine clusters' start and every decision are the analysis's
own (stages/members.py, stages/cluster.py); Spark only counts and assigns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import pandas as pd

from ..model import Clustering, Features, Profile
from ..stages import cluster as local_cluster
from ..stages import members, predict

if TYPE_CHECKING:
    from .spark import SparkEngine


def cell_column(cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> Any:
    """members.cell_numbers as a Spark expression: each feature's level (MISSING for a missing
    value; a value equal to a cut goes above it) plus one, times its stride, summed."""
    from pyspark.sql import functions as F

    total = F.lit(0)
    for feature, stride in zip(cells.features, cells.strides):
        value = F.col(f"`{feature}`")
        level = F.when(value.isNull() | F.isnan(value), F.lit(members.MISSING))
        for i, cut in enumerate(cuts[feature]):
            level = level.when(value < F.lit(float(cut)), F.lit(i))
        level = level.otherwise(F.lit(len(cuts[feature])))
        total = total + (level + 1) * F.lit(stride)
    return total.cast("long")


class SparkRows:
    def __init__(self, engine: SparkEngine, features: Features, clustering: Clustering) -> None:
        self.engine = engine
        self.features = features  # the sample's
        self.clustering = clustering
        self.sample_fine: np.ndarray | None = None

    def cell_counts(self, groups: Any, k: int, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray:
        from pyspark.sql import functions as F

        column = "label" if isinstance(groups, np.ndarray) else str(groups)
        df = self.engine.assigned.select(F.col(column).cast("long").alias("_g"), cell_column(cuts, cells).alias("_cell"))
        out = np.zeros((k, len(cells)), dtype=np.int64)
        for row in df.groupBy("_g", "_cell").count().collect():
            out[int(row["_g"]), int(row["_cell"])] += int(row["count"])
        return out

    def fine(self, k: int) -> Any:
        """Fine clusters over every customer from the sample's centres, as the column `_fine`."""
        start = local_cluster.fine_start(self.features, k, self.engine.settings.clustering)
        centres = self.engine.lloyd_column(start, "_fine")
        distances = ((self.features.matrix[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        self.sample_fine = distances.argmin(axis=1)
        return "_fine"

    def regroup(self, fine: Any, k_fine: int, segment: np.ndarray, cuts: dict[str, tuple[float, ...]], cells: members.Cells, k: int) -> tuple[np.ndarray, Profile, np.ndarray]:
        """Each customer's segment from (fine cluster, cell) through a small broadcast table; the
        profile over every customer; the sample's labels and cells for the charts and trust."""
        assert self.sample_fine is not None and self.engine.rulebook is not None
        n_cells = len(cells)
        keys = [(int(f * n_cells + c), int(segment[f, c])) for f in range(k_fine) for c in range(n_cells)]
        self.engine.relabel(str(fine), cell_column(cuts, cells), n_cells, keys)
        sample = self.engine.sample
        values = {f: sample[f].to_numpy(dtype=np.float64) for f in cells.features}
        mine = members.cell_numbers(values, cuts, cells)
        labels = segment[self.sample_fine, mine]
        prof = self.engine.profile_of(self.engine.rulebook, k, self.features, labels)
        return labels, prof, mine

    def _inputs(self) -> Any:
        from pyspark.sql import functions as F

        return self.engine.assigned.select(
            (F.col("frequency") - 1).alias("x"), (F.col("tenure_days") - F.col("recency_days")).alias("t_x"), F.col("tenure_days").alias("T"),
            F.col("frequency").alias("orders"),
            (F.col("avg_order_value") if "avg_order_value" in self.engine.assigned.columns else F.lit(None).cast("double")).alias("m"),
            F.col("customer_id"),
        )

    def triples(self) -> pd.DataFrame:
        counted = self._inputs().groupBy("x", "t_x", "T").count().withColumnRenamed("count", "n").toPandas()
        return counted.astype({"x": "float64", "t_x": "float64", "T": "float64", "n": "int64"})

    def value_sample(self, limit: int, seed: int) -> pd.DataFrame:
        from pyspark.sql import functions as F

        repeat = self._inputs().where(F.col("orders") >= 2)
        chosen = repeat.withColumn("_k", F.xxhash64(F.col("customer_id"), F.lit(int(seed)))).orderBy("_k", "customer_id").limit(limit)
        return chosen.select("orders", "m").toPandas().astype("float64")

    def score(self, model: predict.Model, k: int) -> dict[str, np.ndarray]:
        """Every customer's predictions without Python on the executors: stages/predict.py scores each
        distinct (x, t_x, T) on the driver and the table is joined to the customers; the order value's
        expectation, a closed form, is the same formula as a Spark expression."""
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
        table = self.engine.spark.createDataFrame(scored)
        frame = self.engine.assigned
        keys = [(F.col("frequency") - 1) == F.col("_x"), (F.col("tenure_days") - F.col("recency_days")) == F.col("_tx"), F.col("tenure_days") == F.col("_T")]
        joined = frame.join(F.broadcast(table), keys, "left")
        names = ["p_active", "p_order_90d", "expected_orders_90d"]
        if model.gg is not None:
            p, q, v = model.gg
            value = F.lit(p) * (F.lit(v) + F.col("frequency") * F.col("avg_order_value")) / (F.lit(p) * F.col("frequency") + F.lit(q - 1))
            joined = joined.withColumn("expected_value_12m", F.round(F.col("_orders_365") * value, 6))
            names.append("expected_value_12m")
        self.engine.replace_assigned(joined.drop("_x", "_tx", "_T", "_orders_365"), tuple(names))
        sums = {int(r["label"]): r for r in self.engine.assigned.groupBy("label").agg(*[F.sum(n).alias(n) for n in names]).collect()}
        return {n: np.array([float(sums[c][n]) if c in sums else 0.0 for c in range(k)]) for n in names}
