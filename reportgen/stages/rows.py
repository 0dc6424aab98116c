"""Where the customers are: the per-customer steps the analysis needs, executed by the engine that
holds the rows. The analysis decides (stages/naming.py, stages/value.py); a `Rows` only counts,
fits over every row and writes results back to every customer. `LocalRows` is one machine (the
table's rows in pandas/numpy); the Spark engine has its own (engines/spark_rows.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..config import Clustering as ClusteringSettings
from ..model import Clustering, CustomerTable, Features, Profile
from . import cluster, members, predict, profile


class Rows(Protocol):
    """The per-customer steps naming needs, executed where the customers are."""

    def cell_counts(self, groups: Any, k: int, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray: ...

    def fine(self, k: int) -> Any: ...

    def regroup(self, fine: Any, k_fine: int, segment: np.ndarray, cuts: dict[str, tuple[float, ...]], cells: members.Cells, k: int) -> tuple[np.ndarray, Profile, np.ndarray]:
        """Every customer's segment from their fine cluster and cell; returns the labels of the rows
        the analysis holds (the features matrix), the profile over every customer, and those rows' cells."""
        ...

    def triples(self) -> pd.DataFrame:
        """Order logs: customers per distinct (x, t_x, T) (stages/predict.py)."""
        ...

    def value_sample(self, limit: int, seed: int) -> pd.DataFrame:
        """Order logs: up to `limit` repeat customers' (orders, m), a seeded sample of more."""
        ...

    def score(self, model: predict.Model, k: int) -> dict[str, np.ndarray]:
        """Every customer's predictions, kept for the written files; per segment (`label`), the sum
        of each prediction."""
        ...


@dataclass
class LocalRows:
    """One machine: the customers are the table's rows."""

    table: CustomerTable
    features: Features
    cfg: ClusteringSettings
    points: dict[str, tuple[float, ...]]
    base: Clustering
    labels: np.ndarray | None = None  # each customer's segment, once regrouped

    def _cells(self, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray:
        values = {f: self.table.frame[f].to_numpy(dtype=np.float64) for f in cells.features}
        return members.cell_numbers(values, cuts, cells)

    def cell_counts(self, groups: Any, k: int, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray:
        return members.counts(np.asarray(groups), k, self._cells(cuts, cells), len(cells))

    def fine(self, k: int) -> Any:
        return cluster.fine(self.features, k, self.cfg)

    def regroup(self, fine: Any, k_fine: int, segment: np.ndarray, cuts: dict[str, tuple[float, ...]], cells: members.Cells, k: int) -> tuple[np.ndarray, Profile, np.ndarray]:
        mine = self._cells(cuts, cells)
        labels = segment[np.asarray(fine), mine]
        self.labels = labels
        prof = profile.profile(self.table, replace(self.base, k=k, labels=labels), self.points, self.features)
        return labels, prof, mine

    def triples(self) -> pd.DataFrame:
        return predict.triples_of(self.table.frame)

    def value_sample(self, limit: int, seed: int) -> pd.DataFrame:
        values = predict.inputs(self.table.frame)
        values = values[values["orders"] >= 2]
        return values.sample(limit, random_state=seed).sort_index() if len(values) > limit else values

    def score(self, model: predict.Model, k: int) -> dict[str, np.ndarray]:
        scores = predict.predict(self.table.frame, model)
        self.table = replace(self.table, frame=pd.concat([self.table.frame, scores], axis=1), scores=tuple(scores.columns))
        labels = self.labels if self.labels is not None else np.asarray(self.base.labels)
        return {c: np.bincount(labels, weights=scores[c].to_numpy(), minlength=k) for c in scores.columns}


