"""K-Means with k chosen by silhouette, and clusters numbered the same way on every run.

Rule for k (when clustering.k is 'auto'): fit k = k_min..k_max (capped at the number of distinct
customers) and keep the k with the highest silhouette, rounded to 4 decimals; on a tie the
smaller k wins (fewer segments are easier to act on). Silhouette is scored on a seeded sample of at
most clustering.silhouette_sample rows, because its cost grows with the square of the rows.

Large tables: k and the starting centres are chosen on a seeded sample of clustering.fit_sample
rows (with n_init starts per k); then one K-Means pass over every row starts from those centres
(n_init=1), which converges in a few iterations because the centres are already close. See
benchmarks/scale.py for the measurements behind this (and against MiniBatchKMeans).
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from ..config import Clustering as ClusteringSettings
from ..errors import DataError
from ..model import Clustering, Features, KScore

SINGLE_THREAD_BELOW = 20_000


def _fit(x: np.ndarray, k: int, cfg: ClusteringSettings) -> KMeans:
    return KMeans(n_clusters=k, n_init=cfg.n_init, random_state=cfg.seed).fit(x)


def _silhouette(x: np.ndarray, labels: np.ndarray, cfg: ClusteringSettings) -> float:
    size = cfg.silhouette_sample if len(x) > cfg.silhouette_sample else None
    return float(silhouette_score(x, labels, sample_size=size, random_state=cfg.seed))


def _score_rows(n: int, cfg: ClusteringSettings) -> slice | np.ndarray:
    if n <= cfg.fit_sample:
        return slice(None)
    return np.sort(np.random.default_rng(cfg.seed + 1).choice(n, cfg.fit_sample, replace=False))


def _ordered(labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Relabel so cluster 0 is the largest; equal sizes are ordered by their centre's coordinates."""
    sizes = np.bincount(labels, minlength=len(centers))
    order = sorted(range(len(centers)), key=lambda c: (-sizes[c], *centers[c].round(9)))
    new_id = np.empty(len(centers), dtype=np.int64)
    new_id[order] = np.arange(len(centers))
    return new_id[labels]


def cluster(features: Features, cfg: ClusteringSettings) -> Clustering:
    # Small tables cluster faster on one thread than with OpenMP threads spinning against the
    # chart browser that boots at the same time; large ones use every core.
    with threadpool_limits(limits=1 if len(features.matrix) < SINGLE_THREAD_BELOW else None):
        return _cluster(features, cfg)


def _cluster(features: Features, cfg: ClusteringSettings) -> Clustering:
    full = features.matrix
    if len(full) > cfg.fit_sample:
        rows = np.sort(np.random.default_rng(cfg.seed).choice(len(full), cfg.fit_sample, replace=False))
        x = full[rows]
    else:
        x = full
    distinct = len(np.unique(x.round(12), axis=0))
    if distinct < 2:
        raise DataError(
            f"All {len(x)} customers have the same {', '.join(features.roles)}; there is nothing to segment.",
            "Check the export, or cluster on other --features.",
        )
    curve: list[KScore] = []
    if cfg.k == "auto":
        k_high = min(cfg.k_max, distinct, len(x) - 1)
        if k_high < cfg.k_min:
            raise DataError(
                f"Only {distinct} distinct customers; choosing k from {cfg.k_min} to {cfg.k_max} needs at least {cfg.k_min}.",
                "Give more customers, or set --k to a smaller number.",
            )
        best: tuple[float, int, KMeans] | None = None
        for k in range(cfg.k_min, k_high + 1):
            model = _fit(x, k, cfg)
            score = round(_silhouette(x, model.labels_, cfg), 4)
            curve.append(KScore(k, score))
            if best is None or score > best[0]:
                best = (score, k, model)
        assert best is not None
        model = best[2]
    else:
        most = min(distinct, len(x) - 1)
        if cfg.k > most:
            raise DataError(
                f"k={cfg.k} segments were asked for, but {distinct} distinct customers allow at most {most}.",
                f"Use --k {most} or fewer, or --k auto.",
            )
        model = _fit(x, cfg.k, cfg)
    if x is not full:  # every row, from the sample's centres
        model = KMeans(n_clusters=model.n_clusters, init=model.cluster_centers_, n_init=1, random_state=cfg.seed).fit(full)
        x = full
    labels = _ordered(model.labels_, model.cluster_centers_)
    k = int(model.n_clusters)
    scored = _score_rows(len(x), cfg)  # the quality measures on a seeded sample of large tables
    return Clustering(
        k=k,
        k_auto=cfg.k == "auto",
        labels=labels,
        silhouette=round(_silhouette(x[scored], labels[scored], cfg), 4),
        davies_bouldin=round(float(davies_bouldin_score(x[scored], labels[scored])), 4),
        calinski_harabasz=round(float(calinski_harabasz_score(x[scored], labels[scored])), 2),
        k_curve=tuple(curve),
        sizes=tuple(int(n) for n in np.bincount(labels, minlength=k)),
    )
