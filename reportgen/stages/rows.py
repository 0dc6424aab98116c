"""Where the customers are: the per-customer work the analysis needs, as a contract every engine
keeps. The analysis decides (features, cluster, profile, naming, value, compare and the written
files); a `Rows` only executes: it computes aggregates over every customer, runs K-Means passes from
the centres it is given, writes the segments decided back to every customer, and hands over a
bounded sample or the rows in batches. One machine (engines/local.py) holds every customer in
memory; Spark (engines/spark_rows.py) keeps them on the cluster and brings back aggregates and a
seeded sample of `clustering.fit_sample` rows.

"Held rows" are the customers the analysis sees one by one: every customer on one machine, the
sample on Spark. `table.frame`, `Features.matrix` and `Clustering.labels` are the held rows, in the
same order.

Label columns ("label", the segments; "_fine", fine clusters) live with the rows; the analysis names
them and reads back only the held rows' values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from ..model import CustomerTable, Features
from . import members, predict
from .kmeans import FINE, LABEL  # noqa: F401  (the label columns every Rows keeps)


@dataclass(frozen=True)
class Moments:
    """A clustered feature over every customer: what its transform is chosen from."""

    skew: float  # population skewness m3 / m2^1.5
    low: float
    high: float


@dataclass(frozen=True)
class Aggregates:
    """Sums, means and counts over every customer, per feature and per segment (`LABEL`), from which
    stages/profile.py makes the Profile. A feature without a single value is left out of the dicts."""

    n: int
    mean: dict[str, float]  # over the customers with a value
    total: dict[str, float]
    positive: dict[str, float]  # share of the values above 0
    others: dict[str, int]  # values present other than 0 and 1 (none: a yes/no feature, when it varies)
    varies: dict[str, bool]  # not every value the same
    cluster_mean: tuple[dict[str, float], ...]
    cluster_total: tuple[dict[str, float], ...]
    cluster_positive: tuple[dict[str, float], ...]
    cluster_transformed: tuple[dict[str, float], ...]  # mean of each transformed clustered feature (log, rank) per segment
    category_total: tuple[dict[str, float], ...]  # per segment: category label -> spend (missing counts 0)
    category_population: dict[str, float]
    attribute_counts: dict[str, tuple[dict[str, int], ...]]  # attribute -> per segment {value: customers}


@dataclass(frozen=True)
class Cycle:
    """An order log's buying rhythm as aggregates (stages/profile.py makes the Rhythm)."""

    median_gap: float | None  # median over repeat customers of (tenure - recency) / (frequency - 1)
    history: float  # the longest tenure
    repeat: int  # customers with two orders or more


class Rows(Protocol):
    """The per-customer steps of the analysis, executed where the customers are."""

    @property
    def table(self) -> CustomerTable:
        """The customers: every count and fact of the table, the held rows in `frame`."""
        ...

    # features (stages/features.py)
    def moments(self, names: Sequence[str]) -> dict[str, Moments]: ...

    def transformed(self, names: Sequence[str], transforms: Sequence[str], offsets: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each feature transformed (features.transform) for every customer and kept: the held rows'
        transformed matrix (a new array, which the caller standardises in place), and each transformed
        column's mean and population standard deviation over every customer."""
        ...

    # clustering (stages/cluster.py)
    def kmeans(self, features: Features, start: np.ndarray, seed: int, column: str) -> tuple[np.ndarray, np.ndarray]:
        """K-Means (Lloyd's iterations) over every customer from `start` (scaled units), each
        customer's cluster kept as `column`: the final centres and each cluster's customers."""
        ...

    def renumber(self, column: str, new_id: np.ndarray) -> np.ndarray:
        """Cluster c of `column` becomes new_id[c] for every customer; the held rows' new ids."""
        ...

    # profile (stages/profile.py)
    def aggregates(self, k: int, features: Features) -> Aggregates: ...

    def quantiles(self, points: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
        """Each feature's values at the given shares of the customers with a value (linear
        interpolation between order statistics, numpy's 'linear'), the same on every engine."""
        ...

    def cycle(self) -> Cycle | None:
        """Order logs: the aggregates behind the buying rhythm; None for a customer table."""
        ...

    # naming (stages/naming.py)
    def cell_counts(self, column: str, k: int, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray:
        """Customers per (cluster of `column`, cell: members.cell_numbers of their levels)."""
        ...

    def assign(self, fine: str, segment: np.ndarray, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> tuple[np.ndarray, np.ndarray]:
        """Every customer's segment (`LABEL`) = segment[their fine cluster, their cell]; the held rows'
        segments and cells."""
        ...

    # value (stages/value.py)
    def triples(self) -> pd.DataFrame:
        """Order logs: customers per distinct (x, t_x, T) (stages/predict.py)."""
        ...

    def value_sample(self, limit: int, seed: int) -> pd.DataFrame:
        """Order logs: up to `limit` repeat customers' (orders, m), a seeded sample of more."""
        ...

    def score(self, model: predict.Model, k: int) -> dict[str, np.ndarray]:
        """Every customer's predictions, kept for the written files (table.scores names them); per
        segment, the sum of each prediction."""
        ...

    # month over month (stages/compare.py)
    def migration(self, previous: Path) -> tuple[dict[tuple[str | None, int | None], int], bool]:
        """Customers matched by id with last month's segments.csv in folder `previous`: counts per
        (last month's segment name, or None: not a customer then; this month's segment, or None:
        gone); and whether last month's file lists a customer twice."""
        ...

    # the written files (outputs.py, contacts.py)
    def batches(self, columns: Sequence[str], size: int) -> Iterator[tuple[dict[str, pd.Series], np.ndarray]]:
        """Every customer in the table's order (a customer table's file order, an order log's ids
        sorted), `size` at a time: the columns asked for and each customer's segment."""
        ...


def cell_counts(labels: np.ndarray, k: int, values: Mapping[str, np.ndarray], cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray:
    """Customers per (cluster, cell) of rows held in memory (one machine; the Spark engine's sample)."""
    return members.counts(np.asarray(labels), k, members.cell_numbers(dict(values), cuts, cells), len(cells))


def frame_values(frame: pd.DataFrame, names: Sequence[str]) -> dict[str, np.ndarray]:
    return {f: frame[f].to_numpy(dtype=np.float64) for f in names}


def nearest(matrix: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each row's nearest centre (squared Euclidean distance; the first on a tie), as K-Means assigns."""
    distances = ((matrix[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)

