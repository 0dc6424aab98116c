"""The Profile: feature means overall and per segment, the centres the rules judge, attribute
mixes, category spend, the quantiles the rules' levels are cut at, and an order log's buying
rhythm, made from the aggregates an engine computes over every customer (stages/rows.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..model import Features, Profile, Rhythm
from . import features as feats
from .rows import Cycle, Rows

PERCENTILES = tuple(i / 100 for i in range(101))


def rhythm(cycle: Cycle) -> Rhythm:
    """The shop's buying cycle: the median, over customers with two orders or more, of the days
    between their first and last purchase divided by the orders after the first (their average
    days between orders); and how far back the log goes. The engine computes the aggregates."""
    return Rhythm(cycle_days=cycle.median_gap, history_days=cycle.history, repeat_customers=cycle.repeat)


def centres(features: Features, transformed: tuple[dict[str, float], ...], quantiles: Callable[[str, list[float]], list[float]]) -> list[dict[str, float]]:
    """Each cluster's centre on the clustered features, back in original units: the mean for a
    linear feature (left to the plain means), the back-transformed mean of log1p or of ranks
    (a rank's share read back through the feature's quantiles) for the others."""
    out: list[dict[str, float]] = [{} for _ in transformed]
    for j, name in enumerate(features.roles):
        how = features.transforms[j] if features.transforms else "linear"
        if how == "linear":
            continue
        clusters = [c for c, m in enumerate(transformed) if name in m]
        if how == "rank":
            values = quantiles(name, [feats.clip_share(transformed[c][name]) for c in clusters])
            for c, v in zip(clusters, values):
                out[c][name] = float(v)
        else:
            for c in clusters:
                out[c][name] = feats.inverse(transformed[c][name], how, features.offsets[j])
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


def profile(rows: Rows, k: int, labels: np.ndarray, quantile_points: dict[str, tuple[float, ...]], features: Features | None = None) -> Profile:
    """The Profile of the segments (`LABEL`, k of them) from the aggregates the engine computes over
    every customer; `labels` are the held rows' segments (for the separation of the features)."""
    agg = rows.aggregates(k, features)
    present = list(agg.mean)
    grids = rows.quantiles({name: PERCENTILES for name in present})
    centroids = [dict(m) for m in agg.cluster_mean]
    if features is not None:
        ask = lambda name, shares: list(rows.quantiles({name: shares})[name])  # noqa: E731
        for c, judged in enumerate(centres(features, agg.cluster_transformed, ask)):
            centroids[c].update(judged)
    points = {name: p for name, p in quantile_points.items() if name in agg.mean}
    found = rows.quantiles(points) if points else {}
    mixes: list[dict[str, dict[str, float]]] = [{} for _ in range(k)]
    for attr, counts in agg.attribute_counts.items():
        for c, shares in enumerate(capped_mixes(list(counts))):
            if shares:
                mixes[c][attr] = shares
    cycle = rows.cycle()
    return Profile(
        n=agg.n,
        population=dict(agg.mean),
        centroids=tuple(centroids),
        means=agg.cluster_mean,
        mixes=tuple(mixes),
        quantiles={name: {q: float(v) for q, v in zip(p, found[name])} for name, p in points.items()},
        percentiles={name: tuple(float(v) for v in grids[name]) for name in present},
        separation=separation(features, labels, k) if features is not None else {},
        category_totals=agg.category_total,
        category_population=dict(agg.category_population),
        sums=agg.cluster_total,
        population_sums=dict(agg.total),
        binary=tuple(name for name in present if agg.others[name] == 0 and agg.varies[name]),
        rhythm=rhythm(cycle) if cycle is not None else None,
        positive=dict(agg.positive),
        positive_by_cluster=agg.cluster_positive,
    )
