"""K-Means passes over every customer, from centres the analysis chose (stages/cluster.py): run by
whichever engine holds the rows (stages/rows.py `kmeans`, `renumber`), stopped by one rule and
numbered largest first on both engines, so the same data gives the same clusters and ids."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from ..model import Features

SINGLE_THREAD_BELOW = 20_000
MAX_ITER, TOL = 300, 1e-4  # a K-Means pass over every row: scikit-learn's defaults, which both engines keep
LABEL, FINE = "label", "_fine"  # the rows' columns of each customer's cluster (then segment) and fine cluster


def numbering(sizes: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """New cluster ids: the largest cluster is 0; equal sizes are ordered by their centre's
    coordinates (new_id[old] = new), so the same data gives the same ids on every engine."""
    order = sorted(range(len(centres)), key=lambda c: (-sizes[c], *np.asarray(centres[c]).round(9)))
    new_id = np.empty(len(centres), dtype=np.int64)
    new_id[order] = np.arange(len(centres))
    return new_id


def finish(rows: PassRows, features: Features, start: np.ndarray, seed: int, column: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """One K-Means pass over every customer from `start`, by the engine that holds them, numbered
    largest first: the held rows' cluster ids and each cluster's customers."""
    centres, sizes = rows.kmeans(features, start, seed, column)
    new_id = numbering(sizes, centres)
    held = rows.renumber(column, new_id)
    ordered = np.empty(len(sizes), dtype=np.int64)
    ordered[new_id] = sizes
    return held, tuple(int(n) for n in ordered)


def kmeans_pass(matrix: np.ndarray, start: np.ndarray, seed: int) -> KMeans:
    """K-Means over rows in memory from given centres (n_init=1): every core for a large table."""
    with threadpool_limits(limits=1 if len(matrix) < SINGLE_THREAD_BELOW else None):
        return KMeans(n_clusters=len(start), init=start, n_init=1, max_iter=MAX_ITER, tol=TOL, random_state=seed).fit(matrix)


def tolerance(variances: np.ndarray) -> float:
    """When Lloyd's iterations stop: the centres moved (summed squared shift) by no more than TOL
    times the mean variance of the features, as scikit-learn's K-Means decides (the Spark engine's
    iterations stop by the same rule)."""
    return float(np.mean(variances) * TOL)


class PassRows(Protocol):
    """The part of stages/rows.py's Rows that K-Means passes need."""

    def kmeans(self, features: Features, start: np.ndarray, seed: int, column: str) -> tuple[np.ndarray, np.ndarray]: ...

    def renumber(self, column: str, new_id: np.ndarray) -> np.ndarray: ...


class InMemory:
    """K-Means passes over a matrix in memory (one machine's rows, or a features matrix alone)."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix
        self.labels: dict[str, np.ndarray] = {}

    def kmeans(self, features: Features, start: np.ndarray, seed: int, column: str) -> tuple[np.ndarray, np.ndarray]:
        model = kmeans_pass(self.matrix, start, seed)
        self.labels[column] = model.labels_
        return model.cluster_centers_, np.bincount(model.labels_, minlength=len(start))

    def renumber(self, column: str, new_id: np.ndarray) -> np.ndarray:
        self.labels[column] = new_id[self.labels[column]]
        return self.labels[column]
