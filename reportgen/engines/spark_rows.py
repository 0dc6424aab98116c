"""The per-customer steps of naming (stages/naming.py `Rows`) on Spark: count customers per
(cluster, cell), fit the fine clusters over every row, and apply the segments decided on the driver
back to every customer. The cells, the fine clusters' start and every decision are the analysis's
own (stages/members.py, stages/cluster.py); Spark only counts and assigns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..model import Clustering, Features, Profile
from ..stages import cluster as local_cluster
from ..stages import members

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
