"""Aggregates over every analysed customer (one machine): role means overall and per cluster,
gender mix per cluster, and the quantiles the rules' levels are cut at."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import Clustering, CustomerTable, Profile


def _centroids(table: CustomerTable, clustering: Clustering) -> tuple[dict[str, float], ...]:
    labels = clustering.labels
    result: list[dict[str, float]] = [{} for _ in range(clustering.k)]
    for role in table.numeric_roles:
        values = table.frame[role].to_numpy(dtype=np.float64)
        present = ~np.isnan(values)
        sums = np.bincount(labels[present], weights=values[present], minlength=clustering.k)
        counts = np.bincount(labels[present], minlength=clustering.k)
        for c in range(clustering.k):
            if counts[c]:
                result[c][role] = float(sums[c] / counts[c])
    return tuple(result)


def _gender_mix(table: CustomerTable, clustering: Clustering) -> tuple[dict[str, float], ...]:
    if "gender" not in table.frame.columns:
        return tuple({} for _ in range(clustering.k))
    codes, values = pd.factorize(table.frame["gender"], sort=True)
    counts = np.bincount(clustering.labels * len(values) + codes, minlength=clustering.k * len(values)).reshape(clustering.k, len(values))
    return tuple(
        {str(v): round(float(n / row.sum()), 4) for v, n in zip(values, row) if n} if row.sum() else {} for row in counts
    )


def profile(table: CustomerTable, clustering: Clustering, quantile_points: dict[str, tuple[float, ...]]) -> Profile:
    frame = table.frame
    population = {r: float(frame[r].mean()) for r in table.numeric_roles if frame[r].notna().any()}
    quantiles = {}
    for role, points in quantile_points.items():
        if role in population:
            values = frame[role].dropna().to_numpy()
            quantiles[role] = {q: float(v) for q, v in zip(points, np.quantile(values, points))}
    return Profile(
        n=table.n_customers,
        population=population,
        centroids=_centroids(table, clustering),
        gender_mix=_gender_mix(table, clustering),
        quantiles=quantiles,
    )
