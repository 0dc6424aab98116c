"""Aggregates over every analysed customer (one machine): feature means overall and per cluster,
the centres the rules judge, attribute mixes, category spend, and the quantiles the rules' levels
are cut at. The Spark engine computes the same aggregates on the cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import Clustering, CustomerTable, Features, Profile, Rhythm
from . import features as feats

PERCENTILES = tuple(i / 100 for i in range(101))


def _sums(values: np.ndarray, labels: np.ndarray, k: int, complete: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster, the sum and the count of the values present (`complete`: the caller knows none is
    NaN, and 10M-row copies of the values and labels without them are skipped)."""
    if not complete:
        present = ~np.isnan(values)
        values, labels = values[present], labels[present]
    return np.bincount(labels, weights=values, minlength=k), np.bincount(labels, minlength=k)


def _means(values: np.ndarray, labels: np.ndarray, k: int, complete: bool = False) -> list[float | None]:
    """Per cluster, the mean of the values present."""
    sums, counts = _sums(values, labels, k, complete)
    return [float(sums[c] / counts[c]) if counts[c] else None for c in range(k)]


def rhythm(recency: np.ndarray, frequency: np.ndarray, tenure: np.ndarray) -> Rhythm:
    """The shop's buying cycle: the median, over customers with two orders or more, of the days
    between their first and last purchase divided by the orders after the first (their average
    days between orders); and how far back the log goes. Both engines call this on the three
    per-customer columns (Spark on a sample of repeat buyers' gaps, see engines/spark.py)."""
    repeat = frequency >= 2
    gaps = (tenure[repeat] - recency[repeat]) / (frequency[repeat] - 1)
    return Rhythm(
        cycle_days=float(np.median(gaps)) if len(gaps) else None,
        history_days=float(tenure.max()) if len(tenure) else 0.0,
        repeat_customers=int(repeat.sum()),
    )


def is_binary(values: np.ndarray) -> bool:
    """Every value present is 0 or 1 (a yes/no column: accepted a campaign, complained): its mean
    is a rate and reads as one."""
    present = values[~np.isnan(values)]
    return bool(len(present)) and bool(np.isin(present, (0.0, 1.0)).all()) and present.min() != present.max()


def centres(features: Features, labels: np.ndarray, k: int, sorted_values: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """Each cluster's centre on the clustered features, back in original units: the mean for a
    linear feature, the back-transformed mean of log1p or of ranks for the others."""
    out: list[dict[str, float]] = [{} for _ in range(k)]
    for j, name in enumerate(features.roles):
        how = features.transforms[j] if features.transforms else "linear"
        if how == "linear":
            continue  # the plain mean, computed with the other means
        transformed = features.matrix[:, j] * features.scale[j] + features.mean[j]
        for c, m in enumerate(_means(transformed, labels, k, complete=True)):  # clustered rows have every value
            if m is not None:
                out[c][name] = feats.inverse(m, how, features.offsets[j], sorted_values.get(name))
    return out


def separation(features: Features, labels: np.ndarray, k: int) -> dict[str, float]:
    """Share of each clustered feature's (scaled) variance that lies between the segments (eta²)."""
    out = {}
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    for j, name in enumerate(features.roles):
        x = features.matrix[:, j]
        total = float(np.sum((x - x.mean()) ** 2))
        sums = np.bincount(labels, weights=x, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            between = float(np.nansum(np.where(counts > 0, sums**2 / counts, 0.0)) - len(x) * x.mean() ** 2)
        out[name] = round(between / total, 4) if total > 0 else 0.0
    return out


MAX_MIX_VALUES = 8  # an attribute mix shows its most common values; the rest are "Other"
OTHER = "Other"


def capped_mixes(counts: list[dict[str, int]], limit: int = MAX_MIX_VALUES) -> list[dict[str, float]]:
    """Per cluster, the shares of an attribute's values: the `limit` most common values over all
    customers (the same ones in every segment), the rest summed as "Other", so an attribute with
    thousands of distinct values (a free-text field, an id mapped by mistake) cannot blow up the
    email and the PDF. Both engines call this with their per-cluster counts."""
    totals: dict[str, int] = {}
    for by_value in counts:
        for v, n in by_value.items():
            totals[v] = totals.get(v, 0) + n
    top = set(sorted(totals, key=lambda v: (-totals[v], v))[:limit]) if len(totals) > limit else set(totals)
    result = []
    for by_value in counts:
        total = sum(by_value.values())
        if not total:
            result.append({})
            continue
        shares = {v: round(n / total, 4) for v, n in sorted(by_value.items()) if n and v in top}
        rest = sum(n for v, n in by_value.items() if v not in top)
        if rest:
            shares[OTHER] = round(shares.get(OTHER, 0.0) + rest / total, 4)
        result.append(shares)
    return result


def _mixes(table: CustomerTable, clustering: Clustering) -> tuple[dict[str, dict[str, float]], ...]:
    result: list[dict[str, dict[str, float]]] = [{} for _ in range(clustering.k)]
    for attr in table.attributes:
        codes, values = pd.factorize(table.frame[attr], sort=True)
        counts = np.bincount(clustering.labels * len(values) + codes, minlength=clustering.k * len(values)).reshape(clustering.k, len(values))
        per_cluster = [{str(v): int(n) for v, n in zip(values, row) if n} for row in counts]
        for c, shares in enumerate(capped_mixes(per_cluster)):
            if shares:
                result[c][attr] = shares
    return tuple(result)


def profile(table: CustomerTable, clustering: Clustering, quantile_points: dict[str, tuple[float, ...]], features: Features | None = None) -> Profile:
    frame = table.frame
    k, labels = clustering.k, clustering.labels
    population: dict[str, float] = {}
    population_sums: dict[str, float] = {}
    means: list[dict[str, float]] = [{} for _ in range(k)]
    sums: list[dict[str, float]] = [{} for _ in range(k)]
    binary: list[str] = []
    percentiles: dict[str, tuple[float, ...]] = {}
    sorted_values: dict[str, np.ndarray] = {}
    positive: dict[str, float] = {}
    positive_by_cluster: list[dict[str, float]] = [{} for _ in range(k)]
    for name in table.numeric:
        values = frame[name].to_numpy(dtype=np.float64)
        missing = np.isnan(values)
        complete = not missing.any()
        present = values if complete else values[~missing]
        if not len(present):
            continue
        population[name] = float(present.mean())
        population_sums[name] = float(present.sum())
        sorted_values[name] = np.sort(present)
        percentiles[name] = tuple(float(v) for v in feats.sorted_quantiles(sorted_values[name], PERCENTILES))
        if is_binary(present):
            binary.append(name)
        totals_c, counts_c = _sums(values, labels, k, complete)
        for c in range(k):
            if counts_c[c]:
                means[c][name] = float(totals_c[c] / counts_c[c])
                sums[c][name] = float(totals_c[c])
        above = np.where(missing, np.nan, values > 0)  # a yes/no reading of any feature: has it at all
        positive[name] = float(np.count_nonzero(present > 0) / len(present))
        for c, share in enumerate(_means(above, labels, k, complete)):
            if share is not None:
                positive_by_cluster[c][name] = share
    centroids = [dict(m) for m in means]
    if features is not None:
        for c, judged in enumerate(centres(features, labels, k, sorted_values)):
            centroids[c].update(judged)
    quantiles = {}
    for name, points in quantile_points.items():
        if name in sorted_values:
            quantiles[name] = {q: float(v) for q, v in zip(points, feats.sorted_quantiles(sorted_values[name], points))}
    totals: list[dict[str, float]] = [{} for _ in range(k)]
    population_totals: dict[str, float] = {}
    for label, column in table.categories.items():
        values = np.nan_to_num(frame[column].to_numpy(dtype=np.float64))
        population_totals[label] = float(values.sum())
        for c, total in enumerate(np.bincount(labels, weights=values, minlength=k)):
            totals[c][label] = float(total)
    return Profile(
        n=table.n_customers,
        population=population,
        centroids=tuple(centroids),
        means=tuple(means),
        mixes=_mixes(table, clustering),
        quantiles=quantiles,
        percentiles=percentiles,
        separation=separation(features, labels, k) if features is not None else {},
        category_totals=tuple(totals),
        category_population=population_totals,
        sums=tuple(sums),
        population_sums=population_sums,
        binary=tuple(binary),
        rhythm=_rhythm(table),
        positive=positive,
        positive_by_cluster=tuple(positive_by_cluster),
    )


def _rhythm(table: CustomerTable) -> Rhythm | None:
    frame = table.frame
    if table.kind != "transactions" or not {"recency_days", "frequency", "tenure_days"} <= set(frame.columns):
        return None
    column = lambda name: frame[name].to_numpy(dtype=np.float64)  # noqa: E731
    return rhythm(column("recency_days"), column("frequency"), column("tenure_days"))
