"""The clustering features: each transformed for skew (linear, log or rank), then standardised so
no unit dominates the distances.

Skewed measures (money, counts) would otherwise let a handful of big spenders form a segment of
their own. `scale: {feature: auto}` (the default) takes log1p(x - min) when the data's skewness is
above SKEWED (rank when values can be negative) and keeps the values linear otherwise; the choice
and the skew are stated in the appendix.

The transform is written here once, twice spelt: `transform` (numpy, one machine) and
`transform_sql` (the Spark engine), tested against each other; `to_model_units` and `inverse` take
one value to and from the space K-Means sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..model import Features

if TYPE_CHECKING:
    from .rows import Rows

SKEWED = 1.0  # |skewness| above this counts as skewed (a common rule of thumb)


def skewness(x: np.ndarray) -> float:
    """Population skewness m3 / m2^1.5 (what Spark's skewness() computes)."""
    centred = x - x.mean()
    squared = centred * centred
    m2 = float(np.mean(squared))
    if m2 == 0:
        return 0.0
    squared *= centred  # the cube by one multiplication (np.power(x, 3) takes 0.4 s at 10M rows)
    return float(np.mean(squared) / m2**1.5)


def choose(setting: str, skew: float, minimum: float, maximum: float) -> str:
    """The transform for one feature: the setting, or (auto) one chosen from the skew."""
    if setting != "auto":
        return setting
    if maximum == minimum or abs(skew) <= SKEWED:
        return "linear"
    return "log" if skew > 0 and minimum >= 0 else "rank"


def transform(x: np.ndarray, how: str, offset: float) -> np.ndarray:
    """The values as K-Means sees them (before standardising): log1p(x - offset), the rank as a share
    (the lowest rank of equal values, (rank - 1) / (n - 1)), or as they are."""
    if how == "log":
        return np.log1p(x - offset)
    if how == "rank":
        order = np.argsort(x, kind="mergesort")
        ranks = np.empty(len(x), dtype=np.float64)
        sorted_x = x[order]
        # the lowest rank of equal values, as Spark's percent_rank(): (rank - 1) / (n - 1)
        first = np.searchsorted(sorted_x, sorted_x, side="left")
        ranks[order] = first
        return ranks / max(len(x) - 1, 1)
    return x


def sorted_quantiles(sorted_x: np.ndarray, q: np.ndarray | float) -> np.ndarray:
    """np.quantile(sorted_x, q) (method 'linear'), bit for bit, for an already sorted array without
    NaN: np.quantile partitions the whole array again (0.2 s per call at 10M rows); the sorted array
    only needs indexing. The arithmetic is numpy's own (virtual index (n-1)*q, its lerp);
    tests/test_cluster.py checks that the two agree."""
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    n = len(sorted_x)
    virtual = (n - 1) * qs
    previous = np.floor(virtual)
    following = previous + 1
    previous[virtual >= n - 1] = -1
    following[virtual >= n - 1] = -1
    previous[virtual < 0] = 0
    following[virtual < 0] = 0
    previous_i, following_i = previous.astype(np.intp), following.astype(np.intp)
    gamma = virtual - previous_i
    a, b = sorted_x[previous_i], sorted_x[following_i]
    diff = b - a
    out = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


def counted_quantiles(counted: list[tuple[float, int]], brackets: list[tuple[float, float]], below: list[int],
                      lower: np.ndarray, upper: np.ndarray, virtual: np.ndarray, name: str) -> np.ndarray:
    """Quantiles from an engine that cannot sort every value in one place (Spark): each share's two
    order statistics (`lower`, `upper`, from 0) read off the distinct values counted inside its
    bracket (`counted`, sorted; `below[j]` customers lie under bracket j), then interpolated by
    numpy's own arithmetic (sorted_quantiles), so both engines give the same numbers."""
    values = np.array([v for v, _ in counted], dtype=np.float64)
    ends = np.cumsum([c for _, c in counted])
    out = np.empty(len(brackets))
    for j, (a, b) in enumerate(brackets):
        first = int(np.searchsorted(values, float(a)))  # the bracket's first value in `counted`
        upto = ends[first:] - (int(ends[first - 1]) if first else 0) + below[j]  # customers at or below each value from there
        pair = []
        for r in (lower[j], upper[j]):  # order statistic r: the first value with more than r customers at or below it
            k = int(np.searchsorted(upto, r, side="right")) + first
            if below[j] > r or k >= len(values) or values[k] > float(b):
                raise AssertionError(f"{name}: the quantile bracket [{a}, {b}] misses rank {r}")
            pair.append(values[k])
        out[j] = sorted_quantiles(np.array(pair), float(virtual[j] - lower[j]))[0]
    return out


def transform_sql(column: str, how: str, offset: float) -> str:
    """`transform` as a Spark SQL expression over a column (a quoted identifier): the same arithmetic
    (log1p; percent_rank, which gives equal values the lowest rank)."""
    if how == "log":
        return f"CAST(log1p({column} - CAST('{float(offset)!r}' AS DOUBLE)) AS DOUBLE)"
    if how == "rank":
        return f"CAST(percent_rank() OVER (ORDER BY {column}) AS DOUBLE)"
    return f"CAST({column} AS DOUBLE)"


def inverse(value: float, how: str, offset: float, quantile: Callable[[float], float] | None = None) -> float:
    """A transformed value back in original units (what the rules judge): for a rank, the value at
    that share of the customers (`quantile`, which the engine computes)."""
    if how == "log":
        return float(np.expm1(value) + offset)
    if how == "rank":
        assert quantile is not None
        return quantile(clip_share(value))
    return float(value)


def clip_share(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def to_model_units(value: float, how: str, offset: float, percentiles: Sequence[float] | None = None) -> float:
    """One value in original units as K-Means saw it (before standardising): log1p of its distance
    from the minimum, or its share of customers below it from the percentiles (a rank)."""
    if how == "log":
        return float(np.log1p(max(value - offset, 0.0)))
    if how == "rank" and percentiles:
        return float(np.interp(value, percentiles, np.linspace(0, 1, len(percentiles))))
    return value


def build(rows: Rows, names: Sequence[str], scale_settings: dict[str, str]) -> Features:
    """The clustering features of every customer: each feature's transform chosen from its moments
    over every customer, the transformed values standardised by their mean and standard deviation
    over every customer; the matrix holds the held rows."""
    moments = rows.moments(names)
    transforms, offsets, skews, automatic = [], [], [], []
    for name in names:
        m = moments[name]
        setting = scale_settings.get(name, "auto")
        how = choose(setting, m.skew, m.low, m.high)
        transforms.append(how)
        offsets.append(m.low if how == "log" else 0.0)
        skews.append(round(m.skew, 4))
        automatic.append(setting == "auto")
    raw, mean, scale = rows.transformed(names, transforms, offsets)
    scale = scale.copy()
    scale[scale == 0] = 1.0
    matrix = np.asarray(raw, dtype=np.float64)
    if not matrix.flags.writeable:  # a read-only view of a frame (pandas' copy-on-write)
        matrix = matrix.copy()
    matrix -= mean  # in place: at 10M customers two copies of the matrix (240 MB each) fewer
    matrix /= scale
    return Features(
        matrix=matrix,
        roles=tuple(names),
        mean=mean,
        scale=scale,
        transforms=tuple(transforms),
        offsets=tuple(offsets),
        skew=tuple(skews),
        automatic=tuple(automatic),
    )


def constant_roles(features: Features) -> tuple[str, ...]:
    """Clustered features with one value for every customer: they cannot tell segments apart (their
    standardised column is all zeros), so the report says so."""
    m = features.matrix
    return tuple(role for j, role in enumerate(features.roles) if len(m) and not np.any(m[:, j]))
